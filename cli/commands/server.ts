/**
 * `runbook server` runs the Temporal dev server in the foreground with a persistent state file;
 * `runbook worker` runs a worker that executes runbook workflows and their steps.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Command } from 'commander';
import getPort from 'get-port';
import { findTemporalCli } from '../../temporal/cli-binary.js';
import { startDevServer, LOOPBACK } from '../../temporal/dev-server.js';
import { loadTemporalConfig, connectWorker } from '../../temporal/connection.js';
import { ensureSearchAttributes } from '../../temporal/search-attributes.js';
import { defaultStateDir } from '../../activities/support/state-dir.js';
import { labTaskQueue, TASK_QUEUE } from '../../workflows/engine/api.js';
import { DEFAULT_METRICS_ADDRESS, DEFAULT_SHUTDOWN_GRACE_TIME } from '../../worker/defaults.js';
import { ExitCode, UserError } from '../errors.js';
import { printJson } from '../output.js';
import { oneLine } from '../runs/display.js';
import { jsonOption } from '../options.js';

/** Where the server keeps its state (also where rehearsals and workers keep theirs). */
export { defaultStateDir };

/** `host:port` (IPv6 in brackets) for the metrics endpoint. */
function parseMetricsAddress(value: string): string {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d+)$/.exec(value);
  const port = Number(match?.[2]);
  if (!match || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new UserError(`"${value}" is not a metrics address`, ExitCode.USAGE, [
      `use host:port, e.g. --metrics ${DEFAULT_METRICS_ADDRESS} (or --metrics 0.0.0.0:9464 for every interface)`,
    ]);
  }
  return value;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new UserError(`"${value}" is not a port number`, ExitCode.USAGE, [
      'use a number from 1 to 65535, e.g. --port 7233',
    ]);
  }
  return port;
}

async function requireFreePort(port: number, flag: string): Promise<void> {
  if ((await getPort({ host: LOOPBACK, port })) !== port) {
    throw new UserError(`port ${port} on ${LOOPBACK} is in use (another \`runbook server\`?)`, ExitCode.UNAVAILABLE, [
      `stop the other server, or pick another port with ${flag} (and set TEMPORAL_ADDRESS for the other commands)`,
    ]);
  }
}

/**
 * Resolves when the process is asked to stop (Ctrl-C or SIGTERM). `asked` is set at once, because the
 * terminal sends Ctrl-C to the server child too, which may exit before this promise settles.
 */
function stopRequested(): { asked: boolean; promise: Promise<void> } {
  const state = { asked: false, promise: Promise.resolve() };
  state.promise = new Promise((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        state.asked = true;
        resolve();
      });
    }
  });
  return state;
}

