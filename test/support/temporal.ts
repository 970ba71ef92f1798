/**
 * A real Temporal dev server for a test file: free loopback ports, its own state file in a temp dir,
 * the project's search attributes. One per test file (beforeAll / afterAll): it starts in a second or two.
 *
 *   let temporal: TestTemporal;
 *   beforeAll(async () => { temporal = await startTestTemporal(); });
 *   afterAll(() => temporal?.stop());
 *
 * A missing `temporal` binary fails the test with what to install; it is never a skip (CI installs it).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { installWorkerRuntime } from '../../worker/worker.js';
import { findTemporalCli } from '../../temporal/cli-binary.js';
import { startDevServer } from '../../temporal/dev-server.js';

export interface TestTemporal {
  /** `127.0.0.1:<port>` */
  address: string;
  namespace: string;
  client: Client;
  /** For workers: `Worker.create({ connection, namespace, ... })`. */
  connection: NativeConnection;
  /** Environment for a spawned `runbook` CLI so it talks to this server. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startTestTemporal(): Promise<TestTemporal> {
  let binary: string;
  try {
    // Never build with Go from a test: it takes minutes. CI installs the binary beforehand.
    binary = await findTemporalCli({ install: false });
  } catch (error) {
    throw new Error(
      `the tests need the Temporal CLI (real dev server): ${(error as Error).message}\n` +
        'install it (see README; `runbook server` builds it with Go into ~/.cache/openshift-runbooks/bin) or set TEMPORAL_CLI',
      { cause: error },
    );
  }
  // Workers in tests log warnings and errors only (it must happen before the first native connection).
  installWorkerRuntime({ logLevel: 'WARN' });
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'runbook-temporal-'));
  const server = await startDevServer({ binary, dbFile: path.join(stateDir, 'temporal.db'), headless: true });
  try {
    const clientConnection = await Connection.connect({ address: server.address });
    const connection = await NativeConnection.connect({ address: server.address });
    const client = new Client({ connection: clientConnection, namespace: server.namespace });
    return {
      address: server.address,
      namespace: server.namespace,
      client,
      connection,
      env: {
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_NAMESPACE: server.namespace,
        // Keep a developer's own profile out of the tests.
        TEMPORAL_CONFIG_FILE: path.join(stateDir, 'no-such-temporal.toml'),
      },
      async stop() {
        await clientConnection.close();
        await connection.close();
        await server.stop();
        await rm(stateDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server.stop();
    await rm(stateDir, { recursive: true, force: true });
    throw error;
  }
}
