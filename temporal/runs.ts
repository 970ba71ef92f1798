/**
 * Client-side operations on runbook runs shared by the CLI commands: find a run, read its progress,
 * check that a worker serves its task queue, and send it an Update that fails fast without a worker.
 * A worker that cannot replay a run (its runbook changed since the run started) is named as such.
 */
import {
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
  QueryNotRegisteredError,
  ServiceError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  isGrpcCancelledError,
  isGrpcDeadlineError,
  isGrpcServiceError,
} from '@temporalio/client';
// A CommonJS package whose named exports Node cannot detect: import the whole module.
import proto from '@temporalio/proto';
import type { UpdateDefinition } from '@temporalio/common';
import { TemporalError, TemporalErrorKind } from './errors.js';
import {
  type RunbookProgress,
  type RunbookState,
  labTaskQueue,
  progressQuery,
  searchAttributeKeys,
} from '../workflows/engine/api.js';
import { progressAt } from '../workflows/engine/definition.js';

/** A worker polled the queue this recently: the server keeps poller records for minutes after one stops. */
const LIVE_POLLER_WINDOW_MS = 90_000;
/** How long an Update may wait to be accepted before we conclude no worker is taking it. */
const UPDATE_ACCEPT_DEADLINE_MS = 20_000;
const QUERY_DEADLINE_MS = 5_000;
/** gRPC status codes the server answers a query with (from @grpc/grpc-js, not a direct dependency). */
const GRPC_FAILED_PRECONDITION = 9;
const GRPC_UNAVAILABLE = 14;
/** How long `start` watches for a worker to take a new run's first workflow task. */
const FIRST_TASK_WAIT_MS = 5_000;
const FIRST_TASK_POLL_MS = 100;

export interface Run {
  handle: WorkflowHandle;
  description: WorkflowExecutionDescription;
  /** Temporal's execution status: RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT, ... */
  status: string;
  open: boolean;
  runbook?: string;
  lab?: string;
  /** The state the workflow last recorded in its search attributes. */
  state?: string;
  step?: string;
}

/**
 * The latest run of a workflow id; NOT_FOUND names `runbook list`. `<runbook>/<lab>` with no run of
 * that id finds the one open run of that runbook for that lab under another id (a scheduled run's id
 * carries its schedule and night: `rebuild/intra/nightly-2025-06-01T02:00:00Z`).
 */
export async function findRun(client: Client, workflowId: string): Promise<Run> {
  let handle = client.workflow.getHandle(workflowId);
  let description: WorkflowExecutionDescription;
  try {
    description = await handle.describe();
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
    const open = await openRunFor(client, workflowId);
    if (open === undefined) {
      throw new TemporalError(`no run with id ${workflowId}`, TemporalErrorKind.NotFound, [
        'ids are <runbook>/<lab>, e.g. install/intra (a scheduled run: ' +
          '<runbook>/<lab>/<schedule>-<time>); see the runs with `runbook list`',
      ]);
    }
    handle = client.workflow.getHandle(open);
    description = await handle.describe();
  }
  const attributes = description.typedSearchAttributes;
  const runbook = attributes.get(searchAttributeKeys.RunbookName);
  const lab = attributes.get(searchAttributeKeys.RunbookLab);
  const state = attributes.get(searchAttributeKeys.RunbookState);
  const step = attributes.get(searchAttributeKeys.RunbookStep);
  return {
    handle,
    description,
    status: description.status.name,
    open: description.status.name === 'RUNNING',
    ...(runbook !== undefined && { runbook }),
    ...(lab !== undefined && { lab }),
    ...(state !== undefined && { state }),
    ...(step !== undefined && { step }),
  };
}

/** The id of the one open run of `<runbook>/<lab>` under another id, if `id` has that form and there is exactly one. */
async function openRunFor(client: Client, id: string): Promise<string | undefined> {
  const parts = id.split('/');
  if (parts.length !== 2 || parts.some((part) => part === '')) return undefined;
  const quote = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const query = [
    `${searchAttributeKeys.RunbookName.name} = ${quote(parts[0]!)}`,
    `${searchAttributeKeys.RunbookLab.name} = ${quote(parts[1]!)}`,
    'ExecutionStatus = "Running"',
  ].join(' AND ');
  const ids: string[] = [];
  for await (const execution of client.workflow.list({ query })) ids.push(execution.workflowId);
  return ids.length === 1 ? ids[0] : undefined;
}

