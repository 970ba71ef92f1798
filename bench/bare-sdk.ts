/**
 * The bench's bare SDK reference (`bareSdkStepMsMedian`): bench/bare-sdk-workflow.ts bundled on its own
 * and run by bench/bare-sdk-worker.ts in a process of its own, on the bench's dev server.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { spawnWorkerProcess, type WorkerProcess } from '../testing/engine-harness.js';
import { bundleRunbookWorkflows } from '../worker/worker.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Bundles the bare workflow into `dir` and starts its worker process on `taskQueue`. */
export async function spawnBareSdkWorker(options: {
  address: string;
  namespace: string;
  dir: string;
  taskQueue: string;
}): Promise<WorkerProcess> {
  const { code } = (await bundleRunbookWorkflows(path.join(here, 'bare-sdk-workflow.ts'))) as { code: string };
  const bundlePath = path.join(options.dir, 'bare-sdk-bundle.js');
  await writeFile(bundlePath, code);
  return spawnWorkerProcess(path.join(here, 'bare-sdk-worker.ts'), { ...options, bundlePath });
}

/** Starts the bare workflow of `steps` no-op activities. */
export function startBareSdkRun(
  client: Client,
  options: { taskQueue: string; workflowId: string; steps: number },
): Promise<WorkflowHandle> {
  return client.workflow.start('bareSdkNoop', {
    taskQueue: options.taskQueue,
    workflowId: options.workflowId,
    args: [options.steps],
  });
}
