/**
 * The simulated helper hosts of a lab: every `hosts[]` entry becomes an SSH server on loopback with
 * its own port, host key and file system, running its services' commands and virsh, all
 * wired to one PowerBoard. A DNS host runs a real named, a load balancer a real HAProxy, both on
 * loopback ports and stopped with the hosts. `bootReadiness` tells the install controllers whether a
 * node that was switched on finds what it needs to install.
 *
 * State folder layout, per host: `<stateDir>/hosts/<name>/` holds `ssh_host_ed25519_key(.pub)`,
 * `active.json` (the loaded service configurations), `root/` (the host's `/`) and `daemons/` (the
 * daemons' logs, rndc.conf, HAProxy's loopback configuration).
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { clusterDomain, serviceFolders, type Lab } from '../../lab/schema.js';
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
import { DnsAnswers } from './dns-answers.js';
import { HaproxyDaemon } from './haproxy-daemon.js';
import { loadOrCreateHostKey } from './host-keys.js';
import { NamedDaemon, seedNamedHost } from './named-daemon.js';
import { reservePort } from '../loopback-ports.js';
import { LabEndpoints, type ControlPlane } from './node-endpoints.js';
import type { ServiceName } from './service-files.js';
import { PowerBoard, type PowerState } from './power-board.js';
import { RootFs } from './root-fs.js';
import { HostServices, type ActiveConfig } from './services.js';
import { startSshHost, type RunningSshHost } from './ssh-server.js';
import { DomainIds } from './virsh.js';

export type { ActiveConfig } from './services.js';
export type { BootReadiness, ClusterSide } from './boot-readiness.js';
export type { ServiceName } from './service-files.js';
export type { ControlPlane } from './node-endpoints.js';
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
  /** The real daemons' process ids now, per host (named, haproxy), for the process list. */
  daemonPids(): Record<string, number[]>;
  /** The loopback port that stands for port `port` of the load balancer host `host` (its HAProxy frontend). */
  balancerPort(host: string, port: number): Promise<number>;
  /** From now on, the backends HAProxy reaches follow what the control plane serves (see node-endpoints.ts). */
  attachControlPlane(controlPlane: ControlPlane): Promise<void>;
  /** Resolves once the daemons serve the faults in force (a named or HAProxy fault reloads them). */
  faultsFollowed(): Promise<void>;
  /** Call when a node starts or stops serving (it opens or closes its loopback endpoints). */
  refreshControlPlane(): Promise<void>;
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
  const dns = new DnsAnswers(lab);
  const controlPlaneIps = new Set(
    lab.nodes.filter((node) => node.role === 'bootstrap' || node.role === 'master').map((node) => node.ip),
  );
  const labEndpoints = new LabEndpoints(controlPlaneIps);
  /**
   * The daemons' faults (dns-wrong-address, lb-port-nowhere): what each host's named answers wrongly and
   * which ports its HAProxy sends nowhere. A change reloads the daemon that runs, as `rndc reload` and
   * `systemctl reload haproxy` would, so the running daemon serves it.
   */
  const domain = clusterDomain(lab);
  const fullName = (name: string) => (name.includes('.') ? name.replace(/\.$/, '') : `${name}.${domain}`);
  const wrongAnswers = (host: string) =>
    new Map(
      faults
        .list()
        .flatMap((fault) =>
          fault.kind === 'dns-wrong-address' && fault.host === host
            ? [[fullName(fault.name), fault.address] as const]
            : [],
        ),
    );
  const nowhere = (host: string) =>
    faults.list().flatMap((fault) => (fault.kind === 'lb-port-nowhere' && fault.host === host ? [fault.port] : []));
  const faultReloads = new Map<
    string,
    {
      named: NamedDaemon | undefined;
      haproxy: HaproxyDaemon | undefined;
      onChange: (service: ServiceName) => Promise<void>;
    }
  >();
  const applied = new Map<string, string>();
  const followFaults = async () => {
    for (const [host, { named, haproxy, onChange }] of faultReloads) {
      const now = JSON.stringify([[...wrongAnswers(host)], nowhere(host)]);
      if ((applied.get(host) ?? JSON.stringify([[], []])) === now) continue;
      applied.set(host, now);
      if (named?.running()) {
        await named.followWrongAnswers();
        await onChange('dns');
      }
      if (haproxy?.running()) {
        await haproxy.reload();
        await onChange('haproxy');
      }
    }
  };
  let following = Promise.resolve();
  const onFaults = () => {
    following = following.then(followFaults).catch(() => undefined);
  };
  faults.on('change', onFaults);
  const nameds = new Map<string, NamedDaemon>();
  const haproxies = new Map<string, HaproxyDaemon>();
  const stopAll = async () => {
    faults.off('change', onFaults);
    await following;
    await Promise.all(running.map((ssh) => ssh.stop()));
    await Promise.all([...nameds.values(), ...haproxies.values()].map((daemon) => daemon.close()));
    await labEndpoints.stop();
  };
  try {
    for (const host of lab.hosts) {
      const dir = join(options.stateDir, 'hosts', host.name);
      const key = loadOrCreateHostKey(dir, host.name);
      const fs = new RootFs(join(dir, 'root'));
      // A freshly installed helper host already has the folders its services use.
      for (const folder of serviceFolders(host)) fs.mkdirp(folder);
      const daemonDir = join(dir, 'daemons');
      const named = host.dns
        ? new NamedDaemon(
            { ...host, dns: host.dns },
            fs,
            daemonDir,
            NamedDaemon.loopback(await reservePort(), await reservePort()),
            () => wrongAnswers(host.name),
          )
        : undefined;
      if (host.dns) seedNamedHost(fs, host.dns);
      const haproxy = host.haproxy
        ? new HaproxyDaemon({ ...host, haproxy: host.haproxy }, fs, daemonDir, labEndpoints, () => nowhere(host.name))
        : undefined;
      if (named) nameds.set(host.name, named);
      if (haproxy) haproxies.set(host.name, haproxy);
      const onChange = async (service: ServiceName) => {
        // First-boot answers come from named: ask it again before anyone hears of the change.
        if (service === 'dns' && named) await dns.refresh(host.name, named.running() ? named.loopback.port : undefined);
        changes.emit('reload', host.name, service);
      };
      const services = new HostServices(host, fs, join(dir, 'active.json'), onChange, {
        ...(named && { named }),
        ...(haproxy && { haproxy }),
      });
      hosts.set(host.name, { fs, services });
      if (named || haproxy) faultReloads.set(host.name, { named, haproxy, onChange });
      const context = {
        lab,
        host,
        services,
        power,
        ids,
        fs,
        ...(named && { named }),
        ...(options.log ? { log: options.log } : {}),
      };
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
    // The hosts boot: named starts on each DNS host, HAProxy where it ran before a restart.
    await Promise.all([...hosts.values()].map(({ services }) => services.boot()));
  } catch (error) {
    await stopAll();
    throw error;
  }

  const hostState = (name: string) => {
    const state = hosts.get(name);
    if (!state) throw new Error(`no helper host named "${name}" in the lab (hosts: ${[...hosts.keys()].join(', ')})`);
    return state;
  };
  const activeConfig = (host: string, service: ServiceName) => hostState(host).services.activeConfig(service);
  const view = { fs: (host: string) => hostState(host).fs, activeConfig, dns };
  return {
    endpoints,
    power,
    activeConfig,
    changes,
    bootReadiness: (nodeName) => bootReadiness(lab, view, nodeName),
    servedIgnition: (nodeName) => servedIgnition(lab, view, nodeName),
    firstBootGaps: (nodeName, cluster, installedWith) => firstBootGaps(lab, view, nodeName, cluster, installedWith),
    daemonPids: () => {
      const pids: Record<string, number[]> = {};
      for (const [name, daemon] of [...nameds, ...haproxies])
        if (daemon.pid !== undefined) (pids[name] ??= []).push(daemon.pid);
      return pids;
    },
    balancerPort: async (host, port) => {
      const haproxy = haproxies.get(host);
      if (!haproxy) throw new Error(`${host} is not a load balancer host of the lab (no haproxy block)`);
      return haproxy.frontendPort(port);
    },
    attachControlPlane: (controlPlane) => labEndpoints.attach(controlPlane),
    faultsFollowed: () => following,
    refreshControlPlane: () => labEndpoints.refresh(),
    stop: stopAll,
  };
}