/** The run state for display: the recorded state, or Temporal's status when the run closed without recording one. */
export function runState(status: string, recorded: string | undefined): RunbookState | string {
  const byStatus: Record<string, string> = {
    COMPLETED: 'completed',
    FAILED: 'failed',
    CANCELLED: 'cancelled',
    TERMINATED: 'terminated',
    TIMED_OUT: 'timed-out',
  };
  if (status === 'RUNNING') return recorded ?? 'running';
  if (status === 'TERMINATED' || status === 'TIMED_OUT') return byStatus[status]!;
  return recorded && recorded !== 'running' && recorded !== 'paused'
    ? recorded
    : (byStatus[status] ?? status.toLowerCase());
}

/**
 * The state of a run: what its progress says while it is open; once closed, Temporal's status has the
 * last word (a run terminated while paused is terminated, not paused).
 */
export function currentState(run: Run, progress: RunbookProgress | undefined): RunbookState | string {
  if (run.open) return progress?.state ?? run.state ?? 'running';
  return runState(run.status, progress?.state ?? run.state);
}

/** When a worker last polled the task queue for workflow tasks, in ms ago (undefined: never, as far as the server knows). */
export async function lastPollAgeMs(
  client: Client,
  taskQueue: string,
  /** `activity` for the queues of steps placed on a lab, which activity-only workers poll. */
  kind: 'workflow' | 'activity' = 'workflow',
): Promise<number | undefined> {
  const { TaskQueueType } = proto.temporal.api.enums.v1;
  const response = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue },
    taskQueueType:
      kind === 'activity' ? TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY : TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  const ages = (response.pollers ?? []).map(
    (poller) => Date.now() - Number(poller.lastAccessTime?.seconds ?? 0) * 1000,
  );
  return ages.length === 0 ? undefined : Math.max(0, Math.min(...ages));
}

/**
 * Whether some worker polls the task queue for workflow tasks right now, as far as the server knows:
 * a worker that stopped less than 90 s ago still counts (a live one polls about once a minute).
 */
export async function hasLiveWorker(
  client: Client,
  taskQueue: string,
  kind: 'workflow' | 'activity' = 'workflow',
): Promise<boolean> {
  const age = await lastPollAgeMs(client, taskQueue, kind);
  return age !== undefined && age < LIVE_POLLER_WINDOW_MS;
}

/**
 * When the run's current step is placed on its lab (`on: 'lab'`) and no worker polls the lab's queue:
 * the line that says so and how to start one. The step waits until a `runbook worker --lab` starts.
 */
export async function labWorkerMissing(
  client: Client,
  run: Run,
  progress: RunbookProgress | undefined,
): Promise<string | undefined> {
  if (!run.open || progress?.state !== 'running' || progress.currentStep === undefined) return undefined;
  const step = progressAt(progress.steps, progress.currentStep);
  if (step?.on !== 'lab' || step.status !== 'running') return undefined;
  const queue = labTaskQueue(run.description.taskQueue, progress.lab);
  if (await hasLiveWorker(client, queue, 'activity')) return undefined;
  return (
    `step ${progress.currentStep} waits for a worker of lab ${progress.lab}: none polls task ` +
    `queue ${queue}; start \`runbook worker --lab ${progress.lab}\` on the machine that keeps ` +
    `the lab's install folder`
  );
}

export function noWorkerError(taskQueue: string, extra: string[] = []): TemporalError {
  return new TemporalError(`no worker is running for task queue ${taskQueue}`, TemporalErrorKind.Unavailable, [
    'start one with `runbook worker` (in another terminal), then run this command again',
    ...extra,
  ]);
}

/** "No worker answered": one of the poller records is recent, but its worker has stopped since. */
function silentWorkerError(taskQueue: string): TemporalError {
  return noWorkerError(taskQueue, [
    `no worker answered within ${QUERY_DEADLINE_MS / 1000} s: the last one seen on the queue ` +
      `has stopped (the server lists a stopped worker for up to ${LIVE_POLLER_WINDOW_MS / 1000} ` +
      `s)`,
  ]);
}

/** Fails with the "start a worker" message when nobody polls the run's task queue. */
export async function requireWorker(client: Client, run: Run): Promise<void> {
  if (!(await hasLiveWorker(client, run.description.taskQueue))) throw noWorkerError(run.description.taskQueue);
}

