/**
 * `runbook rehearse`: run a runbook end to end against a simulated lab, before touching hardware.
 * Everything it starts listens on loopback and stops when the run ends: the simulated OpenShift API
 * server and helper hosts, a worker, and (unless a Temporal server is already configured or running)
 * the embedded Temporal dev server with its persistent state file, so the run stays visible in the UI.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import getPort from 'get-port';
import { loadScenario } from '../../simulator/faults.js';
import {
  DEFAULT_ADDRESS,
  connectClient,
  connectWorker,
  loadTemporalConfig,
  workflowUiUrl,
  type TemporalConfig,
} from '../../temporal/connection.js';
import { LOOPBACK, startDevServer, type DevServer } from '../../temporal/dev-server.js';
import { workflowIdFor } from '../../workflows/engine/api.js';
import { ExitCode, UserError } from '../errors.js';
import { defaultStateDir } from './server.js';
import { readLab } from '../lab-file.js';
import { jsonOption, optionOption } from '../options.js';
import { follow } from '../runs/follow.js';
import { rehearsePlan } from './plan.js';
import { runInput, startRun } from '../runs/start.js';
import type { RunbookDefinition } from '../../workflows/engine/definition.js';
import { awaitLastNotices } from './rehearse-notices.js';
import { clearOpenRehearsal, finalState, rehearsedRunbooks, summaryLines, type RehearsedRun } from './rehearse-runs.js';

/** Rehearsals have their own task queue, so a worker serving real labs never picks one up. */
export const REHEARSAL_TASK_QUEUE = 'openshift-runbooks-rehearsal';

interface RehearseOptions {
  lab: string;
  from?: 'bare' | 'installed';
  timeScale: number;
  stateDir?: string;
  faults?: string;
  option: Record<string, string | boolean>;
  json?: boolean;
  verbose?: boolean;
  restart?: boolean;
  plan?: boolean;
  realControlPlane?: boolean;
}

function parseTimeScale(value: string): number {
  const scale = Number(value);
  if (!(scale >= 0)) throw new UserError(`--time-scale must be a number of 0 or more, not "${value}"`, ExitCode.USAGE);
  return scale;
}

/** Runbooks rehearsed on a lab with no cluster yet; every other one (day 2) starts from an installed lab. */
const STARTS_BARE = new Set(['install', 'preflight', 'selftest']);

/** The simulated lab's start state when `--from` is not given: what the runbook expects to find. */
export function defaultStartState(runbook: string): 'bare' | 'installed' {
  return STARTS_BARE.has(runbook) ? 'bare' : 'installed';
}

function parseFrom(value: string): 'bare' | 'installed' {
  if (value !== 'bare' && value !== 'installed') {
    throw new UserError(`--from must be "bare" or "installed", not "${value}"`, ExitCode.USAGE);
  }
  return value;
}

/**
 * The configured Temporal server when it answers; otherwise, when nothing else is configured, the
 * embedded dev server, started here with the default state file (as `runbook server` would).
 */
async function temporalForRehearsal(
  say: (line: string) => void,
): Promise<{ config: TemporalConfig; client: Client; server?: DevServer }> {
  const configured = loadTemporalConfig();
  try {
    return { config: configured, client: await connectClient(configured, { connectTimeoutMs: 2_000 }) };
  } catch (error) {
    const explicit =
      process.env.TEMPORAL_ADDRESS || process.env.TEMPORAL_PROFILE || configured.address !== DEFAULT_ADDRESS;
    if (explicit) throw error;
  }
  const stateDir = defaultStateDir();
  await mkdir(stateDir, { recursive: true });
  // The usual ports when free, so the UI is where users expect it; any free ones otherwise.
  const port = await getPort({ host: LOOPBACK, port: 7233 });
  const uiPort = await getPort({ host: LOOPBACK, port: 8233 });
  say(`starting the embedded Temporal server (state in ${path.join(stateDir, 'temporal.db')})`);
  const server = await startDevServer({ dbFile: path.join(stateDir, 'temporal.db'), port, uiPort });
  process.env.TEMPORAL_ADDRESS = server.address;
  if (server.uiUrl) process.env.TEMPORAL_UI_URL = server.uiUrl;
  const config = loadTemporalConfig();
  return { config, client: await connectClient(config), server };
}

