/**
 * What the client side (temporal/runs.ts, used by `runbook status`, `resume`, `approve`, `cancel` and
 * `start`) makes of a worker that cannot serve a run: one whose runbook changed while the run was
 * paused (it cannot replay the history), and one that stopped a moment ago (the server still lists it).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { defineSignal } from '@temporalio/workflow';
import { ExitCode, UserError, asUserError } from '../../cli/errors.js';
import {
  RunbookChangedError,
  cancelRun,
  findRun,
  hasLiveWorker,
  historyMismatch,
  queryProgress,
  sendUpdate,
  workerTookRun,
} from '../../temporal/runs.js';
import { installWorkerRuntime } from '../../worker/worker.js';
import { resumeUpdate } from '../../workflows/engine/api.js';
import {
  CHANGED_ENGINE_WORKFLOWS_PATH,
  pausedRunWithoutWorker,
  startEngineWorker,
  startRunbook,
} from '../../testing/engine-harness.js';
import { startTestTemporal, type TestTemporal } from '../support/temporal.js';
import { regexp } from '../support/regexp.js';

let temporal: TestTemporal;
let dir: string;

beforeAll(async () => {
  // The changed worker's replay failures are logged as warnings by the SDK: expected here.
  installWorkerRuntime({ logLevel: 'ERROR' });
  dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-worker-trouble-'));
  temporal = await startTestTemporal();
});

afterAll(async () => {
  await temporal?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const worker = (taskQueue: string, workflowsPath?: string) =>
  startEngineWorker({
    connection: temporal.connection,
    namespace: temporal.namespace,
    dir,
    taskQueue,
    ...(workflowsPath && { workflowsPath }),
  });

async function rejectionOf(promise: Promise<unknown>): Promise<UserError & { raw: unknown }> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  // What the CLI reports: a TemporalError becomes a UserError with the kind's exit code.
  const reported = asUserError(error);
  if (!(reported instanceof UserError)) throw new Error(`expected an error for the user, got ${String(error)}`);
  return Object.assign(reported, { raw: error });
}

describe('a worker whose runbook changed while a run was paused', () => {
  it('status, resume and cancel name the run and the runbook and say what to do', async () => {
    const taskQueue = 'engine-changed';
    const handle = await pausedRunWithoutWorker(temporal, { dir, taskQueue, workflowId: 'engine-flaky/changed' });
    const changed = await worker(taskQueue, CHANGED_ENGINE_WORKFLOWS_PATH);
    try {
      const run = await findRun(temporal.client, handle.workflowId);
      const queried = await rejectionOf(queryProgress(temporal.client, run));
      expect(queried.raw).toBeInstanceOf(RunbookChangedError);
      expect(queried.exitCode).toBe(ExitCode.UNAVAILABLE);
      expect(queried.message).toBe(
        'run engine-flaky/changed cannot go on: runbook engine-flaky on the worker is not the version the run started with',
      );
      expect(queried.details[0]).toMatch(
        regexp(
          /^a step of runbook engine-flaky was added, removed or moved since .*; /,
          /the worker says: \[TMPRL1100\] Nondeterminism error: .*'prepare'.*'added\.first'/,
        ),
      );
      expect(queried.details.slice(1)).toEqual([
        expect.stringMatching(/^finish the run on the old version: .*`runbook resume engine-flaky\/changed`$/),
        'or cancel it and start again: `runbook cancel engine-flaky/changed`, then `runbook start engine-flaky --lab <file>`',
        expect.stringMatching(/guard it with patched\(\)/),
      ]);

      // Resume says the same at once, instead of waiting for an update no worker can take.
      const resumed = await rejectionOf(sendUpdate(temporal.client, run, resumeUpdate, [{ action: 'retry' }]));
      expect(resumed.raw).toBeInstanceOf(RunbookChangedError);
      expect(resumed.message).toBe(queried.message);

      // Any workflow task (a signal here, an update's otherwise) fails on replay; the history says why.
      expect(await historyMismatch(run)).toBeUndefined();
      await handle.signal(defineSignal('wake-up'));
      const deadline = Date.now() + 30_000;
      let recorded: string | undefined;
      while (recorded === undefined && Date.now() < deadline) {
        recorded = await historyMismatch(run);
        if (recorded === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(recorded).toMatch(/^\[TMPRL1100\] Nondeterminism error/);
      // The server now refuses queries ("Workflow Task in failed state"): status still names the change.
      const refused = await rejectionOf(queryProgress(temporal.client, run));
      expect(refused.raw).toBeInstanceOf(RunbookChangedError);
      expect(refused.message).toBe(queried.message);

      // No worker of this version can process a cancel: the run is terminated instead.
      expect(await cancelRun(temporal.client, run)).toBe('terminated');
      expect((await handle.describe()).status.name).toBe('TERMINATED');
      // Once closed, the run has nothing left to do: status shows it without its steps, no error.
      expect(await queryProgress(temporal.client, await findRun(temporal.client, handle.workflowId))).toBeUndefined();
    } finally {
      await changed.stop();
    }
  });
});

describe('a worker that stopped a moment ago', () => {
  it('status gets no progress instead of an error; resume says no worker answered; start sees nobody took the run', async () => {
    const taskQueue = 'engine-gone';
    const handle = await pausedRunWithoutWorker(temporal, { dir, taskQueue, workflowId: 'engine-flaky/gone' });
    const run = await findRun(temporal.client, handle.workflowId);
    // The server still lists the stopped worker as a poller.
    expect(await hasLiveWorker(temporal.client, taskQueue)).toBe(true);

    expect(await queryProgress(temporal.client, run)).toBeUndefined();
    const resumed = await rejectionOf(sendUpdate(temporal.client, run, resumeUpdate, [{ action: 'retry' }]));
    expect(resumed.exitCode).toBe(ExitCode.UNAVAILABLE);
    expect(resumed.message).toBe('no worker is running for task queue engine-gone');
    expect(resumed.details).toEqual([
      'start one with `runbook worker` (in another terminal), then run this command again',
      expect.stringMatching(/^no worker answered within 5 s: the last one seen on the queue has stopped/),
    ]);

    const started = await startRunbook(temporal.client, 'engine-noop', { taskQueue, workflowId: 'engine-noop/gone' });
    expect(await workerTookRun(temporal.client, taskQueue, started)).toBe(false);
    // Once a worker polls again, the same check sees it take the next run at once.
    const again = await worker(taskQueue);
    try {
      const next = await startRunbook(temporal.client, 'engine-noop', { taskQueue, workflowId: 'engine-noop/back' });
      expect(await workerTookRun(temporal.client, taskQueue, next)).toBe(true);
      await Promise.all([next.result(), started.result()]);
      await handle.terminate('test cleanup');
    } finally {
      await again.stop();
    }
  });
});
