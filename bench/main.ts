/**
 * Engine benchmark (not a test): `npm run bench` prints figures, `npm run bench -- --json` also prints
 * them as one JSON object on the last line.
 *
 * - per-step overhead: a runbook of 50 no-op steps, end to end (start → result) / 50, median of runs;
 * - 20 such runbooks at once on one worker: total wall time and the worker's peak RSS (VmHWM);
 * - resume after SIGKILL: a worker killed mid-wait, a new one started; seconds from its start until
 *   the step after the wait runs (the wait uses the product's default heartbeat timeout);
 * - day-2: infra-nodes, ceph-csi, registry-storage, egress-router in order on an installed simulated
 *   lab at time scale 0 (`day2RehearsalS`), then the same four again, finding nothing to do (`day2NoopS`);
 * - rebuild: the whole `rebuild` of the example lab (teardown, install, the four day-2 stages) on an
 *   installed simulated lab at time scale 0 (`rebuildRehearsalS`).
 *
 * Everything runs on loopback: its own dev server (state file in a temp dir) and worker processes;
 * `--address 127.0.0.1:7233` uses a running server instead (it must have the project's search
 * attributes; see temporal/server-tuning.ts for the settings that matter for speed).
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { findTemporalCli } from '../temporal/cli-binary.js';
import { startDevServer } from '../temporal/dev-server.js';
import { markerFile, readExecutions } from '../testing/engine-activities.js';
import {
  loadExampleLab,
  spawnEngineWorker,
  startRunbook,
  writeEngineBundle,
  type WorkerProcess,
} from '../testing/engine-harness.js';
import { NOOP_STEPS } from '../testing/engine-runbooks.js';

const TARGETS = {
  perStepOverheadMsMedian: 30,
  concurrentWallS: 60,
  workerPeakRssMb: 400,
  resumeAfterKillS: 15,
  day2RehearsalS: 20,
  day2NoopS: 8,
  rebuildRehearsalS: 60,
} as const;

/** The day-2 runbooks in the order an operator runs them after an install. */
const DAY2_RUNBOOKS = ['infra-nodes', 'ceph-csi', 'registry-storage', 'egress-router'] as const;

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    runs: { type: 'string', default: '5' },
    concurrent: { type: 'string', default: '20' },
    /** Use a running server (e.g. `runbook server`) instead of starting one. */
    address: { type: 'string' },
  },
});
const sequentialRuns = Number(values.runs);
const concurrentRuns = Number(values.concurrent);

const say = (line: string) => process.stdout.write(`${line}\n`);

const dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-bench-'));
const server = values.address
  ? { address: values.address, namespace: 'default', stop: async () => {} }
  : await startDevServer({
      binary: await findTemporalCli({ install: false }),
      dbFile: path.join(dir, 'temporal.db'),
      headless: true,
    });
const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection, namespace: server.namespace });
const lab = await loadExampleLab();
const workers: WorkerProcess[] = [];

