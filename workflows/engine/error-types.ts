/**
 * Failure types: the `type` of the ApplicationFailure that ends a step's attempt or a run, shown in
 * the history and by `runbook status`. One name per cause, from here, so that tests, the interpreter
 * and whoever reads a history agree on the spelling. Workflow-safe: plain data.
 *
 * Errors thrown as classes (SshError, RehearsalTargetError, …) keep their class name as their type.
 */
export const StepErrorType = {
  // The lab or the hosts are not as the step needs them: the run pauses at once for the operator.
  UnknownHost: 'UnknownHost',
  UnknownNode: 'UnknownNode',
  SecretUnresolved: 'SecretUnresolved',
  FolderMissing: 'FolderMissing',
  ServiceCheckFailed: 'ServiceCheckFailed',
  DomainMissing: 'DomainMissing',
  RehearsalEndpointsMissing: 'RehearsalEndpointsMissing',
  // The engine's own: a step broke its contract, a change did not take, a wait ran out, a worker stops.
  InvalidStepOutcome: 'InvalidStepOutcome',
  ConvergeNotReached: 'ConvergeNotReached',
  WaitDeadlineExceeded: 'WaitDeadlineExceeded',
  WorkerStopping: 'WorkerStopping',
  // Whole runs: a workflow type the worker does not know, a bad input, `runbook resume --abort`.
  UnknownRunbook: 'UnknownRunbook',
  InvalidRunbookInput: 'InvalidRunbookInput',
  RunbookAborted: 'RunbookAborted',
} as const;
export type StepErrorType = (typeof StepErrorType)[keyof typeof StepErrorType];
