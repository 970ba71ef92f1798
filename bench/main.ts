/**
 * Engine benchmark (not a test): `npm run bench` prints figures, `npm run bench -- --json` also prints
 * them as one JSON object on the last line.
 *
 * - per-step overhead: a runbook of 50 no-op steps, end to end (start → result) / 50, median of runs;
 *   beside it, run for run on the same server, a bare SDK workflow of 50 no-op activities in a worker
 *   process of its own (./bare-sdk.ts, `bareSdkStepMsMedian`), and the ratio of the two
 *   (`perStepOverheadRatio`, engine / bare);
 * - 20 such runbooks at once on one worker: total wall time and the worker's peak RSS (VmHWM); then 20 of
 *   the same runbook with every second step placed on the lab (`engine-noop-lab`), on a shared worker
 *   process and a lab worker process (`runbook worker --lab` on the machine with the install folder): the
 *   peak RSS of each (`sharedWorkerPeakRssMb`, `labWorkerPeakRssMb`);
 * - resume after SIGKILL: a worker killed mid-wait, a new one started; seconds from its start until
 *   the step after the wait runs (the wait uses the product's default heartbeat timeout);
 * - day-2: infra-nodes, ceph-csi, registry-storage, egress-router in order on an installed simulated
 *   lab at time scale 0 (`day2RehearsalS`), then the same four again, finding nothing to do (`day2NoopS`);
 * - install: the install runbook from a bare simulated example lab at time scale 0 to a running cluster
 *   (`installRehearsalS`, start → result), then a second run that finds nothing to do (`installNoopS`); the
 *   same with the lab on its real control plane, for comparison (`installRehearsalRealS`, `installNoopRealS`);
 * - helper push: the bootstrap's DNS, DHCP, PXE and HAProxy files pushed, checked by the real checkers
 *   and reloaded on the five helper hosts of the example lab, all served by a real OpenSSH sshd on
 *   loopback with their service folders under a temp folder (`helperPushFirstS`), then again, finding
 *   every file as wanted (`helperPushNoopS`);
 * - rebuild: the whole `rebuild` of the example lab (teardown, install, the four day-2 stages) on an
 *   installed simulated lab at time scale 0 (`rebuildRehearsalS`).
 * - IPMI BMCs: every example lab node behind a simulated IPMI BMC (./bmc.ts): start, memory, and one
 *   real ipmitool command (`ipmiBmcStartMs`, `ipmiBmcRssMb`, `ipmiCommandMsMedian`).
 * - control plane: the simulated lab's real etcd, kube-apiserver, kube-controller-manager and
 *   kube-scheduler started on loopback, from the first process to ready with openshift/api's CRDs
 *   Established (`simStartControlPlaneS`), and the sum of their resident memory then (`simControlPlaneRssMb`).
 * - simulated lab start: `startSimulatedLab` from bare (`simStartBareS`) and installed (`simStartInstalledS`) at
 *   time scale 0 with its real control plane, until it serves (the lab seeded through it, the SCC webhook
 *   registered); the start without the real control plane is printed beside it.
 *
 * `--only <figure>[,<figure>…]` (repeatable) measures only the parts that give those figures.
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
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { startControlPlane } from '../simulator/control-plane/control-plane.js';
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
import { spawnBareSdkWorker, startBareSdkRun } from './bare-sdk.js';

const TARGETS = {
  perStepOverheadMsMedian: 30,
  perStepOverheadRatio: 1.15,
  concurrentWallS: 60,
  workerPeakRssMb: 300,
  sharedWorkerPeakRssMb: 300,
  labWorkerPeakRssMb: 300,
  resumeAfterKillS: 15,
  day2RehearsalS: 20,
  day2NoopS: 8,
  installRehearsalS: 20,
  installNoopS: 5,
  helperPushFirstS: 3,
  helperPushNoopS: 2,
  rebuildRehearsalS: 60,
  simStartControlPlaneS: 15,
  simControlPlaneRssMb: 1000,
  ipmiBmcStartMs: 1000,
  ipmiBmcRssMb: 60,
  ipmiCommandMsMedian: 200,
  simStartBareS: 30,
  simStartInstalledS: 30,
} as const;
/** Figures measured for comparison, with no target of their own. */
const REFERENCES = ['bareSdkStepMsMedian', 'installRehearsalRealS', 'installNoopRealS'] as const;
type Figure = keyof typeof TARGETS | (typeof REFERENCES)[number];
const FIGURES: readonly string[] = [...Object.keys(TARGETS), ...REFERENCES];
/** The figures of the engine's own worker process (the no-op runbook), besides the bare SDK reference. */
const ENGINE_FIGURES = [
  'perStepOverheadMsMedian',
  'perStepOverheadRatio',
  'concurrentWallS',
  'workerPeakRssMb',
  'sharedWorkerPeakRssMb',
  'labWorkerPeakRssMb',
] as const;

