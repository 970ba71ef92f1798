/**
 * The rebuild's teardown per power type, through the step activity as the worker registers it,
 * against the simulated lab (libvirt hypervisors over SSH, IPMI and Redfish BMCs): a node is made to
 * install again at its next boot, and the simulated disk decides how it boots.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { startPowerLab, type PowerLab } from './support.js';

let t: PowerLab;

/** Nodes installed before the test: RHCOS configured on their disks, running. */
const INSTALLED = ['compute1', 'compute2', 'compute4', 'compute5'];

beforeAll(async () => {
  t = await startPowerLab();
  for (const node of INSTALLED) {
    t.sim.boot.markRunning(node);
    t.sim.hosts.power.set(node, 'on');
  }
});
afterAll(() => t?.stop());

async function bootState(node: string, wanted: (state: string) => boolean): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const state = t.sim.boot.states()[node]!.state;
    if (wanted(state)) return state;
    if (Date.now() > deadline) throw new Error(`${node} stayed ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('a node that is on is not touched: the step asks for it to be off first', async () => {
  const failure = await t.failure('powerReinstallOnNextBoot', 'compute1');
  expect(failure.message).toMatch(/compute1 is on \(domain ocp4-compute1 on kvm1\): it must be off/);
  expect(t.sim.boot.disks().compute1).toMatchObject({ state: 'configured' });
});

test('libvirt: the boot volume is wiped on the hypervisor; the node installs again, an unwiped one boots its disk', async () => {
  await t.run('powerOff', 'compute1');
  await t.run('powerOff', 'compute2');
  const wiped = await t.run('powerReinstallOnNextBoot', 'compute1');
  expect(wiped.changed).toBe(true);
  expect(wiped.detail).toBe(
    'wiped boot volume /var/lib/libvirt/images/ocp4-compute1.qcow2 of domain ocp4-compute1 on kvm1: it installs again at its next boot',
  );
  expect(t.sim.boot.disks().compute1).toEqual({ state: 'blank' });
  expect(t.sim.boot.disks().compute2).toMatchObject({ state: 'configured' });

  await t.run('powerOn', 'compute1', { params: { pxe: true } });
  await t.run('powerOn', 'compute2', { params: { pxe: true } });
  // The wiped node goes to the network (this bare lab serves it no PXE config yet); the other boots RHCOS.
  expect(await bootState('compute1', (state) => state !== 'booting')).toBe('stuck');
  expect(t.sim.boot.stuck().compute1).toMatch(/^stuck in PXE/);
  expect(await bootState('compute2', (state) => state !== 'booting')).toBe('running');
});

test('IPMI and Redfish: PXE as the next boot device, so the next power-on boots the installer', async () => {
  for (const node of ['compute4', 'compute5']) {
    await t.run('powerOff', node);
    const result = await t.run('powerReinstallOnNextBoot', node);
    expect(result).toMatchObject({ changed: true, detail: expect.stringMatching(`^next boot of ${node} from pxe`) });
    expect((await t.boards()).boot[node]).toMatchObject({ target: 'pxe', mode: 'Once' });
    // The disk is untouched until the installer runs from the network.
    expect(t.sim.boot.disks()[node]).toMatchObject({ state: 'configured' });
    await t.run('powerOn', node);
    expect((await t.boards()).boot[node]).toMatchObject({ lastBoot: 'pxe' });
    expect(await bootState(node, (state) => state !== 'booting')).toBe('stuck');
    expect(t.sim.boot.stuck()[node]).toMatch(/^stuck in PXE/);
  }
});

test('manual power: the instruction names the node and asks for a network boot next time', async () => {
  const result = await t.run('powerManualInstructions', 'compute3', { params: { to: 'off', reinstall: true } });
  expect(result.detail).toMatch(
    /^Power off compute3 \(MAC 52:54:00:ff:37:14\) and set it to PXE boot next time, then run/,
  );
});
