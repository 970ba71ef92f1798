/**
 * The worker-side wrapper around every step activity: it adds the attempt number to the outcome (and
 * to failures), so the progress query can show how many attempts a step took; turns any thrown error
 * into an ApplicationFailure that keeps the original type and retry decision; and strips the lab's
 * secret values from what goes into the history (./redact.ts). Action steps heartbeat while they run
 * (`keepActionAlive`), so that a killed worker is noticed within the heartbeat timeout.
 */
import { activityInfo, heartbeat } from '@temporalio/activity';
import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import { diagnosisIn } from '../../contract/diagnosis.js';
import { StepErrorType } from '../../contract/error-types.js';
import type { StepContext, StepOutcome, StepRequest, StepResult } from '../../contract/step.js';
import type { Lab } from '../../lab/schema.js';
import { stepContextOf } from './lab-cache.js';
import { redactSecrets } from './redact.js';

export type StepActivity = (context: StepContext) => Promise<StepOutcome>;

export function wrapStepActivity(name: string, activity: StepActivity): (request: StepRequest) => Promise<StepResult> {
  const wrapped = async (request: StepRequest): Promise<StepResult> => {
    const { attempt } = activityInfo();
    // The lab comes by reference (./lab-cache.ts); a failure to find it is this attempt's failure.
    const context = await stepContextOf(request).catch(async (error: unknown) => {
      throw await failureOf(error, attempt, request.lab);
    });
    let outcome: StepOutcome;
    const stopHeartbeats = keepActionAlive(context);
    try {
      outcome = await activity(context);
    } catch (error) {
      throw await failureOf(error, attempt, context.lab);
    } finally {
      stopHeartbeats();
    }
    if (typeof outcome?.changed !== 'boolean' || typeof outcome.detail !== 'string') {
      throw ApplicationFailure.nonRetryable(
        `Activity ${name} returned ${JSON.stringify(outcome)}; a step activity must return { changed: boolean, detail: string }`,
        StepErrorType.InvalidStepOutcome,
        { attempt },
      );
    }
    return {
      changed: outcome.changed,
      detail: await redactSecrets(outcome.detail, context.lab),
      attempt,
      // A lab holds secret references only (lab/load.ts), never their values.
      ...(outcome.lab && { lab: outcome.lab }),
      ...(typeof outcome.watched === 'string' && { watched: outcome.watched }),
    };
  };
  Object.defineProperty(wrapped, 'name', { value: name });
  return wrapped;
}

/** Longest stretch between two heartbeats of an action (the SDK throttles them further). */
const ACTION_HEARTBEAT_INTERVAL_MS = 5_000;

/**
 * Heartbeats an action step while it runs, so that the server notices a killed worker within the
 * step's heartbeat timeout (workflows/engine/steps.ts) instead of at the end of its start-to-close
 * timeout, and so that a cancel reaches the attempt. Only actions: a wait (its context has `poll`)
 * heartbeats a checkpoint itself (pollUntil), and a bare heartbeat from here would replace that
 * checkpoint with nothing, so a resumed wait would start over. Returns the function that stops it.
 */
function keepActionAlive(context: StepContext): () => void {
  if (context.poll !== undefined) return () => {};
  const { heartbeatTimeoutMs } = activityInfo();
  const intervalMs = Math.min(ACTION_HEARTBEAT_INTERVAL_MS, heartbeatTimeoutMs ? heartbeatTimeoutMs / 3 : Infinity);
  const timer = setInterval(() => heartbeat(), intervalMs);
  return () => clearInterval(timer);
}

/** Wraps every function of a record of step activities (the record's keys are the activity names). */
export function wrapStepActivities<T extends Record<string, StepActivity>>(
  activities: T,
): { [K in keyof T]: (request: StepRequest) => Promise<StepResult> } {
  return Object.fromEntries(
    Object.entries(activities).map(([name, activity]) => [name, wrapStepActivity(name, activity)]),
  ) as { [K in keyof T]: (request: StepRequest) => Promise<StepResult> };
}

/**
 * Whether the code that threw marked the error as one no retry can cure (`nonRetryable: true`, as an
 * ApplicationFailure does; transport/permanent.ts): a wrong host key, an unknown host, a refused key,
 * a rehearsal aimed off loopback. The run then pauses after this attempt.
 */
function markedPermanent(error: Error): boolean {
  return (error as { nonRetryable?: unknown }).nonRetryable === true;
}

/** The failure of an attempt; `lab`, when known, to strip its secrets from the message. */
async function failureOf(error: unknown, attempt: number, lab: Lab | undefined): Promise<unknown> {
  // Cancellation and other SDK failures must pass through untouched.
  if (error instanceof TemporalFailure && !(error instanceof ApplicationFailure)) return error;
  const failure = error instanceof Error ? error : new Error(String(error));
  const message = lab === undefined ? failure.message : await redactSecrets(failure.message, lab);
  if (!(failure instanceof ApplicationFailure)) {
    return ApplicationFailure.create({
      message,
      type: failure.name,
      nonRetryable: markedPermanent(failure),
      details: [{ attempt }],
    });
  }
  // A wait that must not go on by itself after its deadline says why (activities/engine/declare.ts).
  const staysPaused = (failure as { staysPaused?: unknown }).staysPaused;
  // A wait's diagnosis (./diagnosis.ts, already redacted) goes on beside the attempt.
  const diagnosis = diagnosisIn(failure.details ?? undefined);
  return ApplicationFailure.create({
    message,
    type: failure.type ?? 'Error',
    nonRetryable: failure.nonRetryable ?? false,
    details: [{ attempt, ...(typeof staysPaused === 'string' && { staysPaused }), ...(diagnosis && { diagnosis }) }],
    ...(failure.nextRetryDelay !== undefined && { nextRetryDelay: failure.nextRetryDelay }),
    ...(failure.category != null && { category: failure.category }),
    // Keep the activity's own details reachable in the history, unless its message held a secret.
    ...(failure.details?.length && !diagnosis && message === failure.message ? { cause: failure } : {}),
  });
}
