/**
 * One interface for every way a lab powers its nodes. A driver reads and switches power and, where the
 * hardware allows it, picks the next boot device; the step activities (./index.ts) build converging
 * steps on it, so powering on a node that is already on reports `unchanged`.
 *
 * Drivers: libvirt (`virsh` over SSH on the hypervisor host), ipmi (`ipmitool` on the worker),
 * redfish (HTTPS to the BMC). Manual power has no driver: nothing can be read or switched, so the
 * runbook gates instead (see ./manual.ts and runbooks/power-steps.ts).
 */
import type { Node } from '../../lab/schema.js';

export type PowerState = 'on' | 'off' | 'unknown';
export type BootDevice = 'pxe' | 'disk';

export interface PowerOnOptions {
  /** Boot from the network this time (a node about to be installed). */
  pxe?: boolean;
}

export interface PowerDriver {
  /** What the driver talks to for `node`, for messages: "domain ocp4-master1 on kvm1". */
  where(node: Node): string;
  state(node: Node): Promise<PowerState>;
  /** Switches the node on; returns a line saying what was done. */
  powerOn(node: Node, options?: PowerOnOptions): Promise<string>;
  /** Switches the node off at once (no guest shutdown: the runbooks power off nodes they reinstall). */
  powerOff(node: Node): Promise<string>;
  /** Absent where the hardware offers no next-boot override (libvirt: the domain's boot order decides). */
  setNextBoot?: (node: Node, device: BootDevice) => Promise<string>;
  /**
   * Blanks the start of the node's boot disk, so that its firmware falls through to the network boot
   * and the node installs again (libvirt, whose domains have no one-time boot device). The node is off.
   */
  wipeBootDisk?: (node: Node) => Promise<string>;
  /** The one-time boot override the BMC holds, where it can tell (to converge `setNextBoot`). */
  nextBoot?: (node: Node) => Promise<BootDevice | 'none'>;
  /** Releases connections (SSH sessions); safe to call more than once. */
  close(): Promise<void>;
}

/** The lab node a step acts on: the for-each item, or `params.node`. */
export function nodeNamed(nodes: readonly Node[], name: string | undefined, lab: string): Node {
  if (name === undefined) throw new Error('a power step needs a node: run it in a for-each over node names');
  const node = nodes.find((candidate) => candidate.name === name);
  if (!node) {
    throw new Error(
      `node "${name}" is not in lab ${lab} (nodes: ${nodes.map((candidate) => candidate.name).join(', ')})`,
    );
  }
  return node;
}
