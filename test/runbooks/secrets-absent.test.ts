/**
 * Secrets proven absent: a full `runbook rehearse rebuild` (the CLI process, its worker inside) with
 * canary values for every secret kind the lab has (pull secret, SSH private key, LDAP bind password and
 * CA, Ceph key, IPMI and Redfish passwords, a webhook URL with a token) and the ones the install writes
 * (kubeadmin password, the admin kubeconfig's credentials). Every workflow history (`temporal workflow
 * show --output json` of every run, the notice children `<run id>/notice/...` included) and the CLI's
 * and worker's output hold none of them, plain or base64. The webhook is a loopback receiver, so the
 * notices are really sent.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { parse as parseYaml } from 'yaml';
import { findTemporalCli } from '../../temporal/cli-binary.js';
import { startTestTemporal, type TestTemporal } from '../support/temporal.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RUN_TIMEOUT_MS = 15 * 60_000;

const CANARY = {
  pullAuth: 'canary-pull:PULL-Canary-5e1f9a77',
  ldapBindPassword: 'LDAP-Canary-c41b77e2',
  cephKey: 'AQDcanaryCephUserKey7b2c0d41e9aa00000==',
  ipmiPassword: 'IPMI-Canary-8d21e3f0',
  redfishPassword: 'REDFISH-Canary-0a7c55b9',
  webhookToken: 'WEBHOOK-Canary-3f9d0c6a',
};

let temporal: TestTemporal;
let dir: string;
let receiver: Server;
/** The events of the notices the loopback webhook received. */
const received: string[] = [];

beforeAll(async () => {
  temporal = await startTestTemporal();
  dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-secrets-'));
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === `/hooks/${CANARY.webhookToken}`) {
        received.push((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { event: string }).event);
      }
      response.writeHead(request.url === `/hooks/${CANARY.webhookToken}` ? 204 : 404).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => receiver?.close(resolve));
  await temporal?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The value, and its base64 at each of the three alignments it can have inside a longer encoded text. */
function needles(value: string): string[] {
  const found = [value];
  for (const pad of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(pad, 0x20), Buffer.from(value)]).toString('base64');
    // Drop the characters that also depend on the bytes around the value.
    found.push(encoded.slice(pad === 0 ? 0 : 4, -4));
  }
  return found.filter((needle) => needle.length >= 8);
}

async function until(predicate: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The lines of a PEM or OpenSSH key body, the parts that would show if the key leaked. */
function pemBody(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('-----'))
    .filter((line) => line.length >= 16);
}

