/**
 * libvirt power against the simulated hypervisors (virsh over SSH on loopback), through the step
 * activities as the worker registers them.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { startPowerLab, type PowerLab } from './support.js';

let t: PowerLab;

beforeAll(async () => {
  t = await startPowerLab();
});
afterAll(() => t?.stop());

test('power on converges: changed the first time, unchanged the second, and the domain runs', async () => {
  expect((await t.boards()).power.compute1).toBe('off');
  const first = await t.run('powerOn', 'compute1');
  expect(first).toMatchObject({ changed: true });
  expect(first.detail).toMatch(/compute1: started domain ocp4-compute1 on kvm1/);
  expect((await t.boards()).power.compute1).toBe('on');
  expect(t.logs).toContain('kvm1: virsh -c qemu:///system start ocp4-compute1 → exit 0');

  const second = await t.run('powerOn', 'compute1');
  expect(second).toMatchObject({ changed: false, detail: 'compute1 is on (domain ocp4-compute1 on kvm1)' });
  expect(t.logs.filter((line) => line.includes('start ocp4-compute1'))).toHaveLength(1);
});

test('reading the state asks virsh domstate only', async () => {
  expect(await t.run('powerReadState', 'compute1')).toEqual({
    changed: false,
    detail: 'compute1 is on (domain ocp4-compute1 on kvm1)',
    attempt: 1,
  });
  expect(t.logs.at(-1)).toBe('kvm1: virsh -c qemu:///system domstate ocp4-compute1 → exit 0');
});

test('power off converges the same way', async () => {
  const first = await t.run('powerOff', 'compute1');
  expect(first).toMatchObject({ changed: true });
  expect(first.detail).toMatch(/stopped domain ocp4-compute1 on kvm1/);
  expect((await t.boards()).power.compute1).toBe('off');
  expect(await t.run('powerOff', 'compute1')).toMatchObject({
    changed: false,
    detail: 'compute1 is off (domain ocp4-compute1 on kvm1)',
  });
});

test('a PXE power-on says that the domain boots in its own order (libvirt keeps no one-time device)', async () => {
  const result = await t.run('powerOn', 'master2', { params: { pxe: true } });
  expect(result.changed).toBe(true);
  expect(result.detail).toMatch(/started domain ocp4-master2 on kvm2 \(libvirt keeps no one-time boot device/);
  expect((await t.boards()).power.master2).toBe('on');
});

test('setting the next boot device is refused for libvirt, at once', async () => {
  const failure = await t.failure('powerSetNextBoot', 'compute2', { params: { device: 'pxe' } });
  expect(failure.type).toBe('NextBootUnsupported');
  expect(failure.nonRetryable).toBe(true);
});

test('a domain the hypervisor does not know pauses at once, naming the field to fix', async () => {
  const lab = structuredClone(t.lab);
  const power = lab.nodes.find((node) => node.name === 'compute2')!.power;
  if (power.type === 'libvirt') power.domain = 'ocp4-nosuch';
  const failure = await t.failure('powerOn', 'compute2', { lab });
  expect(failure.type).toBe('DomainMissing');
  expect(failure.message).toMatch(/does not know domain ocp4-nosuch .*nodes\[\]\.power\.domain/);
});

test('a hypervisor off loopback in a rehearsal fails before connecting, and is not retried', async () => {
  const endpointsFile = await t.endpointsWith('kvm1-off-loopback', (endpoints) => {
    endpoints.hosts.find((host) => host.name === 'kvm1')!.address = '10.42.253.30';
  });
  const before = t.logs.length;
  const failure = await t.failure('powerOn', 'compute1', { endpointsFile });
  expect(failure.type).toBe('RehearsalTargetError');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toMatch(/rehearsal refuses to connect to 10\.42\.253\.30 \(kvm1 ssh\)/);
  expect(t.logs.slice(before)).toEqual([]);
  expect((await t.boards()).power.compute1).toBe('off');
});
