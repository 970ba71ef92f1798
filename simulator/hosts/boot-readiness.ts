/**
 * Whether a node that is switched on would PXE-boot into an RHCOS install, judged from the helper
 * hosts as they are: a lease in the DHCP configuration the server LOADED (not merely the file on
 * disk), the per-MAC PXE config for the node's firmware on the TFTP root, the boot assets it names
 * (kernel, initramfs on the TFTP root; metal image or live rootfs on the HTTP root), and the ignition
 * config of its role on the HTTP root: a real Ignition config of the spec its RHCOS reads, made for
 * this cluster. Then, at first boot (`firstBootGaps`), what RHCOS needs from the network: its own
 * name and api-int through the loaded zones, and the machine config server and the API through the
 * loaded HAProxy. Each gap is said in operator words.
 */
import { posix } from 'node:path';
import { clusterDomain, hostsWith, nodeFqdn, type Lab, type Node } from '../../lab/schema.js';
import {
  BOOTSTRAP_FILES,
  machineConfigUrl,
  readIgnition,
  specProblem,
  type ReadIgnition,
} from '../openshift-install/ignition.js';
import { dhcpLeases, ignitionUrlIn, type ServiceName } from './service-files.js';
import { nameServersFor, reachThroughBalancer, resolveName, reverseName, type NetworkView } from './lab-network.js';
import type { RootFs } from './root-fs.js';
import type { ActiveConfig } from './services.js';

export interface BootReadiness {
  ready: boolean;
  missing: string[];
}

export interface BootView extends NetworkView {
  fs(host: string): RootFs;
  activeConfig(host: string, service: ServiceName): ActiveConfig | undefined;
}

/**
 * `01-52-54-00-…`: PXELINUX and GRUB name per-MAC files by ARP type 1 and the MAC with dashes.
 * Written here from the firmware's side on purpose, not taken from the renderer: the simulator is
 * what catches a renderer that names the file wrong.
 */
export function pxeConfigFile(node: Pick<Node, 'mac' | 'boot'>): string {
  const mac = `01-${node.mac.toLowerCase().replace(/:/g, '-')}`;
  return node.boot === 'uefi' ? `grub.cfg-${mac}` : `pxelinux.cfg/${mac}`;
}

/** The ignition pool of a node: workers and infra nodes share the worker pool. */
function poolOf(node: Pick<Node, 'role'>): 'bootstrap' | 'master' | 'worker' {
  return node.role === 'bootstrap' || node.role === 'master' ? node.role : 'worker';
}

/** The ignition config a node installs with: workers and infra nodes share worker.ign. */
export function ignitionFileFor(node: Pick<Node, 'role'>): string {
  return `${poolOf(node)}.ign`;
}

function labNode(lab: Lab, nodeName: string): Node {
  const node = lab.nodes.find((candidate) => candidate.name === nodeName);
  if (!node)
    throw new Error(`no node named "${nodeName}" in the lab (nodes: ${lab.nodes.map((n) => n.name).join(', ')})`);
  return node;
}

export function bootReadiness(lab: Lab, view: BootView, nodeName: string): BootReadiness {
  const node = labNode(lab, nodeName);
  const missing = [...dhcpGaps(lab, view, node), ...pxeGaps(lab, view, node)];
  return { ready: missing.length === 0, missing };
}

function dhcpGaps(lab: Lab, view: BootView, node: Node): string[] {
  const servers = hostsWith(lab, 'dhcp');
  if (servers.length === 0) return ['the lab has no DHCP server: add a dhcp block to one of its hosts'];
  const loaded = servers.flatMap((host) => {
    const active = view.activeConfig(host.name, 'dhcp');
    const text = active?.files[host.dhcp.configPath];
    return text === undefined
      ? []
      : dhcpLeases(text)
          .filter((lease) => lease.mac === node.mac)
          .map((lease) => ({ host, lease }));
  });
  if (loaded.some(({ lease }) => lease.ip === node.ip)) return [];
  const wrong = loaded[0];
  if (wrong) {
    return [
      `the DHCP server on ${wrong.host.name} gives ${node.mac} (${node.name}) the address ` +
        `${wrong.lease.ip ?? 'of its pool'} instead of ${node.ip}: fix host ${wrong.lease.name} in ` +
        `${wrong.host.dhcp.configPath} and restart the DHCP server`,
    ];
  }
  const host = servers[0]!;
  const path = host.dhcp.configPath;
  const onDisk = dhcpLeases(view.fs(host.name).readText(path) ?? '').some(
    (lease) => lease.mac === node.mac && lease.ip === node.ip,
  );
  const running = view.activeConfig(host.name, 'dhcp') !== undefined;
  if (onDisk) {
    return [
      running
        ? `no DHCP lease for ${node.mac} (${node.name}) in the loaded dhcpd.conf on ${host.name}: reload the DHCP server after writing it`
        : `the DHCP server on ${host.name} is not running with ${path}: restart it so ${node.mac} (${node.name}) gets its lease`,
    ];
  }
  return [
    `no DHCP lease for ${node.mac} (${node.name}) → ${node.ip} in ${path} on ${host.name}: write its host ` +
      `block, then restart the DHCP server`,
  ];
}

