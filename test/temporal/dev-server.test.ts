/**
 * `startDevServer` on ports it chose itself: a server that exits at once (as the real one does when
 * another process bound one of those ports first) is started again on new ports; on ports the caller
 * gave, it is not.
 */
import { afterAll, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findTemporalCli } from '../../temporal/cli-binary.js';
import { startDevServer } from '../../temporal/dev-server.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** The real CLI behind a script that exits 1 on its first start only, recording every start's port. */
async function failingOnce(): Promise<{ dir: string; binary: string; starts: () => Promise<string[]> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-dev-server-'));
  dirs.push(dir);
  const real = await findTemporalCli({ install: false });
  const log = path.join(dir, 'starts');
  const binary = path.join(dir, 'temporal');
  await writeFile(
    binary,
    '#!/bin/sh\n' +
      `port=$(echo "$@" | sed -n 's/.*--port \\([0-9]*\\).*/\\1/p')\n` +
      `echo "$port" >> '${log}'\n` +
      `[ "$(wc -l < '${log}')" -gt 1 ] || { echo "bind: address already in use" >&2; exit 1; }\n` +
      `exec '${real}' "$@"\n`,
    { mode: 0o755 },
  );
  return { dir, binary, starts: async () => (await readFile(log, 'utf8')).trim().split('\n') };
}

it('starts again on new ports when the server exits at once on ports it chose', async () => {
  const { dir, binary, starts } = await failingOnce();
  const server = await startDevServer({ binary, dbFile: path.join(dir, 'a.db'), headless: true });
  try {
    const ports = await starts();
    expect(ports).toHaveLength(2);
    expect(ports[1]).not.toBe(ports[0]);
    expect(server.address).toBe(`127.0.0.1:${ports[1]}`);
  } finally {
    await server.stop();
  }
});

it('does not retry on a port the caller gave: that failure is reported', async () => {
  const { dir, binary, starts } = await failingOnce();
  const failure = await startDevServer({ binary, dbFile: path.join(dir, 'b.db'), headless: true, port: 1 }).catch(
    (error: unknown) => error as Error,
  );
  expect((failure as Error).message).toMatch(/did not start on 127\.0\.0\.1:1: it exited \(code 1\)/);
  expect(await starts()).toEqual(['1']);
});
