/**
 * The `runbook` CLI where a user meets the engine's edges: a worker that just stopped, a worker whose
 * runbook changed under a paused run, runs that wait for a person, an aborted run, and the run's
 * details in the Web UI. Spawned as `node bin/runbook.js …` against a real dev server; the workers are
 * in-process with the engine test runbooks (started through the client, followed through the CLI).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { ExitCode } from '../../cli/errors.js';
import { installWorkerRuntime } from '../../worker/worker.js';
import {
  CHANGED_ENGINE_WORKFLOWS_PATH,
  pausedRunWithoutWorker,
  startEngineWorker,
  startRunbook,
  waitForProgress,
  type RunningWorker,
} from '../../testing/engine-harness.js';
import { startTestTemporal, type TestTemporal } from '../support/temporal.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const exampleLab = path.join(repo, 'runbooks/labs/example.yaml');

let temporal: TestTemporal;
let dir: string;
let live: RunningWorker;

async function runbook(...args: string[]) {
  const result = await execa('node', [path.join(repo, 'bin/runbook.js'), ...args], {
    cwd: repo,
    env: { ...temporal.env, NO_COLOR: '1' },
    reject: false,
  });
  return { code: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

const worker = (taskQueue?: string, workflowsPath?: string) =>
  startEngineWorker({
    connection: temporal.connection,
    namespace: temporal.namespace,
    dir,
    ...(taskQueue && { taskQueue }),
    ...(workflowsPath && { workflowsPath }),
  });

beforeAll(async () => {
  installWorkerRuntime({ logLevel: 'ERROR' });
  dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-cli-edges-'));
  process.env.XDG_STATE_HOME = path.join(dir, 'state');
  temporal = await startTestTemporal();
  live = await worker();
});

afterAll(async () => {
  await live?.stop();
  await temporal?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('runbook CLI at the engine edges', () => {
  it('status and start right after the worker stopped: no worker, what to start, exit 3', async () => {
    await pausedRunWithoutWorker(temporal, { dir, taskQueue: 'cli-gone', workflowId: 'engine-flaky/gone' });
    const status = await runbook('status', 'engine-flaky/gone');
    expect(status.code).toBe(ExitCode.UNAVAILABLE);
    expect(status.stderr).not.toMatch(/ServiceError|at .*\.js:\d+/);
    expect(status.stdout).toMatch(/no worker answered for task queue cli-gone .*start one with `runbook worker`/);

    const started = await runbook(
      'start',
      'selftest',
      '--lab',
      exampleLab,
      '--id',
      'selftest/gone',
      '--task-queue',
      'cli-gone',
    );
    expect(started.code).toBe(ExitCode.OK);
    expect(started.stderr).toMatch(/warning: no worker is running for task queue cli-gone; .*`runbook worker`/);
  });

  it('a runbook changed under a paused run: status and resume say which, and the options; cancel ends it', async () => {
    const handle = await pausedRunWithoutWorker(temporal, {
      dir,
      taskQueue: 'cli-changed',
      workflowId: 'engine-flaky/changed',
    });
    const changed = await worker('cli-changed', CHANGED_ENGINE_WORKFLOWS_PATH);
    try {
      for (const args of [['status'], ['resume']]) {
        const result = await runbook(...args, 'engine-flaky/changed');
        expect(result.code).toBe(ExitCode.UNAVAILABLE);
        expect(result.stderr).toMatch(
          /^error: run engine-flaky\/changed cannot go on: runbook engine-flaky on the worker is not the version the run started with/,
        );
        expect(result.stderr).toMatch(/a step of runbook engine-flaky was added, removed or moved/);
        expect(result.stderr).toMatch(/finish the run on the old version/);
        expect(result.stderr).toMatch(/or cancel it and start again: `runbook cancel engine-flaky\/changed`/);
      }
      const cancelled = await runbook('cancel', 'engine-flaky/changed');
      expect(cancelled.code).toBe(ExitCode.OK);
      expect(cancelled.stdout).toMatch(/terminated engine-flaky\/changed: its runbook changed since it started/);
      expect((await handle.describe()).status.name).toBe('TERMINATED');
    } finally {
      await changed.stop();
    }
  });

  it('list --state paused finds runs at a gate as well as paused runs', async () => {
    const gated = await startRunbook(temporal.client, 'engine-gate', { workflowId: 'engine-gate/list' });
    const paused = await startRunbook(temporal.client, 'engine-flaky', { workflowId: 'engine-flaky/list' });
    await waitForProgress(gated, (p) => p.state === 'waiting-approval', 'the gate');
    await waitForProgress(paused, (p) => p.state === 'paused', 'the pause');
    let rows: Array<{ workflowId: string; state: string; step?: string }> = [];
    for (let tries = 0; tries < 100 && rows.length < 2; tries += 1) {
      rows = JSON.parse((await runbook('list', '--state', 'paused', '--json')).stdout);
    }
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ workflowId: 'engine-gate/list', state: 'paused', step: 'approve.hosts' }),
        expect.objectContaining({ workflowId: 'engine-flaky/list', state: 'paused', step: 'flaky.step' }),
      ]),
    );
    await Promise.all([gated.terminate('test cleanup'), paused.terminate('test cleanup')]);
  });

  it('a run ended by resume --abort is aborted by the operator, with the reason', async () => {
    const handle = await startRunbook(temporal.client, 'engine-flaky', { workflowId: 'engine-flaky/abort' });
    await waitForProgress(handle, (p) => p.state === 'paused', 'the pause');
    const aborted = await runbook('resume', 'engine-flaky/abort', '--abort', '--reason', 'wrong lab');
    expect(aborted.code).toBe(ExitCode.OK);
    expect(aborted.stdout).toMatch(
      /^aborted at step flaky\.step: .*\(wrong lab\); the runbook ends as aborted by the operator/,
    );
    await handle.result().catch(() => undefined);
    const status = await runbook('status', 'engine-flaky/abort');
    expect(status.code).toBe(ExitCode.FAILED);
    expect(status.stdout).toMatch(/^engine-flaky\/abort\s+engine-flaky on lab intra: aborted$/m);
    expect(status.stdout).toMatch(/flaky\.step .* failed .* aborted by the operator \(wrong lab\)/);
  });

  it('the run details in the Web UI list the steps as a Markdown list', async () => {
    const started = await runbook('start', 'selftest', '--lab', exampleLab, '--id', 'selftest/details', '--json');
    expect(started.code).toBe(ExitCode.OK);
    const handle = temporal.client.workflow.getHandle('selftest/details');
    const details = await (await handle.describe()).staticDetails();
    expect(details).toMatch(/steps:\n\n- `worker\.check` Reach a worker\n- `worker\.state-folder` Report /);
    await handle.result();
  });
});
