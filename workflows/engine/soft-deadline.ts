/**
 * Soft deadlines. A wait that reaches its deadline pauses the run as any failed step does, and keeps
 * watching its condition while the run is paused: the workflow schedules the same wait again with
 * `context.watch` (pollUntil then polls for at most the lab's `waits.keepWatching`, lab time in a
 * rehearsal). When the condition comes true the watch completes and the run goes on by itself; an
 * operator's `resume`, `--skip`, `--abort` or `--from` at any time cancels the watch first (and waits
 * until it has stopped, so a retried wait never polls twice at once). A wait whose declaration says
 * `staysPaused` (activities/engine/declare.ts) is never watched: its deadline needs a person.
 *
 * Workflow code (deterministic). Runs that paused at a deadline before this existed replay without a
 * watch (`patched(SOFT_DEADLINES)`).
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  patched,
  scheduleActivity,
  type ActivityOptions,
} from '@temporalio/workflow';
import { StepErrorType } from '../../contract/error-types.js';
import type { StepRequest, StepResult } from '../../contract/step.js';
import { durationMs } from '../../lab/durations.js';
import type { Lab } from '../../lab/schema.js';

export const SOFT_DEADLINES = 'soft-deadlines';
/** The watch's activity id: the step's, with this after it. */
export const WATCH_SUFFIX = ':watch';
/** The lab's `waits.keepWatching` when the lab (one parsed by an older version) has none. */
export const DEFAULT_KEEP_WATCHING = '4h';
/** Beyond the watch's own bound, before the server ends an attempt (as for a wait's deadline). */
const WATCH_ATTEMPT_MARGIN_MS = 60_000;

/** The reason a wait's deadline failure gives for staying paused (the step wrapper's details), if any. */
export function staysPausedReason(error: unknown): string | undefined {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (!(cause instanceof ApplicationFailure)) return undefined;
  const reason = (cause.details?.[0] as { staysPaused?: unknown } | undefined)?.staysPaused;
  return typeof reason === 'string' ? reason : undefined;
}

/** How long a wait that passed its deadline watches on in this lab; undefined: it does not (`0s`). */
export function keepWatchingFor(lab: Lab, error: unknown): string | undefined {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (!(cause instanceof ApplicationFailure) || cause.type !== StepErrorType.WaitDeadlineExceeded) return undefined;
  const bound = lab.waits?.keepWatching ?? DEFAULT_KEEP_WATCHING;
  if (durationMs(bound) === 0 || staysPausedReason(error) !== undefined) return undefined;
  return patched(SOFT_DEADLINES) ? bound : undefined;
}

/** One watch of a paused wait: its outcome once the condition held, or why it stopped watching. */
export class DeadlineWatch {
  outcome: StepResult | undefined;
  ended: string | undefined;
  private finished = false;
  private readonly scope = new CancellationScope();
  private readonly done: Promise<void>;

  /** `onEnd`: the watch stopped by itself before the condition held (its bound passed, a refusal). */
  constructor(
    activity: string,
    context: StepRequest,
    options: ActivityOptions,
    keepWatching: string,
    onEnd: (why: string) => void,
  ) {
    const watching: StepRequest = { ...context, watch: { for: keepWatching } };
    this.done = this.scope
      .run(() =>
        scheduleActivity<StepResult>(activity, [watching], {
          ...options,
          activityId: `${options.activityId}${WATCH_SUFFIX}`,
          summary: `Watching after its deadline: ${options.summary ?? activity}`,
          startToCloseTimeout: durationMs(keepWatching) + WATCH_ATTEMPT_MARGIN_MS,
          cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        }),
      )
      .then(
        (result) => {
          this.outcome = result;
        },
        (error: unknown) => {
          if (isCancellation(error)) return;
          const cause = error instanceof ActivityFailure ? error.cause : error;
          this.ended = cause instanceof Error ? cause.message : String(cause);
          onEnd(this.ended);
        },
      )
      .finally(() => {
        this.finished = true;
      });
  }

  /** Cancels the watch unless it has ended, and resolves once it has stopped. */
  async stop(): Promise<void> {
    if (!this.finished) this.scope.cancel();
    await this.done;
  }
}
