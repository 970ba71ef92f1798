/**
 * `pollUntil`: the body of every wait step. Polls until a condition holds, heartbeating a checkpoint
 * after each poll. When the worker dies, the server retries the activity after the heartbeat timeout
 * and the new attempt resumes from that checkpoint: the deadline still counts from the first attempt
 * and the probe gets its saved progress back. Cancellation (workflow cancelled, worker shutting down)
 * interrupts the sleep between polls, which heartbeats every second to receive it, and reaches the
 * probe through its AbortSignal.
 *
 * The deadline counts on the wait's clock (./wait-clock.ts): the wall clock, or in a rehearsal the
 * simulated lab's, so that it passes at the lab's pace. Elapsed time is read before each check: the
 * wait gives up only after a check that began at or after the deadline found the condition still
 * false, however slowly the checks themselves ran.
 *
 * A wait paused at its deadline keeps watching (`context.watch`, scheduled by the workflow while the
 * run is paused): the same probe, bounded by the lab's `waits.keepWatching` instead of the deadline;
 * when the condition holds, its outcome says how long that took (`watched`) and the run goes on.
 *
 * The checkpoint is stored in the history: its detail is stripped of the lab's secrets, and the
 * probe's `progress` must never carry one.
 */
import { activityInfo, cancellationSignal, heartbeat, sleep } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { StepErrorType } from '../../contract/error-types.js';
import type { JsonValue, StepContext, StepOutcome } from '../../contract/step.js';
import { durationMs } from '../../lab/install-settings.js';
import { redactSecrets } from './redact.js';
import { formatDuration, waitClockFor, type WaitClock } from './wait-clock.js';
import { noteWait } from './wait-notes.js';
import { workerStoppingSignal } from './worker-stopping.js';

export interface PollState<P extends JsonValue> {
  /** Polls done so far, over all attempts. */
  polls: number;
  /** Time since the wait started (first attempt), ms, on the wait's clock (lab time in a rehearsal). */
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
  /** Wall time of the first attempt's start (what `--follow` counts its waiting time from). */
  startedAtMs: number;
  polls: number;
  detail: string;
  progress?: P;
  /** In a rehearsal: the lab clock the deadline counts on, when on it the wait started, and its time so far. */
  labClock?: { id: string; startedAtMs: number; elapsedMs: number };
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
  const deadlineMs = context.watch
    ? durationMs(context.watch.for)
    : (options.deadlineMs ?? context.poll?.deadlineMs ?? DEFAULT_DEADLINE_MS);
  const saved = readCheckpoint<P>(activityInfo().heartbeatDetails);
  const checkpoint: PollCheckpoint<P> = saved ?? { startedAtMs: Date.now(), polls: 0, detail: 'not checked yet' };
  const clock = await waitClockFor(context);
  const elapsed = await elapsedOn(clock, checkpoint);
  const signal = cancellationSignal();
  const stoppingSignal = workerStoppingSignal();
  const whenStopping = new Promise<void>((resolve) =>
    stoppingSignal.addEventListener('abort', () => resolve(), { once: true }),
  );
  heartbeat(checkpoint);
  for (;;) {
    // Read before the check: a check that starts after the deadline and fails ends the wait.
    const elapsedMs = await elapsed();
    const result = await probe({
      polls: checkpoint.polls,
      elapsedMs,
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
    if (result.done) {
      return {
        changed: result.changed ?? false,
        detail: checkpoint.detail,
        ...(context.watch && { watched: clock.describe(elapsedMs) }),
      };
    }
    if (result.progress !== undefined) checkpoint.progress = result.progress;
    heartbeat(checkpoint);
    // A probe that does its own waiting (watchedPoll: intervalMs 0) never reaches the sleep below,
    // which is where a cancel (the run cancelled, the worker shutting down) otherwise ends the wait.
    if (signal.aborted) throw signal.reason;
    if (elapsedMs >= deadlineMs) {
      throw ApplicationFailure.nonRetryable(
        `Timed out after ${clock.describe(deadlineMs)} waiting for ${options.what} ` +
          `(${checkpoint.polls} checks); last check: ${checkpoint.detail}`,
        StepErrorType.WaitDeadlineExceeded,
        // For the wait's diagnosis (./diagnosis.ts), which heartbeats it while its probes run.
        checkpoint,
      );
    }
    // Between polls the wait keeps heartbeating: a cancel reaches an activity only in a heartbeat's
    // answer, and a poll interval longer than the heartbeat timeout must not look like a dead worker.
    // Activity sleep rejects with CancelledFailure as soon as the cancel arrives.
    const until = Date.now() + Math.min(intervalMs, clock.realMs(deadlineMs - elapsedMs));
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

/**
 * Time since the wait started on `clock`, read afresh at each call; keeps the checkpoint's lab clock
 * current. A checkpoint from another clock (the wall clock, a restarted lab) carries its elapsed
 * time over; a reading the lab did not answer counts no time.
 */
async function elapsedOn<P extends JsonValue>(clock: WaitClock, checkpoint: PollCheckpoint<P>) {
  if (clock.kind === 'wall') return () => Promise.resolve(Date.now() - checkpoint.startedAtMs);
  const saved = checkpoint.labClock;
  if (saved?.id !== clock.id) {
    // A fresh wait starts at 0; one checkpointed by an older worker (no lab clock) counted wall time.
    const carried = saved?.elapsedMs ?? (checkpoint.polls > 0 ? Date.now() - checkpoint.startedAtMs : 0);
    const now = (await clock.now()) ?? clock.firstMs;
    checkpoint.labClock = { id: clock.id, startedAtMs: now - carried, elapsedMs: carried };
  }
  const lab = checkpoint.labClock!;
  return async () => {
    const at = await clock.now();
    if (at !== undefined) lab.elapsedMs = Math.max(lab.elapsedMs, at - lab.startedAtMs);
    return lab.elapsedMs;
  };
}

function readCheckpoint<P extends JsonValue>(details: unknown): PollCheckpoint<P> | undefined {
  if (typeof details !== 'object' || details === null) return undefined;
  const candidate = details as Partial<PollCheckpoint<P>>;
  if (typeof candidate.startedAtMs !== 'number' || typeof candidate.polls !== 'number') return undefined;
  const lab = candidate.labClock;
  return {
    startedAtMs: candidate.startedAtMs,
    polls: candidate.polls,
    detail: typeof candidate.detail === 'string' ? candidate.detail : 'not checked yet',
    ...(candidate.progress !== undefined && { progress: candidate.progress }),
    ...(typeof lab?.id === 'string' &&
      typeof lab.startedAtMs === 'number' &&
      typeof lab.elapsedMs === 'number' && { labClock: lab }),
  };
}

export { formatDuration };
