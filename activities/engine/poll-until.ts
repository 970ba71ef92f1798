/**
 * `pollUntil`: the body of every wait step. Polls until a condition holds, heartbeating a checkpoint
 * after each poll. When the worker dies, the server retries the activity after the heartbeat timeout
 * and the new attempt resumes from that checkpoint: the deadline still counts from the first attempt
 * and the probe gets its saved progress back. Cancellation (workflow cancelled, worker shutting down)
 * interrupts the sleep between polls, which heartbeats every second to receive it, and reaches the
 * probe through its AbortSignal.
 *
 * The checkpoint is stored in the history: its detail is stripped of the lab's secrets, and the
 * probe's `progress` must never carry one.
 */
import { activityInfo, cancellationSignal, heartbeat, sleep } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { StepErrorType } from '../../contract/error-types.js';
import type { JsonValue, StepContext, StepOutcome } from '../../contract/step.js';
import { redactSecrets } from './redact.js';
import { noteWait } from './wait-notes.js';
import { workerStoppingSignal } from './worker-stopping.js';

export interface PollState<P extends JsonValue> {
  /** Polls done so far, over all attempts. */
  polls: number;
  /** Time since the wait started (first attempt), ms. */
  elapsedMs: number;
  /** What the previous poll saved, also across a worker restart. */
  progress: P | undefined;
  /**
   * Records progress at once, before the probe returns: what a probe has done (a CSR approved) stays
   * recorded when a later call of the same probe fails (the API answering 503 before the nodes are read).
   */
  save(progress: P): void;
  /** Aborted when the activity is cancelled: pass it on to fetch, execa, the Kubernetes client. */
  signal: AbortSignal;
}

export type PollResult<P extends JsonValue> =
  { done: true; detail: string; changed?: boolean } | { done: false; detail: string; progress?: P };

export interface PollOptions {
  /** What is awaited, for the timeout message: "the bootstrap API to answer". */
  what: string;
  /** Defaults to the step's `pollInterval` (`context.poll`). */
  intervalMs?: number;
  /** Defaults to the step's `deadline` (`context.poll`). */
  deadlineMs?: number;
}

/** Heartbeat details of a wait. */
export interface PollCheckpoint<P extends JsonValue = JsonValue> {
  startedAtMs: number;
  polls: number;
  detail: string;
  progress?: P;
}

const DEFAULT_INTERVAL_MS = 10_000;
/**
 * Longest stretch without a heartbeat call. The worker sends at most one heartbeat per
 * `maxHeartbeatThrottleInterval` (1 s, worker/worker.ts), so a cancel reaches a wait within about a second.
 */
const KEEPALIVE_MS = 1_000;
const DEFAULT_DEADLINE_MS = 30 * 60_000;

export async function pollUntil<P extends JsonValue = JsonValue>(
  context: StepContext,
  options: PollOptions,
  probe: (state: PollState<P>) => Promise<PollResult<P>>,
): Promise<StepOutcome> {
  const intervalMs = options.intervalMs ?? context.poll?.intervalMs ?? DEFAULT_INTERVAL_MS;
  const deadlineMs = options.deadlineMs ?? context.poll?.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const saved = readCheckpoint<P>(activityInfo().heartbeatDetails);
  const checkpoint: PollCheckpoint<P> = saved ?? { startedAtMs: Date.now(), polls: 0, detail: 'not checked yet' };
  const signal = cancellationSignal();
  const stoppingSignal = workerStoppingSignal();
  const whenStopping = new Promise<void>((resolve) =>
    stoppingSignal.addEventListener('abort', () => resolve(), { once: true }),
  );
  heartbeat(checkpoint);
  for (;;) {
    const result = await probe({
      polls: checkpoint.polls,
      elapsedMs: Date.now() - checkpoint.startedAtMs,
      progress: checkpoint.progress,
      save: (progress) => {
        checkpoint.progress = progress;
      },
      signal,
    });
    checkpoint.polls += 1;
    const before = checkpoint.detail;
    checkpoint.detail = await redactSecrets(result.detail, context.lab);
    if (!result.done && checkpoint.detail !== before) {
      const { workflowExecution, activityId } = activityInfo();
      noteWait({
        workflowId: workflowExecution?.workflowId ?? '',
        stepId: activityId,
        detail: checkpoint.detail,
        waitedMs: Date.now() - checkpoint.startedAtMs,
      });
    }
    if (result.done) return { changed: result.changed ?? false, detail: checkpoint.detail };
    if (result.progress !== undefined) checkpoint.progress = result.progress;
    heartbeat(checkpoint);
    const elapsedMs = Date.now() - checkpoint.startedAtMs;
    if (elapsedMs >= deadlineMs) {
      throw ApplicationFailure.nonRetryable(
        `Timed out after ${formatDuration(deadlineMs)} waiting for ${options.what} ` +
          `(${checkpoint.polls} checks); last check: ${checkpoint.detail}`,
        StepErrorType.WaitDeadlineExceeded,
        // For the wait's diagnosis (./diagnosis.ts), which heartbeats it while its probes run.
        checkpoint,
      );
    }
    // Between polls the wait keeps heartbeating: a cancel reaches an activity only in a heartbeat's
    // answer, and a poll interval longer than the heartbeat timeout must not look like a dead worker.
    // Activity sleep rejects with CancelledFailure as soon as the cancel arrives.
    const until = Date.now() + Math.min(intervalMs, deadlineMs - elapsedMs);
    for (let left = until - Date.now(); left > 0 && !stoppingSignal.aborted; left = until - Date.now()) {
      await Promise.race([sleep(Math.min(left, KEEPALIVE_MS)), whenStopping]);
      heartbeat(checkpoint);
    }
    if (stoppingSignal.aborted) {
      throw ApplicationFailure.create({
        message:
          `The worker is stopping; the wait for ${options.what} goes on from its checkpoint ` +
          `(${checkpoint.polls} checks) on the next worker`,
        type: StepErrorType.WorkerStopping,
        nextRetryDelay: '1s',
      });
    }
  }
}

function readCheckpoint<P extends JsonValue>(details: unknown): PollCheckpoint<P> | undefined {
  if (typeof details !== 'object' || details === null) return undefined;
  const candidate = details as Partial<PollCheckpoint<P>>;
  if (typeof candidate.startedAtMs !== 'number' || typeof candidate.polls !== 'number') return undefined;
  return {
    startedAtMs: candidate.startedAtMs,
    polls: candidate.polls,
    detail: typeof candidate.detail === 'string' ? candidate.detail : 'not checked yet',
    ...(candidate.progress !== undefined && { progress: candidate.progress }),
  };
}

/** `90000` → `1m30s`: durations as the operator wrote them in the runbook. */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const parts = [
    [Math.floor(seconds / 3600), 'h'],
    [Math.floor((seconds % 3600) / 60), 'm'],
    [seconds % 60, 's'],
  ] as const;
  return parts
    .filter(([value]) => value > 0)
    .map(([value, unit]) => `${value}${unit}`)
    .join('');
}
