/**
 * The rebuild runbook end to end: the catalogue's `rebuild`, run by a real worker (and a lab worker for
 * the install-folder steps) on a real Temporal dev server against a simulated lab that starts installed.
 *
 * - Without `rebuild.allowTeardown` the run pauses at its first step with a message naming the field,
 *   and nothing is touched: no power change, no API write, no host file.
 * - An installed lab is torn down (every node off, every boot volume wiped) and brought back: all five
 *   stages complete, every node joined the new cluster from a fresh install.
 * - Rebuilt again, with one node on manual power: the teardown gates on that node by name; powered on
 *   without its disk wiped it boots the old cluster and never joins, wiped it installs and joins. The
 *   install folder is made again (a new root CA), bootstrap gates the install again, the CSRs are approved.
 */
import 'reflect-metadata';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { nodeFqdn, type Lab } from '../../lab/schema.js';
import { SEEDED_CLUSTER } from '../../simulator/controllers/boot.js';
import { startSimulatedLab, type SimulatedLab } from '../../simulator/lab-sim.js';
import { loadExampleLab, waitForProgress } from '../../testing/engine-harness.js';
import { createLabWorkers, createRunbookWorker, installWorkerRuntime } from '../../worker/worker.js';
import {
  approveUpdate,
  resumeUpdate,
  type RunbookInput,
  type RunbookProgress,
  type StepProgress,
} from '../../workflows/engine/api.js';
import { hostFileStamps } from '../support/file-stamps.js';
import { startTestTemporal, type TestTemporal } from '../support/temporal.js';

const TASK_QUEUE = 'rebuild-end-to-end';
const RUN_TIMEOUT_MS = 10 * 60_000;
const STAGES = ['install', 'infra-nodes', 'ceph-csi', 'registry-storage', 'egress-router'];

let temporal: TestTemporal;
let dir: string;
let lab: Lab;
let sim: SimulatedLab;
let stopWorkers: () => Promise<void>;

beforeAll(async () => {
  installWorkerRuntime({ logLevel: 'ERROR' });
  dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-rebuild-'));
  process.env.XDG_STATE_HOME = path.join(dir, 'state');
  lab = await loadExampleLab();
  [temporal, sim] = await Promise.all([
    startTestTemporal(),
    startSimulatedLab({
      lab,
      stateDir: path.join(dir, 'sim'),
      from: 'installed',
      timeScale: 0,
      log: { info: () => undefined, warn: () => undefined },
    }),
  ]);
  const options = {
    connection: temporal.connection,
    namespace: temporal.namespace,
    taskQueue: TASK_QUEUE,
    shutdownGraceTime: '100ms',
  };
  const workers: Worker[] = [
    await createRunbookWorker(options),
    ...(await createLabWorkers({ ...options, labs: [lab.name] })),
  ];
  const running = workers.map((worker) => worker.run());
  stopWorkers = async () => {
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    await Promise.all(running);
  };
}, 180_000);