/** The day-2 runbooks in the order an operator runs them after an install. */
const DAY2_RUNBOOKS = ['infra-nodes', 'ceph-csi', 'registry-storage', 'egress-router'] as const;

/** The host push steps of the install, in its order. */
const HELPER_PUSHES = ['hostsPushDns', 'hostsPushDhcp', 'hostsPushPxe', 'hostsPushHaproxyBootstrap'] as const;

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    runs: { type: 'string', default: '5' },
    concurrent: { type: 'string', default: '20' },
    /** Use a running server (e.g. `runbook server`) instead of starting one. */
    address: { type: 'string' },
    /** Only these figures (comma-separated, repeatable): the parts of the bench that give them. */
    only: { type: 'string', multiple: true },
  },
});
const sequentialRuns = Number(values.runs);
const concurrentRuns = Number(values.concurrent);
const only = (values.only ?? []).flatMap((names) => names.split(',')).filter(Boolean);
const unknown = only.filter((name) => !FIGURES.includes(name));
if (unknown.length) {
  process.stderr.write(`bench: unknown figure ${unknown.join(', ')}; the figures: ${FIGURES.join(', ')}\n`);
  process.exit(2);
}
/** Whether to measure a part of the bench: one of its figures is wanted (all without --only). */
const wanted = (...names: Figure[]) => only.length === 0 || names.some((name) => only.includes(name));

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

/** The engine test catalogue's bundle for the worker processes, written once when first needed. */
let bundlePath: Promise<string> | undefined;

/** A worker process with the engine test catalogue, killed at the end of the bench. */
async function spawnWorker(
  taskQueue: string,
  placement: { labs?: readonly string[]; labOnly?: boolean } = {},
): Promise<WorkerProcess> {
  bundlePath ??= writeEngineBundle(dir);
  const worker = spawnEngineWorker({
    address: server.address,
    namespace: server.namespace,
    dir,
    taskQueue,
    bundlePath: await bundlePath,
    ...placement,
  });
  workers.push(worker);
  return worker;
}

