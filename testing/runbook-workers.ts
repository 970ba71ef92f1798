/**
 * The workers a test needs to run catalogue runbooks: the runbook worker of a task queue and, as
 * `runbook worker --lab` would, the activity workers of each lab's own queue (`<queue>@<lab>`) for the
 * steps placed `on: 'lab'` (the install folder's steps). Without them such a step waits for ever.
 *
 *   const workers = await startRunbookWorkers({ connection, namespace, taskQueue, labs: [lab.name] });
 *   afterAll(() => workers?.stop());
 */
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { createLabWorkers, createRunbookWorker, type RunbookWorkerOptions } from '../worker/worker.js';

export interface RunningRunbookWorkers {
  /** The runbook worker (workflows and unplaced steps), then one worker per lab queue. */
  workers: Worker[];
  /** Shuts every worker down and waits until they have stopped. */
  stop(): Promise<void>;
}

export async function startRunbookWorkers(
  options: RunbookWorkerOptions & { labs: readonly string[] },
): Promise<RunningRunbookWorkers> {
  // Tests stop workers between cases: do not wait for activities that will never finish.
  // One set of activities for all the workers, as `runbook worker --lab` has.
  const settings = { shutdownGraceTime: '100ms', ...options, activities: options.activities ?? createActivities() };
  const workers = [await createRunbookWorker(settings), ...(await createLabWorkers(settings))];
  const running = workers.map((worker) => worker.run());
  // A worker that fails stops the others, so that a test sees the failure instead of a step waiting.
  const done = Promise.all(
    running.map((run) =>
      run.catch((error: unknown) => {
        stopAll();
        throw error;
      }),
    ),
  );
  done.catch(() => undefined);
  function stopAll() {
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  }
  return {
    workers,
    async stop() {
      stopAll();
      await done;
    },
  };
}
