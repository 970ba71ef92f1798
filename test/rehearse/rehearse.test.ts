/**
 * `runbook rehearse` end to end: the real CLI against a real dev server, the simulated lab on loopback,
 * the preflight runbook reaching every simulated host over SSH. A fault pauses the rehearsal; clearing
 * it and `runbook resume` (from another process, as an operator would) finishes it.
 */
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { events as jsonEvents, exampleLab, rehearsalCli, rehearsalWithFaults, repo } from './support.js';

const workflowId = 'preflight/intra/rehearsal';
const cli = rehearsalCli('runbook-rehearse-');
const { runbook, scratch } = cli;

type Event = { event: string; step?: string; status?: string; attempts?: number; state?: string };
const events = (stdout: string) => jsonEvents<Event>(stdout);

/** The last status each step path reached. */
function finalStatuses(all: Event[]): Map<string, Event> {
  const last = new Map<string, Event>();
  for (const event of all) if (event.event === 'step' && event.step) last.set(event.step, event);
  return last;
}

describe('runbook rehearse', () => {
  test('preflight on the example lab completes against the simulated hosts, changing nothing', async () => {
    const result = await runbook([
      'rehearse',
      'preflight',
      '--lab',
      exampleLab,
      '--state-dir',
      scratch('clean'),
      '--json',
    ]);
    expect(result.exitCode).toBe(0);
    const all = events(result.stdout);
    expect(all.at(-1)).toMatchObject({ event: 'end', state: 'completed' });
    const statuses = finalStatuses(all);
    // Every host was reached over SSH with its pinned (simulated) host key, every node's domain queried.
    for (const host of ['netserv1', 'netserv2', 'pxe', 'haproxy1', 'haproxy2', 'kvm1', 'kvm2']) {
      expect(statuses.get(`hosts[${host}].ssh`)?.status).toBe('unchanged');
    }
    expect(statuses.get('power[compute5].domain-state')?.status).toBe('unchanged');
    expect([...statuses.values()].filter((event) => event.status === 'changed')).toEqual([]);
  });

  test('a host refusing SSH pauses the rehearsal; clearing the fault and resuming finishes it', async () => {
    const stateDir = scratch('fault');
    const scenario = path.join(repo, 'runbooks/faults/pxe-refuses-ssh.yaml');
    const { run: rehearsal, paused, output } = rehearsalWithFaults(cli, 'preflight', stateDir, scenario);
    // Wait (on the output, not the clock) until the run reports the pause.
    await paused(1);
    const pausedAt = finalStatuses(events(output())).get('hosts[pxe].ssh');
    expect(pausedAt).toMatchObject({ status: 'paused' });
    expect(pausedAt?.attempts).toBe(4);

    const cleared = await runbook(['sim', 'fault', 'clear', 'ssh-refused', '--state-dir', path.join(stateDir, 'sim')]);
    expect(cleared.exitCode).toBe(0);
    const resumed = await runbook(['resume', workflowId]);
    expect(resumed.all).toContain('hosts[pxe].ssh');
    expect(resumed.exitCode).toBe(0);

    const result = await rehearsal;
    expect(result.exitCode).toBe(0);
    const all = events(result.stdout);
    expect(all.at(-1)).toMatchObject({ event: 'end', state: 'completed' });
    expect(finalStatuses(all).get('hosts[pxe].ssh')).toMatchObject({ status: 'unchanged', attempts: 5 });
  });
});