try {
  say(`dev server ${server.address}; ${os.cpus().length} CPUs`);

  const figures: Partial<Record<Figure, number>> = {};

  if (wanted(...ENGINE_FIGURES, 'bareSdkStepMsMedian')) {
    Object.assign(figures, await engineFigures());
  }
  if (wanted('resumeAfterKillS')) figures.resumeAfterKillS = await resumeFigure();

  // The day-2 runbooks in order on an installed simulated lab (fastest time scale), then again.
  if (wanted('day2RehearsalS', 'day2NoopS')) {
    const { day2RehearsalS, day2NoopS } = await day2Figures(server, dir);
    say(`  day-2 runbooks in order: ${day2RehearsalS} s; second runs: ${day2NoopS} s`);
    Object.assign(figures, { day2RehearsalS, day2NoopS });
  }

  // The install runbook from a bare simulated lab (fastest time scale), then again.
  if (wanted('installRehearsalS', 'installNoopS')) {
    const { installRehearsalS, installNoopS } = await installFigures(server, dir);
    say(`  install, bare lab to running cluster: ${installRehearsalS} s; second run: ${installNoopS} s`);
    Object.assign(figures, { installRehearsalS, installNoopS });
  }
  // The same on the real control plane (for comparison: not the default rehearsal path yet).
  if (wanted('installRehearsalRealS', 'installNoopRealS')) {
    const real = await installFigures(server, dir, true);
    say(`  install on the real control plane: ${real.installRehearsalS} s; second run: ${real.installNoopS} s`);
    Object.assign(figures, { installRehearsalRealS: real.installRehearsalS, installNoopRealS: real.installNoopS });
  }

  // The helper hosts' files pushed over SSH to a real sshd, checked and reloaded, then again.
  if (wanted('helperPushFirstS', 'helperPushNoopS')) {
    const { helperPushFirstS, helperPushNoopS } = await helperPushFigures(dir);
    say(`  helper host push (DNS, DHCP, PXE, HAProxy on 5 hosts): ${helperPushFirstS} s; again: ${helperPushNoopS} s`);
    Object.assign(figures, { helperPushFirstS, helperPushNoopS });
  }

  // The whole rebuild of the example lab on an installed simulated lab (fastest time scale).
  if (wanted('rebuildRehearsalS')) {
    figures.rebuildRehearsalS = await rebuildFigure(server, dir);
    say(`  rebuild of the example lab: ${figures.rebuildRehearsalS} s`);
  }

  // The real control plane of the simulated lab: start to ready, and its memory.
  if (wanted('simStartControlPlaneS', 'simControlPlaneRssMb')) {
    Object.assign(figures, await controlPlaneFigures());
  }

  // The simulated IPMI BMCs: start, memory, one real ipmitool command.
  if (wanted('ipmiBmcStartMs', 'ipmiBmcRssMb', 'ipmiCommandMsMedian')) {
    const { bmcFigures } = await import('./bmc.js');
    const { nodes, ...bmc } = await bmcFigures(lab);
    say(
      `  IPMI BMCs for ${nodes} nodes: started in ${bmc.ipmiBmcStartMs} ms, ${bmc.ipmiBmcRssMb} MB; ` +
        `ipmitool power status ${bmc.ipmiCommandMsMedian} ms`,
    );
    Object.assign(figures, bmc);
  }

  // A simulated lab ready to serve, control plane included, from bare and from installed.
  for (const [from, figure] of [
    ['bare', 'simStartBareS'],
    ['installed', 'simStartInstalledS'],
  ] as const) {
    if (!wanted(figure)) continue;
    const withPlane = await simStartSeconds(from, true, dir);
    const without = await simStartSeconds(from, false, dir);
    say(`  simulated lab from ${from}: ready in ${withPlane} s with its real control plane (${without} s without)`);
    figures[figure] = withPlane;
  }

  say('');
  say('figure                     measured   target');
  for (const key of FIGURES) {
    const value = figures[key as Figure];
    if (value === undefined) continue;
    const target = (TARGETS as Record<string, number>)[key];
    const verdict = target === undefined ? '(reference)' : `< ${target}${value < target ? '' : '  (missed)'}`;
    say(`${key.padEnd(26)} ${String(value).padStart(8)}   ${verdict}`);
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

/**
 * Per-step cost, one run at a time, of the engine's no-op runbook and of the bare SDK workflow (each in
 * its worker process, their runs taking turns so that both see the same load); then concurrent runbooks
 * on the engine's worker and its peak RSS.
 */
async function engineFigures(): Promise<Partial<Record<Figure, number>>> {
  const figures: Partial<Record<Figure, number>> = {};
  const engineWorker = wanted(...ENGINE_FIGURES) ? await spawnWorker('bench') : undefined;
  const bareWorker = wanted('bareSdkStepMsMedian', 'perStepOverheadRatio')
    ? await spawnBareSdkWorker({ ...server, dir, taskQueue: 'bench-bare' })
    : undefined;
  if (bareWorker) workers.push(bareWorker);
  const kinds = [
    engineWorker && {
      name: 'engine runbook',
      worker: engineWorker,
      start: (run: number) =>
        startRunbook(client, 'engine-noop', { lab, taskQueue: 'bench', workflowId: `bench/sequential-${run}` }),
      ms: [] as number[],
    },
    bareWorker && {
      name: 'bare SDK workflow',
      worker: bareWorker,
      start: (run: number) =>
        startBareSdkRun(client, { taskQueue: 'bench-bare', workflowId: `bench/bare-${run}`, steps: NOOP_STEPS }),
      ms: [] as number[],
    },
  ].filter((kind) => kind !== undefined);
  await Promise.all(kinds.map((kind) => kind.worker.ready));

  // 1. One run at a time, the two kinds in turn (the first run of each warms its worker up, not counted).
  for (let run = 0; run <= sequentialRuns; run += 1) {
    for (const kind of run % 2 === 0 ? kinds : [...kinds].reverse()) {
      const started = performance.now();
      await (await kind.start(run)).result();
      const msPerStep = (performance.now() - started) / NOOP_STEPS;
      if (run > 0) kind.ms.push(msPerStep);
      say(`  ${kind.name}, sequential run ${run}${run === 0 ? ' (warm-up)' : ''}: ${msPerStep.toFixed(1)} ms/step`);
    }
  }
  const [engine, bare] = [
    kinds.find((kind) => kind.worker === engineWorker),
    kinds.find((kind) => kind.worker === bareWorker),
  ];
  if (engine) figures.perStepOverheadMsMedian = round(median(engine.ms), 1);
  if (bare) figures.bareSdkStepMsMedian = round(median(bare.ms), 1);
  if (engine && bare) {
    figures.perStepOverheadRatio = round(figures.perStepOverheadMsMedian! / figures.bareSdkStepMsMedian!, 2);
    say(`  per-step cost, engine / bare SDK: ${figures.perStepOverheadRatio}`);
  }
  await bareWorker?.kill('SIGTERM');

  // 2. Concurrent runs on the engine's worker.
  if (engineWorker && wanted('concurrentWallS', 'workerPeakRssMb')) {
    const started = performance.now();
    const handles = await Promise.all(
      Array.from({ length: concurrentRuns }, (_, index) =>
        startRunbook(client, 'engine-noop', { lab, taskQueue: 'bench', workflowId: `bench/concurrent-${index}` }),
      ),
    );
    await Promise.all(handles.map((handle) => handle.result()));
    figures.concurrentWallS = round((performance.now() - started) / 1000, 2);
    figures.workerPeakRssMb = round(peakRssMb(engineWorker.pid), 1);
    say(
      `  ${concurrentRuns} concurrent runs of ${NOOP_STEPS} steps: ${figures.concurrentWallS} s, ` +
        `worker peak RSS ${figures.workerPeakRssMb} MB`,
    );
  }
  await engineWorker?.kill('SIGTERM');

  // 3. Concurrent runs with half their steps on the lab: the shared worker and the lab worker apart.
  if (wanted('sharedWorkerPeakRssMb', 'labWorkerPeakRssMb')) Object.assign(figures, await splitWorkerFigures());
  return figures;
}

/** Peak RSS of a shared worker process and a lab worker process under 20 concurrent `engine-noop-lab` runs. */
async function splitWorkerFigures(): Promise<Partial<Record<Figure, number>>> {
  const [shared, labWorker] = [
    await spawnWorker('bench-split'),
    await spawnWorker('bench-split', { labs: [lab.name], labOnly: true }),
  ];
  await Promise.all([shared.ready, labWorker.ready]);
  const handles = await Promise.all(
    Array.from({ length: concurrentRuns }, (_, index) =>
      startRunbook(client, 'engine-noop-lab', { lab, taskQueue: 'bench-split', workflowId: `bench/split-${index}` }),
    ),
  );
  await Promise.all(handles.map((handle) => completed(handle)));
  const figures = {
    sharedWorkerPeakRssMb: round(peakRssMb(shared.pid), 1),
    labWorkerPeakRssMb: round(peakRssMb(labWorker.pid), 1),
  };
  say(
    `  ${concurrentRuns} concurrent runs with every second step on the lab: shared worker peak RSS ` +
      `${figures.sharedWorkerPeakRssMb} MB, lab worker ${figures.labWorkerPeakRssMb} MB`,
  );
  await Promise.all([shared.kill('SIGTERM'), labWorker.kill('SIGTERM')]);
  return figures;
}

/** Seconds from a new worker's start until the step after a wait runs, its predecessor SIGKILLed mid-wait. */
async function resumeFigure(): Promise<number> {
  // 3. Resume after SIGKILL mid-wait.
  const doomed = await spawnWorker('bench-kill');
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
  const replacement = await spawnWorker('bench-kill');
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

  return resumeAfterKillS;
}

/**
 * In-process workers of the product for `taskQueue`: the runbook worker and the example lab's own
 * (steps placed `on: 'lab'`), as `runbook rehearse` runs them.
 */
async function productWorkers(temporal: { address: string; namespace: string }, taskQueue: string) {
  const { NativeConnection } = await import('@temporalio/worker');
  const { installWorkerRuntime } = await import('../worker/worker.js');
  // The bench's first in-process worker: warnings only, as in the tests.
  installWorkerRuntime({ logLevel: 'WARN' });
  const { startRunbookWorkers } = await import('../testing/runbook-workers.js');
  const native = await NativeConnection.connect({ address: temporal.address });
  const running = await startRunbookWorkers({
    connection: native,
    namespace: temporal.namespace,
    taskQueue,
    labs: [lab.name],
    shutdownGraceTime: '10s',
  });
  return {
    async stop() {
      await running.stop();
      await native.close();
    },
  };
}

/** Waits for a run's result; a run that does not complete (it paused, or failed) stops the bench. */
async function completed(handle: WorkflowHandle): Promise<{ changed: number }> {
  const result = (await handle.result()) as { state: string; changed: number };
  if (result.state !== 'completed') throw new Error(`bench: ${handle.workflowId} ended ${result.state}`);
  return result;
}

/** Seconds for the four day-2 runbooks on a fresh installed simulated lab, and for their second runs. */
async function day2Figures(
  temporal: { address: string; namespace: string },
  scratch: string,
): Promise<{ day2RehearsalS: number; day2NoopS: number }> {
  const { startSimulatedLab } = await import('../simulator/lab-sim.js');
  const workers = await productWorkers(temporal, 'bench-day2');
  const sim = await startSimulatedLab({
    lab,
    stateDir: path.join(scratch, 'sim'),
    from: 'installed',
    timeScale: 0,
    log: { info: () => {}, warn: () => {} },
  });
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
        await completed(handle);
      }
      return round2((performance.now() - started) / 1000);
    };
    return { day2RehearsalS: await pass('first'), day2NoopS: await pass('second') };
  } finally {
    await workers.stop();
    await sim.stop();
  }
}

