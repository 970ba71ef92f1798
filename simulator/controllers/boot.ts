/**
 * What happens between pressing the power button and a running RHCOS: the node PXE-boots, fetches
 * its ignition, writes the metal image and reboots; at first boot Ignition fetches the rest of its
 * config from the machine config server (masters and workers) and the kubelet reaches the API. A
 * node only gets through the PXE stage when its DHCP lease, PXE config, boot assets and an ignition
 * config of this cluster are in place on the simulated helper hosts; otherwise it sits at the PXE
 * prompt until powered on again. At first boot it waits (Ignition and the kubelet retry) until the
 * loaded DNS zones and HAProxy backends let it through. Why a node waits is logged and kept
 * (`stuck()`), as on real hardware a console would show it. The `node-never-returns` fault keeps a
 * node from coming back from the reboot after writing its disk (or any later one) until it is cleared.
 */
import { EventEmitter } from 'node:events';
import type { Lab, Node } from '../../lab/schema.js';
import type { SimClock } from '../clock.js';
import type { SimLogger } from '../context.js';
import type { Faults } from '../faults.js';
import type { ClusterSide } from '../hosts/boot-readiness.js';
import { BOOTSTRAP_FILES, type ReadIgnition } from '../openshift-install/ignition.js';

/** The part of the simulated hosts the boot sequence looks at. */
export interface PowerSource {
  power: EventEmitter;
  bootReadiness(node: string): { ready: boolean; missing: string[] };
  servedIgnition(node: string): ReadIgnition | undefined;
  firstBootGaps(node: string, cluster: ClusterSide, installedWith: ReadIgnition | undefined): string[];
  /** Emits `reload` when a daemon's loaded configuration changes. */
  changes: EventEmitter;
}

/** Lab time a node takes from power-on to a running RHCOS (PXE, metal image written, reboot). */
export const BOOT_MS = 4 * 60_000;
/** Lab time an installed node takes to boot RHCOS from its disk. */
export const DISK_BOOT_MS = 60_000;

export type NodeBootState = 'off' | 'booting' | 'stuck' | 'running';

/** The cluster of the nodes a lab is seeded with (`--from installed`): no install of the simulator made it. */
export const SEEDED_CLUSTER = 'seeded';

/** What a node's disk holds: nothing (blank or wiped), or RHCOS configured for one cluster (by root CA). */
export type DiskState = { state: 'blank' } | { state: 'installed' } | { state: 'configured'; cluster: string };

export interface BootTracker extends EventEmitter {
  /** Per lab node: off, booting, stuck in PXE (with the reason) or running. */
  states(): Record<string, { state: NodeBootState; reason?: string }>;
  isRunning(node: string): boolean;
  /** Nodes stuck at the PXE prompt or at first boot, and what they are missing. */
  stuck(): Record<string, string>;
  /** The root CA of the install the bootstrap node booted with, once it has. */
  clusterRootCa(): string | undefined;
  /** For a lab seeded as installed: the node is already running. */
  markRunning(node: string): void;
  /** What each node's disk holds (see DiskState). */
  disks(): Record<string, DiskState>;
  /** Whether a node that serves the API (the bootstrap node or a master) is running. */
  controlPlaneRunning(): boolean;
  stop(): void;
}

/**
 * Follows the power board. Emits `running` (node) once a node has booted, `stuck` (node, reason)
 * when it waits for something (and again when the reason changes) and `down` (node) when a running
 * node is powered off. Emits `new-cluster` (root CA) when a bootstrap node boots an install whose root
 * CA is not the running cluster's: a new cluster is born, the old one's state is gone (a rebuild).
 *
 * The disk: a node that got through first boot keeps RHCOS configured for its cluster and boots it
 * from disk, unless the disk was wiped (`wiped` on the power board: `virsh vol-wipe`) or its BMC made
 * it boot from the network (`bootedFrom`), which installs it again. A node whose disk holds another
 * cluster than the running one boots that old cluster and never joins.
 */