export function registerRehearseCommands(program: Command): void {
  program
    .command('rehearse')
    .description(
      'run a runbook, or several in order, against a simulated lab (API server and helper hosts on loopback) with a local worker',
    )
    .argument(
      '<runbooks>',
      'runbook name (see `runbook list-runbooks`), or several separated by commas, run in order on one simulated lab',
    )
    .requiredOption('--lab <file>', 'lab file (YAML)')
    .option(
      '--from <start>',
      'simulated lab state: "bare" (nothing installed) or "installed" (right after install); default: bare for ' +
        'install, preflight and selftest, installed for the day-2 runbooks',
      parseFrom,
    )
    .option('--time-scale <factor>', 'pace of the simulated lab: 0 instant, 1 real time', parseTimeScale, 0.05)
    .option('--state-dir <dir>', 'folder of the simulated lab (default: <state dir>/rehearsals/<lab>)')
    .option('--faults <file>', 'scenario file of faults the simulated lab shows (YAML `faults: [...]`)')
    .addOption(optionOption())
    .addOption(jsonOption())
    .option('--verbose', "print the worker's log in full (error stacks included), not one line per event")
    .option('--restart', 'terminate a run of this rehearsal still open in another rehearsal, and start again')
    .option(
      '--real-control-plane',
      'rehearse on a real etcd, kube-apiserver, kube-controller-manager and kube-scheduler (built by `runbook sim ' +
        "--install`): the lab's controllers are their clients and the runbooks' API calls are judged by the real server",
    )
    .option(
      '--plan',
      'say what the run would change on the simulated lab, step by step, and change nothing (see `runbook plan`)',
    )
    .addHelpText(
      'after',
      `
Examples:
  runbook rehearse preflight --lab runbooks/labs/example.yaml
  runbook rehearse selftest --lab runbooks/labs/example.yaml --option gate=true
  runbook rehearse preflight --lab runbooks/labs/example.yaml --faults runbooks/faults/pxe-refuses-ssh.yaml
  runbook rehearse infra-nodes,ceph-csi,registry-storage,egress-router --lab runbooks/labs/example.yaml --from installed

Several runbooks run in order on the same simulated lab, each one's progress shown as it goes; the first that
does not complete stops the rehearsal, and a summary says how each ended. A rehearsal's run id is
<runbook>/<lab>/rehearsal. A run left open by an interrupted rehearsal (its simulated lab gone) is terminated
when the next rehearsal starts; one whose simulated lab still answers belongs to a rehearsal still going
elsewhere, and is terminated only with --restart.

Every connection of the rehearsal goes to the simulated lab on 127.0.0.1; a step that would reach a lab address
fails instead. When a step pauses, the rehearsal keeps running: resume it from another terminal with the
commands it prints. Ctrl-C cancels the run and stops the simulated lab. Uses TEMPORAL_ADDRESS etc. when set;
otherwise the local server (\`runbook server\`) or, when none runs, an embedded one it starts and stops.`,
    )
    .action(async (names: string, options: RehearseOptions) => {
      const definitions = rehearsedRunbooks(names);
      const from = options.from ?? defaultStartState(definitions[0]!.name);
      const lab = await readLab(options.lab);
      const faults = options.faults ? await loadScenario(options.faults) : [];
      const say = (line: string) => {
        if (!options.json) process.stderr.write(`${line}\n`);
      };

      const stateDir = path.resolve(options.stateDir ?? path.join(defaultStateDir(), 'rehearsals', lab.name));
      const simDir = path.join(stateDir, 'sim');
      const workflowIdOf = (definition: RunbookDefinition) => `${workflowIdFor(definition.name, lab.name)}/rehearsal`;

      if (options.plan) {
        if (definitions.length > 1)
          throw new UserError('--plan takes one runbook: plan them one at a time', ExitCode.USAGE);
        // A plan needs no Temporal server and no worker (./plan.ts says why); a fresh simulated lab.
        await rm(simDir, { recursive: true, force: true });
        await mkdir(simDir, { recursive: true });
        const { timeScale, option } = options;
        const logFile = path.join(stateDir, 'sim.log');
        const json = Boolean(options.json);
        const definition = definitions[0]!;
        return rehearsePlan({ definition, lab, from, simDir, logFile, timeScale, faults, options: option, json });
      }

      const stops: Array<() => Promise<unknown>> = [];
      const stopAll = async () => {
        for (const stop of stops.reverse()) await stop().catch(() => undefined);
      };
      try {
        const { config, client, server } = await temporalForRehearsal(say);
        if (server) stops.push(() => server.stop());
        stops.push(() => client.connection.close());
        // Before the simulated lab's folder is emptied: a rehearsal still going elsewhere may use it.
        for (const definition of definitions)
          await clearOpenRehearsal(client, workflowIdOf(definition), { restart: Boolean(options.restart), say });

        const { createLabWorkers, createRunbookWorker, installWorkerRuntime } = await import('../../worker/worker.js');
        const { startSimulatedLab, streamLog } = await import('../../simulator/lab-sim.js');

        // A rehearsal starts from the state `--from` names, not from what the last one left on the hosts.
        await rm(simDir, { recursive: true, force: true });
        await mkdir(simDir, { recursive: true });
        // The simulator's log goes to a file: the terminal shows the run's progress.
        const simLogFile = createWriteStream(path.join(stateDir, 'sim.log'), { flags: 'a' });
        stops.push(() => new Promise((resolve) => simLogFile.end(resolve)));

        say(`starting the simulated lab ${lab.name} (${from}, time scale ${options.timeScale}) in ${simDir}`);
        const sim = await startSimulatedLab({
          lab,
          stateDir: simDir,
          from,
          timeScale: options.timeScale,
          faults,
          ...(options.realControlPlane && { realControlPlane: true }),
          log: streamLog(simLogFile),
        });
        stops.push(() => sim.stop());
        say(`  API server ${sim.apiUrl}, kubeconfig ${sim.kubeconfigPath}`);
        say(
          `  helper hosts: ${sim.endpoints.hosts.map((host) => `${host.name}=${host.address}:${host.port}`).join(' ')}`,
        );
        say(`  simulator log: ${path.join(stateDir, 'sim.log')}`);

        // The worker SDK installs signal handlers that stop workers on Ctrl-C; this command stops its
        // worker itself, after the run has been cancelled cleanly. The worker runtime keeps the process
        // alive until the last native connection it made is closed: installed right before that
        // connection, so that a failure earlier (a state folder that cannot be made, a simulated lab that
        // does not start) ends the command after its error instead of leaving it hanging.
        // SDK log lines are one per event unless --verbose (the full errors stay in the run's history).
        installWorkerRuntime({ logLevel: 'WARN', verbose: Boolean(options.verbose), shutdownSignals: [] });
        const connection = await connectWorker(config);
        stops.push(() => connection.close());
        // One worker serves the run's queue and the lab's own (steps placed `on: 'lab'`).
        const workerOptions = { connection, namespace: config.namespace, taskQueue: REHEARSAL_TASK_QUEUE };
        const workers = [
          await createRunbookWorker(workerOptions),
          ...(await createLabWorkers({ ...workerOptions, labs: [lab.name] })),
        ];
        for (const worker of workers) {
          const running = worker.run();
          stops.push(async () => {
            if (worker.getState() === 'RUNNING') worker.shutdown();
            await running;
          });
        }

        let current: string | undefined;
        let interrupted = 0;
        const onInterrupt = () => {
          interrupted += 1;
          if (interrupted > 1) process.exit(ExitCode.FAILED);
          say('cancelling the rehearsal (Ctrl-C again to quit at once)');
          if (current)
            void client.workflow
              .getHandle(current)
              .cancel()
              .catch(() => undefined);
        };
        process.on('SIGINT', onInterrupt);
        process.on('SIGTERM', onInterrupt);
        const runs: RehearsedRun[] = definitions.map((definition) => ({
          runbook: definition.name,
          workflowId: workflowIdOf(definition),
          state: 'not run',
        }));
        const started: string[] = [];
        try {
          for (const [index, definition] of definitions.entries()) {
            const workflowId = workflowIdOf(definition);
            const input = {
              ...runInput(lab, options.option),
              rehearsal: { endpointsFile: sim.endpointsPath, kubeconfig: sim.kubeconfigPath },
            };
            await startRun(client, config, { definition, lab, input, workflowId, taskQueue: REHEARSAL_TASK_QUEUE });
            current = workflowId;
            started.push(workflowId);
            const uiUrl = workflowUiUrl(config, workflowId);
            const step = definitions.length > 1 ? `[${index + 1}/${definitions.length}] ` : '';
            say(
              `${step}rehearsing ${definition.name} on lab ${lab.name}: ${workflowId}${uiUrl ? `\n  Web UI: ${uiUrl}` : ''}`,
            );
            process.exitCode = await follow(client, workflowId, Boolean(options.json), true);
            runs[index]!.state = await finalState(client, workflowId);
            // The first runbook that does not complete stops the rehearsal: the next ones build on it.
            if (process.exitCode !== ExitCode.OK || interrupted) break;
          }
          // The worker stops after this: the runs' last notices ("completed") go out first.
          await Promise.all(started.map((workflowId) => awaitLastNotices(client, workflowId, say)));
        } finally {
          process.off('SIGINT', onInterrupt);
          process.off('SIGTERM', onInterrupt);
        }
        if (definitions.length > 1) {
          if (options.json) process.stdout.write(`${JSON.stringify({ event: 'summary', lab: lab.name, runs })}\n`);
          else for (const line of summaryLines(lab.name, runs)) process.stdout.write(`${line}\n`);
        }
      } finally {
        await stopAll();
      }
    });
}
