/**
 * `runbook rehearse a,b,c`: several runbooks in order on one simulated lab, through the real CLI against
 * a real dev server. Each run's progress is shown, the first run that does not complete stops the
 * rehearsal, and a summary says how each ended. A run left open by a rehearsal that was killed is
 * terminated by the next rehearsal (its simulated lab is gone); one whose simulated lab still answers
 * is refused, unless `--restart`.
 */
import { describe, expect, jest, test } from '@jest/globals';
import { events as jsonEvents, exampleLab, rehearsalCli, type CliRun } from './support.js';

jest.setTimeout(300_000);

const { runbook, scratch } = rehearsalCli('runbook-rehearse-several-');

/** `rehearse <runbooks>` on the example lab, installed, at the instant time scale. */
function rehearse(runbooks: string, stateDir: string, ...extra: string[]) {
  return runbook([
    'rehearse',
    runbooks,
    '--lab',
    exampleLab,
    '--from',
    'installed',
    '--time-scale',
    '0',
    '--state-dir',
    scratch(stateDir),
    ...extra,
  ]);
}

type Event = { event: string; workflowId?: string; state?: string; runs?: Array<Record<string, string>> };

const events = (stdout: string) => jsonEvents<Event>(stdout);

/** Resolves once the rehearsal's output reports a pause (on the output, not the clock). */
function pauseOf(rehearsal: CliRun): Promise<void> {
  let output = '';
  return new Promise<void>((resolve, reject) => {
    rehearsal.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (events(output).some((event) => event.event === 'paused')) resolve();
    });
    void rehearsal.then(() => reject(new Error(`the rehearsal ended before pausing:\n${output}`)), reject);
  });
}

describe('runbook rehearse with several runbooks', () => {
  test('the four day-2 runbooks run in order on one simulated lab, each to completion', async () => {
    const result = await rehearse('infra-nodes,ceph-csi,registry-storage,egress-router', 'four', '--json');
    expect(result.exitCode).toBe(0);
    const all = events(result.stdout);
    expect(all.filter((event) => event.event === 'end').map((event) => [event.workflowId, event.state])).toEqual([
      ['infra-nodes/intra/rehearsal', 'completed'],
      ['ceph-csi/intra/rehearsal', 'completed'],
      ['registry-storage/intra/rehearsal', 'completed'],
      ['egress-router/intra/rehearsal', 'completed'],
    ]);
    // Each run's steps are shown as they go, before the next run starts.
    const firstEgressStep = all.findIndex(
      (event) => event.event === 'step' && JSON.stringify(event).includes('selectors.check'),
    );
    const infraEnd = all.findIndex((event) => event.event === 'end');
    expect(infraEnd).toBeGreaterThan(0);
    expect(firstEgressStep).toBeGreaterThan(infraEnd);
    expect(all.at(-1)).toEqual({
      event: 'summary',
      lab: 'intra',
      runs: ['infra-nodes', 'ceph-csi', 'registry-storage', 'egress-router'].map((name) => ({
        runbook: name,
        workflowId: `${name}/intra/rehearsal`,
        state: 'completed',
      })),
    });
  });

  test('a run that does not complete stops the rehearsal; a run still served elsewhere is refused unless --restart', async () => {
    // Without infra nodes, egress-router pauses on its node selector: the rehearsal keeps following it.
    const first = rehearse('egress-router,ceph-csi', 'first', '--json');
    await pauseOf(first);

    const refused = await rehearse('egress-router', 'second');
    expect(refused.exitCode).toBe(1);
    expect(refused.all).toContain('an earlier rehearsal of egress-router/intra/rehearsal is still open');
    expect(refused.all).toContain('--restart');

    const restarted = await rehearse('infra-nodes,egress-router', 'second', '--restart');
    expect(restarted.all).toContain(
      'terminated the open run egress-router/intra/rehearsal: asked to restart (--restart)',
    );
    expect(restarted.exitCode).toBe(0);
    expect(restarted.stdout).toMatch(/rehearsal of lab intra: 2 of 2 runbooks completed\n/);

    // The first rehearsal saw its run end, stopped there and did not start ceph-csi.
    const stopped = await first;
    expect(stopped.exitCode).not.toBe(0);
    expect(events(stopped.stdout).at(-1)).toEqual({
      event: 'summary',
      lab: 'intra',
      runs: [
        { runbook: 'egress-router', workflowId: 'egress-router/intra/rehearsal', state: 'terminated' },
        { runbook: 'ceph-csi', workflowId: 'ceph-csi/intra/rehearsal', state: 'not run' },
      ],
    });
  });

  test('a run left open by a killed rehearsal is terminated by the next one, whose lab it no longer has', async () => {
    const killed = rehearse('egress-router', 'killed', '--json');
    await pauseOf(killed);
    killed.kill('SIGKILL');
    await killed;

    const again = await rehearse('infra-nodes,egress-router', 'killed');
    expect(again.stderr).toContain(
      'terminated the open run egress-router/intra/rehearsal: the simulated lab it ran on is gone (an interrupted rehearsal)',
    );
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain(
      [
        'rehearsal of lab intra: 2 of 2 runbooks completed',
        '  completed  infra-nodes    infra-nodes/intra/rehearsal',
        '  completed  egress-router  egress-router/intra/rehearsal',
      ].join('\n'),
    );
  });
});
