/**
 * Pieces of the install runbook's end-to-end tests: a bare simulated lab at the fastest time scale,
 * its fault admin endpoint, runs of `install` against it, their pauses, and the activity attempts their
 * history records.
 */
import { expect } from '@jest/globals';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { createActivities } from '../../activities/index.js';
import type { Lab } from '../../lab/schema.js';
import { adminRequest } from '../../simulator/admin-client.js';
import { FAULTS_ROUTE, type Fault, type FaultKind } from '../../simulator/faults.js';
import { startSimulatedLab, type SimulatedLab } from '../../simulator/lab-sim.js';
import { waitForProgress } from '../../testing/engine-harness.js';
import { createLabWorkers, createRunbookWorker } from '../../worker/worker.js';
import type { RunbookInput, RunbookProgress, StepProgress } from '../../workflows/engine/api.js';
import type { TestTemporal } from './temporal.js';

/**
 * A bare simulated lab of `lab` (nothing installed), quiet but for warnings; at time scale 0 (every
 * delay on the next tick) unless the test is about deadlines, which count the lab's time.
 */
export function startBareLab(lab: Lab, stateDir: string, faults: Fault[] = [], timeScale = 0): Promise<SimulatedLab> {
  return startSimulatedLab({
    lab,
    stateDir,
    from: 'bare',
    timeScale,
    faults,
    log: { info: () => undefined, warn: () => undefined },
  });
}

/** The lab's fault admin endpoint (`runbook sim fault add/clear` talk to the same one). */
export function faultAdmin(sim: SimulatedLab) {
  const target = { url: sim.adminUrl, token: sim.token, caCert: sim.caCert };
  const send = async (method: string, route: string, body?: unknown) => {
    const reply = await adminRequest(target, method, route, body);
    expect({ route, status: reply.status }).toEqual({ route, status: method === 'POST' ? 201 : 200 });
    return (reply.body as { faults: Fault[] }).faults;
  };
  return {
    add: (fault: Fault) => send('POST', FAULTS_ROUTE, fault),
    clear: (kind: FaultKind) => send('DELETE', `${FAULTS_ROUTE}?kind=${kind}`),
  };
}

export interface InstallWorkers {
  /** Shuts the workers down and waits until they have stopped. */
  stop(): Promise<void>;
}

/**
 * The product's workers for an install rehearsal, in this process: the runbook worker and the lab's
 * (`runbook worker --lab <lab>`), on `taskQueue`, with `replace` standing in for some activities.
 */
export async function startInstallWorkers(
  temporal: Pick<TestTemporal, 'connection' | 'namespace'>,
  taskQueue: string,
  lab: Lab,
  replace: NonNullable<Parameters<typeof createActivities>[0]>['replace'],
): Promise<InstallWorkers> {
  const options = {
    connection: temporal.connection,
    namespace: temporal.namespace,
    taskQueue,
    shutdownGraceTime: '100ms',
    activities: createActivities({ replace }),
    labs: [lab.name],
  };
  const workers = [await createRunbookWorker(options), ...(await createLabWorkers(options))];
  const running = Promise.all(workers.map((worker) => worker.run()));
  return {
    stop: async () => {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}

/** Starts `install` for the lab, rehearsed against `sim`. */
export function startInstall(
  client: Client,
  options: { taskQueue: string; workflowId: string; lab: Lab; sim: SimulatedLab },
): Promise<WorkflowHandle> {
  return client.workflow.start('install', {
    taskQueue: options.taskQueue,
    workflowId: options.workflowId,
    args: [
      {
        lab: options.lab,
        rehearsal: { endpointsFile: options.sim.endpointsPath, kubeconfig: options.sim.kubeconfigPath },
      } satisfies RunbookInput,
    ],
  });
}

/** Every activity step of a run, for-each items included, as `path → progress`. */
export function leafSteps(steps: StepProgress[], prefix = ''): Record<string, StepProgress> {
  const out: Record<string, StepProgress> = {};
  for (const step of steps) {
    const id = `${prefix}${step.id}`;
    if (step.items) {
      for (const item of step.items) Object.assign(out, leafSteps(item.steps, `${id}[${item.item}].`));
    } else {
      out[id] = step;
    }
  }
  return out;
}

/** Waits until the run stops running (paused, completed, failed…), for at most `timeoutMs`. */
export function settled(handle: WorkflowHandle, what: string, timeoutMs: number): Promise<RunbookProgress> {
  return waitForProgress(handle, (p) => p.state !== 'running', what, timeoutMs);
}

/** Waits until the step at `stepPath` has finished (changed, unchanged or skipped). */
export function finished(handle: WorkflowHandle, stepPath: string, timeoutMs: number): Promise<RunbookProgress> {
  return waitForProgress(
    handle,
    (p) => ['changed', 'unchanged', 'skipped'].includes(leafSteps(p.steps)[stepPath]?.status ?? ''),
    `step ${stepPath} to finish`,
    timeoutMs,
  );
}

/**
 * What the history says each activity did: per activity id (the step path), how often it was
 * scheduled and the attempt that finished it (a worker that dies mid-activity makes the server start
 * another attempt of the same scheduled activity).
 */
export async function activityAttempts(
  handle: WorkflowHandle,
): Promise<Record<string, { scheduled: number; attempts: number[] }>> {
  const history = await handle.fetchHistory();
  const byScheduledId = new Map<string, string>();
  const out: Record<string, { scheduled: number; attempts: number[] }> = {};
  for (const event of history.events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.activityId) {
      byScheduledId.set(String(event.eventId), scheduled.activityId);
      (out[scheduled.activityId] ??= { scheduled: 0, attempts: [] }).scheduled += 1;
    }
    const started = event.activityTaskStartedEventAttributes;
    if (started) {
      const id = byScheduledId.get(String(started.scheduledEventId));
      if (id) out[id]!.attempts.push(started.attempt ?? 0);
    }
  }
  return out;
}

/** The activity the run waits on: its id (the step path), attempt and heartbeat detail (`pollUntil`'s checkpoint). */
export async function pendingActivity(
  handle: WorkflowHandle,
): Promise<{ activityId: string; attempt: number; detail?: string } | undefined> {
  const { raw } = await handle.describe();
  const pending = raw.pendingActivities?.[0];
  if (!pending?.activityId) return undefined;
  const payload = pending.heartbeatDetails?.payloads?.[0];
  const detail = payload?.data
    ? (JSON.parse(Buffer.from(payload.data).toString('utf8')) as { detail?: string }).detail
    : undefined;
  return { activityId: pending.activityId, attempt: pending.attempt ?? 0, ...(detail !== undefined && { detail }) };
}

/** The heartbeat detail of the activity the run waits on, if any. */
export async function runningDetail(handle: WorkflowHandle): Promise<string | undefined> {
  return (await pendingActivity(handle))?.detail;
}

/** Polls `probe` until it returns a value, for at most `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
