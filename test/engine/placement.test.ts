/**
 * Steps placed on the lab (`on: 'lab'`) on a real dev server: the run's other steps run on any
 * worker of its queue, the placed step only on a worker of `<queue>@<lab>` (`runbook worker --lab`),
 * and `status` says when nobody polls that queue.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import type { Worker } from '@temporalio/worker';
import { findRun, hasLiveWorker, labWorkerMissing } from '../../temporal/runs.js';
import { labTaskQueue, progressQuery, TASK_QUEUE } from '../../workflows/engine/api.js';
import { pendingProgress } from '../../workflows/engine/definition.js';
import { action } from '../../runbooks/steps.js';
import { bundleRunbookWorkflows, createLabWorkers, installWorkerRuntime } from '../../worker/worker.js';
import { createEngineTestActivities, readExecutions } from '../../testing/engine-activities.js';
import {
  ENGINE_WORKFLOWS_PATH,
  loadExampleLab,
  REPO_ROOT,
  startEngineWorker,
  runbookCli,
  startRunbook,
  waitForProgress,
  type RunningWorker,
} from '../../testing/engine-harness.js';
import { labStepRunbook } from '../../testing/engine-runbooks.js';
import { startTestTemporal, type TestTemporal } from '../support/temporal.js';

let temporal: TestTemporal;
const runbook = (...args: string[]) => runbookCli(temporal.env)(...args);
let shared: RunningWorker;
/** Where the shared worker and the lab worker log the steps they run: one folder each. */
let sharedDir: string;
let labDir: string;

beforeAll(async () => {
  installWorkerRuntime({ logLevel: 'ERROR' });
  sharedDir = await mkdtemp(path.join(os.tmpdir(), 'runbook-placement-shared-'));
  labDir = await mkdtemp(path.join(os.tmpdir(), 'runbook-placement-lab-'));
  [temporal] = await Promise.all([startTestTemporal(), bundleRunbookWorkflows(ENGINE_WORKFLOWS_PATH)]);
  shared = await startEngineWorker({ connection: temporal.connection, namespace: temporal.namespace, dir: sharedDir });
});

afterAll(async () => {
  await shared?.stop();
  await temporal?.stop();
  await rm(sharedDir, { recursive: true, force: true });
  await rm(labDir, { recursive: true, force: true });
});

const lab = await loadExampleLab();

describe("steps placed on the lab (on: 'lab')", () => {
  it('the option is checked and shows in the progress tree', () => {
    expect(() => action('x', 'X', 'selftestCheckWorker', { on: 'host' as 'lab' })).toThrow(
      /step "x": on must be 'lab' or 'any' \(or left out\), not "host"/,
    );
    const [, placed, after] = labStepRunbook.steps.map((step) => pendingProgress(step, lab, { lab }));
    expect(placed).toMatchObject({ id: 'install.folder', on: 'lab' });
    expect(after?.on).toBeUndefined();
  });

  it('runs the placed step only on the lab worker; status names the missing lab worker', async () => {
    const handle = await startRunbook(temporal.client, 'engine-lab-step', { workflowId: 'engine-lab-step/placed' });
    const waiting = await waitForProgress(
      handle,
      (p) => p.currentStep === 'install.folder' && p.steps[1]?.status === 'running',
      'the placed step',
    );
    expect(waiting.steps[0]?.status).toBe('unchanged');
    const queue = labTaskQueue(TASK_QUEUE, lab.name);
    const run = await findRun(temporal.client, handle.workflowId);
    expect(await labWorkerMissing(temporal.client, run, waiting)).toBe(
      `step install.folder waits for a worker of lab ${lab.name}: none polls task queue ${queue}; ` +
        `start \`runbook worker --lab ${lab.name}\` on the machine that keeps the lab's install ` +
        `folder`,
    );

    const status = await runbook('status', handle.workflowId);
    expect(status.stderr).toContain(`note: step install.folder waits for a worker of lab ${lab.name}`);

    const labWorkers: Worker[] = await createLabWorkers({
      connection: temporal.connection,
      namespace: temporal.namespace,
      labs: [lab.name, lab.name],
      activities: createEngineTestActivities(labDir),
      shutdownGraceTime: '100ms',
    });
    expect(labWorkers).toHaveLength(1);
    const running = labWorkers[0]!.run();
    try {
      expect(await handle.result()).toMatchObject({ state: 'completed' });
      expect(await hasLiveWorker(temporal.client, queue, 'activity')).toBe(true);
    } finally {
      labWorkers[0]!.shutdown();
      await running;
    }
    const steps = (dir: string) => readExecutions(dir, handle.workflowId).map((record) => record.step);
    expect(steps(sharedDir)).toEqual(['before', 'after']);
    expect(steps(labDir)).toEqual(['install.folder']);
    const done = await handle.query(progressQuery);
    expect(done.steps.map((step) => step.status)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    // A finished run waits for nobody.
    expect(await labWorkerMissing(temporal.client, await findRun(temporal.client, handle.workflowId), done)).toBe(
      undefined,
    );
  });

  it('runbook worker --lab polls the shared queue and the lab queue, and stops on Ctrl-C', async () => {
    // Its own queue: this worker has the product activities only, so it must not take the test runs.
    const queue = 'placement-cli';
    const child = execa(
      process.execPath,
      [path.join(REPO_ROOT, 'bin/runbook.js'), 'worker', '--task-queue', queue, '--lab', lab.name, '--lab', 'other'],
      { cwd: REPO_ROOT, env: { ...temporal.env, NO_COLOR: '1' }, reject: false, stdin: 'ignore' },
    );
    const polling = `worker: polling task queue ${queue}, ${labTaskQueue(queue, lab.name)}, ${labTaskQueue(queue, 'other')} on`;
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes(polling)) resolve();
      });
      void child.then((result) => reject(new Error(`worker exited before polling: ${String(result.stderr)}`)));
    });
    for (const name of [lab.name, 'other']) {
      await waitForCondition(
        () => hasLiveWorker(temporal.client, labTaskQueue(queue, name), 'activity'),
        `a poller on ${name}`,
      );
    }
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(String(result.stderr)).toContain('worker: stopped');
  });
});

/** Polls `check` until it is true (the server lists a poller once its first poll arrives). */
async function waitForCondition(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
