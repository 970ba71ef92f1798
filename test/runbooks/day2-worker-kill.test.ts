/**
 * The worker killed (SIGKILL, a separate process) while infra-nodes waits for a node's drain and
 * reboot: a new worker process picks the wait up from its checkpoint, for the same node; the next
 * infra node is not touched while that one is out, and no step that had finished runs again.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { temporal as proto } from '@temporalio/proto';
import { hasCondition } from '../../activities/cluster/conditions.js';
import type { WorkerProcess } from '../../testing/engine-harness.js';
import { spawnEngineWorker, waitForProgress, writeEngineBundle } from '../../testing/engine-harness.js';
import { progressQuery, type RunbookInput } from '../../workflows/engine/api.js';
import { startTestLab, type TestLab } from '../simulator/install/support.js';
import { startTestTemporal, type TestTemporal } from '../support/temporal.js';
import { nodes, roles, stepsByPath, until } from './day2-harness.js';

jest.setTimeout(240_000);

const TASK_QUEUE = 'day2-worker-kill';
const INFRA2 = 'infra2.nodes.example.com';

let temporal: TestTemporal;
let dir: string;
let bundlePath: string;
let t: TestLab;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  temporal = await startTestTemporal();
  dir = await mkdtemp(path.join(os.tmpdir(), 'day2-worker-kill-'));
  bundlePath = await writeEngineBundle(dir);
  // infra2 goes down for its update and stays down until the fault is cleared: the kill lands mid-wait.
  t = await startTestLab('installed', { faults: [{ kind: 'node-never-returns', node: INFRA2 }] });
}, 180_000);

afterAll(async () => {
  for (const worker of workers) await worker.kill('SIGKILL').catch(() => undefined);
  await t?.stop();
  await temporal?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function workerProcess(): Promise<WorkerProcess> {
  const worker = spawnEngineWorker({
    address: temporal.address,
    namespace: temporal.namespace,
    dir,
    taskQueue: TASK_QUEUE,
    bundlePath,
    // The node waits run on the lab's own queue, as `runbook worker --lab` serves it.
    labs: [t.lab.name],
  });
  workers.push(worker);
  await worker.ready;
  return worker;
}

/** Scheduled activities of the run by type: a retried attempt is not scheduled again, a re-run step is. */
async function scheduled(workflowId: string): Promise<Record<string, number>> {
  const history = await temporal.client.workflow.getHandle(workflowId).fetchHistory();
  const counts: Record<string, number> = {};
  for (const event of history.events ?? []) {
    const type = event.activityTaskScheduledEventAttributes?.activityType?.name;
    if (type) counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

describe('infra-nodes with its worker killed during a node drain', () => {
  it('a new worker process goes on with the same node, the next one untouched, no finished step run again', async () => {
    const first = await workerProcess();
    const handle = await temporal.client.workflow.start('infra-nodes', {
      taskQueue: TASK_QUEUE,
      workflowId: 'infra-nodes/intra/worker-kill',
      args: [
        {
          lab: t.lab,
          rehearsal: { endpointsFile: t.sim.endpointsPath, kubeconfig: t.sim.kubeconfigPath },
        } satisfies RunbookInput,
      ],
    });
    // infra2 relabelled, out of service (cordoned by the drain or NotReady), its wait running.
    await waitForProgress(
      handle,
      (progress) => stepsByPath(progress.steps)['nodes[infra2].updated']?.status === 'running',
      'the wait for infra2',
      120_000,
    );
    // The drain has begun: infra2 is cordoned or down (the fault keeps it from coming back).
    const out = await until(async () => {
      const node = (await nodes(t)).get('infra2');
      return node?.spec?.unschedulable === true || !hasCondition(node, 'Ready') ? node : undefined;
    }, 'infra2 out of service');
    expect(roles(out)).toEqual(['infra']);

    expect(await first.kill('SIGKILL')).toEqual({ signal: 'SIGKILL' });
    await workerProcess();

    // The new worker takes the wait over (a second attempt of the same activity, started) once the
    // server sees the old one's heartbeats stop; infra2 is still out, so it keeps waiting on infra2.
    const taken = await until(async () => {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      return pending.find(
        (activity) =>
          activity.activityType?.name === 'infraWaitNodeUpdated' &&
          (activity.attempt ?? 0) >= 2 &&
          activity.state === proto.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
      );
    }, 'the new worker to take the wait over');
    expect(taken.attempt).toBe(2);
    expect((await handle.query(progressQuery)).currentStep).toBe('nodes[infra2].updated');
    const during = await nodes(t);
    expect(roles(during.get('infra3'))).toEqual(['worker']);
    expect(during.get('infra3')?.spec?.unschedulable).toBeFalsy();

    t.sim.faults.clear('node-never-returns');
    await handle.result();
    const done = stepsByPath((await handle.query(progressQuery)).steps);
    for (const name of ['infra1', 'infra2', 'infra3']) expect(roles((await nodes(t)).get(name))).toEqual(['infra']);
    // Every step ran once; only the interrupted wait has a second attempt.
    const rerun = Object.entries(done).filter(
      ([step, progress]) => step !== 'nodes[infra2].updated' && progress.attempts > 1,
    );
    expect(rerun).toEqual([]);
    expect(done['nodes[infra2].updated']).toMatchObject({ status: 'unchanged', attempts: 2 });
    expect(await scheduled(handle.workflowId)).toMatchObject({
      infraCheckNodes: 1,
      infraApplyPool: 1,
      infraWaitRendered: 1,
      infraCheckPrevious: 3,
      infraRelabel: 3,
      infraWaitNodeUpdated: 3,
    });
  });
});
