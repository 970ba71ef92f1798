/**
 * `runbook worker` as a service runs it: spawned as `node bin/runbook.js worker --metrics …` against a
 * real dev server. Its Prometheus endpoint carries the SDK's metrics and the runbooks' own after a short
 * run, it prints a wait's detail once per change, and SIGTERM stops it cleanly (exit 0, "worker: stopped"), as
 * systemd stops the unit in deploy/.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import getPort from 'get-port';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { markerFile, readExecutions } from '../../testing/engine-activities.js';
import {
  loadExampleLab,
  REPO_ROOT,
  spawnEngineWorker,
  startRunbook,
  writeEngineBundle,
} from '../../testing/engine-harness.js';
import { approveUpdate, progressQuery } from '../../workflows/engine/api.js';
import { startTestTemporal, type TestTemporal } from '../support/temporal.js';

let temporal: TestTemporal;
let dir: string;

beforeAll(async () => {
  temporal = await startTestTemporal();
  dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-worker-service-'));
}, 60_000);

afterAll(async () => {
  await temporal?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** `runbook worker` in a child process; `ready` resolves once it polls. */
function spawnWorker(args: string[]): { child: ResultPromise; ready: Promise<void>; stderr: () => string } {
  const child = execa(process.execPath, [path.join(REPO_ROOT, 'bin/runbook.js'), 'worker', ...args], {
    cwd: REPO_ROOT,
    env: { ...temporal.env, NO_COLOR: '1', NODE_OPTIONS: '', XDG_STATE_HOME: path.join(dir, 'state') },
    reject: false,
    buffer: false,
    stdin: 'ignore',
    cleanup: true,
  });
  let stderr = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('worker: polling')) resolve();
    });
    void child.then((result) => reject(new Error(`the worker exited (${result.exitCode}) before polling: ${stderr}`)));
  });
  return { child, ready, stderr: () => stderr };
}

