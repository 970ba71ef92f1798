/**
 * What the runbook end-to-end tests share: the catalogue's runbook worker on the test's Temporal dev
 * server, and a bare simulated lab of the example beside them, each in its own temp folder. Started
 * in `beforeAll`; `stop` in `afterAll` (safe after a failed start).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Lab } from '../../lab/schema.js';
import { startSimulatedLab, type SimulatedLab } from '../../simulator/lab-sim.js';
import { loadExampleLab } from '../../testing/engine-harness.js';
import { createRunbookWorker, installWorkerRuntime } from '../../worker/worker.js';
import { startTestTemporal, type TestTemporal } from './temporal.js';

export async function startTestRunbookWorker(temporal: TestTemporal, taskQueue: string): Promise<() => Promise<void>> {
  const worker = await createRunbookWorker({
    connection: temporal.connection,
    namespace: temporal.namespace,
    taskQueue,
    shutdownGraceTime: '100ms',
  });
  const running = worker.run();
  return async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  };
}

export interface RunbookTestLab {
  /** The temp folder: `state/` (XDG_STATE_HOME), `sim/` (the simulated lab). */
  dir: string;
  lab: Lab;
  sim: SimulatedLab;
  temporal: TestTemporal;
  stop(): Promise<void>;
}

/** The example lab, bare, simulated at time scale 0, with a Temporal dev server and a runbook worker. */
export async function startRunbookTestLab(prefix: string, taskQueue: string): Promise<RunbookTestLab> {
  installWorkerRuntime({ logLevel: 'ERROR' });
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  process.env.XDG_STATE_HOME = path.join(dir, 'state');
  const stops: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const each of stops.reverse()) await each();
  };
  try {
    const lab = await loadExampleLab();
    const [temporal, sim] = await Promise.all([
      startTestTemporal(),
      startSimulatedLab({
        lab,
        stateDir: path.join(dir, 'sim'),
        from: 'bare',
        timeScale: 0,
        log: { info: () => undefined, warn: (message) => process.stderr.write(`sim: ${message}\n`) },
      }),
    ]);
    stops.push(
      () => sim.stop(),
      () => temporal.stop(),
    );
    stops.push(await startTestRunbookWorker(temporal, taskQueue));
    return { dir, lab, sim, temporal, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
