/**
 * How the CLI and the worker reach Temporal: the standard Temporal environment variables and
 * envconfig profile (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS*, TEMPORAL_API_KEY,
 * TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE), defaulting to the local `runbook server` on 127.0.0.1:7233.
 */
import { connect as connectTcp } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnection, NativeConnectionOptions } from '@temporalio/worker';
import { TemporalError, TemporalErrorKind } from './errors.js';
import { DEFAULT_NAMESPACE } from './dev-server.js';

export const DEFAULT_ADDRESS = '127.0.0.1:7233';
/** The dev server serves its Web UI on the frontend port + 1000 unless told otherwise. */
const DEV_UI_PORT_OFFSET = 1000;

export interface TemporalConfig {
  address: string;
  namespace: string;
  connectionOptions: NativeConnectionOptions & { address: string };
  /** Base URL of the Web UI: TEMPORAL_UI_URL, or derived for a dev server on loopback. */
  uiUrl?: string;
}

/** Reads the connection settings; a broken profile file or TLS file is a TemporalError naming it. */
export function loadTemporalConfig(): TemporalConfig {
  // Set but empty (`TEMPORAL_ADDRESS= runbook …`, an unset shell variable exported): the SDK would take
  // "" for an address and fail with "Could not parse target name"; say what to do instead.
  if (process.env.TEMPORAL_ADDRESS !== undefined && process.env.TEMPORAL_ADDRESS.trim() === '') {
    throw new TemporalError('TEMPORAL_ADDRESS is set but empty', TemporalErrorKind.Settings, [
      'unset it (`unset TEMPORAL_ADDRESS`) to use the local server (`runbook server`, or the one a rehearsal',
      'starts), or set it to the host:port of your Temporal server',
    ]);
  }
  let loaded: ReturnType<typeof loadClientConnectConfig>;
  try {
    loaded = loadClientConnectConfig();
  } catch (error) {
    throw new TemporalError(
      `cannot read the Temporal connection settings: ${(error as Error).message}`,
      TemporalErrorKind.Settings,
      ['check TEMPORAL_CONFIG_FILE / TEMPORAL_PROFILE and the TLS file paths, or unset them to use the local server'],
    );
  }
  const address = loaded.connectionOptions.address ?? DEFAULT_ADDRESS;
  const namespace = loaded.namespace ?? DEFAULT_NAMESPACE;
  const uiUrl = uiUrlFor(address, loaded.connectionOptions.tls);
  return {
    address,
    namespace,
    connectionOptions: { ...loaded.connectionOptions, address },
    ...(uiUrl ? { uiUrl } : {}),
  };
}

function uiUrlFor(address: string, tls: unknown): string | undefined {
  const configured = process.env.TEMPORAL_UI_URL;
  if (configured) return configured.replace(/\/+$/, '');
  const match = /^(127\.0\.0\.1|localhost|\[::1\]):(\d+)$/.exec(address);
  if (!match || tls) return undefined;
  return `http://${match[1]}:${Number(match[2]) + DEV_UI_PORT_OFFSET}`;
}

/** Web UI link of a workflow, when the UI base is known. */
export function workflowUiUrl(config: TemporalConfig, workflowId: string): string | undefined {
  if (!config.uiUrl) return undefined;
  return `${config.uiUrl}/namespaces/${encodeURIComponent(config.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

export function unreachableError(config: Pick<TemporalConfig, 'address' | 'namespace'>, cause: unknown): TemporalError {
  const message = cause instanceof Error ? cause.message : String(cause);
  // The native and gRPC clients word the common cases differently; say them plainly.
  const reason = /connection refused/i.test(message)
    ? 'connection refused'
    : /deadline/i.test(message)
      ? 'no answer in time'
      : message;
  return new TemporalError(
    `cannot reach Temporal at ${config.address} (namespace ${config.namespace}): ${reason}`,
    TemporalErrorKind.Unavailable,
    [
      'start the local server with `runbook server` (in another terminal),',
      'or point the CLI at your cluster with TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE (and ' +
        'TEMPORAL_TLS, TEMPORAL_API_KEY) or a TEMPORAL_PROFILE',
    ],
  );
}

/** A client for the configured server, checked to answer; close it with `client.connection.close()`. */
export async function connectClient(
  config: TemporalConfig = loadTemporalConfig(),
  { connectTimeoutMs = 5_000 }: { connectTimeoutMs?: number } = {},
): Promise<Client> {
  try {
    await refuseFast(config.address, connectTimeoutMs);
  } catch (error) {
    throw unreachableError(config, error);
  }
  let connection: Connection;
  try {
    // Lazy, then checked: a connection that fails the check is closed, so its channel does not go on
    // retrying in the background and keep the process alive.
    connection = Connection.lazy({ ...config.connectionOptions, connectTimeout: connectTimeoutMs });
  } catch (error) {
    throw unreachableError(config, error);
  }
  try {
    await connection.ensureConnected();
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw unreachableError(config, error);
  }
  return new Client({ connection, namespace: config.namespace });
}

/**
 * The gRPC client retries a refused connection until its deadline and then says only "deadline
 * exceeded". One plain TCP connect first tells "nothing listens there" apart at once; a host that
 * does not answer (or a proxy, TLS, a slow server) is left to the client's own timeout.
 */
async function refuseFast(address: string, timeoutMs: number): Promise<void> {
  let target: URL;
  try {
    target = new URL(`http://${address}`);
  } catch {
    return; // Not host:port; the client reports it.
  }
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(target.port || 7233);
  await new Promise<void>((resolve, reject) => {
    const socket = connectTcp({ host, port, timeout: timeoutMs });
    const done = (error?: Error) => {
      socket.destroy();
      if (error && (error as NodeJS.ErrnoException).code === 'ECONNREFUSED') reject(new Error('connection refused'));
      else resolve();
    };
    socket.once('connect', () => done());
    socket.once('timeout', () => done());
    socket.once('error', done);
  });
}

/** Runs `fn` with a connected client and closes the connection afterwards. */
export async function withClient<T>(fn: (client: Client, config: TemporalConfig) => Promise<T>): Promise<T> {
  const config = loadTemporalConfig();
  const client = await connectClient(config);
  try {
    return await fn(client, config);
  } finally {
    await client.connection.close();
  }
}

/** The worker's connection to the configured server. */
export async function connectWorker(config: TemporalConfig = loadTemporalConfig()): Promise<NativeConnection> {
  // The worker SDK (native core) is loaded only by the commands that run a worker.
  const { NativeConnection } = await import('@temporalio/worker');
  try {
    return await NativeConnection.connect(config.connectionOptions);
  } catch (error) {
    throw unreachableError(config, error);
  }
}
