/**
 * The install runbook end to end: the catalogue's `install`, run by a real worker on a real Temporal dev
 * server (with the lab's own worker for the install folder's steps) against a simulated lab that starts bare.
 * The cluster it leaves is read back the way an operator would (client-node against the simulated API): every
 * inventory node Ready with its role, every operator Available, the bootstrap node off and gone from the
 * HAProxy configuration each load balancer loaded. A second run on the installed lab reports every step
 * unchanged and writes nothing: no file on any simulated host changes and the API server receives no mutating
 * request. With the rogue-csr fault, the CSR of a node the lab does not have stays pending and the run
 * completes.
 */
import 'reflect-metadata';
import { utimes } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { CertificatesV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { Pkcs10CertificateRequest } from '@peculiar/x509';
import type { WorkflowHandle } from '@temporalio/client';
import { IGNITION_FILES } from '../../activities/install/index.js';
import { readFolderState, writeFolderState } from '../../activities/install/folder.js';
import { hostsWith, nodeFqdn, type Lab } from '../../lab/schema.js';
import { startSimulatedLab, type SimulatedLab } from '../../simulator/lab-sim.js';
import { waitForProgress } from '../../testing/engine-harness.js';
import {
  progressQuery,
  type RunbookInput,
  type RunbookProgress,
  type StepProgress,
} from '../../workflows/engine/api.js';
import { startRunbookTestLab, type RunbookTestLab } from '../support/runbook-test-lab.js';
import { hostFileStamps } from '../support/file-stamps.js';
import type { TestTemporal } from '../support/temporal.js';

const TASK_QUEUE = 'install-end-to-end';
const RUN_TIMEOUT_MS = 10 * 60_000;

let temporal: TestTemporal;
let dir: string;
let lab: Lab;
let sim: SimulatedLab;
let testLab: RunbookTestLab | undefined;

beforeAll(async () => {
  testLab = await startRunbookTestLab({ prefix: 'runbook-install-', taskQueue: TASK_QUEUE });
  ({ temporal, dir, lab, sim } = testLab);
}, 180_000);

afterAll(async () => {
  await testLab?.stop();
});

function start(workflowId: string, on: SimulatedLab = sim): Promise<WorkflowHandle> {
  return temporal.client.workflow.start('install', {
    taskQueue: TASK_QUEUE,
    workflowId,
    args: [
      {
        lab,
        rehearsal: { endpointsFile: on.endpointsPath, kubeconfig: on.kubeconfigPath },
      } satisfies RunbookInput,
    ],
  });
}

/** Every activity step of a run, for-each items included, as `path → status`. */
function leafStatuses(steps: StepProgress[], prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const step of steps) {
    const id = `${prefix}${step.id}`;
    if (step.items) {
      for (const item of step.items) Object.assign(out, leafStatuses(item.steps, `${id}[${item.item}].`));
    } else {
      out[id] = step.status;
    }
  }
  return out;
}

/** The paths of the steps placed on the lab's own worker (`on: 'lab'`), for-each items included. */
function placedOnLab(steps: StepProgress[], prefix = ''): string[] {
  return steps.flatMap((step) => {
    const id = `${prefix}${step.id}`;
    if (step.items) return step.items.flatMap((item) => placedOnLab(item.steps, `${id}[${item.item}].`));
    return step.on === 'lab' ? [id] : [];
  });
}

/** Path → (inode, size, mtime) of every file under the simulated hosts' folders (the daemons' logs aside). */
const hostFiles = () => hostFileStamps(path.join(dir, 'sim', 'hosts'));

/**
 * Sets the install folder's ignition configs `hours` back: the files' times (utimes) and the folder's
 * record of when `create ignition-configs` ran, which is what the ignition check reads.
 */
async function ageIgnition(folder: string, hours: number): Promise<void> {
  const then = new Date(Date.now() - hours * 3_600_000);
  const state = (await readFolderState(folder))!;
  await writeFolderState(folder, { ...state, ignitionCreatedAt: then.toISOString() });
  for (const file of IGNITION_FILES) await utimes(path.join(folder, file), then, then);
}

async function completed(handle: WorkflowHandle): Promise<RunbookProgress> {
  const progress = await waitForProgress(
    handle,
    (p) => p.state !== 'running',
    'the install run to end',
    RUN_TIMEOUT_MS,
  );
  expect({ state: progress.state, at: progress.currentStep, error: progress.error?.message }).toEqual({
    state: 'completed',
    at: undefined,
    error: undefined,
  });
  return progress;
}