/** Scrapes until `check` finds what it wants in the exposition (metrics are exported as they are recorded). */
async function scrape(address: string, check: (text: string) => boolean): Promise<string> {
  const deadline = Date.now() + 30_000;
  let text = '';
  while (Date.now() < deadline) {
    text = await (await fetch(`http://${address}/metrics`)).text();
    if (check(text)) return text;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the metrics never showed what was expected; last scrape:\n${text}`);
}

describe('runbook worker as a service', () => {
  it('serves the SDK metrics and the runbooks own on --metrics, and stops cleanly on SIGTERM', async () => {
    const address = `127.0.0.1:${await getPort({ host: '127.0.0.1' })}`;
    const worker = spawnWorker(['--metrics', address]);
    try {
      await worker.ready;
      expect(worker.stderr()).toContain(`worker: metrics on http://${address}/metrics`);

      // A short run with a gate: steps of each outcome and one wait for a person.
      const handle = await startRunbook(temporal.client, 'selftest', {
        lab: await loadExampleLab(),
        input: { options: { gate: true } },
      });
      const gate = await scrape(address, (text) => /runbook_steps_total\{[^}]*state="waiting-approval"/.test(text));
      expect(gate).toMatch(/runbook_steps_total\{[^}]*runbook="selftest"/);
      await handle.executeUpdate(approveUpdate, { args: [{}] });
      expect(await handle.result()).toMatchObject({ state: 'completed' });
      // The wait's detail, once per change, with the time it has waited.
      const waits = worker.stderr().match(/^worker: \S+ engine\.wait waiting \d+s: .*$/gm) ?? [];
      expect(waits.map((line) => line.replace(/ waiting \d+s:/, ' waiting:'))).toEqual([
        `worker: ${handle.workflowId} engine.wait waiting: poll 1 of 3`,
        `worker: ${handle.workflowId} engine.wait waiting: poll 2 of 3`,
      ]);

      const text = await scrape(address, (body) => /runbook_paused_seconds_count\{/.test(body));
      // The SDK's own: workflow and activity task latencies, completed workflows.
      expect(text).toMatch(/^temporal_activity_execution_latency_count\{/m);
      expect(text).toMatch(/^temporal_workflow_completed_total\{[^}]*workflow_type="selftest"/m);
      // The runbooks' own: steps by state, and the time the run waited at its gate.
      expect(text).toMatch(/^runbook_steps_total\{[^}]*runbook="selftest"[^}]*state="changed"[^}]*\} [1-9]/m);
      expect(text).toMatch(/^runbook_steps_total\{[^}]*state="unchanged"[^}]*\} [1-9]/m);
      expect(text).toMatch(/^runbook_paused_seconds_count\{[^}]*state="waiting-approval"[^}]*\} 1$/m);

      worker.child.kill('SIGTERM');
      const ended = await worker.child;
      expect({ exitCode: ended.exitCode, signal: ended.signal }).toEqual({ exitCode: 0, signal: undefined });
      expect(worker.stderr()).toContain('worker: stopped');
    } finally {
      worker.child.kill('SIGKILL');
    }
  }, 120_000);

  it('refuses a metrics address it cannot use, naming the flag or the address', async () => {
    const result = await execa(
      process.execPath,
      [path.join(REPO_ROOT, 'bin/runbook.js'), 'worker', '--metrics', 'nine'],
      {
        cwd: REPO_ROOT,
        env: { ...temporal.env, NO_COLOR: '1', NODE_OPTIONS: '' },
        reject: false,
      },
    );
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('"nine" is not a metrics address');
    expect(result.stderr).toContain('--metrics 127.0.0.1:9464');

    // An address another process holds: said before anything else, exit 3.
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    try {
      const taken = `127.0.0.1:${(holder.address() as AddressInfo).port}`;
      const busy = await execa(
        process.execPath,
        [path.join(REPO_ROOT, 'bin/runbook.js'), 'worker', '--metrics', taken],
        {
          cwd: REPO_ROOT,
          env: { ...temporal.env, NO_COLOR: '1', NODE_OPTIONS: '' },
          reject: false,
        },
      );
      expect(busy.exitCode).toBe(3);
      expect(busy.stderr).toContain(`cannot serve worker metrics on ${taken}`);
      expect(busy.stderr).toContain('give each worker its own');
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});

describe('SIGTERM while a step runs', () => {
  it('lets the running step finish and report, then exits 0; the next worker does not run it again', async () => {
    const taskQueue = 'graceful-stop';
    const bundlePath = await writeEngineBundle(dir);
    const spawn = () =>
      spawnEngineWorker({ address: temporal.address, namespace: temporal.namespace, dir, taskQueue, bundlePath });
    const first = spawn();
    try {
      await first.ready;
      const handle = await startRunbook(temporal.client, 'engine-cancel', { taskQueue, workflowId: 'graceful/stop' });
      // The step "deaf" runs until its marker exists, without heartbeats.
      await until(() => readExecutions(dir, handle.workflowId).some((r) => r.step === 'deaf'), 'the step to start');
      const stopping = new Promise<void>((resolve) =>
        first.child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('stopping') && resolve()),
      );
      const ended = first.kill('SIGTERM');
      await stopping;
      // The worker is stopping and the step still runs: it finishes now, inside the grace time.
      writeFileSync(markerFile(dir, handle.workflowId, 'finish'), '');
      expect(await ended).toEqual({ exitCode: 0 });

      const history = await handle.fetchHistory();
      const completed = history.events?.find((event) => event.activityTaskCompletedEventAttributes);
      expect(completed?.activityTaskCompletedEventAttributes?.identity).toMatch(new RegExp(`^${first.pid}@`));

      const second = spawn();
      try {
        await second.ready;
        expect(await handle.result()).toMatchObject({ state: 'completed' });
        const progress = await handle.query(progressQuery);
        expect(progress.steps[0]).toMatchObject({ id: 'deaf', status: 'changed', attempts: 1 });
      } finally {
        await second.kill('SIGTERM');
      }
      const runs = readExecutions(dir, handle.workflowId).filter((record) => record.step === 'deaf');
      expect(runs).toEqual([expect.objectContaining({ pid: first.pid, attempt: 1 })]);
    } finally {
      await first.kill('SIGKILL');
    }
  }, 120_000);
});

/** Waits (polling a local file) until `check` holds. */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
