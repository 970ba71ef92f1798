/**
 * Client-side operations on runbook runs shared by the CLI commands: find a run, read its progress,
 * check that a worker serves its task queue, and send it an Update that fails fast without a worker.
 */
import {
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  isGrpcDeadlineError,
} from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { TemporalError, TemporalErrorKind } from './errors.js';
import {
  type RunbookProgress,
  type RunbookState,
  progressQuery,
  searchAttributeKeys,
} from '../workflows/engine/api.js';

/** A worker polled the queue this recently: the server keeps poller records for minutes after one stops. */
const LIVE_POLLER_WINDOW_MS = 90_000;
/** How long an Update may wait to be accepted before we conclude no worker is taking it. */
const UPDATE_ACCEPT_DEADLINE_MS = 20_000;
const QUERY_DEADLINE_MS = 5_000;

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

/** The latest run of a workflow id; NOT_FOUND names `runbook list`. */
export async function findRun(client: Client, workflowId: string): Promise<Run> {
  const handle = client.workflow.getHandle(workflowId);
  let description: WorkflowExecutionDescription;
  try {
    description = await handle.describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) {
      throw new TemporalError(`no run with id ${workflowId}`, TemporalErrorKind.NotFound, [
        'ids are <runbook>/<lab>, e.g. install/intra; see the runs with `runbook list`',
      ]);
    }
    throw error;
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

/** Whether some worker polls the task queue for workflow tasks right now (as far as the server knows). */
export async function hasLiveWorker(client: Client, taskQueue: string): Promise<boolean> {
  const response = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue },
  });
  const now = Date.now();
  return (response.pollers ?? []).some((poller) => {
    const seconds = Number(poller.lastAccessTime?.seconds ?? 0);
    return now - seconds * 1000 < LIVE_POLLER_WINDOW_MS;
  });
}

export function noWorkerError(taskQueue: string, extra: string[] = []): TemporalError {
  return new TemporalError(`no worker is running for task queue ${taskQueue}`, TemporalErrorKind.Unavailable, [
    'start one with `runbook worker` (in another terminal), then run this command again',
    ...extra,
  ]);
}

/** Fails with the "start a worker" message when nobody polls the run's task queue. */
export async function requireWorker(client: Client, run: Run): Promise<void> {
  if (!(await hasLiveWorker(client, run.description.taskQueue))) throw noWorkerError(run.description.taskQueue);
}

/**
 * The progress query's answer, or undefined when no worker can answer it (none polls the task queue,
 * or none answers within a few seconds).
 */
export async function queryProgress(client: Client, run: Run): Promise<RunbookProgress | undefined> {
  if (!(await hasLiveWorker(client, run.description.taskQueue))) return undefined;
  try {
    return await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => run.handle.query(progressQuery));
  } catch (error) {
    if (isGrpcDeadlineError(error)) return undefined;
    throw error;
  }
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
  try {
    return await client.withDeadline(Date.now() + UPDATE_ACCEPT_DEADLINE_MS, () =>
      run.handle.executeUpdate(update, { args }),
    );
  } catch (error) {
    if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isGrpcDeadlineError(error)) {
      throw noWorkerError(run.description.taskQueue, [
        `no worker took the request within ${UPDATE_ACCEPT_DEADLINE_MS / 1000} s; it may still apply once a worker starts: check with \`runbook status ${run.handle.workflowId}\``,
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