/**
 * Whether a worker took a just-started run within a few seconds (its first workflow task completed).
 * More telling than the poller list right after a worker stopped, which still shows it for a while.
 */
export async function workerTookRun(client: Client, taskQueue: string, handle: WorkflowHandle): Promise<boolean> {
  if (!(await hasLiveWorker(client, taskQueue))) return false;
  const deadline = Date.now() + FIRST_TASK_WAIT_MS;
  for (;;) {
    // Started, task scheduled, task started: a fourth event means a worker answered the task.
    if ((await handle.describe()).historyLength > 3) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, FIRST_TASK_POLL_MS));
  }
}

/**
 * The progress query's answer, or undefined when no worker can answer it (none polls the task queue,
 * or none answers within a few seconds, e.g. the last one just stopped). Throws the "runbook changed"
 * error when the worker cannot replay the run.
 */
export async function queryProgress(client: Client, run: Run): Promise<RunbookProgress | undefined> {
  if (!(await hasLiveWorker(client, run.description.taskQueue))) return undefined;
  try {
    return await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => run.handle.query(progressQuery));
  } catch (error) {
    const mismatch = nondeterminismIn(error);
    // A closed run has nothing left to do: without its steps, status shows what Temporal recorded.
    if (mismatch !== undefined && run.open) throw runbookChangedError(run, mismatch);
    if (mismatch !== undefined) return undefined;
    if (isNoAnswer(error)) {
      // A worker polls but does not answer: stopped, or busy failing the run's workflow task.
      const recorded = run.open ? await historyMismatch(run) : undefined;
      if (recorded !== undefined) throw runbookChangedError(run, recorded);
      return undefined;
    }
    // "Unable to query workflow due to Workflow Task in failed state".
    if (grpcCode(error) === GRPC_FAILED_PRECONDITION) {
      if (run.open) throw await failingTaskError(run);
      return undefined;
    }
    throw error;
  }
}

/** The gRPC status code of an error, also when the client wrapped it into a ServiceError. */
function grpcCode(error: unknown): number | undefined {
  const cause = error instanceof ServiceError ? error.cause : error;
  return isGrpcServiceError(cause) ? cause.code : undefined;
}

/** A query that got no answer: the deadline passed or the call was cut, possibly wrapped by the client. */
function isNoAnswer(error: unknown): boolean {
  const cause = error instanceof ServiceError ? error.cause : error;
  return (
    isGrpcDeadlineError(error) ||
    isGrpcCancelledError(error) ||
    isGrpcDeadlineError(cause) ||
    isGrpcCancelledError(cause) ||
    grpcCode(error) === GRPC_UNAVAILABLE
  );
}

const NONDETERMINISM = /\[TMPRL1100\]|nondetermini/i;

/** The worker's replay error in a failed query, when the run's history no longer matches its code. */
function nondeterminismIn(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const message = error instanceof QueryNotRegisteredError || error instanceof ServiceError ? error.message : '';
  return NONDETERMINISM.test(message) ? message : undefined;
}

/** The failure of the run's last workflow task, when none completed since: why no worker gets it further. */
export async function lastWorkflowTaskFailure(
  run: Run,
): Promise<{ message: string; nondeterministic: boolean } | undefined> {
  const { EventType, WorkflowTaskFailedCause } = proto.temporal.api.enums.v1;
  const events = (await run.handle.fetchHistory()).events ?? [];
  for (let index = events.length - 1; index >= 0; index -= 1) {
    const event = events[index]!;
    if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) return undefined;
    const failed = event.workflowTaskFailedEventAttributes;
    if (failed) {
      return {
        message: failed.failure?.message ?? 'the workflow task failed without a message',
        nondeterministic: failed.cause === WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR,
      };
    }
  }
  return undefined;
}

/**
 * The replay error of the run's last workflow task, when it failed because the worker's code no
 * longer matches the history (cause NON_DETERMINISTIC_ERROR) and no task completed since.
 */
export async function historyMismatch(run: Run): Promise<string | undefined> {
  const failure = await lastWorkflowTaskFailure(run);
  return failure?.nondeterministic ? failure.message : undefined;
}

/**
 * The server refuses queries while a run's workflow task keeps failing: say why, from the history.
 */
