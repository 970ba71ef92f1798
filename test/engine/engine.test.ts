/**
 * The runbook engine on a real dev server: order, pause/resume (retry, skip, abort), gates and
 * for-each, cancellation, a wait and an action that survive a SIGKILLed worker, search attributes, and replay of
 * the recorded histories. Executions are counted from the log lines the test activities append.
 *
 * RECORD_ENGINE_HISTORIES=1 rewrites the history fixtures under ./histories (replayed by replay.test.ts).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { temporal as proto } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { approveUpdate, progressQuery, resumeUpdate } from '../../workflows/engine/api.js';
import { bundleRunbookWorkflows, installWorkerRuntime } from '../../worker/worker.js';
import { markerFile, readExecutions } from '../../testing/engine-activities.js';
import {
  ENGINE_WORKFLOWS_PATH,
  loadExampleLab,
  spawnEngineWorker,
  startEngineWorker,
  startRunbook,
  stepOf,
  waitForProgress,
  writeEngineBundle,
  type RunningWorker,
} from '../../testing/engine-harness.js';
import { writeHistoryFixture } from '../support/engine-histories.js';
import { NOOP_STEPS } from '../../testing/engine-runbooks.js';
import { startTestTemporal, type TestTemporal } from '../support/temporal.js';

const HISTORIES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'histories');

let temporal: TestTemporal;
let worker: RunningWorker;
let dir: string;
const finished: Array<{ fixture: string; handle: WorkflowHandle }> = [];

beforeAll(async () => {
  // Failing test activities are logged as warnings by the SDK: expected here, so keep only errors.
  installWorkerRuntime({ logLevel: 'ERROR' });
  dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-engine-'));
  // The worker's state folder (selftest markers), also for the worker processes spawned below.
  process.env.XDG_STATE_HOME = path.join(dir, 'state');
  [temporal] = await Promise.all([startTestTemporal(), bundleRunbookWorkflows(ENGINE_WORKFLOWS_PATH)]);
  worker = await startEngineWorker({ connection: temporal.connection, namespace: temporal.namespace, dir });
});

afterAll(async () => {
  await worker?.stop();
  await temporal?.stop();
  await rm(dir, { recursive: true, force: true });
});

const lab = await loadExampleLab();
const hosts = lab.hosts.map((host) => host.name);

function runs(workflowId: string, step?: string) {
  return readExecutions(dir, workflowId).filter(
    (record) => record.event !== 'wait-cancelled' && (step === undefined || record.step === step),
  );
}

const step = stepOf;

async function createMarker(workflowId: string, marker: string) {
  await writeFile(markerFile(dir, workflowId, marker), '');
}

/** Lists workflow ids matching a visibility query, polling until the expected ones appear. */
async function listUntil(query: string, expected: string[]): Promise<string[]> {
  let ids: string[] = [];
  for (let tries = 0; tries < 100; tries += 1) {
    ids = [];
    for await (const execution of temporal.client.workflow.list({ query })) ids.push(execution.workflowId);
    if (expected.every((id) => ids.includes(id))) return ids;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return ids;
}

describe('runbook engine', () => {
  it('runs every step once, in order, and reports each one', async () => {
    const handle = await startRunbook(temporal.client, 'engine-noop', { workflowId: 'engine-noop/order' });
    const result = await handle.result();
    expect(result).toEqual({
      runbook: 'engine-noop',
      lab: lab.name,
      state: 'completed',
      changed: 0,
      unchanged: NOOP_STEPS,
      skipped: 0,
    });
    const expectedOrder = Array.from(
      { length: NOOP_STEPS },
      (_, index) => `noop.${String(index + 1).padStart(2, '0')}`,
    );
    expect(runs(handle.workflowId).map((record) => record.step)).toEqual(expectedOrder);
    const progress = await handle.query(progressQuery);
    expect(progress.state).toBe('completed');
    expect(progress.currentStep).toBeUndefined();
    expect(progress.steps.map((entry) => [entry.id, entry.status, entry.attempts])).toEqual(
      expectedOrder.map((id) => [id, 'unchanged', 1]),
    );
    expect(
      progress.steps.every((entry) => entry.startedAt && entry.finishedAt && entry.startedAt <= entry.finishedAt),
    ).toBe(true);

    // The UI shows step titles on the activities and where the run is in its current details.
    const history = await handle.fetchHistory();
    const summaries = history
      .events!.filter((event) => event.activityTaskScheduledEventAttributes)
      .map((event) => JSON.parse(Buffer.from(event.userMetadata!.summary!.data!).toString('utf8')) as string);
    expect(summaries.slice(0, 2)).toEqual(['No-op step 1', 'No-op step 2']);
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toContain(
      `**Fifty no-op steps** on lab \`${lab.name}\`: completed, ${NOOP_STEPS} of ${NOOP_STEPS} steps done`,
    );
    finished.push({ fixture: 'engine-noop.completed', handle });
  });

  it('pauses on a failed step, and resume retries exactly that step, then skips a bad-input step', async () => {
    const handle = await startRunbook(temporal.client, 'engine-flaky', { workflowId: 'engine-flaky/retry' });
    const paused = await waitForProgress(handle, (p) => p.state === 'paused', 'the pause at flaky.step');
    expect(paused.currentStep).toBe('flaky.step');
    expect(paused.error).toEqual({
      stepId: 'flaky.step',
      message: expect.stringContaining('marker fixed is missing'),
      type: 'MarkerMissing',
    });
    expect(step(paused, 'prepare').status).toBe('unchanged');
    expect(step(paused, 'flaky.step')).toMatchObject({ status: 'paused', attempts: 2 });
    expect(step(paused, 'finish').status).toBe('pending');
    const details = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    // The UI shows the top of the current details: the next command comes first.
    expect(details.currentDetails?.split('\n')[0]).toBe(
      `**Next:** fix the cause, then \`runbook resume ${handle.workflowId}\` (or \`--skip\`, \`--abort\`).`,
    );
    expect(details.currentDetails).toContain('Failed: marker fixed is missing');

    // Operators find paused runs by search attribute.
    const pausedIds = await listUntil('RunbookState = "paused" AND RunbookStep = "flaky.step"', [handle.workflowId]);
    expect(pausedIds).toContain(handle.workflowId);
    const described = await handle.describe();
    expect(described.typedSearchAttributes.getAll().map(({ key, value }) => [key.name, value])).toEqual(
      expect.arrayContaining([
        ['RunbookName', 'engine-flaky'],
        ['RunbookLab', lab.name],
        ['RunbookStep', 'flaky.step'],
        ['RunbookState', 'paused'],
      ]),
    );

    // The validator names the step that is paused when the operator means another one.
    expect(
      await rejection(handle.executeUpdate(resumeUpdate, { args: [{ action: 'retry', stepId: 'finish' }] })),
    ).toMatch(/paused at flaky\.step, not at finish/);
    expect(
      await rejection(
        handle.executeUpdate(resumeUpdate, { args: [{ action: 'skip', lab: { ...lab, name: 'other' } }] }),
      ),
    ).toMatch(/only come with a retry/);
    expect(
      await rejection(
        handle.executeUpdate(resumeUpdate, { args: [{ action: 'retry', lab: { ...lab, name: 'other' } }] }),
      ),
    ).toMatch(/named "other" but this run is for lab "intra"/);

    await createMarker(handle.workflowId, 'fixed');
    const resumed = await handle.executeUpdate(resumeUpdate, {
      args: [{ action: 'retry', stepId: 'flaky.step', lab }],
    });
    expect(resumed).toEqual({
      stepId: 'flaky.step',
      action: 'retry',
      message: 'Retrying step flaky.step with the corrected lab',
    });

    // The next step fails non-retryably (bad input): it pauses after a single attempt.
    const second = await waitForProgress(
      handle,
      (p) => p.state === 'paused' && p.currentStep === 'bad.input',
      'the pause at bad.input',
    );
    expect(step(second, 'flaky.step')).toMatchObject({ status: 'changed', attempts: 3, message: 'marker found' });
    expect(step(second, 'bad.input')).toMatchObject({ status: 'paused', attempts: 1 });
    expect(second.error?.type).toBe('BadInput');

    const skipped = await handle.executeUpdate(resumeUpdate, { args: [{ action: 'skip', reason: 'checked by hand' }] });
    expect(skipped).toMatchObject({ stepId: 'bad.input', action: 'skip' });
    expect(await handle.result()).toMatchObject({ state: 'completed', changed: 1, unchanged: 2, skipped: 1 });

    const progress = await handle.query(progressQuery);
    expect(step(progress, 'bad.input')).toMatchObject({
      status: 'skipped',
      message: expect.stringContaining('checked by hand'),
    });
    expect(progress.error).toBeUndefined();
    expect(runs(handle.workflowId).map((record) => record.step)).toEqual([
      'prepare',
      'flaky.step',
      'flaky.step',
      'flaky.step',
      'bad.input',
      'finish',
    ]);
    await expect(handle.executeUpdate(resumeUpdate, { args: [{ action: 'retry' }] })).rejects.toThrow();
    finished.push({ fixture: 'engine-flaky.retry-skip', handle });
  });

  it('a retry with a corrected lab uses it from the retried step on', async () => {
    const handle = await startRunbook(temporal.client, 'engine-lab-fix', { workflowId: 'engine-lab-fix/fix' });
    const paused = await waitForProgress(handle, (p) => p.state === 'paused', 'the pause at check.host');
    expect(paused.error).toMatchObject({ stepId: 'check.host', type: 'BadInput' });
    expect(step(paused, 'hosts.each').items?.map((item) => item.item)).toEqual(hosts);

    const corrected = { ...lab, hosts: [...lab.hosts, { ...lab.hosts[0]!, name: 'extra1', address: '10.42.253.250' }] };
    await handle.executeUpdate(resumeUpdate, { args: [{ action: 'retry', stepId: 'check.host', lab: corrected }] });
    expect(await handle.result()).toMatchObject({ state: 'completed', unchanged: hosts.length + 2 });
    const progress = await handle.query(progressQuery);
    expect(step(progress, 'check.host')).toMatchObject({
      status: 'unchanged',
      attempts: 2,
      message: 'host extra1 is in the lab',
    });
    expect(step(progress, 'hosts.each').items?.map((item) => item.item)).toEqual([...hosts, 'extra1']);
    expect(runs(handle.workflowId).map((record) => record.step)).toEqual([
      'check.host',
      'check.host',
      ...[...hosts, 'extra1'].map((host) => `hosts.each[${host}].visit`),
    ]);
  });

  it('abort ends the run as aborted by the operator, with the reason, and closes its steps', async () => {
    const handle = await startRunbook(temporal.client, 'engine-flaky', { workflowId: 'engine-flaky/abort' });
    await waitForProgress(handle, (p) => p.state === 'paused', 'the pause at flaky.step');
    const aborted = await handle.executeUpdate(resumeUpdate, { args: [{ action: 'abort', reason: 'wrong lab' }] });
    expect(aborted).toMatchObject({ stepId: 'flaky.step', action: 'abort' });

    const failure = await handle.result().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('RunbookAborted');
    expect(cause?.message).toMatch(/aborted by the operator at step flaky\.step \(wrong lab\)/);
    expect((await handle.describe()).status.name).toBe('FAILED');

    const progress = await handle.query(progressQuery);
    expect(progress.state).toBe('aborted');
    expect(progress.error).toEqual({
      stepId: 'flaky.step',
      message: expect.stringMatching(
        /^aborted by the operator \(wrong lab\); the step had failed: marker fixed is missing/,
      ),
      type: 'RunbookAborted',
    });
    expect(step(progress, 'flaky.step')).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/^aborted by the operator \(wrong lab\)/),
    });
    expect(step(progress, 'finish').status).toBe('pending');
    expect(runs(handle.workflowId, 'finish')).toHaveLength(0);
    expect(await listUntil('RunbookState = "aborted"', [handle.workflowId])).toContain(handle.workflowId);
    finished.push({ fixture: 'engine-flaky.abort', handle });
  });

  it('abort inside a for-each closes the for-each and its item; the items and steps after stay pending', async () => {
    const handle = await startRunbook(temporal.client, 'engine-nested-fail', {
      workflowId: 'engine-nested-fail/abort',
    });
    const failing = `hosts.each[${hosts[1]}].check`;
    await waitForProgress(
      handle,
      (p) => p.state === 'paused' && p.currentStep === failing,
      'the pause in the for-each',
    );
    await handle.executeUpdate(resumeUpdate, { args: [{ action: 'abort', reason: 'host retired' }] });
    await handle.result().catch(() => undefined);
    const progress = await handle.query(progressQuery);
    expect(progress.state).toBe('aborted');
    expect(step(progress, 'hosts.each')).toMatchObject({
      status: 'failed',
      message: 'aborted by the operator (host retired)',
    });
    expect(step(progress, 'hosts.each').items?.map((item) => [item.item, item.status, item.steps[0]?.status])).toEqual([
      [hosts[0], 'unchanged', 'unchanged'],
      [hosts[1], 'failed', 'failed'],
      [hosts[2], 'pending', 'pending'],
    ]);
    expect(step(progress, 'after').status).toBe('pending');
  });

  it('waits at a gate for approval, then runs the for-each one item at a time', async () => {
    const handle = await startRunbook(temporal.client, 'engine-gate', { workflowId: 'engine-gate/approve' });
    const waiting = await waitForProgress(handle, (p) => p.state === 'waiting-approval', 'the gate');
    expect(step(waiting, 'approve.hosts')).toMatchObject({
      status: 'waiting-approval',
      message: 'Check the host list, then approve.',
    });
    expect(step(waiting, 'hosts.each').items?.map((item) => [item.item, item.status])).toEqual(
      hosts.map((host) => [host, 'pending']),
    );
    // One query finds every run that waits for a person: a gate is "paused" to the search.
    expect(await listUntil('RunbookState = "paused" AND RunbookStep = "approve.hosts"', [handle.workflowId])).toContain(
      handle.workflowId,
    );
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails?.split('\n')[0]).toBe(`**Next:** \`runbook approve ${handle.workflowId}\``);

    expect(await rejection(handle.executeUpdate(resumeUpdate, { args: [{ action: 'retry' }] }))).toMatch(
      /waits for approval at approve\.hosts; approve it/,
    );
    expect(await rejection(handle.executeUpdate(approveUpdate, { args: [{ stepId: 'hosts.each' }] }))).toMatch(
      /waits for approval at approve\.hosts, not at hosts\.each/,
    );

    const approved = await handle.executeUpdate(approveUpdate, {
      args: [{ stepId: 'approve.hosts', note: 'looks right' }],
    });
    expect(approved.stepId).toBe('approve.hosts');
    expect(await handle.result()).toMatchObject({ state: 'completed', changed: hosts.length });

    const progress = await handle.query(progressQuery);
    expect(step(progress, 'approve.hosts')).toMatchObject({ status: 'unchanged', message: 'approved: looks right' });
    const forEach = step(progress, 'hosts.each');
    expect(forEach.status).toBe('changed');
    expect(forEach.items?.map((item) => [item.item, item.status, item.steps.map((sub) => sub.status)])).toEqual(
      hosts.map((host) => [host, 'changed', ['unchanged', 'changed']]),
    );
    // Strictly one item after the other, each item's sub-steps in order.
    expect(runs(handle.workflowId).map((record) => record.step)).toEqual([
      'before',
      ...hosts.flatMap((host) => [`hosts.each[${host}].first`, `hosts.each[${host}].second`]),
      'after',
    ]);
    finished.push({ fixture: 'engine-gate.approved', handle });
  });

  it('cancels cleanly: the running wait is cancelled and no further step runs', async () => {
    const handle = await startRunbook(temporal.client, 'engine-wait', { workflowId: 'engine-wait/cancel' });
    await waitForProgress(handle, (p) => p.currentStep === 'wait.release', 'the wait to start');
    await waitFor(() => runs(handle.workflowId, 'wait.release').length > 0, 'the wait activity to run');
    expect(await rejection(handle.executeUpdate(resumeUpdate, { args: [{ action: 'skip' }] }))).toMatch(
      /is not paused \(it is running at wait\.release\); only a paused runbook can be resumed/,
    );
    await handle.cancel();
    const failure = await handle.result().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect((await handle.describe()).status.name).toBe('CANCELLED');

    const progress = await handle.query(progressQuery);
    expect(progress.state).toBe('cancelled');
    expect(step(progress, 'wait.release')).toMatchObject({ status: 'failed', message: 'cancelled while running' });
    expect(step(progress, 'after').status).toBe('pending');
    // WAIT_CANCELLATION_COMPLETED: the workflow closed only after the activity saw the cancel.
    expect(readExecutions(dir, handle.workflowId).map((record) => record.event)).toEqual([
      'run',
      'wait-start',
      'wait-cancelled',
    ]);
    finished.push({ fixture: 'engine-wait.cancelled', handle });
  });

  it('cancels a paused run', async () => {
    const handle = await startRunbook(temporal.client, 'engine-flaky', { workflowId: 'engine-flaky/cancel' });
    await waitForProgress(handle, (p) => p.state === 'paused', 'the pause at flaky.step');
    await handle.cancel();
    expect(await handle.result().catch((error: unknown) => (error as WorkflowFailedError).cause)).toBeInstanceOf(
      CancelledFailure,
    );
    const progress = await handle.query(progressQuery);
    expect(progress.state).toBe('cancelled');
    expect(step(progress, 'flaky.step')).toMatchObject({ status: 'failed', message: 'cancelled while paused' });
    expect(await listUntil('RunbookState = "cancelled"', [handle.workflowId])).toContain(handle.workflowId);
  });

  it('a cancel during a step that finishes anyway: the steps after it never run and stay pending', async () => {
    const handle = await startRunbook(temporal.client, 'engine-cancel', { workflowId: 'engine-cancel/anyway' });
    await waitFor(() => runs(handle.workflowId, 'deaf').length > 0, 'the deaf step to run');
    await handle.cancel();
    // The workflow waits for the activity to end (WAIT_CANCELLATION_COMPLETED); it ends successfully.
    await createMarker(handle.workflowId, 'finish');
    expect(await handle.result().catch((error: unknown) => (error as WorkflowFailedError).cause)).toBeInstanceOf(
      CancelledFailure,
    );
    const progress = await handle.query(progressQuery);
    expect(progress.state).toBe('cancelled');
    expect(progress.steps.map((entry) => [entry.id, entry.status])).toEqual([
      ['deaf', 'changed'],
      ['hosts.each', 'pending'],
      ['after', 'pending'],
    ]);
    expect(step(progress, 'hosts.each').items?.every((item) => item.status === 'pending')).toBe(true);
    expect(runs(handle.workflowId).map((record) => record.step)).toEqual(['deaf']);
    finished.push({ fixture: 'engine-cancel.finished-anyway', handle });
  });

  it('a cancel reaches a wait between two polls an hour apart', async () => {
    const handle = await startRunbook(temporal.client, 'engine-wait-long', { workflowId: 'engine-wait-long/cancel' });
    // Once the server holds the checkpoint of the first poll, the wait has no heartbeat left in flight:
    // only the ones it sends while it sleeps can bring it the cancel.
    await waitFor(async () => (await checkpointPolls(handle)) > 0, 'the checkpoint of the first poll');
    await handle.cancel();
    expect(await handle.result().catch((error: unknown) => (error as WorkflowFailedError).cause)).toBeInstanceOf(
      CancelledFailure,
    );
    // The first attempt saw the cancel in its sleep: no heartbeat timeout, no second attempt.
    expect(readExecutions(dir, handle.workflowId).map((record) => [record.event, record.attempt])).toEqual([
      ['run', 1],
      ['wait-start', 1],
      ['wait-cancelled', 1],
    ]);
    const progress = await handle.query(progressQuery);
    expect(step(progress, 'wait.release')).toMatchObject({ status: 'failed', message: 'cancelled while running' });
    expect(step(progress, 'after').status).toBe('pending');
  });

  it('skips the selftest gate when its option is off, and says so', async () => {
    const handle = await startRunbook(temporal.client, 'selftest', { workflowId: 'selftest/no-gate' });
    expect(await handle.result()).toMatchObject({ state: 'completed', changed: 1, skipped: 1 });
    const progress = await handle.query(progressQuery);
    expect(step(progress, 'operator.approve')).toMatchObject({
      status: 'skipped',
      message: 'option gate is off (start the run with --option gate=true to include this step)',
    });
  });

  it('runs the selftest runbook with its gate', async () => {
    const handle = await startRunbook(temporal.client, 'selftest', { input: { options: { gate: true } } });
    await waitForProgress(handle, (p) => p.state === 'waiting-approval', 'the selftest gate');
    await handle.executeUpdate(approveUpdate, { args: [{}] });
    expect(await handle.result()).toMatchObject({ state: 'completed', changed: 1 });
    const progress = await handle.query(progressQuery);
    expect(progress.steps.map((entry) => [entry.id, entry.status])).toEqual([
      ['worker.check', 'unchanged'],
      ['worker.state-folder', 'unchanged'],
      ['engine.converge', 'changed'],
      ['engine.wait', 'unchanged'],
      ['hosts.visit', 'unchanged'],
      ['operator.approve', 'unchanged'],
      ['engine.converge-again', 'unchanged'],
    ]);
    expect(step(progress, 'engine.wait').message).toBe('condition met after 3 polls');
    finished.push({ fixture: 'selftest.gate', handle });
  });
});

