/**
 * The lab by reference: a step input names the run's lab by name and digest and carries it whole only on
 * the first step after it changed; the worker resolves the reference from its cache or, when it lacks the
 * lab (a restart, another worker), from the run's history.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
// A CommonJS module: its named exports are not visible to an ES module import.
import proto from '@temporalio/proto';
import { labDigest, sha256Hex } from '../../contract/lab-digest.js';
import type { StepRequest } from '../../contract/step.js';
import { digestOf, labHistoryReads, stepContextOf } from '../../activities/engine/lab-cache.js';
import { bundleRunbookWorkflows, installWorkerRuntime } from '../../worker/worker.js';
import { readExecutions } from '../../testing/engine-activities.js';
import {
  ENGINE_WORKFLOWS_PATH,
  loadExampleLab,
  startEngineWorker,
  startRunbook,
  type RunningWorker,
} from '../../testing/engine-harness.js';
import { startTestTemporal, type TestTemporal } from '../support/temporal.js';

const lab = await loadExampleLab();

describe('the lab digest', () => {
  it("is node:crypto's SHA-256 of the lab's JSON, on any text", () => {
    expect(labDigest(lab)).toBe(createHash('sha256').update(JSON.stringify(lab)).digest('hex'));
    expect(digestOf(lab)).toBe(labDigest(lab));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.json()), (text) => {
        expect(sha256Hex(text)).toBe(createHash('sha256').update(text).digest('hex'));
      }),
      { numRuns: 300 },
    );
  });

  it('is checked when the lab comes inline: a lab that does not match its reference is refused', async () => {
    const request: StepRequest = { runbook: 'x', stepId: 'a', lab, labRef: { name: lab.name, digest: '0'.repeat(64) } };
    await expect(stepContextOf(request)).rejects.toThrow(/has digest [0-9a-f]{64}, not 0{64} as its reference says/);
    const good = await stepContextOf({ ...request, labRef: { name: lab.name, digest: labDigest(lab) } });
    expect(good.lab).toBe(lab);
    expect(good).not.toHaveProperty('labRef');
  });
});

describe('a run', () => {
  let temporal: TestTemporal;
  let worker: RunningWorker;
  let dir: string;

  beforeAll(async () => {
    installWorkerRuntime({ logLevel: 'ERROR' });
    dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-lab-ref-'));
    [temporal] = await Promise.all([startTestTemporal(), bundleRunbookWorkflows(ENGINE_WORKFLOWS_PATH)]);
    worker = await startEngineWorker({ connection: temporal.connection, namespace: temporal.namespace, dir });
  });

  afterAll(async () => {
    await worker?.stop();
    await temporal?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('carries the lab once, then its reference; a worker that forgot it reads it from the history', async () => {
    const reads = labHistoryReads();
    const handle = await startRunbook(temporal.client, 'engine-forget-lab', {
      lab,
      workflowId: 'engine-forget-lab/a',
    });
    expect(await handle.result()).toMatchObject({ state: 'completed', unchanged: 3 });
    // The last step ran after the worker forgot its labs, and saw the lab's hosts.
    expect(readExecutions(dir, handle.workflowId).map((record) => record.step)).toEqual(['before', 'forget', 'after']);
    expect(labHistoryReads()).toBe(reads + 1);

    const history = await handle.fetchHistory();
    const EventType = proto.temporal.api.enums.v1.EventType;
    const inputs = (history.events ?? [])
      .filter((event) => event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
      .map((event) => {
        const payload = event.activityTaskScheduledEventAttributes!.input!.payloads![0]!;
        return JSON.parse(Buffer.from(payload.data!).toString('utf8')) as StepRequest;
      });
    const ref = { name: lab.name, digest: labDigest(lab) };
    expect(inputs.map((input) => [input.stepId, input.labRef, input.lab !== undefined])).toEqual([
      ['before', ref, true],
      ['forget', ref, false],
      ['after', ref, false],
    ]);
  });
});
