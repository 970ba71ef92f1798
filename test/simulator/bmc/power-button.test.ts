/**
 * The power button of a simulated machine, for nodes with manual power: `runbook sim power` as an
 * operator types it in a rehearsal, over the lab's admin endpoint.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { startPowerLab, type PowerLab } from '../../activities/power/support.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
let t: PowerLab;
let stateDir: string;

beforeAll(async () => {
  t = await startPowerLab();
  stateDir = path.dirname(t.sim.endpointsPath);
});
afterAll(() => t?.stop());

function sim(...args: string[]) {
  return execa('node', [path.join(repo, 'bin/runbook.js'), 'sim', 'power', ...args, '--state-dir', stateDir], {
    reject: false,
    env: { NO_COLOR: '1' },
  });
}

test('pressing the button switches the node and shows where it stands', async () => {
  const on = await sim('compute3', 'on');
  expect(on.exitCode).toBe(0);
  expect(JSON.parse(on.stdout)).toEqual({ node: 'compute3', power: 'on' });
  expect((await t.boards()).power.compute3).toBe('on');
  const shown = await sim('compute3');
  expect(JSON.parse(shown.stdout)).toEqual({
    node: 'compute3',
    power: 'on',
    boot: { target: 'none', mode: 'Disabled', lastBoot: 'default' },
  });
  expect((await sim('compute3', 'off')).exitCode).toBe(0);
  expect((await t.boards()).power.compute3).toBe('off');
});

test('an unknown node or state is refused and changes nothing', async () => {
  const unknown = await sim('compute9', 'on');
  expect(unknown.exitCode).toBe(1);
  expect(unknown.stderr).toMatch(/no node named "compute9"/);
  const shownUnknown = await sim('compute9');
  expect(shownUnknown.exitCode).toBe(4);
  expect(shownUnknown.stderr).toMatch(/has no node "compute9" \(nodes: bootstrap, master1/);
  const sideways = await sim('compute3', 'sideways');
  expect(sideways.exitCode).toBe(2);
  expect(sideways.stderr).toMatch(/"sideways" is not on or off/);
  expect((await t.boards()).power.compute3).toBe('off');
});
