/**
 * `runbook resume <run> --from <step>` on a real dev server: a paused run and a run at a gate rewind
 * to an earlier step, which runs again with every step after it; the earlier outcomes stay in the
 * progress tree; bad targets are refused and change nothing.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import {
  approveUpdate,
  progressQuery,
  resumeUpdate,
  type ResumeRequest,
  type RunbookProgress,
} from '../../workflows/engine/api.js';
import { bundleRunbookWorkflows, installWorkerRuntime } from '../../worker/worker.js';
import { markerFile, readExecutions } from '../../testing/engine-activities.js';
import {
  ENGINE_WORKFLOWS_PATH,
  loadExampleLab,
  startEngineWorker,
  runbookCli,
  startRunbook,
  stepOf,
  waitForProgress,
  type RunningWorker,
} from '../../testing/engine-harness.js';
import { startTestTemporal, type TestTemporal } from '../support/temporal.js';

let temporal: TestTemporal;
const runbook = (...args: string[]) => runbookCli(temporal.env)(...args);
let worker: RunningWorker;
let dir: string;

beforeAll(async () => {
  installWorkerRuntime({ logLevel: 'ERROR' });
  dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-rewind-'));
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

function ran(workflowId: string): string[] {
  return readExecutions(dir, workflowId).map((record) => record.step);
}

const step = stepOf;

async function refused(handle: WorkflowHandle, request: ResumeRequest): Promise<string> {
  const error = await handle.executeUpdate(resumeUpdate, { args: [request] }).then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof WorkflowUpdateFailedError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return error.cause?.message ?? error.message;
}

/** The progress without its timestamps, to show that a refused rewind changed nothing. */
function shape(progress: RunbookProgress): string {
  return JSON.stringify(progress, (key, value: unknown) => (['updatedAt'].includes(key) ? undefined : value));
}

