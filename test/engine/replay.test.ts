/**
 * Histories recorded from real runs (./histories, written by engine.test.ts with
 * RECORD_ENGINE_HISTORIES=1) replay against today's workflow code. A change to the interpreter that
 * would break runs in flight (a different command sequence) fails here: guard it with `patched()`.
 * Offline: replay needs no server.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { Worker } from '@temporalio/worker';
import { bundleRunbookWorkflows, installWorkerRuntime } from '../../worker/worker.js';
import { ENGINE_WORKFLOWS_PATH } from '../../testing/engine-harness.js';
import { readHistoryFixture } from '../support/engine-histories.js';

const HISTORIES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'histories');
const fixtures = readdirSync(HISTORIES)
  .filter((file) => file.endsWith('.json'))
  .sort();

describe('recorded runbook histories', () => {
  it('exist for completed, paused-and-resumed, aborted, gated, cancelled and worker-killed runs', () => {
    expect(fixtures.map((file) => file.replace(/\.json$/, ''))).toEqual(
      expect.arrayContaining([
        'engine-noop.completed',
        'engine-flaky.retry-skip',
        'engine-flaky.abort',
        'engine-gate.approved',
        'engine-wait.cancelled',
        'engine-wait.killed-worker',
        'selftest.gate',
      ]),
    );
  });

  it('replay without non-determinism', async () => {
    installWorkerRuntime({ logLevel: 'ERROR' });
    const histories = fixtures.map((file) => ({
      workflowId: file.replace(/\.json$/, ''),
      history: readHistoryFixture(path.join(HISTORIES, file)),
    }));
    const results = Worker.runReplayHistories(
      { workflowBundle: await bundleRunbookWorkflows(ENGINE_WORKFLOWS_PATH), replayName: 'engine-fixtures' },
      histories,
    );
    const failures: string[] = [];
    for await (const result of results) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
  });
});
