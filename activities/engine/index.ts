/** The engine's side of the activities: helpers for step authors and the selftest activities. */
export { converge, CONVERGE_NOT_REACHED, type ConvergeCheck, type ConvergeSpec } from './converge.js';
export {
  formatDuration,
  pollUntil,
  WAIT_DEADLINE_EXCEEDED,
  type PollCheckpoint,
  type PollOptions,
  type PollResult,
  type PollState,
} from './poll-until.js';
export { REDACTED, redactSecrets } from './redact.js';
export { selftestActivities } from './selftest.js';
export { markWorkerStopping, WORKER_STOPPING, workerStoppingSignal } from './worker-stopping.js';
export { wrapStepActivities, wrapStepActivity, type StepActivity } from './step-activity.js';
export type { StepContext, StepOutcome, StepResult } from '../../workflows/engine/steps.js';