try {
  const bundlePath = await writeEngineBundle(dir);
  const spawn = (taskQueue: string) => {
    const worker = spawnEngineWorker({
      address: server.address,
      namespace: server.namespace,
      dir,
      taskQueue,
      bundlePath,
    });
    workers.push(worker);
    return worker;
  };
  say(`dev server ${server.address}, workflow bundle built; ${os.cpus().length} CPUs`);

  // 1. Per-step overhead, one run at a time (the first run warms the worker up and is not counted).
  const worker = spawn('bench');
  await worker.ready;
  const perStep: number[] = [];
  for (let run = 0; run <= sequentialRuns; run += 1) {
    const started = performance.now();
    const handle = await startRunbook(client, 'engine-noop', {
      lab,
      taskQueue: 'bench',
      workflowId: `bench/sequential-${run}`,
    });
    await handle.result();
    const msPerStep = (performance.now() - started) / NOOP_STEPS;
    if (run > 0) perStep.push(msPerStep);
    say(`  sequential run ${run}${run === 0 ? ' (warm-up)' : ''}: ${msPerStep.toFixed(1)} ms/step`);
  }
  const perStepOverheadMsMedian = round(median(perStep), 1);

  // 2. Concurrent runs on the same worker.
  const started = performance.now();
  const handles = await Promise.all(
    Array.from({ length: concurrentRuns }, (_, index) =>
      startRunbook(client, 'engine-noop', { lab, taskQueue: 'bench', workflowId: `bench/concurrent-${index}` }),
    ),
  );
  await Promise.all(handles.map((handle) => handle.result()));
  const concurrentWallS = round((performance.now() - started) / 1000, 2);
  const workerPeakRssMb = round(peakRssMb(worker.pid), 1);
  say(
    `  ${concurrentRuns} concurrent runs of ${NOOP_STEPS} steps: ${concurrentWallS} s, worker peak RSS ${workerPeakRssMb} MB`,
  );
  await worker.kill('SIGTERM');

  // 3. Resume after SIGKILL mid-wait.
  const doomed = spawn('bench-kill');
  await doomed.ready;
  const handle = await startRunbook(client, 'engine-wait-default', {
    lab,
    taskQueue: 'bench-kill',
    workflowId: 'bench/kill',
  });
  await until(
    () => readExecutions(dir, handle.workflowId).some((record) => record.event === 'wait-start'),
    'the wait to start',
  );
  // Let the wait poll for a while, as a real wait would, then kill its worker without warning.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  await doomed.kill('SIGKILL');
  await writeFile(markerFile(dir, handle.workflowId, 'release'), '');
  const restartedAt = Date.now();
  const replacement = spawn('bench-kill');
  await replacement.ready;
  const readyS = (Date.now() - restartedAt) / 1000;
  await until(
    () => readExecutions(dir, handle.workflowId).some((record) => record.step === 'after'),
    'the step after the wait',
    120_000,
  );
  const after = readExecutions(dir, handle.workflowId).find((record) => record.step === 'after')!;
  const resumeAfterKillS = round((after.at - restartedAt) / 1000, 2);
  await handle.result();
  say(
    `  resume after SIGKILL: next step ran ${resumeAfterKillS} s after the new worker started (it polled after ${readyS.toFixed(2)} s)`,
  );

  // 4. The day-2 runbooks in order on an installed simulated lab (fastest time scale), then again.
  const { day2RehearsalS, day2NoopS } = await day2Figures(server, dir);
  say(`  day-2 runbooks in order: ${day2RehearsalS} s; second runs: ${day2NoopS} s`);

  // 5. The whole rebuild of the example lab on an installed simulated lab (fastest time scale).
  const rebuildRehearsalS = await rebuildFigure(server, dir);
  say(`  rebuild of the example lab: ${rebuildRehearsalS} s`);

  const figures = {
    rebuildRehearsalS,
    perStepOverheadMsMedian,
    concurrentWallS,
    workerPeakRssMb,
    resumeAfterKillS,
    day2RehearsalS,
    day2NoopS,
  };
  say('');
  say('figure                     measured   target');
  for (const [key, target] of Object.entries(TARGETS)) {
    const value = figures[key as keyof typeof figures];
    say(`${key.padEnd(26)} ${String(value).padStart(8)}   < ${target}${value < target ? '' : '  (missed)'}`);
  }
  if (values.json) {
    say(
      JSON.stringify({
        ...figures,
        targets: TARGETS,
        steps: NOOP_STEPS,
        sequentialRuns,
        concurrentRuns,
        cpus: os.cpus().length,
      }),
    );
  }
} finally {
  for (const worker of workers) await worker.kill('SIGKILL');
  await connection.close();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}

