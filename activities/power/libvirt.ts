/**
 * libvirt power: `virsh -c <uri> domstate|start|destroy <domain>` over SSH on the node's hypervisor
 * host (lab `nodes[].power.hypervisor`, `hosts[].hypervisor.uri`), one session per hypervisor for
 * the life of the driver. libvirt has no one-time boot override: a domain boots in the order its
 * definition gives (PXE first while the disk is blank, in the labs the procedure describes), so this
 * driver has no `setNextBoot`; to make a node install again it wipes the boot volume instead
 * (`virsh domblklist --details` finds the volume behind the node's `installDisk`, `virsh vol-wipe`
 * blanks it).
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Lab, Node } from '../../lab/schema.js';
import { SshSession } from '../../transport/ssh.js';
import { sshTargetFor, type HostEndpoint } from '../../transport/targets.js';
import type { PowerDriver, PowerState } from './driver.js';
import { StepErrorType } from '../../contract/error-types.js';

/** `virsh domstate` words: running-like states are on, `shut off` is off, the rest cannot be acted on blindly. */
const DOMAIN_STATES: Record<string, PowerState> = {
  running: 'on',
  idle: 'on',
  blocked: 'on',
  'shut off': 'off',
};

export interface LibvirtOptions {
  lab: Lab;
  /** The simulated hosts of a rehearsal; undefined for a real run. */
  endpoints?: readonly HostEndpoint[];
  signal?: AbortSignal;
}

/** The source of the disk row whose target is `target` in `virsh domblklist --details` output. */
export function bootVolume(listing: string, target: string): string | undefined {
  for (const line of listing.split('\n')) {
    const [, device, name, source] = line.trim().split(/\s+/);
    if (device === 'disk' && name === target && source !== undefined && source !== '-') return source;
  }
  return undefined;
}

export function libvirtDriver(options: LibvirtOptions): PowerDriver {
  const sessions = new Map<string, Promise<SshSession>>();

  const domainOf = (node: Node) => {
    if (node.power.type !== 'libvirt') throw new Error(`node "${node.name}" has ${node.power.type} power, not libvirt`);
    const { hypervisor, domain } = node.power;
    const uri = options.lab.hosts.find((host) => host.name === hypervisor)?.hypervisor?.uri ?? 'qemu:///system';
    return { hypervisor, domain, uri };
  };

  const session = (hypervisor: string): Promise<SshSession> => {
    let opened = sessions.get(hypervisor);
    if (!opened) {
      const target = sshTargetFor(
        options.lab,
        hypervisor,
        options.endpoints ? { endpoints: options.endpoints } : undefined,
      );
      opened = SshSession.connect(target, options.signal ? { signal: options.signal } : {});
      // A failed connect is not kept: the next call (or attempt) tries again.
      opened.catch(() => sessions.delete(hypervisor));
      sessions.set(hypervisor, opened);
    }
    return opened;
  };

  const virsh = async (node: Node, ...args: string[]) => {
    const { hypervisor, uri } = domainOf(node);
    return (await session(hypervisor)).exec(['virsh', '-c', uri, ...args], { signal: options.signal });
  };

  const act = async (node: Node, verb: 'start' | 'destroy') => {
    const { hypervisor, domain } = domainOf(node);
    const result = await virsh(node, verb, domain);
    if (result.code !== 0) {
      // Retryable: "already running" after a race, or a hypervisor busy; the next attempt re-checks first.
      throw new Error(
        `\`virsh ${verb} ${domain}\` failed on ${hypervisor}: ${result.stderr.trim() || result.stdout.trim()}`,
      );
    }
    return verb === 'start' ? `started domain ${domain} on ${hypervisor}` : `stopped domain ${domain} on ${hypervisor}`;
  };

  return {
    where(node) {
      const { hypervisor, domain } = domainOf(node);
      return `domain ${domain} on ${hypervisor}`;
    },

    async state(node) {
      const { hypervisor, domain } = domainOf(node);
      const result = await virsh(node, 'domstate', domain);
      if (result.code !== 0) {
        throw ApplicationFailure.nonRetryable(
          `virsh on ${hypervisor} does not know domain ${domain} of node ${node.name}: ` +
            `${result.stderr.trim()}; define the domain or fix nodes[].power.domain`,
          StepErrorType.DomainMissing,
        );
      }
      return DOMAIN_STATES[result.stdout.trim().split('\n')[0]!.trim()] ?? 'unknown';
    },

    async powerOn(node, { pxe } = {}) {
      const done = await act(node, 'start');
      return pxe ? `${done} (libvirt keeps no one-time boot device: the domain boots in its own boot order)` : done;
    },

    powerOff: (node) => act(node, 'destroy'),

    async wipeBootDisk(node) {
      const { hypervisor, domain } = domainOf(node);
      const target = node.installDisk.replace(/^\/dev\//, '');
      const listed = await virsh(node, 'domblklist', '--details', domain);
      if (listed.code !== 0) {
        throw new Error(`\`virsh domblklist ${domain}\` failed on ${hypervisor}: ${listed.stderr.trim()}`);
      }
      const volume = bootVolume(listed.stdout, target);
      if (volume === undefined) {
        throw ApplicationFailure.nonRetryable(
          `domain ${domain} on ${hypervisor} has no disk with target ${target} (nodes[${node.name}].installDisk): ` +
            `\`virsh domblklist --details ${domain}\` lists ` +
            `${listed.stdout.trim().split('\n').slice(2).join('; ') || 'nothing'}; fix installDisk or ` +
            `the domain, then resume`,
          StepErrorType.BootDiskMissing,
        );
      }
      const wiped = await virsh(node, 'vol-wipe', volume);
      if (wiped.code !== 0) {
        throw new Error(`\`virsh vol-wipe ${volume}\` failed on ${hypervisor}: ${wiped.stderr.trim()}`);
      }
      return `wiped boot volume ${volume} of domain ${domain} on ${hypervisor}: it installs again at its next boot`;
    },

    async close() {
      const opened = [...sessions.values()];
      sessions.clear();
      for (const pending of opened) await pending.then((s) => s.close()).catch(() => {});
    },
  };
}
