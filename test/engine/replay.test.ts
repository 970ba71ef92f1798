/**
 * Histories recorded from real runs (./histories, written with RECORD_ENGINE_HISTORIES=1 by
 * engine.test.ts, and by catalogue-histories.test.ts for every catalogue runbook) replay against
 * today's workflow code. A change that would break runs in flight (a different command sequence)
 * fails here: in the interpreter, guard it with `patched()`; in a runbook, it breaks the paused runs
 * of that runbook (finish them on the old version), then record its history again.
 * Offline: replay needs no server.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { Worker } from '@temporalio/worker';
import { bundleRunbookWorkflows, installWorkerRuntime } from '../../worker/worker.js';
import { catalogue } from '../../runbooks/index.js';
import { CHANGED_ENGINE_WORKFLOWS_PATH, ENGINE_WORKFLOWS_PATH } from '../../testing/engine-harness.js';
import { catalogueFixture, readHistoryFixture } from '../support/engine-histories.js';

const HISTORIES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'histories');
const fixtures = readdirSync(HISTORIES)
  .filter((file) => file.endsWith('.json'))
  .sort();

describe('recorded runbook histories', () => {
  it(
    'exist for completed, paused-and-resumed, aborted, gated, cancelled and worker-killed runs, ' +
      'and a step finished after a cancel',
    () => {
      expect(fixtures.map((file) => file.replace(/\.json$/, ''))).toEqual(
        expect.arrayContaining([
          'engine-noop.completed',
          'engine-flaky.retry-skip',
          'engine-flaky.abort',
          'engine-gate.approved',
          'engine-wait.cancelled',
          'engine-wait.killed-worker',
          'engine-cancel.finished-anyway',
          'selftest.gate',
        ]),
      );
    },
  );

  it('exist for every catalogue runbook', () => {
    const missing = Object.keys(catalogue).filter((name) => !fixtures.includes(catalogueFixture(name)));
    if (missing.length > 0) {
      throw new Error(
        `no recorded history for runbook ${missing.join(', ')}: record it with ` +
          `RECORD_ENGINE_HISTORIES=1 npx jest test/engine/catalogue-histories.test.ts (add a ` +
          `RECORDING entry there if it needs a lab state or options)`,
      );
    }
  });

  it('replay without non-determinism', async () => {
    expect(await replayFailures(ENGINE_WORKFLOWS_PATH, fixtures)).toEqual([]);
  });

  it('fail to replay once a step is added to their runbook', async () => {
    const failures = await replayFailures(CHANGED_ENGINE_WORKFLOWS_PATH, fixtures);
    expect(failures).toHaveLength(fixtures.length);
    for (const failure of failures) expect(failure).toMatch(/\[TMPRL1100\] Nondeterminism error/);
  });
});

/** Replays the fixtures against a workflow bundle; one line per history that fails. */
async function replayFailures(workflowsPath: string, files: string[]): Promise<string[]> {
  installWorkerRuntime({ logLevel: 'ERROR' });
  const histories = files.map((file) => ({
    workflowId: file.replace(/\.json$/, ''),
    history: readHistoryFixture(path.join(HISTORIES, file)),
  }));
  const results = Worker.runReplayHistories(
    { workflowBundle: await bundleRunbookWorkflows(workflowsPath), replayName: path.basename(workflowsPath) },
    histories,
  );
  const failures: string[] = [];
  for await (const result of results) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  return failures;
}
