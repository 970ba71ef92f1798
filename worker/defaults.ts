/** The worker's defaults, in a module light enough for the CLI to import without loading the SDK. */

/**
 * How long a stopping worker lets running activities finish before cancelling them. Actions are
 * short and converge, so most finish; long waits hand themselves over at once (pollUntil).
 */
export const DEFAULT_SHUTDOWN_GRACE_TIME = '10s';

/** Where `runbook worker --metrics` serves Prometheus metrics when given no address (OpenTelemetry's Prometheus port). */
export const DEFAULT_METRICS_ADDRESS = '127.0.0.1:9464';

/**
 * The runbook worker's task-queue tuning, shared with the bench's bare SDK worker (bench/bare-sdk-worker.ts)
 * so that the two are measured alike.
 */
export const RUNBOOK_QUEUE_TUNING = {
  // After a worker dies, the server keeps handing its runs' workflow tasks to the dead worker's
  // sticky queue until this timeout passes (default 10 s). A live worker takes sticky tasks in
  // milliseconds, so 3 s only shortens the hand-over to a new worker after a crash.
  stickyQueueScheduleToStartTimeout: '3s',
  // Eager activity dispatch (default on): the server hands the next step's activity back with the
  // workflow task completion, saving a task-queue round trip per step.
  maxEagerActivityReservationsPerWorkflowTask: 3,
  // A cancel reaches a running activity only in the answer to its next heartbeat; the default
  // throttle (80% of the heartbeat timeout: 8 s for a wait) would let `runbook cancel` lag that
  // long. Waits heartbeat every second (pollUntil): one small call per second per running wait.
  maxHeartbeatThrottleInterval: '1s',
} as const;