/** The node's per-MAC PXE config on a PXE host, if one holds it. */
function pxeConfigOf(lab: Lab, view: BootView, node: Node) {
  const relative = pxeConfigFile(node);
  const host = hostsWith(lab, 'pxe').find((candidate) =>
    view.fs(candidate.name).exists(posix.join(candidate.pxe.tftpRoot, relative)),
  );
  if (!host) return undefined;
  const path = posix.join(host.pxe.tftpRoot, relative);
  return { host, path, text: view.fs(host.name).readText(path) ?? '' };
}

/**
 * The files a PXELINUX or GRUB config makes the firmware and the RHCOS installer fetch: kernel and
 * initramfs (relative to the TFTP root, or URLs), and the images named on the kernel command line.
 */
export function pxeAssetsIn(text: string): { tftp: string[]; urls: string[] } {
  const tftp: string[] = [];
  const urls: string[] = [];
  const add = (reference: string) => {
    if (/^https?:\/\//.test(reference)) urls.push(reference);
    else if (reference !== '') tftp.push(reference.replace(/^\/+/, ''));
  };
  for (const line of text.split('\n').map((candidate) => candidate.trim())) {
    const kernel = /^(?:KERNEL|LINUX|linux|linuxefi|linux16)\s+(\S+)/i.exec(line);
    if (kernel) add(kernel[1]!);
    const initrdLine = /^(?:INITRD|initrd|initrdefi|initrd16)\s+(.+)$/i.exec(line);
    if (initrdLine) initrdLine[1]!.split(/[\s,]+/).forEach(add);
    for (const match of line.matchAll(/(?:^|\s)initrd=(\S+)/g)) match[1]!.split(',').forEach(add);
    for (const match of line.matchAll(/(?:^|\s)coreos\.(?:inst\.image_url|live\.rootfs_url)=(\S+)/g))
      urls.push(match[1]!);
  }
  return { tftp: [...new Set(tftp)], urls: [...new Set(urls)] };
}

/** Where a URL is served from: the PXE host whose httpUrl prefixes it, and the file under its httpRoot. */
function servedFile(lab: Lab, url: string) {
  for (const host of hostsWith(lab, 'pxe')) {
    const base = host.pxe.httpUrl.replace(/\/+$/, '');
    if (url.startsWith(`${base}/`)) return { host, path: posix.join(host.pxe.httpRoot, url.slice(base.length + 1)) };
  }
  return undefined;
}

function assetGaps(
  lab: Lab,
  view: BootView,
  node: Node,
  config: NonNullable<ReturnType<typeof pxeConfigOf>>,
): string[] {
  const { tftp, urls } = pxeAssetsIn(config.text);
  const gaps: string[] = [];
  for (const relative of tftp) {
    const path = posix.join(config.host.pxe.tftpRoot, relative);
    if (!view.fs(config.host.name).exists(path))
      gaps.push(
        `no ${relative} on ${config.host.name} (${path}), named by the PXE config ${config.path}: put the RHCOS boot assets there`,
      );
  }
  for (const url of urls) {
    const served = servedFile(lab, url);
    if (!served)
      gaps.push(
        `the PXE config ${config.path} makes ${node.name} fetch ${url}, which no PXE/HTTP host of the lab serves`,
      );
    else if (!view.fs(served.host.name).exists(served.path))
      gaps.push(
        `no ${posix.basename(served.path)} on ${served.host.name} (${served.path}, served as ${url}): put the RHCOS image there`,
      );
  }
  return gaps;
}

/** Whether an Ignition config is one this node can boot with, for this cluster and its RHCOS. */
function ignitionGaps(lab: Lab, node: Node, where: string, ignition: ReadIgnition): string[] {
  const version = specProblem(ignition.version, lab.cluster.rhcosVersion);
  if (version) return [`${where} cannot boot ${node.name}: ${version}`];
  const domain = clusterDomain(lab);
  const pool = poolOf(node);
  const fix = `run "openshift-install create ignition-configs" with this lab's install-config and copy the .ign files to the HTTP root`;
  if (pool === 'bootstrap') {
    if (ignition.pointer)
      return [
        `${where} is a pointer config (to ${ignition.pointer.source}); the bootstrap node needs the ` +
          `installer's full bootstrap config: ${fix}`,
      ];
    const kubeconfig = ignition.files.get(BOOTSTRAP_FILES.kubeletKubeconfig);
    const server = kubeconfig === undefined ? undefined : /server:\s*(\S+)/.exec(kubeconfig)?.[1];
    if (!ignition.files.has(BOOTSTRAP_FILES.rootCa) || !server)
      return [
        `${where} is not an installer's bootstrap config (no ${BOOTSTRAP_FILES.rootCa} and ${BOOTSTRAP_FILES.kubeletKubeconfig}): ${fix}`,
      ];
    const expected = `https://api-int.${domain}:6443`;
    if (server !== expected)
      return [`${where} was made for another cluster: its kubelet talks to ${server}, not ${expected}: ${fix}`];
    return [];
  }
  const expected = machineConfigUrl(domain, pool);
  const key = ignition.version.startsWith('2.') ? 'append' : 'merge';
  if (!ignition.pointer)
    return [
      `${where} is not a pointer config to the machine config server (ignition.config.${key}[0].source ${expected}): ${fix}`,
    ];
  if (ignition.pointer.source !== expected)
    return [
      `${where} fetches its config from ${ignition.pointer.source}, not ${expected}: it was made for another cluster or pool; ${fix}`,
    ];
  if (ignition.pointer.certificateAuthorities.length === 0)
    return [`${where} trusts no CA for ${expected} (ignition.security.tls.certificateAuthorities is empty): ${fix}`];
  return [];
}

/** The ignition config a node's PXE config makes it fetch, parsed; undefined when there is none to read. */
export function servedIgnition(lab: Lab, view: BootView, nodeName: string): ReadIgnition | undefined {
  const node = labNode(lab, nodeName);
  const config = pxeConfigOf(lab, view, node);
  const url = config && ignitionUrlIn(config.text);
  const served = url ? servedFile(lab, url) : undefined;
  const text = served ? view.fs(served.host.name).readText(served.path) : undefined;
  if (text === undefined) return undefined;
  const ignition = readIgnition(text);
  return 'problem' in ignition ? undefined : ignition;
}

function pxeGaps(lab: Lab, view: BootView, node: Node): string[] {
  const servers = hostsWith(lab, 'pxe');
  if (servers.length === 0) return ['the lab has no PXE server: add a pxe block to one of its hosts'];
  const firmware = node.boot === 'uefi' ? 'UEFI' : 'BIOS';
  const config = pxeConfigOf(lab, view, node);
  if (!config) {
    const host = servers[0]!;
    return [
      `no PXE config for ${node.mac} (${node.name}, ${firmware}) at ` +
        `${posix.join(host.pxe.tftpRoot, pxeConfigFile(node))} on ${host.name}: write it`,
    ];
  }
  const { host: found, path: configPath } = config;
  const url = ignitionUrlIn(config.text);
  if (!url)
    return [
      `the PXE config ${configPath} on ${found.name} names no coreos.inst.ignition_url: ${node.name} would boot without ignition`,
    ];
  const base = found.pxe.httpUrl.replace(/\/+$/, '');
  if (!url.startsWith(`${base}/`)) {
    return [
      `the PXE config ${configPath} on ${found.name} fetches ignition from ${url}, which ${found.name} does ` +
        `not serve (its httpUrl is ${base})`,
    ];
  }
  const served = url.slice(base.length + 1);
  const expected = ignitionFileFor(node);
  const gaps: string[] = assetGaps(lab, view, node, config);
  if (posix.basename(served) !== expected) {
    gaps.push(
      `the PXE config ${configPath} on ${found.name} boots ${node.name} with ${posix.basename(served)}, but ` +
        `a ${node.role} node needs ${expected}`,
    );
  }
  const ignitionPath = posix.join(found.pxe.httpRoot, served);
  const text = view.fs(found.name).readText(ignitionPath);
  if (text === undefined) {
    gaps.push(
      `no ignition file ${ignitionPath} on ${found.name} (served as ${url}): copy it there from the installer's ignition configs`,
    );
    return gaps;
  }
  const ignition = readIgnition(text);
  if ('problem' in ignition)
    gaps.push(`${ignitionPath} on ${found.name} cannot boot ${node.name}: ${ignition.problem}`);
  else if (posix.basename(served) === expected)
    gaps.push(...ignitionGaps(lab, node, `${expected} (${ignitionPath} on ${found.name})`, ignition));
  return gaps;
}

/** What the cluster side looks like to a node at first boot. */
export interface ClusterSide {
  /** The root CA of this cluster's install (from the bootstrap node's config), once known. */
  rootCa?: string;
  /** Whether the node at `ip` answers on `port` now (the API on 6443, the machine config server on 22623). */
  serves(ip: string, port: number): boolean;
}

const PORTS = { 6443: 'the API', 22623: 'the machine config server' } as const;

/**
 * What keeps a node that has RHCOS on its disk from configuring itself and joining: its own name
 * (forward and reverse) and the cluster names through the DNS servers of its lease; for masters and
 * workers, the machine config server and the API through a loaded HAProxy backend that lists a node
 * serving them, and a pointer config that trusts this cluster's CA. Ignition and the kubelet retry,
 * so these are re-checked until they pass.
 */
export function firstBootGaps(
  lab: Lab,
  view: BootView,
  nodeName: string,
  cluster: ClusterSide,
  /** The config the node installed with (read when it PXE-booted). */
  installedWith: ReadIgnition | undefined,
): string[] {
  const node = labNode(lab, nodeName);
  const prefix = (problem: string) => `${node.name}: ${problem}`;
  const servers = nameServersFor(lab, view, node.mac);
  if (!Array.isArray(servers)) return [prefix(servers.problem)];
  const gaps: string[] = [];
  const resolve = (name: string, type: 'A' | 'PTR') => {
    const lookup = resolveName(lab, view, servers, name, type);
    if ('problem' in lookup) gaps.push(prefix(lookup.problem));
    return 'answers' in lookup ? lookup.answers : undefined;
  };
  const fqdn = nodeFqdn(lab, node);
  const own = resolve(fqdn, 'A');
  if (own && !own.includes(node.ip)) gaps.push(prefix(`${fqdn} resolves to ${own.join(', ')}, not ${node.ip}`));
  const names = resolve(reverseName(node.ip), 'PTR');
  if (names && !names.includes(fqdn))
    gaps.push(prefix(`${node.ip} resolves back to ${names.join(', ')}, not ${fqdn}: RHCOS would take that host name`));
  const domain = clusterDomain(lab);
  const apiInt = resolve(`api-int.${domain}`, 'A');
  if (node.role === 'bootstrap' || node.role === 'master') resolve(`api.${domain}`, 'A');
  if (node.role === 'bootstrap' || !apiInt) return gaps;

  const reach = (port: 6443 | 22623): boolean => {
    const problems: string[] = [];
    for (const address of apiInt) {
      const reached = reachThroughBalancer(lab, view, address, port, cluster.serves);
      if ('ok' in reached) return true;
      problems.push(reached.problem);
    }
    gaps.push(
      prefix(`${PORTS[port]} at api-int.${domain}:${port} is unreachable: ${[...new Set(problems)].join('; ')}`),
    );
    return false;
  };
  if (reach(22623)) {
    const cas = installedWith?.pointer?.certificateAuthorities ?? [];
    if (!cluster.rootCa || !cas.some((ca) => ca.trim() === cluster.rootCa!.trim())) {
      const source = machineConfigUrl(domain, poolOf(node) as 'master' | 'worker');
      gaps.push(
        prefix(
          `GET ${source} failed: x509: certificate signed by unknown authority (${ignitionFileFor(node)} ` +
            `trusts a root CA that is not this cluster's: copy the .ign files of this install to the HTTP root)`,
        ),
      );
    }
  }
  reach(6443);
  return gaps;
}
