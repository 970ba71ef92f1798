/**
 * Redfish power against the simulated Redfish services (HTTPS on loopback, their own CA), through the
 * step activities as the worker registers them.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Lab } from '../../../lab/schema.js';
import { REDFISH_PASSWORD, startPowerLab, WRONG_PASSWORD, withWrongPassword, type PowerLab } from './support.js';
import { regexp } from '../../support/regexp.js';

let t: PowerLab;

beforeAll(async () => {
  t = await startPowerLab();
});
afterAll(() => t?.stop());

const resets = () => t.logs.filter((line) => line.startsWith('Redfish compute5: ComputerSystem.Reset'));

test('power on with PXE: a one-time Pxe override, then ResetType On; the second run sends nothing', async () => {
  const first = await t.run('powerOn', 'compute5', { params: { pxe: true } });
  expect(first.changed).toBe(true);
  expect(first.detail).toMatch(
    /compute5: powered on through Redfish system System\.Embedded\.1 at https:\/\/127\.0\.0\.1:\d+, PXE once/,
  );
  const boards = await t.boards();
  expect(boards.power.compute5).toBe('on');
  expect(boards.boot.compute5).toEqual({ target: 'none', mode: 'Disabled', lastBoot: 'pxe' });
  expect(t.logs).toContain('Redfish compute5: boot override pxe Once');
  expect(resets()).toEqual(['Redfish compute5: ComputerSystem.Reset On']);

  const second = await t.run('powerOn', 'compute5', { params: { pxe: true } });
  expect(second.changed).toBe(false);
  expect(second.detail).toMatch(/^compute5 is on \(Redfish system System\.Embedded\.1 at /);
  expect(resets()).toHaveLength(1);
});

test('reading the state changes nothing', async () => {
  const read = await t.run('powerReadState', 'compute5');
  expect(read.changed).toBe(false);
  expect(read.detail).toMatch(/^compute5 is on \(Redfish system System\.Embedded\.1 at https:\/\/127\.0\.0\.1:\d+\)$/);
  expect(resets()).toHaveLength(1);
});

test('power off with ForceOff converges', async () => {
  expect(await t.run('powerOff', 'compute5')).toMatchObject({ changed: true });
  expect(resets().at(-1)).toBe('Redfish compute5: ComputerSystem.Reset ForceOff');
  expect((await t.boards()).power.compute5).toBe('off');
  expect(await t.run('powerOff', 'compute5')).toMatchObject({ changed: false });
  expect(resets()).toHaveLength(2);
});

test('the next boot device converges too: PATCHed once, read back the second time', async () => {
  const first = await t.run('powerSetNextBoot', 'compute5', { params: { device: 'pxe' } });
  expect(first).toMatchObject({ changed: true });
  expect((await t.boards()).boot.compute5).toMatchObject({ target: 'pxe', mode: 'Once' });
  const second = await t.run('powerSetNextBoot', 'compute5', { params: { device: 'pxe' } });
  expect(second.changed).toBe(false);
  expect(second.detail).toMatch(/^compute5 next boot: pxe/);
  expect(t.logs.filter((line) => line === 'Redfish compute5: boot override pxe Once')).toHaveLength(2);

  await t.run('powerSetNextBoot', 'compute5', { params: { device: 'disk' } });
  await t.run('powerOn', 'compute5');
  expect((await t.boards()).boot.compute5).toEqual({ target: 'none', mode: 'Disabled', lastBoot: 'disk' });
  await t.run('powerOff', 'compute5');
});

test('a bad boot device in the step parameters pauses at once', async () => {
  const failure = await t.failure('powerSetNextBoot', 'compute5', { params: { device: 'usb' } });
  expect(failure.type).toBe('InvalidStepParams');
  expect(failure.nonRetryable).toBe(true);
});

test('a wrong password is refused (HTTP 401), at once, and the message holds no password', async () => {
  const failure = await t.failure('powerOn', 'compute5', { lab: withWrongPassword(t.lab, 'compute5') });
  expect(failure.type).toBe('BmcAuthRefused');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toMatch(
    /the Redfish service of compute5 \(https:\/\/127\.0\.0\.1:\d+\) refused user root \(HTTP 401: /,
  );
  expect(failure.message).toMatch(/env:RUNBOOK_TEST_WRONG_PASSWORD/);
  for (const secret of [WRONG_PASSWORD, REDFISH_PASSWORD]) {
    expect(failure.message).not.toContain(secret);
    expect(failure.message).not.toContain(Buffer.from(`root:${secret}`).toString('base64'));
  }
  expect((await t.boards()).power.compute5).toBe('off');
});

test('a wrong system id names the field to fix', async () => {
  const lab = structuredClone(t.lab);
  const power = lab.nodes.find((node) => node.name === 'compute5')!.power;
  if (power.type === 'redfish') power.systemId = 'Self';
  // The simulated service is found by node; the lab's system id picks the resource on it.
  const failure = await t.failure('powerOn', 'compute5', { lab });
  expect(failure.type).toBe('RedfishNotFound');
  expect(failure.message).toMatch(/has no \/redfish\/v1\/Systems\/Self .*nodes\[compute5\]\.power\.systemId/);
});

test('a certificate from another CA is not accepted', async () => {
  const otherCa = await t.endpointsWith('redfish-other-ca', (endpoints) => {
    const bmc = endpoints.bmcs.find((candidate) => candidate.node === 'compute5')!;
    if (bmc.protocol === 'redfish') bmc.caCert = t.sim.caCert; // the API server's CA, not the BMCs'
  });
  const failure = await t.failure('powerOn', 'compute5', { endpointsFile: otherCa });
  expect(failure.type).toBe('BmcCertificateRejected');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toMatch(/presented a certificate that cannot be verified .*set nodes\[compute5\]\.power\.ca/);
  expect((await t.boards()).power.compute5).toBe('off');
});

test('a Redfish service off loopback in a rehearsal fails before connecting, and is not retried', async () => {
  const offLoopback = await t.endpointsWith('redfish-off-loopback', (endpoints) => {
    const bmc = endpoints.bmcs.find((candidate) => candidate.node === 'compute5')!;
    if (bmc.protocol === 'redfish') bmc.url = 'https://10.42.44.205';
  });
  const failure = await t.failure('powerOn', 'compute5', { endpointsFile: offLoopback });
  expect(failure.type).toBe('RehearsalTargetError');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toMatch(
    /rehearsal refuses to connect to 10\.42\.44\.205 \(the Redfish service of compute5\)/,
  );
});

describe('outside a rehearsal, the lab says how to trust the service', () => {
  // A real run aimed at the simulated service on loopback: the lab's address, CA reference and
  // insecure flag are what the driver uses.
  async function realRunLab(power: { ca?: string; insecure?: boolean }) {
    const lab = structuredClone(t.lab);
    const bmc = t.sim.endpoints.bmcs.find((candidate) => candidate.node === 'compute5')!;
    const node = lab.nodes.find((candidate) => candidate.name === 'compute5')!;
    if (node.power.type !== 'redfish' || bmc.protocol !== 'redfish') throw new Error('compute5 is the Redfish node');
    node.power.address = new URL(bmc.url).host;
    node.power.insecure = power.insecure ?? false;
    if (power.ca) node.power.ca = power.ca;
    return lab;
  }
  const run = (lab: Lab) =>
    new MockActivityEnvironment().run(t.activities.powerOff, {
      runbook: 'power-test',
      stepId: 'power[compute5].off',
      lab,
      item: 'compute5',
    });

  test('with the CA the lab references, the certificate is verified', async () => {
    const bmc = t.sim.endpoints.bmcs.find((candidate) => candidate.node === 'compute5')!;
    const caFile = path.join(t.scratch, 'bmc-ca.pem');
    await writeFile(caFile, bmc.protocol === 'redfish' ? bmc.caCert : '');
    await expect(run(await realRunLab({ ca: `file:${caFile}` }))).resolves.toMatchObject({ changed: false });
  });

  test('without a CA, the system CAs do not know the BMC, and the message says what to do', async () => {
    await expect(run(await realRunLab({}))).rejects.toThrow(
      regexp(
        /presented a certificate that cannot be verified .*/,
        /set nodes\[compute5\]\.power\.ca to the CA that signed it \(file:\/path\/ca\.pem\), or insecure: true/,
      ),
    );
  });

  test('with insecure: true, any certificate is accepted', async () => {
    await expect(run(await realRunLab({ insecure: true }))).resolves.toMatchObject({ changed: false });
  });
});
