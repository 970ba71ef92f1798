/**
 * The simulated lab's stand-in ipmitool, run as a program the way the IPMI driver runs it: the same
 * command line as the real ipmitool, `-E` reading IPMI_PASSWORD, the BMC's refusal of a wrong login,
 * and the power board and boot device it acts on. Plus the front-panel power button of the admin
 * endpoint, for nodes without remote power.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { adminRequest } from '../../../simulator/admin-client.js';
import { POWER_BUTTON_ROUTE } from '../../../simulator/bmc/index.js';
import { parseIpmitoolArgv } from '../../../simulator/bmc/ipmitool-cli.js';
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

function ipmitool(args: string[], env: Record<string, string> = { IPMI_PASSWORD }) {
  return execa(
    t.sim.endpoints.tools.ipmitool,
    ['-I', 'lanplus', '-H', bmc.address, '-p', String(bmc.port), '-U', 'admin', ...args],
    { env, extendEnv: false, reject: false },
  );
}

test('chassis power status, on and off answer as ipmitool prints them', async () => {
  expect(await ipmitool(['-E', 'chassis', 'power', 'status'])).toMatchObject({
    exitCode: 0,
    stdout: 'Chassis Power is off',
  });
  expect(await ipmitool(['-E', 'chassis', 'power', 'on'])).toMatchObject({
    exitCode: 0,
    stdout: 'Chassis Power Control: Up/On',
  });
  expect((await t.boards()).power.compute4).toBe('on');
  // The short form `power` is the same command.
  expect(await ipmitool(['-E', 'power', 'off'])).toMatchObject({
    exitCode: 0,
    stdout: 'Chassis Power Control: Down/Off',
  });
  expect((await t.boards()).power.compute4).toBe('off');
});

test('chassis bootdev sets a one-time device, or a persistent one with options=persistent', async () => {
  expect(await ipmitool(['-E', 'chassis', 'bootdev', 'pxe'])).toMatchObject({
    exitCode: 0,
    stdout: 'Set Boot Device to pxe',
  });
  expect((await t.boards()).boot.compute4).toMatchObject({ target: 'pxe', mode: 'Once' });
  await ipmitool(['-E', 'chassis', 'bootdev', 'disk', 'options=persistent']);
  expect((await t.boards()).boot.compute4).toMatchObject({ target: 'disk', mode: 'Continuous' });
  await ipmitool(['-E', 'chassis', 'bootdev', 'pxe', 'options=efiboot']);
  expect((await t.boards()).boot.compute4).toMatchObject({ target: 'pxe', mode: 'Once' });
  expect(await ipmitool(['-E', 'chassis', 'bootdev', 'usb'])).toMatchObject({ exitCode: 1 });
  expect(await ipmitool(['-E', 'chassis', 'bootdev', 'pxe', 'options=sideways'])).toMatchObject({
    exitCode: 1,
    stderr: 'Invalid option: sideways',
  });
  await ipmitool(['-E', 'chassis', 'bootdev', 'none']);
  expect((await t.boards()).boot.compute4).toMatchObject({ target: 'none', mode: 'Disabled' });
});

test('a wrong password, user or BMC address gets the real refusal and changes nothing', async () => {
  const refusal = 'Error: Unable to establish IPMI v2 / RMCP+ session';
  expect(await ipmitool(['-E', 'chassis', 'power', 'on'], { IPMI_PASSWORD: 'wrong' })).toMatchObject({
    exitCode: 1,
    stderr: refusal,
  });
  const wrongUser = await execa(
    t.sim.endpoints.tools.ipmitool,
    ['-I', 'lanplus', '-H', bmc.address, '-p', String(bmc.port), '-U', 'root', '-E', 'chassis', 'power', 'on'],
    { env: { IPMI_PASSWORD }, reject: false },
  );
  expect(wrongUser).toMatchObject({ exitCode: 1, stderr: refusal });
  const noBmc = await execa(
    t.sim.endpoints.tools.ipmitool,
    ['-I', 'lanplus', '-H', bmc.address, '-p', '1', '-U', 'admin', '-E', 'chassis', 'power', 'on'],
    { env: { IPMI_PASSWORD }, reject: false },
  );
  expect(noBmc).toMatchObject({ exitCode: 1, stderr: refusal });
  expect((await t.boards()).power.compute4).toBe('off');
  expect(t.logs.join('\n')).not.toContain(IPMI_PASSWORD);
});

test('-E without IPMI_PASSWORD fails as ipmitool does; -P works as with the real one', async () => {
  expect(await ipmitool(['-E', 'chassis', 'power', 'status'], {})).toMatchObject({
    exitCode: 1,
    stderr: 'Unable to read password from environment',
  });
  expect(await ipmitool(['-P', IPMI_PASSWORD, 'chassis', 'power', 'status'], {})).toMatchObject({ exitCode: 0 });
});

test('the command line is parsed like ipmitool parses it', () => {
  expect(
    parseIpmitoolArgv(['-I', 'lanplus', '-H', '127.0.0.1', '-U', 'a', '-E', 'chassis', 'power', 'on'], {
      IPMI_PASSWORD: 'p',
    }),
  ).toEqual({
    request: { address: '127.0.0.1', port: 623, username: 'a', password: 'p', command: ['chassis', 'power', 'on'] },
  });
  expect(parseIpmitoolArgv(['-I', 'lan', '-H', 'h', '-E', 'power', 'on'], { IPMI_PASSWORD: 'p' })).toMatchObject({
    error: { exitCode: 1, stderr: expect.stringMatching(/speaks only -I lanplus/) },
  });
  expect(parseIpmitoolArgv(['-I', 'lanplus', '-E', 'power', 'on'], { IPMI_PASSWORD: 'p' })).toMatchObject({
    error: { stderr: 'No hostname specified!\n' },
  });
  expect(parseIpmitoolArgv(['-I', 'lanplus', '-H', 'h', '-Z', 'power'], {})).toMatchObject({
    error: { stderr: 'Invalid option: -Z\n' },
  });
});

test('the power button of the admin endpoint switches any node, as an operator at the machine', async () => {
  const admin = { url: t.sim.apiUrl, token: t.sim.token, caCert: t.sim.caCert };
  const pressed = await adminRequest(admin, 'POST', POWER_BUTTON_ROUTE, { node: 'compute3', state: 'on' });
  expect(pressed).toMatchObject({ status: 200, body: { node: 'compute3', power: 'on' } });
  expect((await t.boards()).power.compute3).toBe('on');
  expect((await adminRequest(admin, 'POST', POWER_BUTTON_ROUTE, { node: 'nosuch', state: 'on' })).status).toBe(404);
  expect((await adminRequest(admin, 'POST', POWER_BUTTON_ROUTE, { node: 'compute3' })).status).toBe(422);
  await adminRequest(admin, 'POST', POWER_BUTTON_ROUTE, { node: 'compute3', state: 'off' });
});
