/**
 * One recorded history per catalogue runbook (./histories/<runbook>.catalogue.json), replayed by
 * replay.test.ts: a runbook changed in a way that breaks its runs in flight (a step added, removed or
 * moved) fails there. Recording runs every runbook of runbooks/index.ts on the example lab against a
 * simulated lab (as `runbook rehearse` does), approving its gates; a run that pauses fails the test:
 *
 *   RECORD_ENGINE_HISTORIES=1 npx jest test/engine/catalogue-histories.test.ts
 *
 * Record again after a deliberate change to a runbook, once no run of the old version is in flight.
 * Without RECORD_ENGINE_HISTORIES the runs are skipped; replay.test.ts checks the fixtures exist.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { WorkflowHandle } from '@temporalio/client';
import { catalogue } from '../../runbooks/index.js';
import { startSimulatedLab, type LabStart, type SimulatedLab } from '../../simulator/lab-sim.js';
import { installWorkerRuntime } from '../../worker/worker.js';
import {
  approveUpdate,
  progressQuery,
  workflowIdFor,
  type RunbookInput,
  type RunbookProgress,
} from '../../workflows/engine/api.js';
import { loadExampleLab } from '../../testing/engine-harness.js';
import { catalogueFixture, writeHistoryFixture } from '../support/engine-histories.js';
import { startRunbookWorkers, type RunningRunbookWorkers } from '../../testing/runbook-workers.js';
import { startTestTemporal, type TestTemporal } from '../support/temporal.js';

const HISTORIES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'histories');
const TASK_QUEUE = 'catalogue-recording';
const RUN_TIMEOUT_MS = 10 * 60_000;

/**
 * How to record a runbook, when the default (a bare simulated lab, no options) does not fit: the
 * state the simulated lab starts from, the run's options (switch optional steps on, so the history
 * holds them) and the runbooks that must have run on the lab first.
 */
const RECORDING: Record<string, { from?: LabStart; options?: RunbookInput['options']; after?: string[] }> = {
  selftest: { options: { gate: true } },
  install: { from: 'bare' },
  'infra-nodes': { from: 'installed' },
  'ceph-csi': { from: 'installed' },
  'registry-storage': { from: 'installed', after: ['ceph-csi'] },
  'egress-router': { from: 'installed', after: ['infra-nodes'] },
  rebuild: { from: 'installed' },
};

const recording = process.env.RECORD_ENGINE_HISTORIES === '1';

(recording ? describe : describe.skip)('catalogue runbook histories (RECORD_ENGINE_HISTORIES=1)', () => {
  let temporal: TestTemporal;
  let dir: string;
  let workers: RunningRunbookWorkers;

  beforeAll(async () => {
    installWorkerRuntime({ logLevel: 'ERROR' });
    dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-catalogue-'));
    process.env.XDG_STATE_HOME = path.join(dir, 'state');
    temporal = await startTestTemporal();
    workers = await startRunbookWorkers({
      connection: temporal.connection,
      namespace: temporal.namespace,
      taskQueue: TASK_QUEUE,
      labs: [(await loadExampleLab()).name],
    });
  });

  afterAll(async () => {
    await workers?.stop();
    await temporal?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each(Object.keys(catalogue))(
    'records a completed run of %s',
    async (name) => {
      const lab = await loadExampleLab();
      const settings = RECORDING[name] ?? {};
      let sim: SimulatedLab | undefined;
      try {
        sim = await startSimulatedLab({
          lab,
          stateDir: path.join(dir, name),
          from: settings.from ?? 'bare',
          timeScale: 0,
          log: quietLog(),
        });
        const input: RunbookInput = {
          lab,
          rehearsal: { endpointsFile: sim.endpointsPath, kubeconfig: sim.kubeconfigPath },
          ...(settings.options && { options: settings.options }),
        };
        for (const before of settings.after ?? []) {
          const args = [{ ...input, options: RECORDING[before]?.options ?? {} }];
          const first = await temporal.client.workflow.start(before, {
            taskQueue: TASK_QUEUE,
            workflowId: `${workflowIdFor(before, lab.name)}/before-${name}`,
            args,
          });
          await driveToCompletion(first);
        }
        const handle = await temporal.client.workflow.start(name, {
          taskQueue: TASK_QUEUE,
          workflowId: workflowIdFor(name, lab.name),
          args: [input],
        });
        await driveToCompletion(handle);
        expect((await handle.describe()).status.name).toBe('COMPLETED');
        await writeHistoryFixture(path.join(HISTORIES, catalogueFixture(name)), await handle.fetchHistory());
      } finally {
        await sim?.stop();
      }
    },
    RUN_TIMEOUT_MS,
  );
});

/** Approves every gate until the run completes; a pause fails with the step's error. */
async function driveToCompletion(handle: WorkflowHandle): Promise<void> {
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  let progress: RunbookProgress | undefined;
  while (Date.now() < deadline) {
    progress = await handle.query(progressQuery).catch(() => undefined);
    if (progress?.state === 'completed') return;
    if (progress?.state === 'waiting-approval') {
      await handle.executeUpdate(approveUpdate, { args: [{ note: 'recording the history' }] });
    } else if (progress && progress.state !== 'running') {
      throw new Error(
        `${handle.workflowId} ended up ${progress.state} at ${progress.currentStep}: ${progress.error?.message}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${handle.workflowId} did not complete in time; last progress: ${JSON.stringify(progress)}`);
}

/** The simulator's warnings only: its info lines would drown the test output. */
function quietLog() {
  return { info: () => undefined, warn: (message: string) => process.stderr.write(`sim: ${message}\n`) };
}
