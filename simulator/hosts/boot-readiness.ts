/**
 * Whether a node that is switched on would PXE-boot into an RHCOS install, judged from the helper
 * hosts as they are: a lease in the DHCP configuration the server LOADED (not merely the file on
 * disk), the per-MAC PXE config for the node's firmware on the TFTP root, naming the ignition URL of
 * its role, and that ignition file on the HTTP root. Each gap is said in operator words.
 */
import { posix } from 'node:path';
import { hostsWith, type Lab, type Node } from '../../lab/schema.js';
import { dhcpLeases, ignitionUrlIn } from './config-checks.js';
import type { RootFs } from './root-fs.js';
import type { ActiveConfig } from './services.js';

export interface BootReadiness {
  ready: boolean;
  missing: string[];
}

export interface BootView {
  fs(host: string): RootFs;
  activeConfig(host: string, service: 'dhcp'): ActiveConfig | undefined;
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

/** The ignition config a node installs with: workers and infra nodes share worker.ign. */
export function ignitionFileFor(node: Pick<Node, 'role'>): string {
  return `${node.role === 'bootstrap' || node.role === 'master' ? node.role : 'worker'}.ign`;
}

export function bootReadiness(lab: Lab, view: BootView, nodeName: string): BootReadiness {
  const node = lab.nodes.find((candidate) => candidate.name === nodeName);
  if (!node)
    throw new Error(`no node named "${nodeName}" in the lab (nodes: ${lab.nodes.map((n) => n.name).join(', ')})`);
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
      `the DHCP server on ${wrong.host.name} gives ${node.mac} (${node.name}) the address ${wrong.lease.ip ?? 'of its pool'} instead of ${node.ip}: fix host ${wrong.lease.name} in ${wrong.host.dhcp.configPath} and restart the DHCP server`,
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
    `no DHCP lease for ${node.mac} (${node.name}) → ${node.ip} in ${path} on ${host.name}: write its host block, then restart the DHCP server`,
  ];
}

function pxeGaps(lab: Lab, view: BootView, node: Node): string[] {
  const servers = hostsWith(lab, 'pxe');
  if (servers.length === 0) return ['the lab has no PXE server: add a pxe block to one of its hosts'];
  const relative = pxeConfigFile(node);
  const firmware = node.boot === 'uefi' ? 'UEFI' : 'BIOS';
  const found = servers.find((host) => view.fs(host.name).exists(posix.join(host.pxe.tftpRoot, relative)));
  if (!found) {
    const host = servers[0]!;
    return [
      `no PXE config for ${node.mac} (${node.name}, ${firmware}) at ${posix.join(host.pxe.tftpRoot, relative)} on ${host.name}: write it`,
    ];
  }
  const fs = view.fs(found.name);
  const configPath = posix.join(found.pxe.tftpRoot, relative);
  const url = ignitionUrlIn(fs.readText(configPath) ?? '');
  if (!url)
    return [
      `the PXE config ${configPath} on ${found.name} names no coreos.inst.ignition_url: ${node.name} would boot without ignition`,
    ];
  const base = found.pxe.httpUrl.replace(/\/+$/, '');
  if (!url.startsWith(`${base}/`)) {
    return [
      `the PXE config ${configPath} on ${found.name} fetches ignition from ${url}, which ${found.name} does not serve (its httpUrl is ${base})`,
    ];
  }
  const served = url.slice(base.length + 1);
  const expected = ignitionFileFor(node);
  const gaps: string[] = [];
  if (posix.basename(served) !== expected) {
    gaps.push(
      `the PXE config ${configPath} on ${found.name} boots ${node.name} with ${posix.basename(served)}, but a ${node.role} node needs ${expected}`,
    );
  }
  const ignitionPath = posix.join(found.pxe.httpRoot, served);
  if (!fs.exists(ignitionPath)) {
    gaps.push(
      `no ignition file ${ignitionPath} on ${found.name} (served as ${url}): copy it there from the installer's ignition configs`,
    );
  }
  return gaps;
}
