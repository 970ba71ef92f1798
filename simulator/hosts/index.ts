/**
 * The simulated helper hosts of a lab: every `hosts[]` entry becomes an SSH server on loopback with
 * its own port, host key and file system, running its services' commands and virsh, all
 * wired to one PowerBoard. `bootReadiness` tells the install controllers whether a node that was
 * switched on finds what it needs to install.
 *
 * State folder layout, per host: `<stateDir>/hosts/<name>/` holds `ssh_host_ed25519_key(.pub)`,
 * `active.json` (the loaded service configurations) and `root/` (the host's `/`).
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { serviceFolders, type Lab } from '../../lab/schema.js';
import type { HostEndpoint } from '../../transport/targets.js';
import type { SimClock } from '../clock.js';
import type { SimLogger } from '../context.js';
import type { Faults } from '../faults.js';
import type { ReadIgnition } from '../openshift-install/ignition.js';
import {
  bootReadiness,
  firstBootGaps,
  servedIgnition,
  type BootReadiness,
  type ClusterSide,
} from './boot-readiness.js';
import { runHostCommandAsync } from './commands.js';
import type { ServiceName } from './config-checks.js';
import { loadOrCreateHostKey } from './host-keys.js';
import { PowerBoard, type PowerState } from './power-board.js';
import { RootFs } from './root-fs.js';
import { HostServices, type ActiveConfig } from './services.js';
import { startSshHost, type RunningSshHost } from './ssh-server.js';
import { DomainIds } from './virsh.js';

export type { ActiveConfig } from './services.js';
export type { BootReadiness, ClusterSide } from './boot-readiness.js';
export type { ServiceName } from './config-checks.js';
export { PowerBoard, type PowerState } from './power-board.js';
export type { HostEndpoint } from '../../transport/targets.js';

export interface SimulatedHostsOptions {
  lab: Lab;
  stateDir: string;
  /** OpenSSH public key lines that may log in (the lab's SSH key). */
  authorizedKeys: string[];
  faults: Faults;
  /** Paces power cycles (`virsh reboot`, a BMC power cycle: dark a few lab seconds). */
  clock: SimClock;
  /** Port per host name; 0 or absent picks a free one. */
  ports?: Readonly<Record<string, number>>;
  /** Initial power per node name; absent nodes start off. */
  power?: Readonly<Record<string, PowerState>>;
  log?: SimLogger;
}

export interface SimulatedHosts {
  endpoints: HostEndpoint[];
  power: PowerBoard;
  bootReadiness(nodeName: string): BootReadiness;
  /** The ignition config a node would install with now (from its PXE config's URL), if valid. */
  servedIgnition(nodeName: string): ReadIgnition | undefined;
  /** What keeps an installed node from configuring itself and joining (see boot-readiness.ts). */
  firstBootGaps(nodeName: string, cluster: ClusterSide, installedWith: ReadIgnition | undefined): string[];
  /** Emits `reload` (host, service) whenever a daemon's loaded configuration changes. */
  changes: EventEmitter;
  /** What a host's daemon loaded at its last successful reload; undefined before any (or when stopped). */
  activeConfig(host: string, service: ServiceName): ActiveConfig | undefined;
  stop(): Promise<void>;
}

export async function startSimulatedHosts(options: SimulatedHostsOptions): Promise<SimulatedHosts> {
  const { lab, faults } = options;
  const power = new PowerBoard(
    lab.nodes.map((node) => node.name),
    options.power,
    options.clock,
  );
  const ids = new DomainIds(power);
  const changes = new EventEmitter();
  const hosts = new Map<string, { fs: RootFs; services: HostServices }>();
  const running: RunningSshHost[] = [];
  const endpoints: HostEndpoint[] = [];
  try {
    for (const host of lab.hosts) {
      const dir = join(options.stateDir, 'hosts', host.name);
      const key = loadOrCreateHostKey(dir, host.name);
      const fs = new RootFs(join(dir, 'root'));
      // A freshly installed helper host already has the folders its services use.
      for (const folder of serviceFolders(host)) fs.mkdirp(folder);
      const services = new HostServices(host, fs, join(dir, 'active.json'), (service) =>
        changes.emit('reload', host.name, service),
      );
      hosts.set(host.name, { fs, services });
      const context = { lab, host, services, power, ids, fs, ...(options.log ? { log: options.log } : {}) };
      const ssh = await startSshHost({
        user: host.ssh.user,
        authorizedKeys: options.authorizedKeys,
        hostPrivateKey: key.privateKey,
        fs,
        run: (commandLine, env) => runHostCommandAsync(commandLine, env, context),
        refused: () => faults.find('ssh-refused', (fault) => fault.host === host.name) !== undefined,
        port: options.ports?.[host.name] ?? 0,
      });
      running.push(ssh);
      endpoints.push({ name: host.name, address: '127.0.0.1', port: ssh.port, hostKey: key.publicKey, root: fs.root });
    }
  } catch (error) {
    await Promise.all(running.map((ssh) => ssh.stop()));
    throw error;
  }

  const hostState = (name: string) => {
    const state = hosts.get(name);
    if (!state) throw new Error(`no helper host named "${name}" in the lab (hosts: ${[...hosts.keys()].join(', ')})`);
    return state;
  };
  const activeConfig = (host: string, service: ServiceName) => hostState(host).services.activeConfig(service);
  const view = { fs: (host: string) => hostState(host).fs, activeConfig };
  return {
    endpoints,
    power,
    activeConfig,
    changes,
    bootReadiness: (nodeName) => bootReadiness(lab, view, nodeName),
    servedIgnition: (nodeName) => servedIgnition(lab, view, nodeName),
    firstBootGaps: (nodeName, cluster, installedWith) => firstBootGaps(lab, view, nodeName, cluster, installedWith),
    stop: async () => {
      await Promise.all(running.map((ssh) => ssh.stop()));
    },
  };
}
