/**
 * The cancellation signal of the running activity, or none when the code runs outside an activity:
 * `runbook plan` calls the read-only plan halves from the CLI process (see cli/commands/plan.ts),
 * where there is no activity to cancel and `cancellationSignal()` would throw.
 */
import { asyncLocalStorage, cancellationSignal } from '@temporalio/activity';

export function activitySignal(): AbortSignal | undefined {
  return asyncLocalStorage.getStore() === undefined ? undefined : cancellationSignal();
}