/**
 * Seconds for the install runbook on a bare simulated example lab (time scale 0) until it completes,
 * and for a second run on the lab it installed, which must change nothing.
 */
async function installFigures(
  temporal: { address: string; namespace: string },
  scratch: string,
  realControlPlane = false,
): Promise<{ installRehearsalS: number; installNoopS: number }> {
  const { startSimulatedLab } = await import('../simulator/lab-sim.js');
  const queue = realControlPlane ? 'bench-install-real' : 'bench-install';
  const workers = await productWorkers(temporal, queue);
  const sim = await startSimulatedLab({
    lab,
    stateDir: path.join(scratch, realControlPlane ? 'sim-install-real' : 'sim-install'),
    from: 'bare',
    timeScale: 0,
    realControlPlane,
    log: { info: () => {}, warn: () => {} },
  });
  try {
    const run = async (round: string) => {
      const started = performance.now();
      const handle = await startRunbook(client, 'install', {
        lab,
        taskQueue: queue,
        workflowId: `bench/${queue}/${round}`,
        input: { rehearsal: { endpointsFile: sim.endpointsPath, kubeconfig: sim.kubeconfigPath } },
      });
      const result = await completed(handle);
      return { seconds: round2((performance.now() - started) / 1000), changed: result.changed };
    };
    const first = await run('first');
    const second = await run('second');
    if (second.changed !== 0) throw new Error(`bench: the second install run changed ${second.changed} steps`);
    return { installRehearsalS: first.seconds, installNoopS: second.seconds };
  } finally {
    await workers.stop();
    await sim.stop();
  }
}