export function registerServerCommands(program: Command): void {
  program
    .command('server')
    .description('run a local Temporal server (dev server, SQLite state file) in the foreground until Ctrl-C')
    .option('--state-dir <dir>', 'directory of the state file temporal.db', defaultStateDir())
    .option('--port <port>', 'gRPC port of the server, on 127.0.0.1', parsePort, 7233)
    .option('--ui-port <port>', 'port of the Web UI, on 127.0.0.1', parsePort, 8233)
    .option('--headless', 'no Web UI')
    .option('--install', 'only make sure the Temporal CLI is there (building it if needed), print its path and exit')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
Examples:
  runbook server                      # 127.0.0.1:7233, Web UI http://127.0.0.1:8233
  runbook server --port 7300 --ui-port 8300 --state-dir /var/tmp/runbooks
  runbook server --install            # set-up scripts: find or build the binary, nothing else

The binary is $TEMPORAL_CLI, \`temporal\` on PATH, or the copy in the user cache dir; when none exists and Go is
installed, it is built once with \`go install\` (a few minutes). Runs survive restarts (the state file keeps them).
With another port, set TEMPORAL_ADDRESS=127.0.0.1:<port> for the other commands.`,
    )
    .action(
      async (options: {
        stateDir: string;
        port: number;
        uiPort: number;
        headless?: boolean;
        install?: boolean;
        json?: boolean;
      }) => {
        if (options.install) {
          const binary = await findTemporalCli({ install: true });
          if (options.json) printJson({ temporalCli: binary });
          else process.stdout.write(`Temporal CLI: ${binary}\n`);
          return;
        }
        await mkdir(options.stateDir, { recursive: true });
        await requireFreePort(options.port, '--port');
        if (!options.headless) await requireFreePort(options.uiPort, '--ui-port');
        const dbFile = path.join(options.stateDir, 'temporal.db');
        const server = await startDevServer({
          dbFile,
          port: options.port,
          uiPort: options.uiPort,
          headless: Boolean(options.headless),
          output: process.stderr,
        });
        const stopping = stopRequested();
        try {
          const connection = await Connection.connect({ address: server.address });
          try {
            await ensureSearchAttributes(connection, server.namespace);
          } finally {
            await connection.close();
          }
          if (options.json) {
            printJson({
              address: server.address,
              namespace: server.namespace,
              uiUrl: server.uiUrl ?? null,
              stateFile: dbFile,
            });
          } else {
            process.stdout.write(
              [
                `Temporal server: ${server.address} (namespace ${server.namespace})`,
                ...(server.uiUrl ? [`Web UI:          ${server.uiUrl}`] : []),
                `State file:      ${dbFile}`,
                ...(options.port === 7233 ? [] : [`Other commands:  export TEMPORAL_ADDRESS=${server.address}`]),
                'Next: `runbook worker` in another terminal. Ctrl-C stops the server.',
                '',
              ].join('\n'),
            );
          }
          await Promise.race([stopping.promise, server.process]);
          if (!stopping.asked) {
            throw new UserError(
              'the Temporal server stopped unexpectedly (its output is above)',
              ExitCode.UNAVAILABLE,
              ['start it again with `runbook server`'],
            );
          }
        } finally {
          await server.stop();
        }
        if (!options.json) process.stdout.write('Temporal server stopped.\n');
      },
    );

  program
    .command('worker')
    .description('run a worker that executes runbook workflows and their steps, until Ctrl-C')
    .option('--task-queue <name>', 'task queue to poll', TASK_QUEUE)
    .option(
      '--lab <name>',
      "also run this lab's steps placed on the lab (those that need its install folder); repeatable",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      '--metrics [host:port]',
      `serve Prometheus metrics (the SDK's temporal_* and the runbooks' runbook_*) at ` +
        `http://<host:port>/metrics; alone: ${DEFAULT_METRICS_ADDRESS}`,
      parseMetricsAddress,
    )
    .option('--verbose', 'print the log in full (error stacks included), not one line per event')
    .addHelpText(
      'after',
      `
Examples:
  runbook worker
  runbook worker --lab intra        # on the admin host that keeps lab intra's install folder
  runbook worker --metrics          # metrics on http://${DEFAULT_METRICS_ADDRESS}/metrics
  runbook worker --metrics 0.0.0.0:9464  # for a Prometheus on another machine
  TEMPORAL_ADDRESS=temporal.example.com:7233 TEMPORAL_NAMESPACE=ops runbook worker

It connects like every other command (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS, API key, TEMPORAL_PROFILE;
default 127.0.0.1:7233). Ctrl-C or SIGTERM lets the running steps stop cleanly (they get ${DEFAULT_SHUTDOWN_GRACE_TIME}); paused
runs wait for the next worker.

Metrics: runbook_steps_total{runbook,state} (steps that reached a state), runbook_paused_seconds{runbook,state}
(how long runs waited for a person), and the SDK's temporal_* (task latencies, slots, activity failures).

As a service: deploy/runbook-worker@.service (systemd, one instance per lab; see the README).`,
    )
    .action(async (options: { taskQueue: string; lab: string[]; metrics?: string | true; verbose?: boolean }) => {
      const config = loadTemporalConfig();
      // Loaded here, not at the top: the worker SDK and every activity module are heavy for the other commands.
      const { installWorkerRuntime, runWorker } = await import('../../worker/worker.js');
      const { onWaitNote } = await import('../../activities/engine/wait-notes.js');
      const { formatDuration } = await import('../../activities/engine/poll-until.js');
      // One line per change of a wait's detail, with the time it has waited (activities/engine/wait-notes.ts).
      onWaitNote((note) =>
        process.stderr.write(
          `worker: ${note.workflowId} ${note.stepId} waiting ${formatDuration(note.waitedMs)}: ${oneLine(note.detail, 300)}\n`,
        ),
      );
      const metrics = options.metrics === true ? DEFAULT_METRICS_ADDRESS : options.metrics;
      try {
        installWorkerRuntime({ logLevel: 'WARN', verbose: Boolean(options.verbose), ...(metrics && { metrics }) });
      } catch (error) {
        throw new UserError((error as Error).message, ExitCode.UNAVAILABLE, [
          'another process (a second worker?) uses that address: give each worker its own, e.g. --metrics 127.0.0.1:9465',
        ]);
      }
      if (metrics) process.stderr.write(`worker: metrics on http://${metrics}/metrics\n`);
      const connection = await connectWorker(config);
      try {
        await runWorker({
          connection,
          namespace: config.namespace,
          taskQueue: options.taskQueue,
          labs: options.lab,
          ...(config.uiUrl && { notices: { uiUrl: config.uiUrl } }),
          onReady: () =>
            process.stderr.write(
              `worker: polling task queue ` +
                `${[options.taskQueue, ...options.lab.map((lab) => labTaskQueue(options.taskQueue, lab))].join(', ')} ` +
                `on ${config.address} (namespace ${config.namespace}); Ctrl-C stops it\n`,
            ),
          onStopping: () =>
            process.stderr.write(
              `worker: stopping; running steps get ${DEFAULT_SHUTDOWN_GRACE_TIME} to finish, waits hand over to the next worker\n`,
            ),
        });
        process.stderr.write('worker: stopped\n');
      } finally {
        await connection.close();
      }
    });
}