test(
  'a full rebuild rehearsal with canary secrets: no history, no output holds one, plain or base64',
  async () => {
    const secrets = path.join(dir, 'secrets');
    await execa('mkdir', ['-p', secrets]);
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'canary', '-f', path.join(secrets, 'id')]);
    const pullSecret = JSON.stringify({
      auths: {
        'registry.canary.invalid': {
          auth: Buffer.from(CANARY.pullAuth).toString('base64'),
          email: 'canary@example.invalid',
        },
      },
    });
    await writeFile(path.join(secrets, 'pull-secret.json'), pullSecret);
    await writeFile(path.join(secrets, 'ldap-bind-password'), CANARY.ldapBindPassword);
    await writeFile(path.join(secrets, 'ceph-user-key'), CANARY.cephKey);
    const ldapCa = await readFile(path.join(repo, 'runbooks/labs/example-secrets/ldap-ca.crt'), 'utf8');
    await writeFile(path.join(secrets, 'ldap-ca.crt'), ldapCa);

    const example = await readFile(path.join(repo, 'runbooks/labs/example.yaml'), 'utf8');
    const labText = example
      .replace('file:example-secrets/pull-secret.json', `file:${secrets}/pull-secret.json`)
      .replace('file:example-secrets/id_ed25519.pub', `file:${secrets}/id.pub`)
      .replace('file:example-secrets/id_ed25519', `file:${secrets}/id`)
      .replace('file:example-secrets/ldap-bind-password', `file:${secrets}/ldap-bind-password`)
      .replace('file:example-secrets/ldap-ca.crt', `file:${secrets}/ldap-ca.crt`)
      .replace('file:example-secrets/ceph-user-key', `file:${secrets}/ceph-user-key`)
      .replace(
        'power: { type: libvirt, hypervisor: kvm2, domain: ocp4-compute4 }',
        'power: { type: ipmi, address: 10.42.44.204, username: admin, password: "env:RUNBOOK_CANARY_IPMI" }',
      )
      .replace(
        'power: { type: libvirt, hypervisor: kvm1, domain: ocp4-compute5 }',
        'power: { type: redfish, address: 10.42.44.205, systemId: System.Embedded.1, username: root, ' +
          'password: "env:RUNBOOK_CANARY_REDFISH" }',
      )
      .concat('\nnotify:\n  webhooks:\n    - name: canary\n      url: "env:RUNBOOK_CANARY_WEBHOOK"\n');
    expect(labText).not.toContain('example-secrets');
    const webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/${CANARY.webhookToken}`;
    const labFile = path.join(dir, 'canary.yaml');
    await writeFile(labFile, labText);

    const stateDir = path.join(dir, 'rehearsal');
    const rehearsalEnv = {
      ...temporal.env,
      XDG_STATE_HOME: path.join(dir, 'state'),
      RUNBOOK_CANARY_IPMI: CANARY.ipmiPassword,
      RUNBOOK_CANARY_REDFISH: CANARY.redfishPassword,
      RUNBOOK_CANARY_WEBHOOK: webhookUrl,
    };
    const rehearsal = await execa(
      'node',
      [
        path.join(repo, 'bin/runbook.js'),
        'rehearse',
        'rebuild',
        '--lab',
        labFile,
        '--time-scale',
        '0',
        '--state-dir',
        stateDir,
      ],
      {
        cwd: repo,
        env: { ...rehearsalEnv, NO_COLOR: '1' },
        all: true,
        reject: false,
      },
    );
    expect({ code: rehearsal.exitCode, tail: rehearsal.all?.split('\n').slice(-5) }).toEqual({
      code: 0,
      tail: expect.arrayContaining(['rebuild/intra/rehearsal: completed']),
    });

    // What the install wrote: the cluster's kubeadmin password and admin credentials.
    const auth = path.join(stateDir, 'sim', 'install', 'auth');
    const kubeadmin = (await readFile(path.join(auth, 'kubeadmin-password'), 'utf8')).trim();
    const kubeconfig = parseYaml(await readFile(path.join(auth, 'kubeconfig'), 'utf8')) as {
      users?: Array<{ user?: Record<string, string> }>;
    };
    const credentials = (kubeconfig.users ?? []).flatMap((user) =>
      Object.entries(user.user ?? {})
        .filter(([key]) => ['token', 'client-key-data', 'password'].includes(key))
        .map(([, value]) => value),
    );
    expect(credentials.length).toBeGreaterThan(0);

    const secretValues = [
      CANARY.pullAuth,
      Buffer.from(CANARY.pullAuth).toString('base64'),
      CANARY.ldapBindPassword,
      CANARY.cephKey,
      CANARY.ipmiPassword,
      CANARY.redfishPassword,
      CANARY.webhookToken,
      webhookUrl,
      kubeadmin,
      ...credentials,
      ...pemBody(await readFile(path.join(secrets, 'id'), 'utf8')),
    ];
    const search = secretValues.flatMap(needles);

    // `rehearse` stops its worker when the run ends, before the run's last notice (a detached child
    // started at the end) is delivered: a worker on the rehearsal queue delivers it, as one serving the
    // queue would. Its notice child is then in the list below, and its output is searched too.
    const noticeWorker = execa(
      'node',
      [path.join(repo, 'bin/runbook.js'), 'worker', '--task-queue', 'openshift-runbooks-rehearsal'],
      { cwd: repo, env: { ...rehearsalEnv, NO_COLOR: '1' }, all: true, reject: false },
    );
    try {
      await until(() => received.includes('completed'), 'the completed notice at the webhook', 120_000);
    } finally {
      noticeWorker.kill('SIGTERM');
    }
    const noticeWorkerOutput = (await noticeWorker).all ?? '';

    // Every run's history on the server, as the Temporal CLI shows it.
    const cli = await findTemporalCli({ install: false });
    const connection = ['--address', temporal.address, '--namespace', temporal.namespace];
    const listed = JSON.parse(
      (await execa(cli, ['workflow', 'list', ...connection, '--output', 'json'])).stdout || '[]',
    ) as Array<{ execution: { workflowId: string; runId: string } }>;
    expect(listed.map((run) => run.execution.workflowId)).toContain('rebuild/intra/rehearsal');
    expect(listed.some((run) => run.execution.workflowId.startsWith('rebuild/intra/rehearsal/notice/'))).toBe(true);
    const histories: Array<{ id: string; text: string }> = [];
    for (const run of listed) {
      const shown = await execa(cli, [
        'workflow',
        'show',
        ...connection,
        '--workflow-id',
        run.execution.workflowId,
        '--run-id',
        run.execution.runId,
        '--output',
        'json',
      ]);
      histories.push({ id: run.execution.workflowId, text: shown.stdout });
    }
    expect(histories.every((history) => history.text.length > 1000)).toBe(true);

    const places = [
      { id: 'rehearse output (CLI and worker)', text: rehearsal.all ?? '' },
      { id: 'notice worker output', text: noticeWorkerOutput },
      ...histories,
    ];
    const hits = places.flatMap((place) =>
      search.filter((needle) => place.text.includes(needle)).map((needle) => `${place.id}: ${needle.slice(0, 6)}…`),
    );
    expect(hits).toEqual([]);
    // The search finds what is there: the lab's secret references are in the history (payloads are base64).
    const reference = needles('env:RUNBOOK_CANARY_IPMI');
    expect(histories.some((history) => reference.some((needle) => history.text.includes(needle)))).toBe(true);
  },
  RUN_TIMEOUT_MS,
);