/** Seconds for the whole rebuild (teardown, install, the day-2 stages) of an installed simulated lab. */
async function rebuildFigure(temporal: { address: string; namespace: string }, scratch: string): Promise<number> {
  const { startSimulatedLab } = await import('../simulator/lab-sim.js');
  const workers = await productWorkers(temporal, 'bench-rebuild');
  const sim = await startSimulatedLab({
    lab,
    stateDir: path.join(scratch, 'sim-rebuild'),
    from: 'installed',
    timeScale: 0,
    log: { info: () => {}, warn: () => {} },
  });
  try {
    const started = performance.now();
    const handle = await startRunbook(client, 'rebuild', {
      lab,
      taskQueue: 'bench-rebuild',
      workflowId: 'bench/rebuild',
      input: { rehearsal: { endpointsFile: sim.endpointsPath, kubeconfig: sim.kubeconfigPath } },
    });
    await completed(handle);
    return round2((performance.now() - started) / 1000);
  } finally {
    await workers.stop();
    await sim.stop();
  }
}

/**
 * Seconds for the bootstrap's DNS, DHCP, PXE and HAProxy pushes (files written, checked by
 * named-checkconf -z / dhcpd -t / haproxy -c, services reloaded) on the example lab's five helper
 * hosts, every one served by a real sshd on loopback; then for the same pushes again, finding every
 * file as wanted.
 */
