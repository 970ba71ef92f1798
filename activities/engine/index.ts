/** The engine's side of the activities: helpers for step authors and the selftest activities. */
export { converge, type ConvergeCheck, type ConvergeSpec } from './converge.js';
export {
  formatDuration,
  pollUntil,
  type PollCheckpoint,
  type PollOptions,
  type PollResult,
  type PollState,
} from './poll-until.js';
export { REDACTED, redactSecrets } from './redact.js';
export { selftestDeclarations } from './selftest.js';
export { markWorkerStopping, workerStoppingSignal } from './worker-stopping.js';
export { wrapStepActivities, wrapStepActivity, type StepActivity } from './step-activity.js';
export type { StepContext, StepOutcome, StepResult } from '../../contract/step.js';
export { StepErrorType } from '../../contract/error-types.js';
