/**
 * Shared pieces of the engine tests and the bench: the test workflow bundle (built once per process),
 * workers in-process or as child processes, the example lab, and waiting on a run's progress.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { execa, type ResultPromise } from 'execa';
import type { Lab } from '../lab/schema.js';
import { loadLab } from '../lab/load.js';
import { bundleRunbookWorkflows, createRunbookWorker } from '../worker/worker.js';
import {
  progressQuery,
  TASK_QUEUE,
  workflowIdFor,
  type RunbookInput,
  type RunbookProgress,
  type StepProgress,
} from '../workflows/engine/api.js';
import { createEngineTestActivities } from './engine-activities.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..');
/** The repository's root folder (where `bin/runbook.js` lives). */
export const REPO_ROOT = repoRoot;

export const ENGINE_WORKFLOWS_PATH = path.join(here, 'engine-workflows.ts');
/** The same catalogue with a step added at the start of every runbook (see engine-workflows-changed.ts). */
export const CHANGED_ENGINE_WORKFLOWS_PATH = path.join(here, 'engine-workflows-changed.ts');
const WORKER_MAIN = path.join(here, 'engine-worker-main.ts');

/** The example lab of the repository, loaded as `runbook start` loads a lab (absolute secret references). */
export function loadExampleLab(): Promise<Lab> {
  return loadLab(path.join(repoRoot, 'runbooks/labs/example.yaml'));
}

/** Writes the test workflow bundle to a file, for child-process workers (no webpack per child). */
export async function writeEngineBundle(dir: string): Promise<string> {
  const { code } = (await bundleRunbookWorkflows(ENGINE_WORKFLOWS_PATH)) as { code: string };
  const file = path.join(dir, 'workflow-bundle.js');
  await writeFile(file, code);
  return file;
}

export interface RunningWorker {
  worker: Worker;
  stop(): Promise<void>;
}

/** An in-process worker with the test activities; `stop` shuts it down and waits. */
export async function startEngineWorker(options: {
  connection: NativeConnection;
  namespace: string;
  dir: string;
  taskQueue?: string;
  /** Workflow entry point; the engine test catalogue by default. */
  workflowsPath?: string;
}): Promise<RunningWorker> {
  const worker = await createRunbookWorker({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    workflowBundle: await bundleRunbookWorkflows(options.workflowsPath ?? ENGINE_WORKFLOWS_PATH),
    activities: createEngineTestActivities(options.dir),
    // Tests stop workers between cases: do not wait for activities that will never finish.
    shutdownGraceTime: '100ms',
  });
  const running = worker.run();
  return {
    worker,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}

/**
 * engine-flaky paused at flaky.step on its own task queue, by a worker that is stopped again: the run
 * as an operator finds it after stopping `runbook worker`.
 */
export async function pausedRunWithoutWorker(
  temporal: { client: Client; connection: NativeConnection; namespace: string },
  options: { dir: string; taskQueue: string; workflowId: string },
): Promise<WorkflowHandle> {
  const { taskQueue, workflowId } = options;
  const worker = await startEngineWorker({ ...temporal, dir: options.dir, taskQueue });
  try {
    const handle = await startRunbook(temporal.client, 'engine-flaky', { taskQueue, workflowId });
    await waitForProgress(handle, (p) => p.state === 'paused', 'the pause at flaky.step');
    return handle;
  } finally {
    await worker.stop();
  }
}

export interface WorkerProcess {
  pid: number;
  child: ResultPromise;
  /** Resolves once the worker polls. */
  ready: Promise<void>;
  /** Sends the signal and waits until the process is gone; how it ended. */
  kill(signal: NodeJS.Signals): Promise<{ exitCode?: number; signal?: string }>;
}

/** A worker in a child process (`engine-worker-main.ts`), to be killed with SIGKILL. */
export function spawnEngineWorker(options: {
  address: string;
  namespace: string;
  dir: string;
  taskQueue: string;
  bundlePath: string;
  /** Labs whose `on: 'lab'` steps it runs too (`runbook worker --lab`). */
  labs?: readonly string[];
  /** Only the labs' queues (activities, no workflows): a lab worker in a process of its own. */
  labOnly?: boolean;
}): WorkerProcess {
  return spawnWorkerProcess(WORKER_MAIN, options, [
    '--dir',
    options.dir,
    ...(options.labs ?? []).flatMap((lab) => ['--lab', lab]),
    ...(options.labOnly ? ['--lab-only'] : []),
  ]);
}

/**
 * A worker script (run with tsx) in a child process, given the server, task queue and workflow bundle
 * (`--address --namespace --task-queue --bundle`) and its own `args`; ready once it prints `ready` on stdout.
 */
export function spawnWorkerProcess(
  script: string,
  options: { address: string; namespace: string; taskQueue: string; bundlePath: string },
  args: readonly string[] = [],
): WorkerProcess {
  const common = ['--address', options.address, '--namespace', options.namespace, '--task-queue', options.taskQueue];
  const child = execa(
    process.execPath,
    ['--import', 'tsx', script, ...common, '--bundle', options.bundlePath, ...args],
    {
      cwd: repoRoot,
      reject: false,
      buffer: false,
      stdin: 'ignore',
      stderr: 'pipe',
      cleanup: true,
      env: { NODE_OPTIONS: '' },
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = child.then((result) => result);
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    void exited.then((result) =>
      reject(new Error(`worker process exited before it was ready (${result.signal ?? result.exitCode}): ${stderr}`)),
    );
  });
  return {
    pid: child.pid!,
    child,
    ready,
    async kill(signal) {
      child.kill(signal);
      const result = await exited;
      return {
        ...(result.exitCode !== undefined && { exitCode: result.exitCode }),
        ...(result.signal && { signal: result.signal }),
      };
    },
  };
}

/** Starts a runbook on the test server for the example lab (or the given one). */
export async function startRunbook(
  client: Client,
  runbook: string,
  options: { lab?: Lab; taskQueue?: string; workflowId?: string; input?: Partial<RunbookInput> } = {},
): Promise<WorkflowHandle> {
  const lab = options.lab ?? (await loadExampleLab());
  return client.workflow.start(runbook, {
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    workflowId: options.workflowId ?? workflowIdFor(runbook, lab.name),
    args: [{ lab, ...options.input } satisfies RunbookInput],
  });
}

/** Polls the progress query until the predicate holds; fails with the last progress seen. */
export async function waitForProgress(
  handle: WorkflowHandle,
  predicate: (progress: RunbookProgress) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<RunbookProgress> {
  const deadline = Date.now() + timeoutMs;
  let last: RunbookProgress | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await handle.query(progressQuery);
      if (predicate(last)) return last;
    } catch (error) {
      // The first workflow task may not have run yet.
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `timed out waiting for ${what}; last progress: ${JSON.stringify(last)}${last ? '' : ` (${String(lastError)})`}`,
  );
}

/** A top-level step's progress entry; fails naming the steps there are. */
export function stepOf(progress: RunbookProgress, id: string): StepProgress {
  const found = progress.steps.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no step ${id} in ${JSON.stringify(progress.steps.map((s) => s.id))}`);
  return found;
}

/** Runs `bin/runbook.js` with this environment (a test server's); never throws on a non-zero exit. */
export function runbookCli(env: Record<string, string>) {
  return async (...args: string[]) => {
    const result = await execa(process.execPath, [path.join(repoRoot, 'bin/runbook.js'), ...args], {
      cwd: repoRoot,
      env: { ...env, NO_COLOR: '1' },
      reject: false,
    });
    return { code: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
  };
}