async function helperPushFigures(scratch: string): Promise<{ helperPushFirstS: number; helperPushNoopS: number }> {
  const { MockActivityEnvironment } = await import('@temporalio/testing');
  const { DefaultLogger } = await import('@temporalio/worker');
  const { createActivities } = await import('../activities/index.js');
  const { startSshd, sshdAvailable } = await import('../testing/sshd-server.js');
  const { findCheckerTools, localHelperLab, prepareLocalHosts, reloadCount } =
    await import('../testing/local-helper-hosts.js');
  const checkers = findCheckerTools();
  if ('missing' in checkers || !sshdAvailable()) {
    throw new Error(
      `bench: the helper push needs OpenSSH sshd and the checkers (named-checkconf, dhcpd, haproxy); missing: ${
        'missing' in checkers ? checkers.missing.join(', ') : 'sshd'
      } (apt-get install openssh-server bind9-utils isc-dhcp-server haproxy)`,
    );
  }
  const sshd = await startSshd();
  const root = path.join(scratch, 'helper-hosts');
  const helpers = localHelperLab(lab, sshd, root, checkers.tools);
  await prepareLocalHosts(helpers, root);
  const activities = createActivities();
  const environment = new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
  try {
    const pass = async (expectChanged: boolean) => {
      const started = performance.now();
      for (const name of HELPER_PUSHES) {
        const outcome = (await environment.run(activities[name], {
          runbook: 'install',
          stepId: name,
          lab: helpers,
        })) as { changed: boolean; detail?: string };
        if (outcome.changed !== expectChanged) {
          throw new Error(`bench: ${name} ${outcome.changed ? 'changed' : 'changed nothing'}: ${outcome.detail}`);
        }
      }
      return round2((performance.now() - started) / 1000);
    };
    const reloads = async () =>
      Promise.all(
        [
          ['netserv1', 'dns'],
          ['netserv2', 'dns'],
          ['netserv1', 'dhcp'],
          ['haproxy1', 'haproxy'],
          ['haproxy2', 'haproxy'],
        ].map(([host, service]) => reloadCount(root, host!, service!)),
      );
    const helperPushFirstS = await pass(true);
    const afterFirst = await reloads();
    const helperPushNoopS = await pass(false);
    // Each service reloaded once by the first pass, not again by the second.
    if (afterFirst.some((count) => count !== 1) || (await reloads()).join() !== afterFirst.join()) {
      throw new Error(`bench: unexpected reload counts ${afterFirst.join()} then ${(await reloads()).join()}`);
    }
    return { helperPushFirstS, helperPushNoopS };
  } finally {
    await sshd.stop();
  }
}

/** Seconds from `startSimulatedLab` to a lab that serves (at time scale 0), then stopped. */
async function simStartSeconds(
  from: 'bare' | 'installed',
  realControlPlane: boolean,
  scratch: string,
): Promise<number> {
  const { startSimulatedLab } = await import('../simulator/lab-sim.js');
  const started = performance.now();
  const sim = await startSimulatedLab({
    lab,
    stateDir: path.join(scratch, `sim-start-${from}-${realControlPlane}`),
    from,
    timeScale: 0,
    realControlPlane,
    log: { info: () => {}, warn: () => {} },
  });
  const seconds = round2((performance.now() - started) / 1000);
  await sim.stop();
  return seconds;
}

async function controlPlaneFigures(): Promise<{ simStartControlPlaneS: number; simControlPlaneRssMb: number }> {
  const plane = await startControlPlane();
  try {
    const rss = await plane.rssMb();
    const simControlPlaneRssMb = Object.values(rss).reduce((sum, mb) => sum + mb, 0);
    const simStartControlPlaneS = round2(plane.startMs / 1000);
    const each = Object.entries(rss)
      .map(([name, mb]) => `${name} ${mb} MB`)
      .join(', ');
    say(
      `  control plane ${plane.version} ready in ${simStartControlPlaneS} s; RSS ${simControlPlaneRssMb} MB (${each})`,
    );
    return { simStartControlPlaneS, simControlPlaneRssMb };
  } finally {
    await plane.stop();
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