test(
  'a bare lab becomes a running cluster; a second run changes nothing',
  async () => {
    const first = await completed(await start('install/intra/first'));
    const statuses = leafStatuses(first.steps);
    expect(statuses['dns.publish']).toBe('changed');
    expect(statuses['bootstrap.complete']).toBe('unchanged');
    expect(statuses['nodes.csrs']).toBe('changed');
    expect(statuses['ldap.configure']).toBe('changed');
    // What uses the install folder ran on the lab's worker: openshift-install, the ignition files, the
    // cluster steps (its admin kubeconfig) and the bootstrap-phase steps that ask whether it has bootstrapped.
    expect(placedOnLab(first.steps)).toEqual([
      'haproxy.with-bootstrap',
      'openshift-install.binary',
      'openshift-install.config',
      'openshift-install.manifests',
      'openshift-install.masters-unschedulable',
      'openshift-install.ignition',
      'openshift-install.publish',
      'ignition.fresh',
      'bootstrap.power-on[bootstrap].power-on',
      'bootstrap.complete',
      'nodes.csrs',
      'operators.settled-except-registry',
      'registry.emptydir',
      'operators.settled',
      'cluster-version.available',
      'ldap.configure',
      'ldap.rollout',
    ]);

    // The cluster as an operator sees it.
    const kubeconfig = new KubeConfig();
    kubeconfig.loadFromFile(sim.kubeconfigPath);
    const nodes = (await kubeconfig.makeApiClient(CoreV1Api).listNode()).items;
    const seen = Object.fromEntries(
      nodes.map((node) => [
        node.metadata!.name!,
        {
          ready: node.status?.conditions?.find((condition) => condition.type === 'Ready')?.status,
          roles: Object.keys(node.metadata?.labels ?? {})
            .filter((label) => label.startsWith('node-role.kubernetes.io/'))
            .map((label) => label.slice('node-role.kubernetes.io/'.length)),
        },
      ]),
    );
    for (const node of lab.nodes.filter((candidate) => candidate.role !== 'bootstrap')) {
      const object = seen[nodeFqdn(lab, node)] ?? seen[node.name];
      expect({ node: node.name, ready: object?.ready }).toEqual({ node: node.name, ready: 'True' });
      // Infra nodes join as workers; the infra-pool runbook (day 2) moves them.
      expect(object?.roles).toContain(node.role === 'infra' ? 'worker' : node.role);
    }
    expect(Object.keys(seen)).toHaveLength(lab.nodes.length - 1);
    const operators = (await kubeconfig.makeApiClient(CustomObjectsApi).listClusterCustomObject({
      group: 'config.openshift.io',
      version: 'v1',
      plural: 'clusteroperators',
    })) as {
      items: Array<{ metadata: { name: string }; status?: { conditions?: Array<{ type: string; status: string }> } }>;
    };
    expect(operators.items.length).toBeGreaterThan(0);
    const unavailable = operators.items
      .filter((operator) => operator.status?.conditions?.find((c) => c.type === 'Available')?.status !== 'True')
      .map((operator) => operator.metadata.name);
    expect(unavailable).toEqual([]);

    // The bootstrap node is off and no load balancer's loaded configuration names it.
    const bootstrap = lab.nodes.find((node) => node.role === 'bootstrap')!;
    expect(sim.hosts.power.state(bootstrap.name)).toBe('off');
    for (const host of hostsWith(lab, 'haproxy')) {
      const loaded = sim.hosts.activeConfig(host.name, 'haproxy');
      expect(loaded).toBeDefined();
      const text = Object.values(loaded!.files).join('\n');
      expect(text).toContain(lab.nodes.find((node) => node.role === 'master')!.ip);
      expect(text).not.toContain(bootstrap.ip);
    }

    // A second run on the installed lab, a day later: every step unchanged, nothing written. The
    // ignition configs have expired, but every node has joined, so they are not used any more.
    await ageIgnition(path.join(path.dirname(sim.endpointsPath), 'install'), 25);
    const filesBefore = await hostFiles();
    const writesBefore = sim.apiWrites();
    // The counters see the first run's writes (CSR approvals, registry, LDAP; zones, configs, ignition).
    expect(writesBefore).toBeGreaterThan(0);
    expect(Object.keys(filesBefore).filter((file) => file.endsWith('.ign'))).not.toEqual([]);
    const second = await completed(await start('install/intra/second'));
    const changed = Object.entries(leafStatuses(second.steps)).filter(
      ([, status]) => status !== 'unchanged' && status !== 'skipped',
    );
    expect(changed).toEqual([]);
    expect(second.steps.find((step) => step.id === 'ignition.fresh')?.message).toMatch(
      /^the ignition configs are 25\.0 h old \(limit \d+ h\), but every node the lab lists has joined the cluster/,
    );
    expect(sim.apiWrites() - writesBefore).toBe(0);
    expect(await hostFiles()).toEqual(filesBefore);
    expect(await temporal.client.workflow.getHandle('install/intra/second').query(progressQuery)).toMatchObject({
      state: 'completed',
    });
  },
  2 * RUN_TIMEOUT_MS,
);

test(
  'a CSR for a node the lab does not have is never approved, and the install still completes',
  async () => {
    const faulty = await startSimulatedLab({
      lab,
      stateDir: path.join(dir, 'sim-rogue'),
      from: 'bare',
      timeScale: 0,
      faults: [{ kind: 'rogue-csr', node: 'rogue1' }],
      log: { info: () => undefined, warn: () => undefined },
    });
    try {
      const progress = await completed(await start('install/intra/rogue-csr', faulty));
      const csrs = progress.steps.find((step) => step.id === 'nodes.csrs')!;
      expect(csrs.status).toBe('changed');
      expect(csrs.message).toContain('rogue1');

      const kubeconfig = new KubeConfig();
      kubeconfig.loadFromFile(faulty.kubeconfigPath);
      const requests = (await kubeconfig.makeApiClient(CertificatesV1Api).listCertificateSigningRequest()).items;
      const subject = (csr: (typeof requests)[number]) =>
        new Pkcs10CertificateRequest(Buffer.from(csr.spec.request, 'base64').toString()).subject;
      const rogue = requests.filter((csr) => subject(csr).includes('CN=system:node:rogue1'));
      expect(rogue).toHaveLength(1);
      const decided = (csr: (typeof requests)[number]) =>
        csr.status?.conditions?.map((condition) => condition.type) ?? [];
      const pending = requests.filter((csr) => decided(csr).length === 0);
      expect(pending.length).toBeGreaterThan(0);
      for (const csr of rogue) expect(decided(csr)).not.toContain('Approved');
      expect(requests.filter((csr) => decided(csr).includes('Approved')).length).toBeGreaterThan(0);
    } finally {
      await faulty.stop();
    }
  },
  RUN_TIMEOUT_MS,
);
