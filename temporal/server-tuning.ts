/**
 * Server settings that make the engine fast on a Temporal dev server. Measured with `npm run bench`
 * (50 no-op steps on the 2-core machines): about 100 ms per step with the dev server's defaults,
 * about 20 ms with both settings below.
 *
 * - Eager activity dispatch: when a workflow task schedules the next step's activity on the same
 *   task queue, the server hands the activity straight back to the worker in its answer instead of
 *   routing it through the task queue. The worker side is on by default; the server side is a
 *   dynamic-config flag the dev server leaves off.
 * - The history service reads new transfer tasks (the next workflow task, a non-eager activity) at
 *   most `transferProcessorMaxPollRPS` times a second: 20 by default, which costs up to 50 ms per
 *   hand-over. A dev server serves one user: reading as soon as tasks exist costs nothing.
 *
 * A production cluster's operators set the same keys in its dynamic config.
 */
export const DEV_SERVER_DYNAMIC_CONFIG: Readonly<Record<string, string | number | boolean>> = {
  'system.enableActivityEagerExecution': true,
  'history.transferProcessorMaxPollRPS': 1000,
};

/** `--dynamic-config-value KEY=JSON` flags for `temporal server start-dev`. */
export function devServerTuningFlags(): string[] {
  return Object.entries(DEV_SERVER_DYNAMIC_CONFIG).flatMap(([key, value]) => [
    '--dynamic-config-value',
    `${key}=${JSON.stringify(value)}`,
  ]);
}