export function trackBoots(options: {
  lab: Lab;
  hosts: PowerSource;
  clock: SimClock;
  log: SimLogger;
  faults?: Faults;
  /** The device a BMC made the node boot from at its last power-on (IPMI / Redfish one-time override). */
  bootedFrom?: (node: string) => 'pxe' | 'disk' | 'default' | undefined;
}): BootTracker {
  const { lab, hosts, clock, log, faults } = options;
  type Entry = { state: NodeBootState; reason?: string; cancel?: () => void; firstBoot?: boolean };
  const state = new Map<string, Entry>();
  const known = new Map<string, Node>(lab.nodes.map((node) => [node.name, node]));
  const tracker = new EventEmitter() as BootTracker;
  /** Nodes with RHCOS on their disk, and the ignition config they installed with. */
  const installed = new Map<string, ReadIgnition | undefined>();
  /** Nodes that got through first boot, with the cluster (root CA) they joined: they boot from disk. */
  const configured = new Map<string, string>();
  let rootCa: string | undefined;
  /** The cluster the lab runs now: the root CA of the install its bootstrap node booted, or SEEDED_CLUSTER. */
  let cluster: string | undefined;

  const serves = (ip: string, port: number) => {
    const node = lab.nodes.find((candidate) => candidate.ip === ip);
    if (!node || (node.role !== 'bootstrap' && node.role !== 'master')) return false;
    return (port === 6443 || port === 22623) && state.get(node.name)?.state === 'running';
  };

  const setRunning = (node: string) => {
    state.set(node, { state: 'running' });
    if (!configured.has(node) && known.get(node)?.role === 'bootstrap') {
      rootCa = installed.get(node)?.files.get(BOOTSTRAP_FILES.rootCa) ?? rootCa;
      const born = rootCa ?? 'unknown';
      if (cluster !== undefined && cluster !== born) {
        log.info(`bootstrap node ${node} booted a new install: the cluster starts over`);
        cluster = born;
        tracker.emit('new-cluster', born);
      }
      cluster = born;
    }
    if (!configured.has(node)) configured.set(node, cluster ?? 'unknown');
    log.info(`node ${node} booted RHCOS`);
    tracker.emit('running', node);
    recheck();
  };

  /** First boot: through when the network lets it, else waiting with the reason (re-checked on changes). */
  const firstBoot = (node: string) => {
    const gaps = hosts.firstBootGaps(node, { rootCa, serves }, installed.get(node));
    if (gaps.length === 0) {
      setRunning(node);
      return;
    }
    const reason = `stuck at first boot: ${gaps.join('; ')}`;
    const changed = state.get(node)?.reason !== reason;
    state.set(node, { state: 'stuck', reason, firstBoot: true });
    if (changed) {
      log.warn(`node ${node} is up but ${reason}`);
      tracker.emit('stuck', node, reason);
    }
  };

  let rechecking = false;
  function recheck(): void {
    if (rechecking) return;
    rechecking = true;
    try {
      // One node getting through (a master serving the API) may let others through: again until none does.
      for (let progressed = true; progressed;) {
        progressed = false;
        for (const [node, entry] of [...state]) {
          if (entry.state !== 'stuck' || !entry.firstBoot) continue;
          firstBoot(node);
          progressed ||= state.get(node)?.state === 'running';
        }
      }
    } finally {
      rechecking = false;
    }
  }

  const neverReturns = (node: string) =>
    faults?.find('node-never-returns', (fault) => fault.node === node || fault.node.startsWith(`${node}.`)) !==
    undefined;
  /** Nodes whose reboot the node-never-returns fault holds: they come up once it is cleared. */
  const heldDown = new Set<string>();
  const comeUp = (node: string) => (configured.has(node) ? fromDisk(node) : firstBoot(node));

  const boot = (node: string, ms: number) => {
    const cancel = clock.after(ms, () => {
      if (!neverReturns(node)) return comeUp(node);
      heldDown.add(node);
      const reason = 'never came back from its reboot (node-never-returns fault): no console, no ping';
      state.set(node, { state: 'booting', reason });
      log.warn(`node ${node} ${reason}`);
    });
    state.set(node, { state: 'booting', cancel });
  };
  const onFaults = () => {
    for (const node of [...heldDown]) {
      if (neverReturns(node) || state.get(node)?.state !== 'booting') continue;
      heldDown.delete(node);
      comeUp(node);
    }
  };

  /** A configured disk boots its own cluster: the running one, or an old one that never joins. */
  const fromDisk = (node: string) => {
    const own = configured.get(node);
    if (own === cluster) {
      setRunning(node);
      return;
    }
    const reason =
      'booted the old cluster from its disk: its kubelet is not part of the running cluster; power it off, ' +
      'wipe its boot disk (or make it PXE boot) and power it on again';
    state.set(node, { state: 'stuck', reason });
    log.warn(`node ${node} ${reason}`);
    tracker.emit('stuck', node, reason);
  };

  const wipe = (node: string) => {
    if (!known.has(node)) return;
    configured.delete(node);
    installed.delete(node);
    log.info(`node ${node}: boot disk wiped; it installs again at its next boot`);
  };

  const onPower = (node: string, power: 'on' | 'off') => {
    if (!known.has(node)) return;
    const current = state.get(node);
    if (power === 'off') {
      current?.cancel?.();
      heldDown.delete(node);
      const wasRunning = current?.state === 'running';
      // A disk that never got through first boot holds no configured system: the firmware falls
      // through to the network boot next time, and the node installs again with what is served then.
      if (!configured.has(node)) installed.delete(node);
      state.set(node, { state: 'off' });
      if (wasRunning) tracker.emit('down', node);
      if (wasRunning) recheck();
      return;
    }
    // A node stuck at the PXE prompt may be powered on again (reset) once its files are in place.
    if (current && current.state !== 'off' && current.state !== 'stuck') return;
    current?.cancel?.();
    // A one-time network boot (the BMC's override) runs the installer, whatever the disk holds.
    const network = options.bootedFrom?.(node) === 'pxe';
    if (configured.has(node) && !network) {
      boot(node, DISK_BOOT_MS);
      return;
    }
    const readiness = hosts.bootReadiness(node);
    if (!readiness.ready) {
      const reason = `stuck in PXE: ${readiness.missing.join('; ')}`;
      state.set(node, { state: 'stuck', reason });
      log.warn(`node ${node} powered on but ${reason}`);
      tracker.emit('stuck', node, reason);
      return;
    }
    log.info(`node ${node} is PXE-booting and installing RHCOS`);
    configured.delete(node);
    installed.set(node, hosts.servedIgnition(node));
    boot(node, BOOT_MS);
  };
  const onReload = () => recheck();
  hosts.power.on('power', onPower);
  hosts.power.on('wiped', wipe);
  hosts.changes.on('reload', onReload);
  faults?.on('change', onFaults);

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
  tracker.clusterRootCa = () => rootCa;
  tracker.markRunning = (node) => {
    cluster ??= SEEDED_CLUSTER;
    installed.set(node, undefined);
    configured.set(node, cluster);
    state.set(node, { state: 'running' });
  };
  tracker.disks = () =>
    Object.fromEntries(
      lab.nodes.map((node): [string, DiskState] => {
        const joined = configured.get(node.name);
        if (joined !== undefined) return [node.name, { state: 'configured', cluster: joined }];
        return [node.name, installed.has(node.name) ? { state: 'installed' } : { state: 'blank' }];
      }),
    );
  tracker.controlPlaneRunning = () =>
    lab.nodes.some(
      (node) => (node.role === 'bootstrap' || node.role === 'master') && state.get(node.name)?.state === 'running',
    );
  tracker.stop = () => {
    hosts.power.off('power', onPower);
    hosts.power.off('wiped', wipe);
    hosts.changes.off('reload', onReload);
    faults?.off('change', onFaults);
    for (const entry of state.values()) entry.cancel?.();
  };
  return tracker;
}
