/**
 * Errors no retry can cure: a host key that does not match, a host the lab does not name, a key the
 * host refuses, a rehearsal aimed off loopback. The code that throws knows which they are and says so
 * with `nonRetryable`, the property Temporal's ApplicationFailure uses for the same purpose; the step
 * wrapper (activities/engine/step-activity.ts) honours it, so the run pauses after the first attempt
 * instead of retrying a mistake that only the operator can fix.
 */
export class PermanentError extends Error {
  readonly nonRetryable = true;

  /** `name` becomes the failure type in the run's history (e.g. `UnknownHost`). */
  constructor(message: string, name: string, options?: ErrorOptions) {
    super(message, options);
    this.name = name;
  }
}
