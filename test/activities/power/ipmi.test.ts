/**
 * IPMI power against the simulated BMCs (RMCP+ on loopback UDP): the driver runs the real Debian
 * ipmitool through a wrapper that records every argv it is spawned with, so the tests can show the
 * password travels only in IPMI_PASSWORD.
 */
import { createSocket } from 'node:dgram';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { quoteArg } from '../../../transport/shell.js';
import { IPMI_PASSWORD, startPowerLab, WRONG_PASSWORD, withWrongPassword, type PowerLab } from './support.js';

let t: PowerLab;
let spawnLog: string;
let endpointsFile: string;

beforeAll(async () => {
  t = await startPowerLab();
  // Records argv (one line per spawn, NUL-free) and whether the password came in the environment.
  spawnLog = path.join(t.scratch, 'ipmitool-spawns.log');
  const recorder = path.join(t.scratch, 'recording-ipmitool');
  await writeFile(
    recorder,
    [
      '#!/bin/sh',
      `printf 'argv:%s\\n' "$*" >> ${quoteArg(spawnLog)}`,
      `[ -n "$IPMI_PASSWORD" ] && echo 'env:IPMI_PASSWORD set' >> ${quoteArg(spawnLog)}`,
      'exec ipmitool "$@"',
      '',
    ].join('\n'),
  );
  await chmod(recorder, 0o755);
  await writeFile(spawnLog, '');
  endpointsFile = await t.endpointsWith('recording', (endpoints) => {
    endpoints.tools.ipmitool = recorder;
  });
});
afterAll(() => t?.stop());

async function spawns(): Promise<string[]> {
  return (await readFile(spawnLog, 'utf8')).split('\n').filter(Boolean);
}

test('power on with PXE converges: bootdev then power on the first time, nothing but a status the second', async () => {
  const first = await t.run('powerOn', 'compute4', { params: { pxe: true }, endpointsFile });
  expect(first).toMatchObject({ changed: true });
  expect(first.detail).toMatch(/compute4: powered on through BMC 127\.0\.0\.1 \(IPMI\), PXE as the next boot device/);
  const boards = await t.boards();
  expect(boards.power.compute4).toBe('on');
  // The one-time PXE override was used by this power-on, and is gone.
  expect(boards.boot.compute4).toEqual({ target: 'none', mode: 'Disabled', lastBoot: 'pxe' });

  const commands = (await spawns()).filter((line) => line.startsWith('argv:')).map((line) => line.split(' -E ')[1]);
  expect(commands).toEqual(['chassis power status', 'chassis bootdev pxe', 'chassis power on', 'chassis power status']);

  const before = (await spawns()).length;
  const second = await t.run('powerOn', 'compute4', { params: { pxe: true }, endpointsFile });
  expect(second).toMatchObject({ changed: false, detail: 'compute4 is on (BMC 127.0.0.1 (IPMI))' });
  const again = (await spawns()).slice(before).filter((line) => line.startsWith('argv:'));
  expect(again.map((line) => line.split(' -E ')[1])).toEqual(['chassis power status']);
});

test('reading the state is one status query', async () => {
  const before = (await spawns()).length;
  expect(await t.run('powerReadState', 'compute4', { endpointsFile })).toMatchObject({
    changed: false,
    detail: 'compute4 is on (BMC 127.0.0.1 (IPMI))',
  });
  expect((await spawns()).slice(before).filter((line) => line.startsWith('argv:'))).toHaveLength(1);
});

test('power off converges', async () => {
  expect(await t.run('powerOff', 'compute4', { endpointsFile })).toMatchObject({ changed: true });
  expect((await t.boards()).power.compute4).toBe('off');
  expect(await t.run('powerOff', 'compute4', { endpointsFile })).toMatchObject({ changed: false });
});

test('the next boot device is set with chassis bootdev and used by the next power-on', async () => {
  const set = await t.run('powerSetNextBoot', 'compute4', { params: { device: 'disk' }, endpointsFile });
  expect(set).toMatchObject({ changed: true });
  expect((await t.boards()).boot.compute4).toMatchObject({ target: 'disk', mode: 'Once' });
  await t.run('powerOn', 'compute4', { endpointsFile });
  expect((await t.boards()).boot.compute4).toEqual({ target: 'none', mode: 'Disabled', lastBoot: 'disk' });
  await t.run('powerOff', 'compute4', { endpointsFile });
});

test('a UEFI machine is asked for a UEFI boot of the device (options=efiboot)', async () => {
  const lab = structuredClone(t.lab);
  lab.nodes.find((node) => node.name === 'compute4')!.boot = 'uefi';
  const before = (await spawns()).length;
  await t.run('powerSetNextBoot', 'compute4', { params: { device: 'pxe' }, lab, endpointsFile });
  const argv = (await spawns()).slice(before).filter((line) => line.startsWith('argv:'));
  expect(argv.map((line) => line.split(' -E ')[1])).toEqual(['chassis bootdev pxe options=efiboot']);
  expect((await t.boards()).boot.compute4).toMatchObject({ target: 'pxe', mode: 'Once' });
});

