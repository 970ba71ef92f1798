/**
 * A wait's progress for the terminal of the worker it runs in: each time a wait's detail changes,
 * `pollUntil` notes it here, and `runbook worker` prints one line with the time it has waited. Only
 * changes: a wait that polls every 10 s for an hour says what it sees a handful of times, as the
 * Agent-based installer logs each validation only when its message changes. Not through the SDK's
 * logger: that one runs at WARN for an operator, and a wait's progress is no warning. A rehearsal
 * does not listen: its `--follow` prints the same changes from the run's heartbeats.
 */

export interface WaitNote {
  workflowId: string;
  /** The step path (the activity id): `bootstrap.complete`, `items[infra1].node-updated`. */
  stepId: string;
  detail: string;
  /** Since the wait started (its first attempt). */
  waitedMs: number;
}

const listeners = new Set<(note: WaitNote) => void>();

/** Calls `listener` with every change of a wait's detail in this process; returns the way to stop. */
export function onWaitNote(listener: (note: WaitNote) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function noteWait(note: WaitNote): void {
  for (const listener of listeners) listener(note);
}
