/**
 * Skip with evidence, through the real CLI against a rehearsal: `runbook resume --skip` runs the paused
 * step's check half first and records what it saw ("check still fails: …" while the fault is there,
 * "check passes now: …" once it is cleared); `--skip --no-check` skips blind and says so. The records
 * are in the steps' messages (`runbook status`, the run's events) and in the resume requests the run's
 * history keeps.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from '@jest/globals';
import { events as jsonEvents, rehearsalCli, rehearsalWithFaults } from './support.js';

const workflowId = 'preflight/intra/rehearsal';
const cli = rehearsalCli('runbook-rehearse-skip-');
const { runbook, scratch } = cli;

type Event = { event: string; step?: string; status?: string; message?: string | null; state?: string };

test('--skip records whether the step’s check passes now; --no-check skips blind', async () => {
  const stateDir = scratch('skip');
  // haproxy1 refuses SSH: its three steps that use SSH pause one after the other.
  const scenario = scratch('haproxy1-refuses-ssh.yaml');
  await writeFile(scenario, 'faults:\n  - kind: ssh-refused\n    host: haproxy1\n');
  const { run: rehearsal, paused: pause } = rehearsalWithFaults(cli, 'preflight', stateDir, scenario);

  // Its SSH check pauses, and its check still fails.
  await pause(1);
  expect((await runbook(['resume', workflowId, '--skip'])).exitCode).toBe(0);
  // Its folders check pauses too: skipped blind.
  await pause(2);
  expect((await runbook(['resume', workflowId, '--skip', '--no-check'])).exitCode).toBe(0);
  // Its service check (haproxy -c) after the fault is cleared, as by a fix by hand: its check passes now.
  await pause(3);
  // `runbook status` shows the first two skips with what their checks said.
  const status = await runbook(['status', workflowId, '--json']);
  expect(status.stdout).toContain('check still fails: haproxy1 (root@127.0.0.1:');
  expect(status.stdout).toContain('skipped blind (--no-check)');
  const cleared = await runbook(['sim', 'fault', 'clear', 'ssh-refused', '--state-dir', path.join(stateDir, 'sim')]);
  expect(cleared.exitCode).toBe(0);
  expect((await runbook(['resume', workflowId, '--skip', '--reason', 'fixed sshd by hand'])).exitCode).toBe(0);

  const result = await rehearsal;
  expect(result.exitCode).toBe(0);
  const messages = new Map<string, string>();
  for (const event of jsonEvents<Event>(result.stdout))
    if (event.event === 'step' && event.status === 'skipped') messages.set(event.step!, event.message ?? '');
  expect(messages.get('hosts[haproxy1].ssh')).toMatch(
    /^skipped by the operator \(check still fails: haproxy1 \(root@127\.0\.0\.1:\d+\) closed the connection/,
  );
  expect(messages.get('hosts[haproxy1].folders')).toMatch(
    /^skipped by the operator \(skipped blind \(--no-check\)\) after: /,
  );
  expect(messages.get('hosts[haproxy1].service-check')).toMatch(
    /^skipped by the operator \(check passes now: .*; fixed sshd by hand\) after: /,
  );
}, 600_000);
