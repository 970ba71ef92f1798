/**
 * What the runbook end-to-end tests share: a real Temporal dev server, a simulated lab (bare, instant
 * time scale) and the runbook worker with the lab's own worker (./runbook-workers.ts, for the steps
 * placed `on: 'lab'`), each in one temp folder. Started in `beforeAll`; `stop` in `afterAll` (safe after
 * a failed start).
 *
 *   beforeAll(async () => { t = await startRunbookTestLab({ prefix: 'runbook-install-' }); }, 180_000);
 *   afterAll(() => t?.stop());
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Lab } from '../../lab/schema.js';
import { startSimulatedLab, type SimulatedLab } from '../../simulator/lab-sim.js';
import { loadExampleLab } from '../../testing/engine-harness.js';
import { installWorkerRuntime } from '../../worker/worker.js';
import { startRunbookWorkers } from '../../testing/runbook-workers.js';
import { startTestTemporal, type TestTemporal } from './temporal.js';

export interface RunbookTestLab {
  /** The temp folder: `state/` (XDG_STATE_HOME), `sim/` (the simulated lab). */
  dir: string;
  lab: Lab;
  sim: SimulatedLab;
  temporal: TestTemporal;
  stop(): Promise<void>;
}

export async function startRunbookTestLab(options: {
  /** Name prefix of the temp folder. */
  prefix: string;
  /** The runs' task queue (default: the one `runbook start` uses). */
  taskQueue?: string;
  /** Default: the example lab. */
  lab?: Lab;
  /** Run the lab on the real control plane (simulator/control-plane/): its kube-apiserver judges the runs. */
  realControlPlane?: boolean;
}): Promise<RunbookTestLab> {
  installWorkerRuntime({ logLevel: 'ERROR' });
  const dir = await mkdtemp(path.join(os.tmpdir(), options.prefix));
  process.env.XDG_STATE_HOME = path.join(dir, 'state');
  const stops: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const each of stops.reverse()) await each();
  };
  try {
    const lab = options.lab ?? (await loadExampleLab());
    const [temporal, sim] = await Promise.all([
      startTestTemporal(),
      startSimulatedLab({
        lab,
        stateDir: path.join(dir, 'sim'),
        from: 'bare',
        timeScale: 0,
        ...(options.realControlPlane && { realControlPlane: true }),
        log: { info: () => undefined, warn: (message) => process.stderr.write(`sim: ${message}\n`) },
      }),
    ]);
    stops.push(
      () => sim.stop(),
      () => temporal.stop(),
    );
    const workers = await startRunbookWorkers({
      connection: temporal.connection,
      namespace: temporal.namespace,
      ...(options.taskQueue !== undefined && { taskQueue: options.taskQueue }),
      labs: [lab.name],
    });
    stops.push(() => workers.stop());
    return { dir, lab, sim, temporal, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
