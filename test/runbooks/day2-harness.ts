/**
 * What the day-2 runbook tests share: a real Temporal dev server with an in-process worker of the
 * product activities and workflows, and helpers that start a runbook on a simulated lab and read
 * its progress.
 */
import { afterAll, beforeAll, expect } from '@jest/globals';
import type { V1Node } from '@kubernetes/client-node';
import type { WorkflowHandle } from '@temporalio/client';
import { loadLab } from '../../lab/load.js';
import type { Lab } from '../../lab/schema.js';
import type { RunbookInput, StepProgress } from '../../workflows/engine/api.js';
import { waitForProgress } from '../../testing/engine-harness.js';
import { startRunbookWorkers, type RunningRunbookWorkers } from '../../testing/runbook-workers.js';
import { startTestTemporal, type TestTemporal } from '../support/temporal.js';
import { EXAMPLE_LAB, SDN_EXAMPLE_LAB, type TestLab } from '../simulator/install/support.js';

export interface Day2Harness {
  temporal: TestTemporal;
  start(t: TestLab, runbook: string, lab?: Lab, options?: RunbookInput['options']): Promise<WorkflowHandle>;
  /** Starts a runbook and waits for it to complete: every step path with its status. */
  complete(t: TestLab, runbook: string, lab?: Lab, options?: RunbookInput['options']): Promise<Record<string, string>>;
}

/**
 * Starts the server and the workers on `taskQueue` before the file's tests, stops them after: the
 * runbook worker and the lab workers of the example labs (the cluster steps run on the lab's own
 * worker, as they read the install folder's kubeconfig).
 */
export function day2Harness(taskQueue: string): Day2Harness {
  let temporal: TestTemporal;
  let workers: RunningRunbookWorkers;
  let runs = 0;

  beforeAll(async () => {
    temporal = await startTestTemporal();
    workers = await startRunbookWorkers({
      connection: temporal.connection,
      namespace: temporal.namespace,
      taskQueue,
      labs: [
        ...new Set(await Promise.all([EXAMPLE_LAB, SDN_EXAMPLE_LAB].map(async (file) => (await loadLab(file)).name))),
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await workers?.stop();
    await temporal?.stop();
  });

  const start: Day2Harness['start'] = (t, runbook, lab = t.lab, options) => {
    runs += 1;
    return temporal.client.workflow.start(runbook, {
      taskQueue,
      workflowId: `${runbook}/${lab.name}/${runs}`,
      args: [
        {
          lab,
          rehearsal: { endpointsFile: t.sim.endpointsPath, kubeconfig: t.sim.kubeconfigPath },
          ...(options && { options }),
        } satisfies RunbookInput,
      ],
    });
  };
  return {
    get temporal() {
      return temporal;
    },
    start,
    complete: async (t, runbook, lab, options) => completed(await start(t, runbook, lab, options)),
  };
}

/** Every step path with its final status: `nodes[infra1].relabel` → changed. */
export function statuses(steps: readonly StepProgress[], prefix = ''): Record<string, string> {
  return Object.fromEntries(
    steps.flatMap((step) => {
      const path = `${prefix}${step.id}`;
      if (!step.items) return [[path, step.status]];
      return step.items.flatMap((item) => Object.entries(statuses(item.steps, `${path}[${item.item}].`)));
    }),
  );
}

/** Every step path with its progress entry. */
export function stepsByPath(steps: readonly StepProgress[], prefix = ''): Record<string, StepProgress> {
  return Object.fromEntries(
    steps.flatMap((step) => {
      const path = `${prefix}${step.id}`;
      if (!step.items) return [[path, step]];
      return step.items.flatMap((item) => Object.entries(stepsByPath(item.steps, `${path}[${item.item}].`)));
    }),
  );
}

/** Waits for the run to end; a pause fails the test with the step and its error. */
export async function completed(handle: WorkflowHandle): Promise<Record<string, string>> {
  return statuses(await completedSteps(handle));
}

/** Waits for a run to complete: every step's progress (status and message). */
export async function completedSteps(handle: WorkflowHandle): Promise<StepProgress[]> {
  const progress = await waitForProgress(
    handle,
    (current) => ['completed', 'paused', 'failed'].includes(current.state),
    `${handle.workflowId} to complete`,
    150_000,
  );
  if (progress.state !== 'completed')
    throw new Error(`${handle.workflowId} ${progress.state}: ${JSON.stringify(progress.error)}`);
  return progress.steps;
}

export const pausedAt = (handle: WorkflowHandle, what: string) =>
  waitForProgress(handle, (progress) => progress.state === 'paused', what, 120_000);

/** The lab's nodes by short name. */
export async function nodes(t: TestLab): Promise<Map<string, V1Node>> {
  const items = (await t.kube.core.listNode()).items;
  return new Map(items.map((node) => [node.metadata!.name!.split('.')[0]!, node]));
}

/** `infra`, `worker`: a node's role labels. */
export function roles(node: V1Node | undefined): string[] {
  return Object.keys(node?.metadata?.labels ?? {})
    .filter((key) => key.startsWith('node-role.kubernetes.io/'))
    .map((key) => key.slice('node-role.kubernetes.io/'.length));
}

/**
 * infra-nodes' end state: infra1..3 carry only the infra role and run an infra render, compute1 is still
 * a worker, and the three routers run on the infra nodes (terminating pods left out).
 */
export async function expectInfraNodesEndState(t: TestLab): Promise<void> {
  const after = await nodes(t);
  for (const name of ['infra1', 'infra2', 'infra3']) {
    expect(roles(after.get(name))).toEqual(['infra']);
    expect(after.get(name)?.metadata?.annotations?.['machineconfiguration.openshift.io/currentConfig']).toMatch(
      /^rendered-infra-/,
    );
  }
  expect(roles(after.get('compute1'))).toEqual(['worker']);
  const routers = (await t.kube.core.listNamespacedPod({ namespace: 'openshift-ingress' })).items.filter(
    (pod) => !pod.metadata?.deletionTimestamp,
  );
  expect(routers.length).toBe(3);
  for (const pod of routers) expect(roles(after.get(pod.spec!.nodeName!.split('.')[0]!))).toEqual(['infra']);
}

/** What a first ceph-csi run changes: the accounts, their SCC grant, the driver, and the class's proof claim. */
export const CEPH_CSI_FIRST_RUN = {
  accounts: 'changed',
  scc: 'changed',
  driver: 'changed',
  'storage-class.prove': 'changed',
} as const;

/** Step paths whose status is not among `allowed`: a second run must leave this empty. */
export function notUnchanged(
  steps: Record<string, string>,
  allowed = ['unchanged', 'skipped'],
): Array<[string, string]> {
  return Object.entries(steps).filter(([, status]) => !allowed.includes(status));
}

/** Checks `probe` until it gives a value (a state of the run or the cluster, not a timed sleep). */
export async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
