/**
 * Quiet progress in a rehearsal: the install rehearsal's `--json` events (and so its lines) show a
 * wait's detail once per change, with the time it has waited, and the terminal gets none of the lab
 * worker's start-up noise.
 */
import { expect, test } from '@jest/globals';
import { events as jsonEvents, exampleLab, rehearsalCli } from './support.js';

const { runbook, scratch } = rehearsalCli('runbook-rehearse-waits-');

type Event = { event: string; step?: string; detail?: string; waitedMs?: number; state?: string };

test('an install rehearsal prints at most one line per change of a wait’s detail', async () => {
  const result = await runbook([
    'rehearse',
    'install',
    '--lab',
    exampleLab,
    '--state-dir',
    scratch('install'),
    '--json',
  ]);
  expect(result.exitCode).toBe(0);
  const all = jsonEvents<Event>(result.stdout);
  expect(all.at(-1)).toMatchObject({ event: 'end', state: 'completed' });

  const waits = all.filter((event) => event.event === 'wait');
  // The bootstrap wait at the default time scale lasts long enough to say what it sees.
  expect(waits.some((event) => event.step === 'bootstrap.complete')).toBe(true);
  const byStep = new Map<string, Event[]>();
  for (const event of waits) byStep.set(event.step!, [...(byStep.get(event.step!) ?? []), event]);
  for (const [step, seen] of byStep) {
    // Never the same detail twice in a row; the time waited only grows.
    const repeats = seen.filter((event, index) => index > 0 && event.detail === seen[index - 1]!.detail);
    expect({ step, repeats }).toEqual({ step, repeats: [] });
    const waited = seen.map((event) => event.waitedMs!);
    expect({ step, waited }).toEqual({ step, waited: [...waited].sort((a, b) => a - b) });
    for (const event of seen) expect(typeof event.detail).toBe('string');
  }
  // Each change is one event: far fewer than the polls of an install's waits.
  expect(waits.length).toBeLessThan(40);

  // The lab's worker serves activities only; the SDK's warning about it is none of the user's business.
  expect(result.stderr).not.toContain('No workflows registered');
}, 600_000);
