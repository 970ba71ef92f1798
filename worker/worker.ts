/**
 * The runbook worker: polls the runbook task queue, runs the workflow bundle (one workflow per
 * runbook) and the step activities. `runbook worker` runs one with `runWorker`; tests and the bench
 * create them with `createRunbookWorker` and a bundle built once per process.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IllegalStateError, type Duration } from '@temporalio/common';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  Worker,
  type LogEntry,
  type LogLevel,
  type NativeConnection,
  type WorkflowBundle,
  type WorkflowBundleOption,
} from '@temporalio/worker';
import { markWorkerStopping } from '../activities/engine/worker-stopping.js';
import { createActivities } from '../activities/index.js';
import { noticeActivities, type NoticeDeps } from '../activities/notify/index.js';
import { labTaskQueue, TASK_QUEUE } from '../workflows/engine/api.js';
import { DEFAULT_SHUTDOWN_GRACE_TIME, RUNBOOK_QUEUE_TUNING } from './defaults.js';

/** The product workflow bundle's entry point. */
export const DEFAULT_WORKFLOWS_PATH = fileURLToPath(new URL('../runbooks/workflows.ts', import.meta.url));

export { DEFAULT_METRICS_ADDRESS, DEFAULT_SHUTDOWN_GRACE_TIME } from './defaults.js';

export interface RunbookWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  /** Activities to register; the product's `createActivities()` when omitted. */
  activities?: object;
  /** Settings of the notices to the labs' webhooks (their activity is registered on every runbook worker). */
  notices?: NoticeDeps;
  /** Workflow entry point; the product catalogue when omitted. Ignored with `workflowBundle`. */
  workflowsPath?: string;
  /** A bundle from `bundleRunbookWorkflows` (or `{ codePath }` of one written to a file), to skip bundling. */
  workflowBundle?: WorkflowBundleOption;
  identity?: string;
  shutdownGraceTime?: Duration;
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  /**
   * Labs whose `on: 'lab'` steps this worker runs too (`runbook worker --lab`): it then also polls
   * `<task queue>@<lab>` for their activities. Only the machine that keeps a lab's install folder
   * should serve its lab queue.
   */
  labs?: readonly string[];
}

const bundles = new Map<string, Promise<WorkflowBundle>>();

/** Bundles a workflows entry point once per process (webpack takes a few seconds). */
export function bundleRunbookWorkflows(workflowsPath: string = DEFAULT_WORKFLOWS_PATH): Promise<WorkflowBundle> {
  let bundle = bundles.get(workflowsPath);
  if (!bundle) {
    bundle = bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') }).then(({ code }) => ({ code }));
    bundles.set(workflowsPath, bundle);
    bundle.catch(() => bundles.delete(workflowsPath));
  }
  return bundle;
}

const BUNDLE_MAIN = fileURLToPath(new URL('./bundle-main.ts', import.meta.url));

/**
 * Bundles a workflows entry point in a child process (./bundle-main.ts) into a temporary folder: webpack
 * keeps some 170 MB of the memory of the process it runs in, which a long-running worker never gives
 * back. `remove` deletes the folder once the worker has read the bundle (at `Worker.create`).
 */
export async function bundleInChildProcess(
  workflowsPath: string = DEFAULT_WORKFLOWS_PATH,
): Promise<{ codePath: string; remove: () => Promise<void> }> {
  const { execa } = await import('execa');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-bundle-'));
  const codePath = path.join(dir, 'workflow-bundle.js');
  const remove = () => rm(dir, { recursive: true, force: true });
  const result = await execa(process.execPath, ['--import', 'tsx', BUNDLE_MAIN, workflowsPath, codePath], {
    reject: false,
    stdin: 'ignore',
    env: { NODE_OPTIONS: '' },
  });
  if (result.exitCode !== 0) {
    await remove();
    throw new Error(
      `bundling the workflows of ${workflowsPath} failed (${result.signal ?? `exit ${result.exitCode}`}): ` +
        `${String(result.stderr).trim() || 'no message'}`,
    );
  }
  return { codePath, remove };
}

/** The first line of an error's message (gRPC and core errors run over several lines). */
function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

/**
 * The SDK's log for an operator: one line per event (`worker: WARN Activity failed: <type>: <message>`),
 * the same line said again in a row only once (the core repeats its retry warnings while the server
 * is down). With `verbose`, the whole entry with its error stack, as the SDK writes it. The full
 * failure of a step stays in the run's history either way.
 */
export function operatorLogger(level: LogLevel, { verbose }: { verbose: boolean }): DefaultLogger {
  if (verbose) return new DefaultLogger(level);
  let last = '';
  return new DefaultLogger(level, (entry: LogEntry) => {
    // The lab workers serve activities only, by design (createLabWorkers): the SDK warns of it at start.
    if (entry.message.startsWith('No workflows registered, not polling for workflow tasks')) return;
    const meta = entry.meta ?? {};
    const error = meta.error ?? meta.failure;
    const what = [meta.activityType, meta.workflowType].filter((value) => typeof value === 'string').join(' ');
    const detail = error instanceof Error ? error.message : typeof error === 'string' ? error : undefined;
    const line = `worker: ${entry.level} ${firstLine(entry.message)}${what ? `: ${what}` : ''}${detail ? `: ${firstLine(detail)}` : ''}`;
    if (line === last) return;
    last = line;
    process.stderr.write(`${line}\n`);
  });
}

/**
 * Sets the SDK's log level for this process (default INFO) and, with `metrics` (`host:port`), serves
 * Prometheus metrics at `http://<metrics>/metrics`: the SDK's own (`temporal_*`: task latencies, slots,
 * activity failures) and the runbooks' (`runbook_*`, see workflows/engine/metrics.ts). It must run before
 * the first connection or worker is created; later calls are ignored, as the SDK's runtime is then
 * already in place. A metrics address that cannot be bound is an error.
 */
