/**
 * What an install test runs on: a real Temporal dev server, a simulated lab of `lab` started bare
 * (instant time scale) in a temp folder, and the runbook worker with the lab's own worker
 * (./runbook-workers.ts) on `taskQueue`. The simulator's warnings go to stderr.
 *
 *   beforeAll(async () => { r = await startInstallRehearsal({ lab, prefix: 'runbook-install-' }); }, 180_000);
 *   afterAll(() => r?.stop());
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Lab } from '../../lab/schema.js';
import { startSimulatedLab, type SimulatedLab } from '../../simulator/lab-sim.js';
import { installWorkerRuntime } from '../../worker/worker.js';
import { startRunbookWorkers, type RunningRunbookWorkers } from './runbook-workers.js';
import { startTestTemporal, type TestTemporal } from './temporal.js';

export interface InstallRehearsal {
  /** The temp folder: the simulated lab in `sim/`, the state home (XDG_STATE_HOME) in `state/`. */
  dir: string;
  temporal: TestTemporal;
  sim: SimulatedLab;
  workers: RunningRunbookWorkers;
  stop(): Promise<void>;
}

export async function startInstallRehearsal(options: {
  lab: Lab;
  /** Name prefix of the temp folder. */
  prefix: string;
  /** The runs' task queue (default: the one `runbook start` uses). */
  taskQueue?: string;
}): Promise<InstallRehearsal> {
  installWorkerRuntime({ logLevel: 'ERROR' });
  const dir = await mkdtemp(path.join(os.tmpdir(), options.prefix));
  process.env.XDG_STATE_HOME = path.join(dir, 'state');
  const [temporal, sim] = await Promise.all([
    startTestTemporal(),
    startSimulatedLab({
      lab: options.lab,
      stateDir: path.join(dir, 'sim'),
      from: 'bare',
      timeScale: 0,
      log: { info: () => undefined, warn: (message) => process.stderr.write(`sim: ${message}\n`) },
    }),
  ]);
  const workers = await startRunbookWorkers({
    connection: temporal.connection,
    namespace: temporal.namespace,
    ...(options.taskQueue !== undefined && { taskQueue: options.taskQueue }),
    labs: [options.lab.name],
  });
  return {
    dir,
    temporal,
    sim,
    workers,
    async stop() {
      await workers.stop();
      await temporal.stop();
      await sim.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
