/**
 * The simulated IPMI BMCs, spoken to by the real Debian ipmitool over RMCP+ on loopback UDP, as the
 * IPMI driver runs it: its own output and exit status for power and boot-device commands, its own
 * refusals for a wrong login, a BMC that does not answer and a command the chassis cannot do now;
 * and the power board and boot device the commands act on.
 */
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { startSimulatedBmcs } from '../../../simulator/bmc/index.js';
import { PowerBoard } from '../../../simulator/hosts/power-board.js';
import { IPMI_PASSWORD, startPowerLab, type PowerLab } from '../../activities/power/support.js';

let t: PowerLab;
let bmc: { address: string; port: number };

beforeAll(async () => {
  t = await startPowerLab();
  const found = t.sim.endpoints.bmcs.find((candidate) => candidate.node === 'compute4')!;
  if (found.protocol !== 'ipmi') throw new Error('compute4 is the IPMI node');
  bmc = found;
});
afterAll(() => t?.stop());

function ipmitool(args: string[], options: { env?: Record<string, string>; port?: number; user?: string } = {}) {
  const { env = { IPMI_PASSWORD }, port = bmc.port, user = 'admin' } = options;
  return execa('ipmitool', ['-I', 'lanplus', '-H', bmc.address, '-p', String(port), '-U', user, ...args], {
    env,
    extendEnv: false,
    reject: false,
  });
}

const REFUSAL = 'Error: Unable to establish IPMI v2 / RMCP+ session';

test('chassis power status, on and off answer as ipmitool prints them, and switch the node', async () => {
  expect(await ipmitool(['-E', 'chassis', 'power', 'status'])).toMatchObject({
    exitCode: 0,
    stdout: 'Chassis Power is off',
  });
  expect(await ipmitool(['-E', 'chassis', 'power', 'on'])).toMatchObject({
    exitCode: 0,
    stdout: 'Chassis Power Control: Up/On',
  });
  expect((await t.boards()).power.compute4).toBe('on');
  expect(await ipmitool(['-E', 'power', 'status'])).toMatchObject({ stdout: 'Chassis Power is on' });
  expect(await ipmitool(['-E', 'power', 'off'])).toMatchObject({
    exitCode: 0,
    stdout: 'Chassis Power Control: Down/Off',
  });
  expect((await t.boards()).power.compute4).toBe('off');
});

test('a power cycle of a machine that is off is refused with the completion code a BMC gives', async () => {
  const cycle = await ipmitool(['-E', 'chassis', 'power', 'cycle']);
  expect(cycle).toMatchObject({
    exitCode: 1,
    stderr: 'Set Chassis Power Control to Cycle failed: Command not supported in present state',
  });
  expect((await t.boards()).power.compute4).toBe('off');
});

test('chassis bootdev sets the next boot device, once or persistent, and bootparam reads it back', async () => {
  expect(await ipmitool(['-E', 'chassis', 'bootdev', 'pxe'])).toMatchObject({
    exitCode: 0,
    stdout: 'Set Boot Device to pxe',
  });
  expect((await t.boards()).boot.compute4).toMatchObject({ target: 'pxe', mode: 'Once' });
  const read = await ipmitool(['-E', 'chassis', 'bootparam', 'get', '5']);
  expect(read.exitCode).toBe(0);
  expect(read.stdout).toContain('Boot Device Selector : Force PXE');
  expect(read.stdout).toContain('Options apply to only next boot');

  await ipmitool(['-E', 'chassis', 'bootdev', 'disk', 'options=persistent']);
  expect((await t.boards()).boot.compute4).toMatchObject({ target: 'disk', mode: 'Continuous' });
  await ipmitool(['-E', 'chassis', 'bootdev', 'pxe', 'options=efiboot']);
  expect((await t.boards()).boot.compute4).toMatchObject({ target: 'pxe', mode: 'Once' });
  await ipmitool(['-E', 'chassis', 'bootdev', 'none']);
  expect((await t.boards()).boot.compute4).toMatchObject({ target: 'none', mode: 'Disabled' });

  // What ipmitool itself refuses never reaches the BMC.
  const usb = await ipmitool(['-E', 'chassis', 'bootdev', 'sideways']);
  expect(usb.exitCode).not.toBe(0);
  expect((await t.boards()).boot.compute4).toMatchObject({ target: 'none' });
});

