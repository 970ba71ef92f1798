/**
 * Soft deadlines, end to end (a real worker on a real Temporal dev server, a simulated lab at time
 * scale 0.01): a bootstrap that completes two minutes of lab time after the wait's deadline. The run
 * pauses at the deadline ("after 2m of lab time"), keeps watching, and goes on by itself once the
 * ConfigMap says complete; `runbook status` shows both moments. An operator's `resume` while the
 * wait watches still works: it cancels the watch and retries the step. A lab that says
 * `waits.keepWatching: 0s` gets no watch: the run waits for the operator only.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { WorkflowHandle } from '@temporalio/client';
import {
  runbookCli,
  startEngineWorker,
  startRunbook,
  waitForProgress,
  type RunningWorker,
} from '../../testing/engine-harness.js';
import { resumeUpdate, type RunbookProgress } from '../../workflows/engine/api.js';
import { startTestLab, type TestLab } from '../simulator/install/support.js';
import { activityAttempts } from '../support/install-runs.js';
import { startTestTemporal, type TestTemporal } from '../support/temporal.js';

/** A generous bound that only catches a hang: the waits themselves end on the lab's clock. */
const HANG_MS = 3 * 60_000;
const TASK_QUEUE = 'soft-deadline';

let temporal: TestTemporal;
let t: TestLab;
let dir: string;
let worker: RunningWorker;
let core: CoreV1Api;
/** The lab's webhook: every notice posted to it. */
let notices: Array<{ event: string; message: string; step?: string }>;
let receiver: Server;
const WEBHOOK_ENV = 'RUNBOOK_SOFT_DEADLINE_WEBHOOK';

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-soft-deadline-'));
  notices = [];
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      notices.push(JSON.parse(body) as (typeof notices)[number]);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  process.env[WEBHOOK_ENV] = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  [temporal, t] = await Promise.all([startTestTemporal(), startTestLab('installed', { timeScale: 0.01 })]);
  worker = await startEngineWorker({ ...temporal, dir, taskQueue: TASK_QUEUE });
  const kubeconfig = new KubeConfig();
  kubeconfig.loadFromFile(t.sim.kubeconfigPath);
  core = kubeconfig.makeApiClient(CoreV1Api);
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
  await t?.stop();
  await temporal?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const setBootstrap = (status: string) =>
  core.patchNamespacedConfigMap(
    { name: 'bootstrap', namespace: 'kube-system', body: { data: { status } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );

const start = (workflowId: string, waits = t.lab.waits) =>
  startRunbook(temporal.client, 'engine-soft-deadline', {
    lab: {
      ...t.lab,
      waits,
      notify: { webhooks: [{ name: 'ops', url: `env:${WEBHOOK_ENV}`, on: ['paused', 'resumed'] }] },
    },
    taskQueue: TASK_QUEUE,
    workflowId,
    input: { rehearsal: { endpointsFile: t.sim.endpointsPath, kubeconfig: t.sim.kubeconfigPath } },
  });

const pausedAtDeadline = (handle: WorkflowHandle) =>
  waitForProgress(handle, (p) => p.state === 'paused', 'the pause at the deadline', HANG_MS);

/** Until the webhook has received a notice that `matches` (a hang catcher bounds it). */
async function waitForNotice(matches: (notice: (typeof notices)[number]) => boolean): Promise<void> {
  const deadline = Date.now() + HANG_MS;
  while (!notices.some(matches)) {
    if (Date.now() > deadline) throw new Error(`no such notice; seen ${JSON.stringify(notices)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a wait that passes its deadline', () => {
  it('pauses, keeps watching, and the run goes on by itself once the bootstrap completes 2 minutes later', async () => {
    await setBootstrap('progressing');
    const handle = await start('engine-soft-deadline/intra/resumed');
    const paused = await pausedAtDeadline(handle);
    expect(paused.error?.message).toMatch(
      /^Timed out after 2m of lab time waiting for ConfigMap kube-system\/bootstrap/,
    );
    expect(paused.steps[0]!.afterDeadline).toEqual({ pausedAt: expect.any(String), watchFor: '4h' });

    // The UI's current details say that it watches on.
    const metadata = (await handle.query('__temporal_workflow_metadata')) as { currentDetails?: string };
    expect(metadata.currentDetails).toContain('Still watching its condition, for up to 4h after its deadline');

    // The bootstrap completes two minutes of lab time after the deadline.
    t.sim.clock.after(2 * 60_000, () => void setBootstrap('complete'));
    const done = await waitForProgress(handle, (p) => p.state === 'completed', 'the run to go on by itself', HANG_MS);
    const step = done.steps[0]!;
    expect(step.status).toBe('unchanged');
    expect(step.message).toMatch(/^resumed by itself at \S+ after \S+ of lab time: ConfigMap kube-system\/bootstrap/);
    expect(step.afterDeadline).toMatchObject({
      pausedAt: paused.steps[0]!.afterDeadline!.pausedAt,
      resumedAt: expect.any(String),
      after: expect.stringMatching(/of lab time$/),
    });
    expect(Date.parse(step.afterDeadline!.resumedAt!)).toBeGreaterThan(Date.parse(step.afterDeadline!.pausedAt));
    expect(done.steps[1]!.status).toBe('unchanged');

    const after = await runbookCli(temporal.env)('status', handle.workflowId);
    expect(after.stdout).toMatch(
      new RegExp(
        `bootstrap\\.complete: paused at its deadline at ${step.afterDeadline!.pausedAt.replace(/\./g, '\\.')}, ` +
          `resumed by itself at ${step.afterDeadline!.resumedAt!.replace(/\./g, '\\.')} after \\S+ of lab time`,
      ),
    );
    // The lab's webhook heard both: the pause, and the run going on by itself.
    await waitForNotice((notice) => notice.event === 'resumed');
    expect(notices.filter((notice) => notice.step === 'bootstrap.complete').map((notice) => notice.event)).toEqual(
      expect.arrayContaining(['paused', 'resumed']),
    );
    expect(notices.find((notice) => notice.event === 'paused')?.message).toMatch(
      /^Timed out after 2m of lab time .*\. Still watching its condition, for up to 4h after its deadline/,
    );
    expect(notices.find((notice) => notice.event === 'resumed')?.message).toMatch(
      /^bootstrap\.complete resumed by itself at \S+ after \S+ of lab time: /,
    );
    // The wait ran once, then its watch once.
    const attempts = await activityAttempts(handle);
    expect(attempts['bootstrap.complete']).toEqual({ scheduled: 1, attempts: [1] });
    expect(attempts['bootstrap.complete:watch']).toEqual({ scheduled: 1, attempts: [1] });
  });

  it('resumed by the operator while it watches: the watch stops and the step runs again', async () => {
    await setBootstrap('progressing');
    const handle = await start('engine-soft-deadline/intra/operator');
    await pausedAtDeadline(handle);
    await setBootstrap('complete');
    // The operator may be a moment ahead of the watch or a moment behind it: both end the pause.
    const resumed = await handle
      .executeUpdate(resumeUpdate, { args: [{ action: 'retry' }] })
      .then(() => 'by the operator' as const)
      .catch(() => 'by itself' as const);
    const done: RunbookProgress = await waitForProgress(handle, (p) => p.state === 'completed', 'the end', HANG_MS);
    const attempts = await activityAttempts(handle);
    if (resumed === 'by the operator') {
      expect(done.steps[0]!.message).not.toMatch(/resumed by itself/);
      expect(attempts['bootstrap.complete']!.scheduled).toBe(2);
    } else {
      expect(done.steps[0]!.message).toMatch(/^resumed by itself/);
    }
    expect(attempts['bootstrap.complete:watch']!.scheduled).toBe(1);
  });

  it('in a lab with waits.keepWatching 0s, stays paused for the operator: no watch', async () => {
    await setBootstrap('progressing');
    const handle = await start('engine-soft-deadline/intra/no-watch', { keepWatching: '0s' });
    const paused = await pausedAtDeadline(handle);
    expect(paused.steps[0]!.afterDeadline).toEqual({ pausedAt: expect.any(String) });
    await setBootstrap('complete');
    await handle.executeUpdate(resumeUpdate, { args: [{ action: 'retry' }] });
    const done = await waitForProgress(handle, (p) => p.state === 'completed', 'the end', HANG_MS);
    expect(done.steps[0]!.message).not.toMatch(/resumed by itself/);
    const attempts = await activityAttempts(handle);
    expect(attempts['bootstrap.complete']!.scheduled).toBe(2);
    expect(attempts['bootstrap.complete:watch']).toBeUndefined();
  });
});
