/**
 * The installed simulated lab's OpenShift objects, seeded through the real kube-apiserver, pass
 * openshift/api's CRDs (schemas and CEL rules), spec and status.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { apiRequest } from '../../../simulator/control-plane/api-client.js';
import type { SimulatedLab } from '../../../simulator/lab-sim.js';
import { openshiftTypes } from '../../../simulator/control-plane/openshift-kinds.js';
import { resourceKey } from '../../../simulator/apiserver/resources.js';
import { startTestLab, type TestLab } from '../install/support.js';
import { eventually } from '../../support/control-plane.js';
import { findTool } from '../../../testing/tools.js';

let t: TestLab;
let sim: SimulatedLab;

beforeAll(async () => {
  t = await startTestLab('installed', { realControlPlane: true });
  sim = t.sim;
}, 600_000);
afterAll(() => t?.stop(), 120_000);

function kubectl(...args: string[]) {
  const binary = findTool('kubectl');
  if (!binary) throw new Error('kubectl is not on PATH: install it (bash scripts/install-deps.sh)');
  return execa(binary, ['--kubeconfig', sim.controlPlane!.plane.kubeconfigPath, ...args], { stdin: 'ignore' });
}

describe('the installed lab on the real control plane', () => {
  it('holds every OpenShift object the lab was seeded with, accepted by openshift/api', async () => {
    // startSimulatedLab fails when the real server refuses one; here, none is missing either.
    const { copied } = sim.controlPlane!;
    const seeded = openshiftTypes()
      .map((type) => resourceKey(type))
      .flatMap((resource) => sim.api.list(resource).items.map((object) => `${resource}/${object.metadata.name}`));
    const copiedNames = copied.map((object) => `${object.resource}/${object.name}`);
    // The lab's controllers go on after the copy (the MCO renders configs): what was seeded is all there.
    expect(copied.length).toBeGreaterThan(30);
    expect(seeded).toEqual(expect.arrayContaining(copiedNames));
    for (const resource of new Set(copied.map((object) => object.resource))) {
      const real = await kubectl('get', resource, '--all-namespaces', '-o', 'jsonpath={.items[*].metadata.name}');
      const names = copied.filter((object) => object.resource === resource).map((object) => object.name);
      // The lab's controllers write to the real server too (the MCO's rendered configs): a superset.
      expect(real.stdout.split(' ')).toEqual(expect.arrayContaining(names));
    }
  });

  it('keeps the statuses the lab reports (operators Available) and the field manager of the copy', async () => {
    const available = await kubectl(
      'get',
      'clusteroperators',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Available")].status}{"\\n"}{end}',
    );
    const lines = available.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) expect(line).toMatch(/=True$/);
    const pools = await kubectl('get', 'mcp', '-o', 'jsonpath={.items[*].metadata.name}');
    expect(pools.stdout.split(' ').sort()).toEqual(['master', 'worker']);
    const managers = await kubectl(
      'get',
      'clusterversion',
      'version',
      '-o',
      'jsonpath={.metadata.managedFields[*].manager}',
      '--show-managed-fields',
    );
    expect(managers.stdout).toContain('openshift-runbooks-lab');
  });

  it("brings the lab's api-down faults to the real API server's clients, and clears them", async () => {
    const readyz = () =>
      execa(findTool('kubectl')!, ['--kubeconfig', sim.controlPlane!.plane.kubeconfigPath, 'get', '--raw', '/readyz'], {
        reject: false,
        stdin: 'ignore',
      });
    sim.faults.add({ kind: 'api-down', answer: 'refused' });
    await eventually(readyz, (reply) => reply.stderr.includes('refused'));
    sim.faults.clear('api-down');
    sim.faults.add({ kind: 'api-down', answer: '503' });
    // kubectl would retry a 503 as Retry-After says; one plain request shows the answer.
    const plane = sim.controlPlane!.plane;
    const unavailable = await eventually(
      () => apiRequest({ ...plane.admin, url: plane.url }, 'GET', '/readyz'),
      (reply) => reply.status === 503,
    );
    expect(unavailable.headers['retry-after']).toBe('10');
    sim.faults.clearAll();
    expect((await eventually(readyz, (reply) => reply.exitCode === 0)).stdout).toBe('ok');
  });
});