test('a one-time PXE override is used by the next power-on and gone after it', async () => {
  await ipmitool(['-E', 'chassis', 'bootdev', 'pxe']);
  await ipmitool(['-E', 'chassis', 'power', 'on']);
  expect((await t.boards()).boot.compute4).toEqual({ target: 'none', mode: 'Disabled', lastBoot: 'pxe' });
  await ipmitool(['-E', 'chassis', 'power', 'off']);
});

test('a user-privilege account (bmc-read-only) reads the power but may not switch it or set the boot device', async () => {
  t.sim.faults.add({ kind: 'bmc-read-only', node: 'compute4' });
  try {
    expect(await ipmitool(['-E', 'chassis', 'power', 'status'])).toMatchObject({ exitCode: 0 });
    expect(await ipmitool(['-E', 'chassis', 'power', 'on'])).toMatchObject({
      exitCode: 1,
      stderr: 'Set Chassis Power Control to Up/On failed: Insufficient privilege level',
    });
    // ipmitool 1.8.19 exits 0 here: the refusal is on stderr only (the driver reads it there).
    expect(await ipmitool(['-E', 'chassis', 'bootdev', 'pxe'])).toMatchObject({
      stderr: 'Set Chassis Boot Parameter 5 failed: Insufficient privilege level',
    });
    expect(await t.boards()).toMatchObject({ power: { compute4: 'off' }, boot: { compute4: { target: 'none' } } });
  } finally {
    t.sim.faults.clear('bmc-read-only');
  }
});

test('a wrong password gets the real refusal at once and changes nothing; no password reaches the log', async () => {
  expect(await ipmitool(['-E', 'chassis', 'power', 'on'], { env: { IPMI_PASSWORD: 'wrong' } })).toMatchObject({
    exitCode: 1,
    stderr: REFUSAL,
  });
  expect(await ipmitool(['-P', 'wrong', 'chassis', 'power', 'on'], { env: {} })).toMatchObject({
    exitCode: 1,
    stderr: REFUSAL,
  });
  expect((await t.boards()).power.compute4).toBe('off');
  expect(t.logs.join('\n')).not.toContain(IPMI_PASSWORD);
});

test('a user the BMC does not know gets no session', async () => {
  const wrongUser = await ipmitool(['-E', 'chassis', 'power', 'on'], { user: 'root' });
  expect(wrongUser.exitCode).toBe(1);
  expect(wrongUser.stderr).toContain(REFUSAL);
  expect((await t.boards()).power.compute4).toBe('off');
}, 60_000);

test('a BMC that does not answer: ipmitool gives up with its own message', async () => {
  // A bound UDP port that never answers, as a BMC that is down or filtered.
  const silent = createSocket('udp4');
  await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
  try {
    const result = await ipmitool(['-E', 'chassis', 'power', 'status'], { port: silent.address().port });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(REFUSAL);
  } finally {
    silent.close();
  }
}, 60_000);

test('-P works as with a real BMC (the driver gives -E and IPMI_PASSWORD)', async () => {
  // Not tried: -E without IPMI_PASSWORD, on which ipmitool falls back to prompting on the terminal.
  expect(await ipmitool(['-P', IPMI_PASSWORD, 'chassis', 'power', 'status'], { env: {} })).toMatchObject({
    exitCode: 0,
    stdout: 'Chassis Power is off',
  });
});

test('the BMC server process stops with the BMCs', async () => {
  const power = new PowerBoard(t.lab.nodes.map((node) => node.name));
  const bmcs = await startSimulatedBmcs({ lab: t.lab, power });
  const pid = bmcs.ipmiPid!;
  expect(pid).toBeDefined();
  expect(() => process.kill(pid, 0)).not.toThrow();
  await bmcs.stop();
  expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
});