describe('a wait step and a stopped worker', () => {
  let bundlePath: string;
  const spawn = (taskQueue: string) =>
    spawnEngineWorker({ address: temporal.address, namespace: temporal.namespace, dir, taskQueue, bundlePath });
  beforeAll(async () => {
    bundlePath = await writeEngineBundle(dir);
  });

  /** Lets a new worker of `taskQueue` finish the run; returns its pid and the progress of step `id`. */
  async function finishOnNewWorker(taskQueue: string, handle: WorkflowHandle, id: string) {
    const second = spawn(taskQueue);
    try {
      await second.ready;
      expect(await handle.result()).toMatchObject({ state: 'completed' });
      // Queries of a closed run replay it on a worker of its task queue: ask before stopping it.
      const progress = await handle.query(progressQuery);
      return { pid: second.pid, step: step(progress, id) };
    } finally {
      await second.kill('SIGTERM');
    }
  }

  /** Runs engine-wait on its own queue, stops the first worker with `signal` mid-wait, finishes on a second. */
  async function handOver(signal: NodeJS.Signals, workflowId: string) {
    const taskQueue = `engine-${signal.toLowerCase()}`;
    const first = spawn(taskQueue);
    try {
      await first.ready;
      const handle = await startRunbook(temporal.client, 'engine-wait', { taskQueue, workflowId });
      // Wait until the server holds a checkpoint with some polls in it, then stop the worker.
      await waitFor(async () => (await checkpointPolls(handle)) > 0, 'a heartbeat checkpoint with polls');
      const ended = await first.kill(signal);
      await createMarker(handle.workflowId, 'release');

      const second = await finishOnNewWorker(taskQueue, handle, 'wait.release');
      expect(second.step).toMatchObject({ status: 'unchanged', attempts: 2 });
      const records = readExecutions(dir, handle.workflowId);
      expect(records.filter((record) => record.step === 'before')).toHaveLength(1);
      expect(records.filter((record) => record.step === 'after')).toHaveLength(1);
      const waits = records.filter((record) => record.event === 'wait-start');
      expect(waits).toHaveLength(2);
      expect(waits[0]).toMatchObject({ attempt: 1, pid: first.pid, resumedPolls: 0 });
      expect(waits[1]).toMatchObject({ attempt: 2, pid: second.pid });
      expect(waits[1]!.resumedPolls).toBeGreaterThan(0);
      return { handle, ended };
    } finally {
      await first.kill('SIGKILL');
    }
  }

  it('SIGKILL: the wait resumes from its heartbeat checkpoint on a new worker; no finished step runs again', async () => {
    const { handle } = await handOver('SIGKILL', 'engine-wait/kill');
    finished.push({ fixture: 'engine-wait.killed-worker', handle });
  });

  it('SIGKILL during an action: a new worker retries it once its heartbeats stop, long before its attempt timeout', async () => {
    const taskQueue = 'engine-action-kill';
    const first = spawn(taskQueue);
    try {
      await first.ready;
      const handle = await startRunbook(temporal.client, 'engine-action-kill', {
        taskQueue,
        workflowId: 'engine-action-kill/kill',
      });
      await waitFor(() => runs(handle.workflowId, 'act.release').length > 0, 'the action to start');
      await first.kill('SIGKILL');
      await createMarker(handle.workflowId, 'release');
      const second = await finishOnNewWorker(taskQueue, handle, 'act.release');
      expect(second.step).toMatchObject({ status: 'changed', attempts: 2 });
      expect(runs(handle.workflowId).map(({ step: id, attempt, pid }) => [id, attempt, pid])).toEqual([
        ['before', 1, first.pid],
        ['act.release', 1, first.pid],
        ['act.release', 2, second.pid],
        ['after', 1, second.pid],
      ]);
      // The lost attempt ended by the heartbeat timeout: the attempt timeout (1 h) is far beyond this
      // test's own timeout.
      const { events } = await handle.fetchHistory();
      const started = events?.find(
        (event) => event.activityTaskStartedEventAttributes?.attempt === 2,
      )?.activityTaskStartedEventAttributes;
      expect(started?.lastFailure?.timeoutFailureInfo?.timeoutType).toBe(
        proto.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT,
      );
    } finally {
      await first.kill('SIGKILL');
    }
  }, 180_000);

  it('selftest: the second converge stays unchanged across a worker restart (the marker is on disk)', async () => {
    const taskQueue = 'engine-selftest-restart';
    const first = spawn(taskQueue);
    try {
      await first.ready;
      const handle = await startRunbook(temporal.client, 'selftest', {
        taskQueue,
        workflowId: 'selftest/restart',
        input: { options: { gate: true } },
      });
      await waitForProgress(handle, (p) => p.state === 'waiting-approval', 'the selftest gate');
      expect(await first.kill('SIGTERM')).toEqual({ exitCode: 0 });
      const second = spawn(taskQueue);
      try {
        await second.ready;
        await handle.executeUpdate(approveUpdate, { args: [{}] });
        expect(await handle.result()).toMatchObject({ state: 'completed', changed: 1 });
        const progress = await handle.query(progressQuery);
        expect(step(progress, 'engine.converge').status).toBe('changed');
        expect(step(progress, 'engine.converge-again')).toMatchObject({
          status: 'unchanged',
          message: 'marker present',
        });
      } finally {
        await second.kill('SIGTERM');
      }
    } finally {
      await first.kill('SIGKILL');
    }
    // Two worker processes, one after the other: slow on a loaded machine.
  }, 180_000);

  it('SIGTERM: the stopping worker hands its wait over at once and exits cleanly', async () => {
    const { ended } = await handOver('SIGTERM', 'engine-wait/term');
    // Exit code 0: it did not sit out the shutdown grace time and get killed.
    expect(ended).toEqual({ exitCode: 0 });
  });
});

