/**
 * Light checkers for the files the helper daemons read, standing in for `dhcpd -t`,
 * `named-checkconf -z` and `haproxy -c` on the simulated hosts: they catch what would stop the
 * daemon (a missing file, unbalanced braces, an incomplete host block, a zone file without SOA, a
 * backend that is not defined) and say where.
 */
import { readdirSync } from 'node:fs';
import { posix } from 'node:path';
import type { Host } from '../../lab/schema.js';
import type { RootFs } from './root-fs.js';

export const serviceNames = ['dns', 'dhcp', 'pxe', 'haproxy'] as const;
export type ServiceName = (typeof serviceNames)[number];

export interface CheckResult {
  ok: boolean;
  /** What the checker prints: problems on failure, a short summary on success. */
  messages: string[];
  /** Remote path → content of every file that makes up the configuration. */
  files: Record<string, string>;
}

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

/** The first unbalanced brace, as a message; undefined when braces balance (quoted text ignored). */
function braceProblem(path: string, text: string): string | undefined {
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"') quoted = !quoted;
    if (quoted) continue;
    if (char === '{') depth++;
    if (char === '}' && --depth < 0) return `${path} line ${lineAt(text, i)}: "}" without a matching "{"`;
  }
  return depth > 0 ? `${path}: ${depth} "{" never closed (missing "}" at the end)` : undefined;
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

function missingFile(path: string): CheckResult {
  return { ok: false, messages: [`${path}: no such file`], files: {} };
}

export function checkDhcp(fs: RootFs, service: NonNullable<Host['dhcp']>): CheckResult {
  const path = service.configPath;
  const text = fs.readText(path);
  if (text === undefined) return missingFile(path);
  const clean = stripComments(text);
  const problems: string[] = [];
  const braces = braceProblem(path, clean);
  if (braces) problems.push(braces);
  for (const lease of dhcpLeases(text)) {
    if (!lease.mac) problems.push(`${path} line ${lease.line}: host ${lease.name} has no "hardware ethernet <mac>;"`);
    if (!lease.ip) problems.push(`${path} line ${lease.line}: host ${lease.name} has no "fixed-address <ip>;"`);
  }
  return { ok: problems.length === 0, messages: problems, files: { [path]: text } };
}

/** The `zone "NAME" { … file "…"; }` statements of a named.conf fragment, file paths made absolute. */
export function namedZones(text: string, zoneDir: string): Array<{ name: string; path?: string }> {
  const clean = stripComments(text.replace(/\/\/[^\n]*/g, ''));
  return [...clean.matchAll(/zone\s+"([^"]+)"[^{]*\{([^{}]*)\}/g)].map((zone) => {
    const file = /file\s+"([^"]+)"\s*;/.exec(zone[2]!)?.[1];
    return { name: zone[1]!, ...(file ? { path: posix.isAbsolute(file) ? file : posix.join(zoneDir, file) } : {}) };
  });
}

export function checkDns(fs: RootFs, service: NonNullable<Host['dns']>): CheckResult {
  const path = service.zonesConf;
  const text = fs.readText(path);
  if (text === undefined) return missingFile(path);
  const clean = stripComments(text.replace(/\/\/[^\n]*/g, ''));
  const files: Record<string, string> = { [path]: text };
  const problems: string[] = [];
  const messages: string[] = [];
  const braces = braceProblem(path, clean);
  if (braces) problems.push(braces);
  for (const { name, path: zonePath } of namedZones(text, service.zoneDir)) {
    if (!zonePath) {
      problems.push(`${path}: zone ${name} names no file`);
      continue;
    }
    const zoneText = fs.readText(zonePath);
    if (zoneText === undefined) {
      problems.push(`zone ${name}/IN: loading from master file ${zonePath} failed: file not found`);
      continue;
    }
    files[zonePath] = zoneText;
    const soa = /\bSOA\s+\S+\s+\S+\s*\(?\s*(\d+)/.exec(stripComments(zoneText.replace(/;[^\n]*/g, '')));
    if (!soa) problems.push(`zone ${name}/IN: has no SOA record (${zonePath})`);
    else messages.push(`zone ${name}/IN: loaded serial ${soa[1]}`);
  }
  return problems.length > 0 ? { ok: false, messages: problems, files } : { ok: true, messages, files };
}

export function checkHaproxy(fs: RootFs, service: NonNullable<Host['haproxy']>): CheckResult {
  const path = service.configPath;
  const text = fs.readText(path);
  if (text === undefined) return missingFile(path);
  const lines = stripComments(text).split('\n');
  const sections = (keyword: string) =>
    lines.flatMap((line) => {
      const match = new RegExp(`^\\s*${keyword}\\s+(\\S+)`).exec(line);
      return match ? [match[1]!] : [];
    });
  const frontends = [...sections('frontend'), ...sections('listen')];
  const backends = new Set([...sections('backend'), ...sections('listen')]);
  const problems: string[] = [];
  if (frontends.length === 0)
    problems.push(`${path}: no frontend (or listen) section: nothing would accept connections`);
  if (backends.size === 0) problems.push(`${path}: no backend (or listen) section: nothing to forward connections to`);
  lines.forEach((line, index) => {
    const used = /^\s*(?:default_backend|use_backend)\s+(\S+)/.exec(line)?.[1];
    if (used && !backends.has(used))
      problems.push(`${path} line ${index + 1}: unable to find required backend '${used}'`);
  });
  return problems.length > 0
    ? {
        ok: false,
        messages: [...problems.map((problem) => `[ALERT] ${problem}`), `[ALERT] Fatal errors found in configuration.`],
        files: { [path]: text },
      }
    : { ok: true, messages: ['Configuration file is valid'], files: { [path]: text } };
}

/** Per-MAC PXE configs (`pxelinux.cfg/01-*`, `grub.cfg-01-*`) must each name an ignition URL. */
export function checkPxe(fs: RootFs, service: NonNullable<Host['pxe']>): CheckResult {
  if (!fs.exists(service.tftpRoot)) return missingFile(service.tftpRoot);
  const files: Record<string, string> = {};
  const problems: string[] = [];
  for (const path of pxeConfigFiles(fs, service.tftpRoot)) {
    const text = fs.readText(path) ?? '';
    files[path] = text;
    if (!ignitionUrlIn(text)) problems.push(`${path}: no coreos.inst.ignition_url= on its kernel command line`);
  }
  return { ok: problems.length === 0, messages: problems, files };
}

function pxeConfigFiles(fs: RootFs, tftpRoot: string): string[] {
  const list = (folder: string, pattern: RegExp): string[] => {
    const local = fs.local(folder);
    try {
      return readdirSync(local)
        .sort()
        .filter((name) => pattern.test(name))
        .map((name) => posix.join(folder, name));
    } catch {
      return [];
    }
  };
  return [...list(posix.join(tftpRoot, 'pxelinux.cfg'), /^01-/), ...list(tftpRoot, /^grub\.cfg-01-/)];
}

/** The ignition URL on a PXELINUX `APPEND` or GRUB `linux` line. */
export function ignitionUrlIn(text: string): string | undefined {
  return /coreos\.inst\.ignition_url=(\S+)/.exec(text)?.[1];
}

export function checkService(fs: RootFs, host: Host, service: ServiceName): CheckResult {
  switch (service) {
    case 'dhcp':
      return checkDhcp(fs, host.dhcp!);
    case 'dns':
      return checkDns(fs, host.dns!);
    case 'haproxy':
      return checkHaproxy(fs, host.haproxy!);
    case 'pxe':
      return checkPxe(fs, host.pxe!);
  }
}
