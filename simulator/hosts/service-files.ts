/**
 * The files that make up each helper daemon's configuration on a simulated host, and what the
 * simulator reads in them: the DHCP leases (`host NAME { … }` blocks) and the ignition URL of a PXE
 * config. The daemons' own checkers judge whether the files are valid (./real-checkers.ts).
 */
import { readdirSync } from 'node:fs';
import { posix } from 'node:path';
import type { Host } from '../../lab/schema.js';
import type { RootFs } from './root-fs.js';

export const serviceNames = ['dns', 'dhcp', 'pxe', 'haproxy'] as const;
export type ServiceName = (typeof serviceNames)[number];

export interface DhcpLease {
  name: string;
  mac?: string;
  ip?: string;
  line: number;
}

/** Drops `#` comments (outside double quotes), keeping line numbers. */
export function stripComments(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      let quoted = false;
      for (let i = 0; i < line.length; i++) {
        if (line[i] === '"') quoted = !quoted;
        else if (line[i] === '#' && !quoted) return line.slice(0, i);
      }
      return line;
    })
    .join('\n');
}

function lineAt(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/** The `host NAME { … }` blocks of a dhcpd.conf. */
export function dhcpLeases(text: string): DhcpLease[] {
  const clean = stripComments(text);
  return [...clean.matchAll(/(?:^|[\s;{}])host\s+([^\s{]+)\s*\{([^{}]*)\}/g)].map((match) => {
    const body = match[2]!;
    const lease: DhcpLease = { name: match[1]!, line: lineAt(clean, match.index + match[0].indexOf('host')) };
    const mac = /(?:^|[\s;])hardware\s+ethernet\s+([0-9A-Fa-f:]+)\s*;/.exec(body)?.[1];
    const ip = /(?:^|[\s;])fixed-address\s+([^\s;]+)\s*;/.exec(body)?.[1];
    if (mac) lease.mac = mac.toLowerCase();
    if (ip) lease.ip = ip;
    return lease;
  });
}

/** Every file in a folder of the host (not below it), sorted. */
function filesIn(fs: RootFs, folder: string, pattern = /./): string[] {
  try {
    return readdirSync(fs.local(folder), { withFileTypes: true })
      .filter((entry) => entry.isFile() && pattern.test(entry.name))
      .map((entry) => posix.join(folder, entry.name))
      .sort();
  } catch {
    return [];
  }
}

function pxeConfigFiles(fs: RootFs, tftpRoot: string): string[] {
  return [...filesIn(fs, posix.join(tftpRoot, 'pxelinux.cfg'), /^01-/), ...filesIn(fs, tftpRoot, /^grub\.cfg-01-/)];
}

/** The ignition URL on a PXELINUX `APPEND` or GRUB `linux` line. */
export function ignitionUrlIn(text: string): string | undefined {
  return /coreos\.inst\.ignition_url=(\S+)/.exec(text)?.[1];
}

/** Remote path → content of the files a daemon loads, as they are now (what a reload takes in). */
export function serviceFiles(fs: RootFs, host: Host, service: ServiceName): Record<string, string> {
  const paths =
    service === 'dns'
      ? [host.dns!.zonesConf, ...filesIn(fs, host.dns!.zoneDir)]
      : service === 'dhcp'
        ? [host.dhcp!.configPath]
        : service === 'haproxy'
          ? [host.haproxy!.configPath]
          : pxeConfigFiles(fs, host.pxe!.tftpRoot);
  return Object.fromEntries(
    paths.flatMap((path) => {
      const text = fs.readText(path);
      return text === undefined ? [] : [[path, text] as const];
    }),
  );
}
