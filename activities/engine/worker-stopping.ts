/**
 * "This worker is stopping": set by `runWorker` on SIGINT/SIGTERM, read by long waits. A wait does not
 * sit out the worker's shutdown grace time: it saves its checkpoint and fails retryably at once, so
 * the server hands it to the next worker, which resumes from the checkpoint (a restart of
 * `runbook worker` costs a wait about a second instead of a heartbeat timeout).
 */
const stopping = new AbortController();

export function workerStoppingSignal(): AbortSignal {
  return stopping.signal;
}

export function markWorkerStopping(): void {
  stopping.abort();
}