describe('resume --from', () => {
  it('rewinds a run paused inside a for-each to a done item; refuses item-less, later and unknown steps', async () => {
    const handle = await startRunbook(temporal.client, 'engine-nested-fail', {
      workflowId: 'engine-nested-fail/rewind',
    });
    const failing = `hosts.each[${hosts[1]}].check`;
    const paused = await waitForProgress(
      handle,
      (p) => p.state === 'paused' && p.currentStep === failing,
      'the pause at the second host',
    );

    expect(await refused(handle, { action: 'retry', from: 'hosts.each.check' })).toMatch(
      new RegExp(
        `runs once per item; name the item to rewind to, e\\.g\\. --from hosts\\.each\\[${hosts[0]}\\]\\.check`,
      ),
    );
    expect(await refused(handle, { action: 'retry', from: `hosts.each[${hosts[2]}].check` })).toMatch(
      /comes after the current step .* and has not run yet/,
    );
    expect(await refused(handle, { action: 'retry', from: 'after' })).toMatch(/comes after the current step/);
    expect(await refused(handle, { action: 'retry', from: 'no.such-step' })).toMatch(
      /there is no step no\.such-step in this run; its steps are hosts\.each, after/,
    );
    expect(await refused(handle, { action: 'skip', from: `hosts.each[${hosts[0]}].check` })).toMatch(
      /goes with retry, not with skip or abort/,
    );
    // Refused: nothing changed.
    expect(shape(await handle.query(progressQuery))).toBe(shape(paused));
    expect(ran(handle.workflowId)).toEqual([`hosts.each[${hosts[0]}].check`, failing]);

    const first = `hosts.each[${hosts[0]}].check`;
    const result = await handle.executeUpdate(resumeUpdate, {
      args: [{ action: 'retry', from: first, reason: 'host rebuilt' }],
    });
    expect(result).toMatchObject({ stepId: first, action: 'retry' });
    expect(result.message).toMatch(
      /^Rewound from .* to step .* \(host rebuilt\); it and every step after it run again$/,
    );

    // The failing item fails again (its marker is still missing): the first item ran a second time.
    await waitForProgress(
      handle,
      (p) => p.state === 'paused' && p.currentStep === failing && ran(handle.workflowId).length === 4,
      'the second pause after the rewind',
    );
    expect(ran(handle.workflowId)).toEqual([first, failing, first, failing]);
    const again = await handle.query(progressQuery);
    const items = step(again, 'hosts.each').items!;
    expect(items[0]!.steps[0]).toMatchObject({ status: 'unchanged', attempts: 1 });
    expect(items[0]!.steps[0]!.earlier).toEqual([expect.objectContaining({ status: 'unchanged', attempts: 1 })]);
    expect(items[1]!.steps[0]!.earlier).toEqual([
      expect.objectContaining({ status: 'paused', message: expect.stringMatching(/marker fixed is missing/) }),
    ]);

    await writeFile(markerFile(dir, handle.workflowId, 'fixed'), '');
    await handle.executeUpdate(resumeUpdate, { args: [{ action: 'retry' }] });
    expect(await handle.result()).toMatchObject({ state: 'completed' });
    expect(ran(handle.workflowId)).toEqual([
      first,
      failing,
      first,
      failing,
      failing,
      `hosts.each[${hosts[2]}].check`,
      'after',
    ]);
  });

  it('rewinds a run waiting at a gate: the steps before it run again and the gate waits anew', async () => {
    const handle = await startRunbook(temporal.client, 'engine-gate', { workflowId: 'engine-gate/rewind' });
    await waitForProgress(handle, (p) => p.state === 'waiting-approval', 'the gate');
    expect(await refused(handle, { action: 'retry', from: 'hosts.each' })).toMatch(
      /comes after the current step approve\.hosts/,
    );

    // Through the CLI, as an operator does it.
    const later = await runbook('resume', handle.workflowId, '--from', 'hosts.each');
    expect(later.code).not.toBe(0);
    expect(later.stderr).toMatch(/step hosts\.each comes after the current step approve\.hosts/);
    const rewind = await runbook('resume', handle.workflowId, '--from', 'before', '--reason', 'again');
    expect(rewind).toMatchObject({ code: 0 });
    expect(rewind.stdout).toMatch(/^rewound to step before: Rewound from approve\.hosts to step before \(again\)/);
    const rewound = await waitForProgress(
      handle,
      (p) => p.state === 'waiting-approval' && ran(handle.workflowId).length === 2,
      'the gate again, after the rewind',
    );
    expect(ran(handle.workflowId)).toEqual(['before', 'before']);
    expect(step(rewound, 'before')).toMatchObject({
      status: 'unchanged',
      earlier: [expect.objectContaining({ status: 'unchanged', message: 'nothing to do' })],
    });
    expect(step(rewound, 'approve.hosts')).toMatchObject({
      status: 'waiting-approval',
      earlier: [expect.objectContaining({ status: 'waiting-approval' })],
    });

    await handle.executeUpdate(approveUpdate, { args: [{}] });
    expect(await handle.result()).toMatchObject({ state: 'completed', changed: hosts.length });
    expect(ran(handle.workflowId).filter((id) => id === 'after')).toHaveLength(1);
  });

  it('a rewind to the whole for-each runs every item again', async () => {
    const handle = await startRunbook(temporal.client, 'engine-nested-fail', {
      workflowId: 'engine-nested-fail/rewind-all',
    });
    const failing = `hosts.each[${hosts[1]}].check`;
    await waitForProgress(handle, (p) => p.state === 'paused' && p.currentStep === failing, 'the pause');
    await writeFile(markerFile(dir, handle.workflowId, 'fixed'), '');
    expect(await handle.executeUpdate(resumeUpdate, { args: [{ action: 'retry', from: 'hosts.each' }] })).toMatchObject(
      {
        stepId: 'hosts.each',
      },
    );
    await handle.result();
    const done = await handle.query(progressQuery);
    // It was running when rewound: no outcome to keep.
    expect(step(done, 'hosts.each').status).toBe('changed');
    expect(step(done, 'hosts.each').earlier).toBeUndefined();
    expect(
      step(done, 'hosts.each').items?.map((item) => [item.item, item.status, item.steps[0]?.earlier?.length ?? 0]),
    ).toEqual([
      // The marker exists now: every item finds it.
      [hosts[0], 'changed', 1],
      [hosts[1], 'changed', 1],
      [hosts[2], 'changed', 0],
    ]);
    expect(ran(handle.workflowId)).toEqual([
      `hosts.each[${hosts[0]}].check`,
      failing,
      `hosts.each[${hosts[0]}].check`,
      failing,
      `hosts.each[${hosts[2]}].check`,
      'after',
    ]);
  });

  it('refuses to rewind a run that is running a step', async () => {
    const handle = await startRunbook(temporal.client, 'engine-wait', { workflowId: 'engine-wait/rewind' });
    await waitForProgress(
      handle,
      (p) => p.currentStep === 'wait.release' && step(p, 'wait.release').status === 'running',
      'the wait',
    );
    expect(await refused(handle, { action: 'retry', from: 'before' })).toMatch(
      /is running at wait\.release; it can be rewound only while it is paused or waits at a gate/,
    );
    await writeFile(markerFile(dir, handle.workflowId, 'release'), '');
    expect(await handle.result()).toMatchObject({ state: 'completed' });
    expect(ran(handle.workflowId).filter((id) => id === 'before')).toHaveLength(1);
  });
});