describe('workflow histories', () => {
  it('replays the histories of these runs without non-determinism', async () => {
    expect(finished.length).toBeGreaterThan(0);
    const histories = await Promise.all(
      finished.map(async ({ fixture, handle }) => ({ fixture, handle, history: await handle.fetchHistory() })),
    );
    const results = Worker.runReplayHistories(
      { workflowBundle: await bundleRunbookWorkflows(ENGINE_WORKFLOWS_PATH), replayName: 'engine-live' },
      histories.map(({ handle, history }) => ({ workflowId: handle.workflowId, history })),
    );
    for await (const result of results) expect(result.error).toBeUndefined();
    if (process.env.RECORD_ENGINE_HISTORIES === '1') {
      for (const { fixture, history } of histories) {
        await writeHistoryFixture(path.join(HISTORIES, `${fixture}.json`), history);
      }
    }
  });
});

/** The message of a rejected update (the validator's error is the failure's cause). */
async function rejection(update: Promise<unknown>): Promise<string> {
  const error = await update.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof WorkflowUpdateFailedError))
    throw new Error(`expected a rejected update, got ${String(error)}`);
  return error.cause?.message ?? error.message;
}

/** The poll count in the pending wait activity's last heartbeat, as the server stores it. */
async function checkpointPolls(handle: WorkflowHandle): Promise<number> {
  const { raw } = await handle.describe();
  const payload = raw.pendingActivities?.[0]?.heartbeatDetails?.payloads?.[0];
  if (!payload?.data) return 0;
  const details = JSON.parse(Buffer.from(payload.data).toString('utf8')) as { polls?: number };
  return details.polls ?? 0;
}

async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// Keep the fixture directory's existence explicit: replay.test.ts reads it.
if (!existsSync(HISTORIES)) throw new Error(`missing ${HISTORIES}`);