test('the password is never in argv: ipmitool gets -E and IPMI_PASSWORD', async () => {
  const lines = await spawns();
  const argvLines = lines.filter((line) => line.startsWith('argv:'));
  expect(argvLines.length).toBeGreaterThan(5);
  for (const line of argvLines) {
    expect(line).toMatch(/^argv:-I lanplus -H 127\.0\.0\.1 -p \d+ -U admin -E chassis /);
    expect(line).not.toContain(IPMI_PASSWORD);
    expect(line).not.toContain('-P');
  }
  expect(lines.filter((line) => line === 'env:IPMI_PASSWORD set')).toHaveLength(argvLines.length);
});

test('a wrong password is refused like a real BMC refuses it, at once, without the password in the message', async () => {
  const failure = await t.failure('powerOn', 'compute4', { lab: withWrongPassword(t.lab, 'compute4'), endpointsFile });
  expect(failure.type).toBe('BmcSessionRefused');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toMatch(
    /the BMC of compute4 \(127\.0\.0\.1\) opened no IPMI session for user admin: Error: Unable to establish IPMI v2 \/ RMCP\+ session/,
  );
  expect(failure.message).toMatch(/env:RUNBOOK_TEST_WRONG_PASSWORD/);
  expect(failure.message).not.toContain(WRONG_PASSWORD);
  expect(failure.message).not.toContain(IPMI_PASSWORD);
  expect((await t.boards()).power.compute4).toBe('off');
});

test('a BMC that does not answer pauses the step with what ipmitool said, naming what to check', async () => {
  // A bound loopback UDP port that never answers, as a BMC that is down or filtered.
  const silent = createSocket('udp4');
  await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
  try {
    const unanswered = await t.endpointsWith('ipmi-silent', (endpoints) => {
      const bmc = endpoints.bmcs.find((candidate) => candidate.node === 'compute4')!;
      if (bmc.protocol === 'ipmi') bmc.port = silent.address().port;
    });
    const failure = await t.failure('powerReadState', 'compute4', { endpointsFile: unanswered });
    expect(failure.type).toBe('BmcSessionRefused');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(
      /opened no IPMI session for user admin: Error: Unable to establish IPMI v2 \/ RMCP\+ session/,
    );
    expect(failure.message).toMatch(/the BMC answers IPMI over LAN \(RMCP\+, UDP 623\) from this worker/);
  } finally {
    silent.close();
  }
}, 120_000);

test('a BMC that refuses the command (a user-privilege account) pauses the step with ipmitool’s words', async () => {
  t.sim.faults.add({ kind: 'bmc-read-only', node: 'compute4' });
  try {
    const failure = await t.failure('powerOn', 'compute4', { params: { pxe: true } });
    expect(failure.type).toBe('BmcPrivilegeRefused');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(
      /refused `ipmitool chassis bootdev pxe` to user admin: .*Insufficient privilege level/,
    );
    expect(failure.message).toMatch(/Give that account Operator or Administrator privilege on the BMC/);
    expect((await t.boards()).power.compute4).toBe('off');
  } finally {
    t.sim.faults.clear('bmc-read-only');
  }
});

test('a BMC off loopback in a rehearsal fails before ipmitool is spawned, and is not retried', async () => {
  const offLoopback = await t.endpointsWith('ipmi-off-loopback', (endpoints) => {
    const bmc = endpoints.bmcs.find((candidate) => candidate.node === 'compute4')!;
    if (bmc.protocol === 'ipmi') bmc.address = '10.42.44.204';
    endpoints.tools.ipmitool = path.join(t.scratch, 'recording-ipmitool');
  });
  const before = (await spawns()).length;
  const failure = await t.failure('powerOn', 'compute4', { endpointsFile: offLoopback });
  expect(failure.type).toBe('RehearsalTargetError');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toMatch(
    /rehearsal refuses to connect to 10\.42\.44\.204 \(the BMC of compute4 \(ipmitool -H\)\)/,
  );
  expect((await spawns()).length).toBe(before);
});

test('a missing ipmitool says how to install or point at one', async () => {
  const missing = await t.endpointsWith('ipmitool-missing', (endpoints) => {
    endpoints.tools.ipmitool = path.join(t.scratch, 'no-such-ipmitool');
  });
  const failure = await t.failure('powerOn', 'compute4', { endpointsFile: missing });
  expect(failure.type).toBe('IpmitoolMissing');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toMatch(
    /ipmitool not found as .*no-such-ipmitool: install it on the worker \(apt-get install ipmitool\) or point RUNBOOK_IPMITOOL at it/,
  );
});
