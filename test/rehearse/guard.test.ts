/**
 * In a rehearsal, a step that would reach anything but loopback fails before a socket is opened, and
 * pauses the run at once (non-retryable) instead of retrying a mistake.
 */
import { createServer, type Server } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities/index.js';
import { loadLab } from '../../lab/load.js';
import type { Lab } from '../../lab/schema.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// The activities as the worker registers them (wrapped: attempt numbers, failure conversion).
const activities = createActivities();
let lab: Lab;
let scratch: string;

beforeAll(async () => {
  lab = await loadLab(path.join(repo, 'runbooks/labs/example.yaml'));
  scratch = await mkdtemp(path.join(os.tmpdir(), 'runbook-guard-'));
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

async function endpointsFile(address: string, port: number): Promise<string> {
  const file = path.join(scratch, `endpoints-${address}.json`);
  const host = {
    name: 'netserv1',
    address,
    port,
    hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl',
    root: scratch,
  };
  await writeFile(file, JSON.stringify({ hosts: [host] }));
  return file;
}

test('a rehearsal endpoint off loopback is refused without connecting, and is not retried', async () => {
  const file = await endpointsFile('10.42.253.3', 22);
  const context = {
    runbook: 'preflight',
    stepId: 'hosts[netserv1].ssh',
    lab,
    item: 'netserv1',
    rehearsal: { endpointsFile: file, kubeconfig: '/dev/null' },
  };
  const failure = await new MockActivityEnvironment()
    .run(activities.preflightSsh, context)
    .catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect((failure as ApplicationFailure).nonRetryable).toBe(true);
  expect((failure as ApplicationFailure).message).toMatch(
    /rehearsal refuses to connect to 10\.42\.253\.3 \(netserv1 ssh\)/,
  );
});

test('the same endpoint on loopback is connected to (the guard lets loopback through)', async () => {
  // A listener that records the connection and closes it: proves the client did try loopback.
  let connected = false;
  const server: Server = createServer((socket) => {
    connected = true;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as { port: number }).port;
    const file = await endpointsFile('127.0.0.1', port);
    const context = {
      runbook: 'preflight',
      stepId: 'hosts[netserv1].ssh',
      lab,
      item: 'netserv1',
      rehearsal: { endpointsFile: file, kubeconfig: '/dev/null' },
    };
    await expect(new MockActivityEnvironment().run(activities.preflightSsh, context)).rejects.toThrow();
    expect(connected).toBe(true);
  } finally {
    server.close();
  }
});
