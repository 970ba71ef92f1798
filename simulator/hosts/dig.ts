/**
 * `dig @127.0.0.1 [+short …] NAME [A|SOA]` on a simulated DNS host, answered from the zones named
 * LOADED at its last reload (not the files on disk), like the real server: a zone missing from the
 * loaded configuration gets no answer, a name under a wildcard gets the wildcard's records.
 */
import { posix } from 'node:path';
import type { Host } from '../../lab/schema.js';
import type { ActiveConfig, CommandResult } from './services.js';

interface ZoneData {
  name: string;
  /** Owner (absolute, no trailing dot) → type → record data. */
  records: Map<string, Map<string, string[]>>;
}

function absolute(owner: string, origin: string): string {
  if (owner === '@') return origin;
  return owner.endsWith('.') ? owner.slice(0, -1).toLowerCase() : `${owner}.${origin}`.toLowerCase();
}

/** The records of a zone file: `$ORIGIN`, `$TTL`, an owner carried over from the line before, SOA in parentheses. */
function parseZone(name: string, text: string): ZoneData {
  const records = new Map<string, Map<string, string[]>>();
  let origin = name;
  let owner = name;
  // Join the parenthesised SOA into one line, drop comments.
  const clean = text.replace(/;[^\n]*/g, '').replace(/\(([^)]*)\)/g, (_, inner: string) => inner.replace(/\s+/g, ' '));
  for (const line of clean.split('\n')) {
    if (line.trim() === '') continue;
    const fields = line.trim().split(/\s+/);
    if (fields[0] === '$ORIGIN') {
      origin = absolute(fields[1]!, origin);
      continue;
    }
    if (fields[0]!.startsWith('$')) continue;
    if (!/^\s/.test(line)) owner = absolute(fields.shift()!, origin);
    while (fields.length && (/^\d+$/.test(fields[0]!) || fields[0] === 'IN')) fields.shift();
    const [type, ...data] = fields;
    if (!type) continue;
    const byType = records.get(owner) ?? new Map<string, string[]>();
    byType.set(type, [...(byType.get(type) ?? []), data.join(' ')]);
    records.set(owner, byType);
  }
  return { name, records };
}

function loadedZones(host: Host, active: ActiveConfig): ZoneData[] {
  const conf = active.files[host.dns!.zonesConf] ?? '';
  return [...conf.replace(/\/\/[^\n]*/g, '').matchAll(/zone\s+"([^"]+)"[^{]*\{([^{}]*)\}/g)].flatMap((match) => {
    const file = /file\s+"([^"]+)"\s*;/.exec(match[2]!)?.[1];
    if (!file) return [];
    const text = active.files[posix.isAbsolute(file) ? file : posix.join(host.dns!.zoneDir, file)];
    return text === undefined ? [] : [parseZone(match[1]!.toLowerCase(), text)];
  });
}

function lookup(zones: ZoneData[], name: string, type: string): string[] {
  const zone = zones
    .filter((candidate) => name === candidate.name || name.endsWith(`.${candidate.name}`))
    .sort((a, b) => b.name.length - a.name.length)[0];
  if (!zone) return [];
  const exact = zone.records.get(name);
  if (exact) return exact.get(type) ?? [];
  // Wildcard: replace leading labels with `*` until a record set is found (closest encloser, simplified).
  const labels = name.split('.');
  for (let i = 1; i < labels.length; i++) {
    const wildcard = zone.records.get(['*', ...labels.slice(i)].join('.'));
    if (wildcard) return wildcard.get(type) ?? [];
  }
  return [];
}

export function runDig(argv: readonly string[], host: Host, active: ActiveConfig | undefined): CommandResult {
  const args = argv.slice(1).filter((arg) => !arg.startsWith('@') && !arg.startsWith('+'));
  const [name, type = 'A'] = args;
  if (!name || !['A', 'SOA'].includes(type.toUpperCase()) || args.length > 2) {
    return { code: 1, stdout: '', stderr: 'dig: the simulated dig answers `dig @127.0.0.1 [+short] NAME [A|SOA]`\n' };
  }
  if (!active) {
    return { code: 9, stdout: ';; connection timed out; no servers could be reached\n', stderr: '' };
  }
  const answers = lookup(loadedZones(host, active), name.toLowerCase().replace(/\.$/, ''), type.toUpperCase());
  return { code: 0, stdout: answers.map((answer) => `${answer}\n`).join(''), stderr: '' };
}