afterAll(async () => {
  await stopWorkers?.();
  await temporal?.stop();
  await sim?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function start(workflowId: string, runLab: Lab = lab): Promise<WorkflowHandle> {
  return temporal.client.workflow.start('rebuild', {
    taskQueue: TASK_QUEUE,
    workflowId,
    args: [
      {
        lab: runLab,
        rehearsal: { endpointsFile: sim.endpointsPath, kubeconfig: sim.kubeconfigPath },
      } satisfies RunbookInput,
    ],
  });
}

/** Every activity step of a run, for-each items included, as `path → what pick says of it`. */
function leaves<T>(steps: StepProgress[], pick: (step: StepProgress) => T, prefix = ''): Record<string, T> {
  const out: Record<string, T> = {};
  for (const step of steps) {
    const id = `${prefix}${step.id}`;
    if (step.items) {
      for (const item of step.items) Object.assign(out, leaves(item.steps, pick, `${id}[${item.item}].`));
    } else {
      out[id] = pick(step);
    }
  }
  return out;
}

const leafStatuses = (steps: StepProgress[]) => leaves(steps, (step) => step.status);
const leafMessages = (steps: StepProgress[]) => leaves(steps, (step) => step.message);

/** Path → (inode, size, mtime) of every file under the simulated hosts' folders (the daemons' logs aside). */
const hostFiles = () => hostFileStamps(path.join(dir, 'sim', 'hosts'));

async function completed(handle: WorkflowHandle): Promise<RunbookProgress> {
  const progress = await waitForProgress(handle, (p) => p.state !== 'running', 'the rebuild to end', RUN_TIMEOUT_MS);
  expect({ state: progress.state, at: progress.currentStep, error: progress.error?.message }).toEqual({
    state: 'completed',
    at: undefined,
    error: undefined,
  });
  return progress;
}

/** Each stage's steps: none left unfinished, and at least one that ran. */
function expectStagesCompleted(progress: RunbookProgress) {
  for (const stage of STAGES) {
    const steps = progress.steps.filter((step) => step.id.startsWith(`${stage}.`));
    expect({ stage, count: steps.length > 0 }).toEqual({ stage, count: true });
    const open = steps.filter((step) => !['changed', 'unchanged', 'skipped'].includes(step.status));
    expect({ stage, open: open.map((step) => `${step.id}: ${step.status}`) }).toEqual({ stage, open: [] });
    expect(steps.some((step) => step.status === 'changed' || step.status === 'unchanged')).toBe(true);
  }
}

async function readyNodes(): Promise<string[]> {
  const kubeconfig = new KubeConfig();
  kubeconfig.loadFromFile(sim.kubeconfigPath);
  const nodes = (await kubeconfig.makeApiClient(CoreV1Api).listNode()).items;
  return nodes
    .filter((node) => node.status?.conditions?.find((condition) => condition.type === 'Ready')?.status === 'True')
    .map((node) => node.metadata!.name!)
    .sort();
}

const members = () => lab.nodes.filter((node) => node.role !== 'bootstrap');

test('a lab that does not allow a teardown: the run pauses at its first step naming the field, nothing is touched', async () => {
  const power = sim.hosts.power.list();
  const writes = sim.apiWrites();
  const files = await hostFiles();
  const handle = await start('rebuild/intra/refused', { ...lab, rebuild: { allowTeardown: false } });
  const paused = await waitForProgress(handle, (p) => p.state !== 'running', 'the refused rebuild to pause');
  expect(paused.state).toBe('paused');
  expect(paused.error?.stepId).toBe('teardown.allowed');
  expect(paused.error?.message).toContain('rebuild: { allowTeardown: true }');
  expect(paused.error?.message).toContain('rebuild.allowTeardown');
  expect(paused.steps.find((step) => step.id === 'teardown.allowed')?.attempts).toBe(1);
  expect(sim.hosts.power.list()).toEqual(power);
  expect(sim.apiWrites()).toBe(writes);
  expect(await hostFiles()).toEqual(files);
  await handle.executeUpdate(resumeUpdate, { args: [{ action: 'abort', reason: 'test' }] });
}, 60_000);

test(
  'an installed lab is torn down and brought back: all five stages complete on a new cluster',
  async () => {
    expect(Object.values(sim.boot.disks()).filter((disk) => disk.state === 'configured')).toHaveLength(
      members().length,
    );
    const progress = await completed(await start('rebuild/intra/first'));
    const statuses = leafStatuses(progress.steps);
    for (const node of lab.nodes) {
      expect(statuses[`teardown.reinstall[${node.name}].next-boot`]).toBe('changed');
    }
    expect(statuses['install.bootstrap.power-on[bootstrap].power-on']).toBe('changed');
    expect(statuses['install.nodes.csrs']).toBe('changed');
    expectStagesCompleted(progress);

    // Every member installed afresh and joined the new cluster; the bootstrap node is off again.
    const disks = sim.boot.disks();
    const clusters = new Set(members().map((node) => JSON.stringify(disks[node.name])));
    expect(clusters.size).toBe(1);
    const [cluster] = [...clusters].map((text) => JSON.parse(text) as { state: string; cluster?: string });
    expect(cluster!.state).toBe('configured');
    expect(cluster!.cluster).not.toBe(SEEDED_CLUSTER);
    expect(sim.hosts.power.state('bootstrap')).toBe('off');
    expect(await readyNodes()).toEqual(
      members()
        .map((node) => nodeFqdn(lab, node))
        .sort(),
    );
  },
  RUN_TIMEOUT_MS,
);

test(
  'rebuilt again with a manual node: gated by name, an unwiped disk boots the old cluster, a new install folder',
  async () => {
    const manualNode = 'compute5';
    const manualLab: Lab = {
      ...lab,
      nodes: lab.nodes.map((node) => (node.name === manualNode ? { ...node, power: { type: 'manual' } } : node)),
    };
    const folder = path.join(dir, 'sim', 'install');
    const stateBefore = JSON.parse(await readFile(path.join(folder, '.openshift-runbooks.json'), 'utf8')) as {
      ignitionCreatedAt: string;
    };
    const oldCa = sim.boot.clusterRootCa();
    const handle = await start('rebuild/intra/second', manualLab);

    // The teardown stops at the manual node's gate, which names it; the operator switches it off.
    const gateAt = `teardown.power-off.manual[${manualNode}].done`;
    const atGate = await waitForProgress(handle, (p) => p.currentStep === gateAt, 'the teardown gate', RUN_TIMEOUT_MS);
    expect(atGate.state).toBe('waiting-approval');
    const instructions = leafMessages(atGate.steps)[`teardown.power-off.manual[${manualNode}].instructions`];
    expect(instructions).toContain(`Power off ${manualNode}`);
    expect(instructions).toContain('PXE boot');
    sim.hosts.power.set(manualNode, 'off');
    await handle.executeUpdate(approveUpdate, { args: [{ stepId: gateAt }] });

    // At the install's power-on gate, switched on with its old disk: it boots the old cluster, stuck.
    const onGate = `install.nodes.power-on.manual[${manualNode}].done`;
    await waitForProgress(handle, (p) => p.currentStep === onGate, 'the power-on gate', RUN_TIMEOUT_MS);
    expect(sim.boot.clusterRootCa()).not.toBe(oldCa);
    sim.hosts.power.set(manualNode, 'on');
    await waitFor(() => sim.boot.states()[manualNode]?.state === 'stuck', `${manualNode} to boot its old disk`);
    expect(sim.boot.stuck()[manualNode]).toContain('old cluster');
    // Off, wiped, on: it installs and joins the new cluster.
    sim.hosts.power.set(manualNode, 'off');
    sim.hosts.power.wipe(manualNode);
    sim.hosts.power.set(manualNode, 'on');
    await handle.executeUpdate(approveUpdate, { args: [{ stepId: onGate }] });

    const progress = await completed(handle);
    const statuses = leafStatuses(progress.steps);
    expect(statuses['teardown.install-folder']).toBe('changed');
    expect(statuses['install.openshift-install.ignition']).toBe('changed');
    expect(statuses['install.bootstrap.power-on[bootstrap].power-on']).toBe('changed');
    expect(statuses['install.nodes.csrs']).toBe('changed');
    expectStagesCompleted(progress);
    const stateAfter = JSON.parse(await readFile(path.join(folder, '.openshift-runbooks.json'), 'utf8')) as {
      ignitionCreatedAt: string;
    };
    expect(Date.parse(stateAfter.ignitionCreatedAt)).toBeGreaterThan(Date.parse(stateBefore.ignitionCreatedAt));
    expect(await readyNodes()).toEqual(
      members()
        .map((node) => nodeFqdn(lab, node))
        .sort(),
    );
  },
  RUN_TIMEOUT_MS,
);

async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
