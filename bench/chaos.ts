/**
 * Chaos run (not a test; CI runs a short one, .ci/run): `npm run chaos -- --runs N` (default 3). Full
 * `rebuild` rehearsals of the example lab on an installed simulated lab while the worker process
 * (`runbook worker --lab intra`) is SIGKILLed at random moments (2 to 4 times a run) and the Temporal
 * dev server is restarted once mid-run (same state file and port). Each run must complete;
 * no completed step may run again (in the run's history every step activity is scheduled once: a kill
 * retries the attempt in flight, never a finished step); and every mutating effect the simulator counts
 * (API writes, power operations) may exceed an undisturbed run's by at most one per interruption.
 *
 * Prints one JSON line: runs, completed, kills, serverRestarts, duplicatedEffects, completedStepsRerun,
 * wallS, and exits 1 when a run fails a check. Every step heartbeats (waits a checkpoint, actions a bare
 * heartbeat from the step wrapper), so a kill is noticed within the step's heartbeat timeout (10 s for a
 * wait, 30 s for an action) and the attempt in flight is retried on the restarted worker.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { execa, type ResultPromise } from 'execa';
import getPort from 'get-port';
import { findTemporalCli } from '../temporal/cli-binary.js';
import { LOOPBACK, startDevServer, type DevServer } from '../temporal/dev-server.js';
import { loadExampleLab, REPO_ROOT } from '../testing/engine-harness.js';
import { startSimulatedLab } from '../simulator/lab-sim.js';
import type { RunbookInput } from '../workflows/engine/api.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, seed: { type: 'string' } },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs <= 0) throw new Error(`--runs must be a positive whole number, not ${values.runs}`);

/** A small seeded generator, so that a failing chaos run can be replayed with --seed. */
let seed = Number(values.seed ?? Date.now() % 1_000_000);
const startSeed = seed;
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};

const TASK_QUEUE = 'openshift-runbooks-chaos';
const lab = await loadExampleLab();
const dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-chaos-'));
const binary = await findTemporalCli({ install: false });
const port = await getPort({ host: LOOPBACK });
const dbFile = path.join(dir, 'temporal.db');
let server: DevServer = await startDevServer({ binary, dbFile, port, headless: true });
const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection, namespace: server.namespace });

function spawnWorker(): ResultPromise {
  return execa(
    process.execPath,
    [path.join(REPO_ROOT, 'bin/runbook.js'), 'worker', '--task-queue', TASK_QUEUE, '--lab', lab.name],
    {
      cwd: REPO_ROOT,
      env: { TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace, XDG_STATE_HOME: dir },
      reject: false,
      stdin: 'ignore',
      stdout: 'ignore',
      stderr: 'ignore',
      cleanup: true,
    },
  );
}

interface Effects {
  apiWrites: number;
  powerOps: number;
}

/** Every step activity scheduled more than once in the run's history: a completed step that ran again. */
async function rerunSteps(handle: WorkflowHandle): Promise<string[]> {
  const scheduled = new Map<string, number>();
  for (const event of (await handle.fetchHistory()).events ?? []) {
    const id = event.activityTaskScheduledEventAttributes?.activityId;
    if (id) scheduled.set(id, (scheduled.get(id) ?? 0) + 1);
  }
  return [...scheduled].filter(([, count]) => count > 1).map(([id]) => id);
}

/** Waits for the run's end, through server restarts (the client reconnects). */
async function outcome(handle: WorkflowHandle): Promise<string> {
  for (;;) {
    try {
      const status = (await handle.describe()).status.name;
      if (status !== 'RUNNING') return status;
    } catch {
      // The server is restarting.
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function rebuild(name: string, disturb?: { kills: number; withinMs: number }) {
  const sim = await startSimulatedLab({
    lab,
    stateDir: path.join(dir, name),
    from: 'installed',
    timeScale: 0,
    log: { info: () => {}, warn: () => {} },
  });
  let powerOps = 0;
  sim.hosts.power.on('power', () => (powerOps += 1));
  // The worker runs as a service would (systemd's Restart=on-failure): one started while the server is
  // restarting cannot connect and exits (code 3), and is started again a second later.
  let ended = false;
  const supervised = (): ResultPromise => {
    const child = spawnWorker();
    void child.then((result) => {
      if (!ended && child === worker && result.signal !== 'SIGKILL')
        setTimeout(() => {
          if (!ended && child === worker) worker = supervised();
        }, 1_000);
    });
    return child;
  };
  let worker = supervised();
  const started = Date.now();
  const input: RunbookInput = {
    lab,
    rehearsal: { endpointsFile: sim.endpointsPath, kubeconfig: sim.kubeconfigPath },
  };
  const handle = await client.workflow.start('rebuild', {
    taskQueue: TASK_QUEUE,
    workflowId: `rebuild/${lab.name}/${name}`,
    args: [input],
  });
  const timers: NodeJS.Timeout[] = [];
  let kills = 0;
  let restarts = 0;
  if (disturb) {
    const at = (fraction: number) => Math.floor(1_000 + fraction * disturb.withinMs);
    const killTimes = Array.from({ length: disturb.kills }, () => at(random())).sort((a, b) => a - b);
    for (const time of killTimes) {
      timers.push(
        setTimeout(() => {
          worker.kill('SIGKILL');
          kills += 1;
          worker = supervised();
        }, time),
      );
    }
    timers.push(
      setTimeout(
        () => {
          restarts += 1;
          void server
            .stop()
            .then(async () => (server = await startDevServer({ binary, dbFile, port, headless: true })));
        },
        at(0.2 + 0.4 * random()),
      ),
    );
  }
  const status = await outcome(handle);
  ended = true;
  for (const timer of timers) clearTimeout(timer);
  const effects: Effects = { apiWrites: sim.apiWrites(), powerOps };
  const rerun = status === 'COMPLETED' ? await rerunSteps(handle) : [];
  worker.kill('SIGKILL');
  await worker;
  await sim.stop();
  return { status, effects, rerun, kills, restarts, ms: Date.now() - started };
}

const wallStart = Date.now();
let failed = false;
try {
  const baseline = await rebuild('baseline');
  if (baseline.status !== 'COMPLETED') throw new Error(`the undisturbed rebuild ended ${baseline.status}`);
  let completed = 0;
  let kills = 0;
  let restarts = 0;
  const duplicated: Effects = { apiWrites: 0, powerOps: 0 };
  const rerunSteps: string[] = [];
  for (let index = 0; index < runs; index += 1) {
    const run = await rebuild(`chaos-${index}`, { kills: 2 + Math.floor(random() * 3), withinMs: baseline.ms * 0.8 });
    kills += run.kills;
    restarts += run.restarts;
    const interruptions = run.kills + run.restarts;
    if (run.status === 'COMPLETED') completed += 1;
    else failed = true;
    for (const key of Object.keys(duplicated) as Array<keyof Effects>) {
      const extra = Math.max(0, run.effects[key] - baseline.effects[key]);
      duplicated[key] += extra;
      if (extra > interruptions) failed = true;
    }
    if (run.rerun.length > 0) failed = true;
    rerunSteps.push(...run.rerun.map((id) => `chaos-${index}:${id}`));
  }
  process.stdout.write(
    `${JSON.stringify({
      runs,
      completed,
      kills,
      serverRestarts: restarts,
      duplicatedEffects: duplicated,
      completedStepsRerun: rerunSteps,
      baselineS: Math.round(baseline.ms / 100) / 10,
      wallS: Math.round((Date.now() - wallStart) / 100) / 10,
      seed: startSeed,
    })}\n`,
  );
} finally {
  await connection.close();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