export function installWorkerRuntime(
  options: { logLevel?: LogLevel; verbose?: boolean; shutdownSignals?: NodeJS.Signals[]; metrics?: string } = {},
): void {
  const level = options.logLevel ?? 'INFO';
  try {
    Runtime.install({
      logger: operatorLogger(level, { verbose: options.verbose ?? false }),
      ...(options.shutdownSignals && { shutdownSignals: options.shutdownSignals }),
      // The SDK's native core logs straight to the console unless forwarded: forward it through the
      // same logger, so one level governs both (core WARN lines are noise for an operator at ERROR).
      telemetryOptions: {
        logging: {
          filter: { core: level === 'TRACE' || level === 'DEBUG' ? level : 'WARN', other: 'ERROR' },
          forward: {},
        },
        ...(options.metrics !== undefined && {
          metrics: {
            prometheus: { bindAddress: options.metrics, countersTotalSuffix: true, useSecondsForDurations: true },
          },
        }),
      },
    });
  } catch (error) {
    // Already installed or instantiated: keep the existing runtime.
    if (error instanceof IllegalStateError) return;
    throw new Error(
      `cannot serve worker metrics on ${options.metrics}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

export async function createRunbookWorker(options: RunbookWorkerOptions): Promise<Worker> {
  const workflowBundle = options.workflowBundle ?? (await bundleRunbookWorkflows(options.workflowsPath));
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    workflowBundle,
    // The notice activity serves the notice child workflows of this worker's bundle (workflows/engine/notices.ts).
    activities: { ...noticeActivities(options.notices), ...(options.activities ?? createActivities()) },
    ...(options.identity !== undefined && { identity: options.identity }),
    shutdownGraceTime: options.shutdownGraceTime ?? DEFAULT_SHUTDOWN_GRACE_TIME,
    // Steps run strictly one after another per run, so these bound the number of runs in flight,
    // not the speed of one: the defaults (100 activities, 40 workflow tasks) suit a lab worker.
    ...(options.maxConcurrentActivityTaskExecutions !== undefined && {
      maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions,
    }),
    ...(options.maxConcurrentWorkflowTaskExecutions !== undefined && {
      maxConcurrentWorkflowTaskExecutions: options.maxConcurrentWorkflowTaskExecutions,
    }),
    ...RUNBOOK_QUEUE_TUNING,
  });
}

/**
 * Activity-only workers for the lab queues of `options.labs` (no workflows: the run's own queue
 * carries those), with the same activities and shutdown grace as the runbook worker.
 */
export async function createLabWorkers(options: RunbookWorkerOptions): Promise<Worker[]> {
  const activities = options.activities ?? createActivities();
  return Promise.all(
    [...new Set(options.labs ?? [])].map((lab) =>
      Worker.create({
        connection: options.connection,
        namespace: options.namespace ?? 'default',
        taskQueue: labTaskQueue(options.taskQueue ?? TASK_QUEUE, lab),
        activities,
        ...(options.identity !== undefined && { identity: options.identity }),
        shutdownGraceTime: options.shutdownGraceTime ?? DEFAULT_SHUTDOWN_GRACE_TIME,
        ...(options.maxConcurrentActivityTaskExecutions !== undefined && {
          maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions,
        }),
        maxHeartbeatThrottleInterval: '1s',
      }),
    ),
  );
}

export interface RunWorkerOptions extends RunbookWorkerOptions {
  /** Stops the worker when aborted (besides SIGINT/SIGTERM, which the SDK handles). */
  signal?: AbortSignal;
  /** Called once the worker polls, e.g. to print "worker ready". */
  onReady?: (worker: Worker) => void;
  /** Called once when the worker begins to stop (signal or abort), e.g. to say it lets steps finish. */
  onStopping?: () => void;
}

/**
 * Runs a worker until SIGINT/SIGTERM or the signal: it then stops polling, lets running activities
 * finish for the grace time, and resolves once it has shut down.
 */
export async function runWorker(options: RunWorkerOptions): Promise<void> {
  // Bundled in a child process unless given a bundle (see bundleInChildProcess).
  const bundled = options.workflowBundle === undefined ? await bundleInChildProcess(options.workflowsPath) : undefined;
  let worker: Worker;
  try {
    worker = await createRunbookWorker({
      ...options,
      ...(bundled && { workflowBundle: { codePath: bundled.codePath } }),
    });
  } finally {
    await bundled?.remove();
  }
  const labWorkers = await createLabWorkers(options);
  if (options.signal?.aborted) return;
  let stopping = false;
  const stopped = () => {
    markWorkerStopping();
    if (!stopping) options.onStopping?.();
    stopping = true;
  };
  const stop = () => {
    stopped();
    for (const each of [worker, ...labWorkers]) if (each.getState() === 'RUNNING') each.shutdown();
  };
  // The SDK stops the worker on these signals itself; waits must learn it too (see worker-stopping.ts).
  const signals = ['SIGINT', 'SIGTERM'] as const;
  for (const name of signals) process.once(name, stopped);
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    // One worker failing stops the others: a half-serving worker would leave lab steps waiting unseen.
    const running = Promise.all(
      [worker, ...labWorkers].map((each) =>
        each.run().catch((error: unknown) => {
          stop();
          throw error;
        }),
      ),
    );
    options.onReady?.(worker);
    await running;
  } finally {
    options.signal?.removeEventListener('abort', stop);
    for (const name of signals) process.removeListener(name, stopped);
  }
}