/** Seconds for the four day-2 runbooks on a fresh installed simulated lab, and for their second runs. */
async function day2Figures(
  temporal: { address: string; namespace: string },
  scratch: string,
): Promise<{ day2RehearsalS: number; day2NoopS: number }> {
  const { NativeConnection, Worker } = await import('@temporalio/worker');
  const { createActivities } = await import('../activities/index.js');
  const { bundleRunbookWorkflows, installWorkerRuntime } = await import('../worker/worker.js');
  // The bench's first in-process worker: warnings only, as in the tests.
  installWorkerRuntime({ logLevel: 'WARN' });
  const { startSimulatedLab } = await import('../simulator/lab-sim.js');
  const sim = await startSimulatedLab({
    lab,
    stateDir: path.join(scratch, 'sim'),
    from: 'installed',
    timeScale: 0,
    log: { info: () => {}, warn: () => {} },
  });
  const native = await NativeConnection.connect({ address: temporal.address });
  const worker = await Worker.create({
    connection: native,
    namespace: temporal.namespace,
    taskQueue: 'bench-day2',
    workflowBundle: await bundleRunbookWorkflows(),
    activities: createActivities(),
  });
  const running = worker.run();
  try {
    const pass = async (round: string) => {
      const started = performance.now();
      for (const runbook of DAY2_RUNBOOKS) {
        const handle = await startRunbook(client, runbook, {
          lab,
          taskQueue: 'bench-day2',
          workflowId: `bench/${runbook}/${round}`,
          input: { rehearsal: { endpointsFile: sim.endpointsPath, kubeconfig: sim.kubeconfigPath } },
        });
        await handle.result();
      }
      return round2((performance.now() - started) / 1000);
    };
    return { day2RehearsalS: await pass('first'), day2NoopS: await pass('second') };
  } finally {
    worker.shutdown();
    await running;
    await native.close();
    await sim.stop();
  }
}

/** Seconds for a whole `rebuild` of the example lab, from an installed simulated lab to its end. */
async function rebuildFigure(temporal: { address: string; namespace: string }, scratch: string): Promise<number> {
  const { NativeConnection } = await import('@temporalio/worker');
  const { createLabWorkers, createRunbookWorker, installWorkerRuntime } = await import('../worker/worker.js');
  installWorkerRuntime({ logLevel: 'WARN' });
  const { startSimulatedLab } = await import('../simulator/lab-sim.js');
  const sim = await startSimulatedLab({
    lab,
    stateDir: path.join(scratch, 'sim-rebuild'),
    from: 'installed',
    timeScale: 0,
    log: { info: () => {}, warn: () => {} },
  });
  const native = await NativeConnection.connect({ address: temporal.address });
  // The run's queue and the lab's own (the install-folder steps), as `runbook worker --lab` serves them.
  const options = { connection: native, namespace: temporal.namespace, taskQueue: 'bench-rebuild' };
  const rebuildWorkers = [
    await createRunbookWorker(options),
    ...(await createLabWorkers({ ...options, labs: [lab.name] })),
  ];
  const running = rebuildWorkers.map((worker) => worker.run());
  try {
    const started = performance.now();
    const handle = await startRunbook(client, 'rebuild', {
      lab,
      taskQueue: 'bench-rebuild',
      workflowId: 'bench/rebuild',
      input: { rehearsal: { endpointsFile: sim.endpointsPath, kubeconfig: sim.kubeconfigPath } },
    });
    await handle.result();
    return round2((performance.now() - started) / 1000);
  } finally {
    for (const worker of rebuildWorkers) worker.shutdown();
    await Promise.all(running);
    await native.close();
    await sim.stop();
  }
}

function round2(value: number): number {
  return round(value, 2);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

/** Peak resident set size of a process (Linux: VmHWM in /proc/<pid>/status). */
function peakRssMb(pid: number): number {
  const status = `/proc/${pid}/status`;
  if (!existsSync(status)) return Number.NaN;
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(status, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

async function until(predicate: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
