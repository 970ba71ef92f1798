/**
 * What happens between pressing the power button and a running RHCOS: the node PXE-boots, fetches
 * its ignition, writes the metal image and reboots. A node only gets through when its DHCP lease,
 * PXE config and ignition are in place on the simulated helper hosts; otherwise it sits at the PXE
 * prompt, and why is logged and kept (`stuck()`), as on real hardware a console would show it.
 */
import { EventEmitter } from 'node:events';
import type { Lab, Node } from '../../lab/schema.js';
import type { SimClock } from '../clock.js';
import type { SimLogger } from '../context.js';

/** The part of the simulated hosts the boot sequence looks at. */
export interface PowerSource {
  power: EventEmitter;
  bootReadiness(node: string): { ready: boolean; missing: string[] };
}

/** Lab time a node takes from power-on to a running RHCOS (PXE, metal image written, reboot). */
export const BOOT_MS = 4 * 60_000;
/** Lab time an installed node takes to boot RHCOS from its disk. */
export const DISK_BOOT_MS = 60_000;

export type NodeBootState = 'off' | 'booting' | 'stuck' | 'running';

export interface BootTracker extends EventEmitter {
  /** Per lab node: off, booting, stuck in PXE (with the reason) or running. */
  states(): Record<string, { state: NodeBootState; reason?: string }>;
  isRunning(node: string): boolean;
  /** Nodes stuck at the PXE prompt and what they are missing. */
  stuck(): Record<string, string>;
  /** For a lab seeded as installed: the node is already running. */
  markRunning(node: string): void;
  stop(): void;
}

/**
 * Follows the power board. Emits `running` (node) once a node has booted and `down` (node) when it
 * is powered off.
 */
export function trackBoots(options: { lab: Lab; hosts: PowerSource; clock: SimClock; log: SimLogger }): BootTracker {
  const { lab, hosts, clock, log } = options;
  const state = new Map<string, { state: NodeBootState; reason?: string; cancel?: () => void }>();
  const known = new Map<string, Node>(lab.nodes.map((node) => [node.name, node]));
  const tracker = new EventEmitter() as BootTracker;
  /** Nodes with RHCOS on their disk: they boot from it, whatever the PXE server holds. */
  const installed = new Set<string>();
  const boot = (node: string, ms: number) => {
    const cancel = clock.after(ms, () => {
      installed.add(node);
      state.set(node, { state: 'running' });
      log.info(`node ${node} booted RHCOS`);
      tracker.emit('running', node);
    });
    state.set(node, { state: 'booting', cancel });
  };

  const onPower = (node: string, power: 'on' | 'off') => {
    if (!known.has(node)) return;
    const current = state.get(node);
    if (power === 'off') {
      current?.cancel?.();
      const wasRunning = current?.state === 'running';
      state.set(node, { state: 'off' });
      if (wasRunning) tracker.emit('down', node);
      return;
    }
    // A node stuck at the PXE prompt may be powered on again (reset) once its files are in place.
    if (current && current.state !== 'off' && current.state !== 'stuck') return;
    if (installed.has(node)) {
      boot(node, DISK_BOOT_MS);
      return;
    }
    const readiness = hosts.bootReadiness(node);
    if (!readiness.ready) {
      const reason = `stuck in PXE: ${readiness.missing.join('; ')}`;
      state.set(node, { state: 'stuck', reason });
      log.warn(`node ${node} powered on but ${reason}`);
      return;
    }
    log.info(`node ${node} is PXE-booting and installing RHCOS`);
    boot(node, BOOT_MS);
  };
  hosts.power.on('power', onPower);

  tracker.states = () =>
    Object.fromEntries(
      lab.nodes.map((node) => {
        const entry = state.get(node.name) ?? { state: 'off' as const };
        return [node.name, { state: entry.state, ...(entry.reason ? { reason: entry.reason } : {}) }];
      }),
    );
  tracker.isRunning = (node) => state.get(node)?.state === 'running';
  tracker.stuck = () =>
    Object.fromEntries(
      [...state].filter(([, entry]) => entry.state === 'stuck').map(([node, entry]) => [node, entry.reason ?? '']),
    );
  tracker.markRunning = (node) => {
    installed.add(node);
    state.set(node, { state: 'running' });
  };
  tracker.stop = () => {
    hosts.power.off('power', onPower);
    for (const entry of state.values()) entry.cancel?.();
  };
  return tracker;
}
