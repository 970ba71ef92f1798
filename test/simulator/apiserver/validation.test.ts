/**
 * Field validation as a real cluster does it, driven by kubectl (and client-node for the modes kubectl
 * does not send): unknown fields refused (Strict), warned about and dropped (Warn) or dropped (Ignore);
 * wrong types always refused; /openapi/v2 and /openapi/v3 good enough for `kubectl apply` to validate a
 * `kubectl get -o yaml` file client side and for `kubectl explain`.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { MCP, node, pool, rejection, startTestApi, statusOf } from './helpers.js';
import type { TestApi } from './helpers.js';

const KUBECTL = process.env.KUBECTL ?? 'kubectl';
const MC = 'machineconfigs.machineconfiguration.openshift.io';
const MCO = { group: 'machineconfiguration.openshift.io', version: 'v1' } as const;

let api: TestApi;
let dir: string;

/** kubectl's exit code, stdout and stderr (it does not throw on failure). */
async function kubectl(args: string[], input?: string) {
  const result = await execa(KUBECTL, ['--kubeconfig', api.server.kubeconfigPath, ...args], {
    timeout: 30_000,
    reject: false,
    ...(input !== undefined ? { input } : {}),
  });
  return { code: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  api = await startTestApi();
  dir = await mkdtemp(path.join(tmpdir(), 'validation-test-'));
  api.store.create('nodes', node('worker-0', { 'node-role.kubernetes.io/worker': '' }));
  api.store.create(MCP, pool('worker', { paused: false }));
  for (const name of ['00-worker', '99-worker-ssh']) {
    api.store.create(MC, {
      apiVersion: 'machineconfiguration.openshift.io/v1',
      kind: 'MachineConfig',
      metadata: { name, labels: { 'machineconfiguration.openshift.io/role': 'worker' } },
      spec: { config: { ignition: { version: '2.2.0' } }, osImageURL: '', fips: false },
    });
  }
});
afterAll(async () => {
  await api?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const workerSpec = () => api.store.get(MCP, undefined, 'worker')?.spec;

describe('unknown fields and wrong types', () => {
  it('kubectl patch (no fieldValidation: Warn) warns about an unknown field and does not keep it', async () => {
    const result = await kubectl(['patch', 'mcp', 'worker', '--type', 'merge', '-p', '{"spec":{"bogus":1}}']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('Warning: unknown field "spec.bogus"');
    expect(workerSpec()).toEqual({ paused: false });
  });

  it('refuses a value of the wrong type in a custom resource with 422 Invalid naming the field', async () => {
    const result = await kubectl(['patch', 'mcp', 'worker', '--type', 'merge', '-p', '{"spec":{"paused":"yes"}}']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      'The MachineConfigPool "worker" is invalid: spec.paused: Invalid value: "string": spec.paused in body ' +
        'must be of type boolean: "string"',
    );
    expect(workerSpec()).toEqual({ paused: false });
  });

  it('refuses a wrong type in a built-in kind as its JSON decoding does', async () => {
    const result = await kubectl(['patch', 'node', 'worker-0', '-p', '{"spec":{"unschedulable":"yes"}}']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/The request is invalid: patch: Invalid value: .*cannot unmarshal string/);
    expect(api.store.get('nodes', undefined, 'worker-0')?.spec).toEqual({});
  });

  it('kubectl create/apply (fieldValidation=Strict) refuse an unknown field and change nothing', async () => {
    const file = path.join(dir, 'pool.yaml');
    await writeFile(file, stringify({ ...pool('extra', { paused: false }), spec: { paused: false, bogus: 1 } }));
    for (const verb of ['create', 'apply']) {
      const result = await kubectl([verb, '-f', file]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(
        'MachineConfigPool in version "v1" cannot be handled as a MachineConfigPool: strict decoding error: unknown field "spec.bogus"',
      );
    }
    expect(api.store.get(MCP, undefined, 'extra')).toBeUndefined();
  });

  it('kubectl replace and kubectl apply --server-side refuse it too', async () => {
    const current = api.store.get(MCP, undefined, 'worker')!;
    const withTypo = { ...current, spec: { ...(current.spec as object), bogus: 1 } };
    const replaced = await kubectl(['replace', '-f', '-'], JSON.stringify(withTypo));
    expect(replaced.code).not.toBe(0);
    expect(replaced.stderr).toContain('strict decoding error: unknown field "spec.bogus"');
    const serverSide = await kubectl(
      ['apply', '--server-side', '-f', '-'],
      stringify({ ...pool('worker'), spec: { paused: false, bogus: 1 } }),
    );
    expect(serverSide.code).not.toBe(0);
    expect(serverSide.stderr).toContain('.spec.bogus: field not declared in schema');
    expect(workerSpec()).toEqual({ paused: false });
  });

  it("refuses the seed's infra pool, whose role label sits one level too high in spec.nodeSelector", async () => {
    const seedPool = {
      ...pool('infra'),
      spec: {
        machineConfigSelector: { matchLabels: { 'machineconfiguration.openshift.io/role': 'infra' } },
        nodeSelector: { 'node-role.kubernetes.io/infra': '' },
        paused: false,
      },
    };
    const result = await kubectl(['create', '-f', '-'], stringify(seedPool));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('unknown field "spec.nodeSelector.node-role.kubernetes.io/infra"');
    expect(api.store.get(MCP, undefined, 'infra')).toBeUndefined();
  });

  it('honours fieldValidation=Ignore and Strict from client-node', async () => {
    const custom = api.kc.makeApiClient(CustomObjectsApi);
    const body = { ...pool('quiet'), spec: { paused: true, bogus: 1 } };
    const strict = await rejection(
      custom.createClusterCustomObject({ ...MCO, plural: 'machineconfigpools', body, fieldValidation: 'Strict' }),
    );
    expect((strict as { code: number }).code).toBe(400);
    expect(statusOf(strict).message).toContain('unknown field "spec.bogus"');
    await custom.createClusterCustomObject({ ...MCO, plural: 'machineconfigpools', body, fieldValidation: 'Ignore' });
    expect(api.store.get(MCP, undefined, 'quiet')?.spec).toEqual({ paused: true });
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const wrong = await rejection(
      custom.patchClusterCustomObject(
        { ...MCO, plural: 'machineconfigpools', name: 'quiet', body: { spec: { maxUnavailable: true } } },
        merge,
      ),
    );
    expect((wrong as { code: number }).code).toBe(422);
    expect(statusOf(wrong).details?.causes).toEqual([
      expect.objectContaining({ reason: 'FieldValueTypeInvalid', field: 'spec.maxUnavailable' }),
    ]);
  });
});

describe('OpenAPI documents', () => {
  it('lets the seed re-apply `kubectl get mc -o yaml` output, validated client side', async () => {
    const file = path.join(dir, 'mc.yaml');
    const listed = await kubectl(['get', 'mc', '-o', 'yaml']);
    expect(listed.code).toBe(0);
    await writeFile(file, listed.stdout);
    const applied = await kubectl(['apply', '-f', file]);
    expect(applied.code).toBe(0);
    expect(applied.stderr).not.toContain('error');
    expect(applied.stdout).toContain('machineconfig.machineconfiguration.openshift.io/00-worker configured');
    // The same file with a typo is stopped by kubectl itself, before anything is sent.
    await writeFile(file, (await readFile(file, 'utf8')).replaceAll('fips: false', 'fips: "no"'));
    const typo = await kubectl(['apply', '-f', file]);
    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toContain('invalid type for io.openshift.machineconfiguration.v1.MachineConfig.spec.fips');
  });

  it('answers kubectl explain from the published schemas', async () => {
    const explained = await kubectl(['explain', 'mcp.spec.paused']);
    expect(explained.code).toBe(0);
    expect(explained.stdout).toContain('FIELD: paused <boolean>');
    expect((await kubectl(['explain', 'csr.spec'])).stdout).toContain('signerName');
  });
});
