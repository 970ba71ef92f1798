/** The worker's defaults, in a module light enough for the CLI to import without loading the SDK. */

/**
 * How long a stopping worker lets running activities finish before cancelling them. Actions are
 * short and converge, so most finish; long waits hand themselves over at once (pollUntil).
 */
export const DEFAULT_SHUTDOWN_GRACE_TIME = '10s';

/** Where `runbook worker --metrics` serves Prometheus metrics when given no address (OpenTelemetry's Prometheus port). */
export const DEFAULT_METRICS_ADDRESS = '127.0.0.1:9464';
