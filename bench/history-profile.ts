/**
 * Where the engine's per-step time goes, in events: one run of the engine's 50-step no-op runbook and one
 * of the bare SDK workflow of 50 no-op activities (./bare-sdk.ts) on a dev server of its own, each in its
 * worker process; prints per step, side by side: the count and encoded size of each history event type, and
 * the median time between an activity's scheduling, start and completion and the next one's scheduling
 * (the workflow task between two steps), from the events' server timestamps. Not a benchmark figure: one
 * run each, to see where a step's time goes.
 *
 *   npx tsx bench/history-profile.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
// A CommonJS module: its named exports are not visible to an ES module import.
import proto from '@temporalio/proto';
import { findTemporalCli } from '../temporal/cli-binary.js';
import { startDevServer } from '../temporal/dev-server.js';
import { spawnEngineWorker, startRunbook, writeEngineBundle } from '../testing/engine-harness.js';
import { NOOP_STEPS } from '../testing/engine-runbooks.js';
import { spawnBareSdkWorker, startBareSdkRun } from './bare-sdk.js';

const dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-history-'));
const server = await startDevServer({
  binary: await findTemporalCli({ install: false }),
  dbFile: path.join(dir, 'temporal.db'),
  headless: true,
});
const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection, namespace: server.namespace });
const engineWorker = spawnEngineWorker({
  ...server,
  dir,
  taskQueue: 'profile',
  bundlePath: await writeEngineBundle(dir),
});
const bareWorker = await spawnBareSdkWorker({ ...server, dir, taskQueue: 'profile-bare' });
try {
  await Promise.all([engineWorker.ready, bareWorker.ready]);
  const engine = await startRunbook(client, 'engine-noop', { taskQueue: 'profile', workflowId: 'profile/engine' });
  await engine.result();
  const bare = await startBareSdkRun(client, {
    taskQueue: 'profile-bare',
    workflowId: 'profile/bare',
    steps: NOOP_STEPS,
  });
  await bare.result();
  const EventType = proto.temporal.api.enums.v1.EventType;
  const HistoryMessage = proto.temporal.api.history.v1.History;
  const profile = async (workflowId: string) => {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const events = history.events ?? [];
    const byType = new Map<string, number>();
    const bytesByType = new Map<string, number>();
    const Event = proto.temporal.api.history.v1.HistoryEvent;
    for (const event of events) {
      const name = EventType[event.eventType ?? 0] ?? String(event.eventType);
      byType.set(name, (byType.get(name) ?? 0) + 1);
      const size = Event.encode(Event.fromObject(event)).finish().length;
      bytesByType.set(name, (bytesByType.get(name) ?? 0) + size);
    }
    // Where a step's time goes, from the events' server timestamps: the activity waiting to be taken
    // (scheduled → started), running (started → completed), and the workflow task between one step's
    // completion and the next step's scheduling (completed → scheduled).
    const at = (event: (typeof events)[number]) =>
      Number(event.eventTime?.seconds ?? 0) * 1000 + (event.eventTime?.nanos ?? 0) / 1e6;
    const gaps = { queued: [] as number[], running: [] as number[], between: [] as number[] };
    let last: Partial<Record<'scheduled' | 'started' | 'completed', number>> = {};
    for (const event of events) {
      if (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
        if (last.completed !== undefined) gaps.between.push(at(event) - last.completed);
        last = { scheduled: at(event) };
      } else if (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED && last.scheduled !== undefined) {
        last.started = at(event);
        gaps.queued.push(last.started - last.scheduled);
      } else if (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED && last.started !== undefined) {
        last.completed = at(event);
        gaps.running.push(last.completed - last.started);
      }
    }
    const bytes = HistoryMessage.encode(HistoryMessage.fromObject(history)).finish().length;
    return { total: events.length, byType, bytesByType, gaps, bytes };
  };
  const [ours, theirs] = [await profile(engine.workflowId), await profile(bare.workflowId)];
  const types = [...new Set([...ours.byType.keys(), ...theirs.byType.keys()])].sort();
  const column = (value: number) => value.toFixed(2).padStart(9);
  const row = (label: string, a: number, b: number) =>
    process.stdout.write(`${label.padEnd(44)} ${column(a)} ${column(b)}\n`);
  process.stdout.write(`${'per step'.padEnd(44)}    engine      bare\n`);
  for (const type of types) {
    row(
      type.replace(/^EVENT_TYPE_/, ''),
      (ours.byType.get(type) ?? 0) / NOOP_STEPS,
      (theirs.byType.get(type) ?? 0) / NOOP_STEPS,
    );
  }
  row('events', ours.total / NOOP_STEPS, theirs.total / NOOP_STEPS);
  for (const type of types) {
    const [a, b] = [ours.bytesByType.get(type) ?? 0, theirs.bytesByType.get(type) ?? 0];
    row(`bytes: ${type.replace(/^EVENT_TYPE_/, '')}`, a / NOOP_STEPS, b / NOOP_STEPS);
  }
  row('history bytes', ours.bytes / NOOP_STEPS, theirs.bytes / NOOP_STEPS);
  for (const [name, label] of [
    ['queued', 'ms activity scheduled → started (median)'],
    ['running', 'ms activity started → completed (median)'],
    ['between', 'ms completed → next scheduled (median)'],
  ] as const) {
    row(label, median(ours.gaps[name]), median(theirs.gaps[name]));
  }
} finally {
  await engineWorker.kill('SIGKILL');
  await bareWorker.kill('SIGKILL');
  await connection.close();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)]! : Number.NaN;
}