async function failingTaskError(run: Run): Promise<TemporalError> {
  const failure = await lastWorkflowTaskFailure(run);
  if (failure?.nondeterministic) return runbookChangedError(run, failure.message);
  const id = run.handle.workflowId;
  return new TemporalError(`run ${id} is stuck: its workflow task fails on the worker`, TemporalErrorKind.Unavailable, [
    `the worker says: ${failure?.message.split('\n')[0] ?? 'nothing (see the run in the Web UI)'}`,
    `this is a fault in the engine or the runbook's definition; fix it and restart \`runbook ` +
      `worker\`, or cancel the run: \`runbook cancel ${id}\``,
  ]);
}

/**
 * What to tell the operator when the workers' version of a runbook cannot replay a run: which run,
 * which runbook, why, and the two ways out.
 */
export class RunbookChangedError extends TemporalError {}

export function runbookChangedError(run: Run, detail: string): RunbookChangedError {
  const id = run.handle.workflowId;
  const runbook = run.runbook ?? run.description.type;
  const started = run.description.startTime.toISOString();
  return new RunbookChangedError(
    `run ${id} cannot go on: runbook ${runbook} on the worker is not the version the run started with`,
    TemporalErrorKind.Unavailable,
    [
      `a step of runbook ${runbook} was added, removed or moved since ${started}, when the run ` +
        `started; the worker says: ${detail.split('\n')[0]}`,
      `finish the run on the old version: stop this worker, start \`runbook worker\` from the ` +
        `version that started the run, then \`runbook resume ${id}\``,
      `or cancel it and start again: \`runbook cancel ${id}\`, then \`runbook start ${runbook} --lab <file>\``,
      'if the engine changed (workflows/engine), not the runbook, the change must keep old runs ' +
        'replaying: guard it with patched() (see workflows/engine/README.md)',
    ],
  );
}

/**
 * Cancels a run. A run that its workers cannot replay never sees the cancel request, so it is
 * terminated instead; returns which of the two happened.
 */
export async function cancelRun(client: Client, run: Run): Promise<'cancel-requested' | 'terminated'> {
  let mismatch = await historyMismatch(run);
  if (mismatch === undefined) {
    try {
      await queryProgress(client, run);
    } catch (error) {
      // Another stuck run still gets a cancel request: it applies once its workflow task is fixed.
      if (error instanceof RunbookChangedError) mismatch = error.message;
      else if (!(error instanceof TemporalError)) throw error;
    }
  }
  if (mismatch === undefined) {
    await run.handle.cancel();
    return 'cancel-requested';
  }
  await run.handle.terminate(
    `cancelled by the operator: runbook ${run.runbook ?? run.description.type} changed since the run started`,
  );
  return 'terminated';
}

/**
 * Sends an Update to an open run and waits for its result. The server holds an Update until a worker
 * takes it, so without a worker it would block: check the pollers first, and bound the wait.
 */
export async function sendUpdate<Ret, Args extends [unknown, ...unknown[]]>(
  client: Client,
  run: Run,
  update: UpdateDefinition<Ret, Args, string>,
  args: Args,
): Promise<Ret> {
  if (!run.open) {
    throw new TemporalError(
      `run ${run.handle.workflowId} is not running (${runState(run.status, run.state)})`,
      TemporalErrorKind.Refused,
      [`start a new run with \`runbook start ${run.runbook ?? '<runbook>'} --lab <file>\``],
    );
  }
  await requireWorker(client, run);
  // A worker that answers the query will take the update; one that cannot replay the run never will.
  if ((await queryProgress(client, run)) === undefined) throw silentWorkerError(run.description.taskQueue);
  try {
    return await client.withDeadline(Date.now() + UPDATE_ACCEPT_DEADLINE_MS, () =>
      run.handle.executeUpdate(update, { args }),
    );
  } catch (error) {
    if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isGrpcDeadlineError(error)) {
      const mismatch = await historyMismatch(run);
      if (mismatch !== undefined) throw runbookChangedError(run, mismatch);
      throw noWorkerError(run.description.taskQueue, [
        `no worker took the request within ${UPDATE_ACCEPT_DEADLINE_MS / 1000} s; it may still ` +
          `apply once a worker starts: check with \`runbook status ${run.handle.workflowId}\``,
      ]);
    }
    if (error instanceof WorkflowUpdateFailedError) {
      const cause = error.cause instanceof Error ? error.cause.message : error.message;
      throw new TemporalError(`run ${run.handle.workflowId} refused the request: ${cause}`, TemporalErrorKind.Refused, [
        `see where it stands with \`runbook status ${run.handle.workflowId}\``,
      ]);
    }
    throw error;
  }
}
