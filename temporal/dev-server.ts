/**
 * Runs `temporal server start-dev` as a child process on loopback, with the project's search
 * attributes, and waits until its frontend answers.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { execa, type ResultPromise } from 'execa';
import getPort from 'get-port';
import { TemporalError, TemporalErrorKind } from './errors.js';
import { devServerSearchAttributeFlags } from '../workflows/engine/api.js';
import { devServerTuningFlags } from './server-tuning.js';
import { findTemporalCli } from './cli-binary.js';

export const LOOPBACK = '127.0.0.1';
export const DEFAULT_NAMESPACE = 'default';

export interface DevServerOptions {
  /** SQLite state file; the server keeps its state there across restarts. Required: no in-memory state. */
  dbFile: string;
  /** Frontend gRPC port; a free one when omitted. */
  port?: number;
  /** Web UI port; a free one when omitted (ignored with `headless`). */
  uiPort?: number;
  headless?: boolean;
  /** The `temporal` binary; found with findTemporalCli when omitted. */
  binary?: string;
  /** Where the server's own output goes; kept (and shown on a failed start) when omitted. */
  output?: NodeJS.WritableStream;
  /** How long to wait for the frontend (default 60 s: the first start creates the database). */
  readyTimeoutMs?: number;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

export interface DevServer {
  /** `127.0.0.1:<port>` */
  address: string;
  namespace: string;
  uiUrl?: string;
  process: ResultPromise;
  /** Stops the server (SIGTERM, then SIGKILL after a grace period); resolves once it exited. */
  stop(): Promise<void>;
}

/** The server process ended before it answered (as it does when a port it was given is taken). */
class ServerExited extends Error {}

/** Starts on ports of its own choosing at most this many times (see `startDevServer`). */
const FREE_PORT_ATTEMPTS = 3;

/**
 * Starts a dev server and resolves when it accepts requests for the default namespace. Ports it chose
 * itself were free when chosen, but another process (a second test suite, another lab) may bind one
 * before the server does, and then the server exits at once: it is started again on new ports.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const binary = options.binary ?? (await findTemporalCli());
  const ownPorts = options.port === undefined && (options.headless || options.uiPort === undefined);
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(options, binary);
    } catch (error) {
      const exitedEarly = error instanceof TemporalError && error.cause instanceof ServerExited;
      if (!ownPorts || !exitedEarly || attempt >= FREE_PORT_ATTEMPTS) throw error;
    }
  }
}

async function startOnce(options: DevServerOptions, binary: string): Promise<DevServer> {
  const port = options.port ?? (await getPort({ host: LOOPBACK }));
  const uiPort = options.headless
    ? undefined
    : (options.uiPort ?? (await getPort({ host: LOOPBACK, exclude: [port] })));
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    options.dbFile,
    '--ip',
    LOOPBACK,
    '--port',
    String(port),
    ...(uiPort === undefined ? ['--headless'] : ['--ui-port', String(uiPort), '--ui-ip', LOOPBACK]),
    ...devServerSearchAttributeFlags(),
    ...devServerTuningFlags(),
    '--log-level',
    options.logLevel ?? 'warn',
  ];
  const child = execa(binary, args, { reject: false, stdin: 'ignore', all: true, buffer: false, cleanup: true });
  let captured = '';
  if (options.output) child.all?.pipe(options.output, { end: false });
  else child.all?.on('data', (chunk: Buffer) => (captured = (captured + chunk.toString()).slice(-4000)));

  const address = `${LOOPBACK}:${port}`;
  const exited = child.then((result) => result);
  const stop = async (): Promise<void> => {
    const { exitCode, signalCode } = child.nodeChildProcess;
    if (exitCode !== null || signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  try {
    await waitUntilReady(address, exited, options.readyTimeoutMs ?? 60_000);
  } catch (error) {
    await stop();
    const output = captured.trim();
    throw new TemporalError(
      `the Temporal dev server did not start on ${address}: ${(error as Error).message}`,
      TemporalErrorKind.Unavailable,
      [
        ...(output ? ['its output:', ...output.split('\n').slice(-20)] : []),
        `check that the ports are free and the state file ${options.dbFile} is writable (a second server on the same file cannot start)`,
      ],
      { cause: error },
    );
  }
  return {
    address,
    namespace: DEFAULT_NAMESPACE,
    ...(uiPort === undefined ? {} : { uiUrl: `http://${LOOPBACK}:${uiPort}` }),
    process: child,
    stop,
  };
}

/** Polls the frontend until the default namespace answers, the child exits, or the timeout passes. */
async function waitUntilReady(
  address: string,
  exited: Promise<{ exitCode?: number; signal?: string }>,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  let gone: string | undefined;
  void exited.then((result) => (gone = `it exited (${result.signal ?? `code ${result.exitCode}`})`));
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    if (gone) throw new ServerExited(gone);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: DEFAULT_NAMESPACE });
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = (error as Error).message;
    }
    // The server creates its database and namespace on the first start; poll, don't sleep blindly.
    await delay(100);
  }
  if (gone) throw new ServerExited(gone);
  throw new Error(`no answer within ${timeoutMs / 1000} s (${lastError})`);
}
