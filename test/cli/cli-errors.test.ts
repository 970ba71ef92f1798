/**
 * How the `runbook` CLI reports what stops it before any run: a Temporal port that refuses
 * connections, a lab file that is not there, and errors under `--json`. Spawned as `node bin/runbook.js …`.
 */
import { createServer, type Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import getPort from 'get-port';
import { ExitCode } from '../../cli/errors.js';
import { TemporalError, TemporalErrorKind } from '../../temporal/errors.js';
import { connectClient } from '../../temporal/connection.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function runbook(args: string[], env: Record<string, string> = {}) {
  const result = await execa('node', [path.join(repo, 'bin/runbook.js'), ...args], {
    cwd: repo,
    env: { NO_COLOR: '1', TEMPORAL_CONFIG_FILE: path.join(repo, 'no-such-temporal.toml'), ...env },
    reject: false,
  });
  return { code: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

/** A loopback port nothing listens on: taken from the OS, then released. */
async function refusedPort(): Promise<number> {
  return getPort({ host: '127.0.0.1' });
}

describe('a Temporal port that refuses connections', () => {
  it('is reported as refused by the client connection, not as a timeout', async () => {
    const port = await refusedPort();
    const error = await connectClient(
      { address: `127.0.0.1:${port}`, namespace: 'default', connectionOptions: { address: `127.0.0.1:${port}` } },
      // Far longer than a refusal takes: the answer must not wait for it.
      { connectTimeoutMs: 600_000 },
    ).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(TemporalError);
    expect((error as TemporalError).kind).toBe(TemporalErrorKind.Unavailable);
    expect((error as TemporalError).message).toBe(
      `cannot reach Temporal at 127.0.0.1:${port} (namespace default): connection refused`,
    );
  });

  it('gives client commands the same message as `worker`', async () => {
    const port = await refusedPort();
    const env = { TEMPORAL_ADDRESS: `127.0.0.1:${port}` };
    const list = await runbook(['list'], env);
    expect(list.code).toBe(ExitCode.UNAVAILABLE);
    expect(list.stderr).toMatch(`cannot reach Temporal at 127.0.0.1:${port} (namespace default): connection refused`);
    const status = await runbook(['status', 'selftest/intra'], env);
    expect(status.code).toBe(ExitCode.UNAVAILABLE);
    expect(status.stderr).toMatch(/: connection refused\n/);
  });

  it('still waits for a server that accepts the connection but does not answer, and says so', async () => {
    // A listener that never speaks: not a refusal, so the client's own timeout applies.
    const accepted = new Set<Socket>();
    const silent = createServer((socket) => accepted.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const error = await connectClient(
        { address: `127.0.0.1:${port}`, namespace: 'default', connectionOptions: { address: `127.0.0.1:${port}` } },
        { connectTimeoutMs: 1_000 },
      ).catch((thrown: unknown) => thrown);
      expect((error as TemporalError).message).toMatch(/: no answer in time$/);
    } finally {
      for (const socket of accepted) socket.destroy();
      silent.close();
    }
  });
});

describe('a lab file that is not there', () => {
  it('is named as missing, with what to do, not as an invalid lab', async () => {
    for (const args of [
      ['start', 'selftest', '--lab', 'no-such-lab.yaml'],
      ['validate', '--lab', 'no-such-lab.yaml'],
      ['render', '--lab', 'no-such-lab.yaml', '--out', path.join(repo, 'no-such-out')],
    ]) {
      const result = await runbook(args);
      expect(result.code).toBe(ExitCode.USAGE);
      expect(result.stderr).toMatch(/^error: the lab file no-such-lab\.yaml does not exist\n/);
      expect(result.stderr).toContain(`looked for ${path.join(repo, 'no-such-lab.yaml')}`);
      expect(result.stderr).toMatch(/runbooks\/labs\/example\.yaml/);
      expect(result.stderr).not.toMatch(/invalid/);
    }
  });
});

describe('errors under --json', () => {
  it('are one JSON object on stderr with message, exit code and details', async () => {
    const missing = await runbook(['validate', '--lab', 'no-such-lab.yaml', '--json']);
    expect(missing.code).toBe(ExitCode.USAGE);
    expect(missing.stdout).toBe('');
    expect(JSON.parse(missing.stderr)).toEqual({
      error: {
        message: 'the lab file no-such-lab.yaml does not exist',
        exitCode: ExitCode.USAGE,
        details: expect.arrayContaining([`looked for ${path.join(repo, 'no-such-lab.yaml')}`]),
      },
    });

    const port = await refusedPort();
    const unreachable = await runbook(['list', '--json'], { TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
    expect(unreachable.code).toBe(ExitCode.UNAVAILABLE);
    expect(JSON.parse(unreachable.stderr)).toMatchObject({
      error: { message: expect.stringMatching(/connection refused$/), exitCode: ExitCode.UNAVAILABLE },
    });

    const usage = await runbook(['list', '--json', '--no-such-option']);
    expect(usage.code).toBe(ExitCode.USAGE);
    expect(JSON.parse(usage.stderr)).toEqual({
      error: { message: "unknown option '--no-such-option'", exitCode: ExitCode.USAGE, details: [] },
    });
  });

  it('stay plain text without --json', async () => {
    const usage = await runbook(['list', '--no-such-option']);
    expect(usage.code).toBe(ExitCode.USAGE);
    expect(usage.stderr).toMatch(/^error: unknown option '--no-such-option'\n\(run with --help for usage\)/);
  });
});
