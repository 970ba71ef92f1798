/**
 * What a node on the lab network reaches, judged from the configurations the helper daemons LOADED
 * (not the files on disk): names through the zones BIND loaded on the DNS hosts its DHCP lease names,
 * and TCP services through the frontends and backends HAProxy loaded on the load balancer a name
 * resolves to. Each failure is said the way an operator would find it ("api-int.… does not resolve on
 * netserv1 (zone … not loaded)").
 */
import { hostsWith, type Lab } from '../../lab/schema.js';
import { dnsZones } from '../../render/dns.js';
import { dhcpLeases, namedZones, stripComments } from './config-checks.js';
import type { ServiceName } from './config-checks.js';
import type { ActiveConfig } from './services.js';

export interface NetworkView {
  activeConfig(host: string, service: ServiceName): ActiveConfig | undefined;
}

interface ZoneRecord {
  owner: string;
  type: string;
  data: string[];
}

const lower = (name: string) => name.toLowerCase().replace(/\.$/, '');

/** The records of a BIND zone file (owner names absolute, lower case, without the final dot). */
export function parseZone(text: string, origin: string): ZoneRecord[] {
  const records: ZoneRecord[] = [];
  let currentOrigin = lower(origin);
  let previousOwner = currentOrigin;
  const absolute = (name: string) =>
    name === '@' ? currentOrigin : name.endsWith('.') ? lower(name) : lower(`${name}.${currentOrigin}`);
  // Comments go first; parentheses join a record's lines (SOA).
  const clean = text
    .split('\n')
    .map((line) => line.replace(/;.*$/, ''))
    .join('\n')
    .replace(/\(([^)]*)\)/g, (_all, inner: string) => inner.replace(/\n/g, ' '));
  for (const line of clean.split('\n')) {
    if (line.trim() === '') continue;
    const tokens = line.trim().split(/\s+/);
    if (tokens[0] === '$ORIGIN') {
      currentOrigin = absolute(tokens[1] ?? '');
      continue;
    }
    if (tokens[0]!.startsWith('$')) continue;
    const owner = /^\s/.test(line) ? previousOwner : absolute(tokens.shift()!);
    previousOwner = owner;
    while (tokens.length > 0 && (/^\d+[smhdw]?$/i.test(tokens[0]!) || /^(IN|CH|HS)$/i.test(tokens[0]!))) tokens.shift();
    const type = tokens.shift()?.toUpperCase();
    if (!type) continue;
    const data = ['CNAME', 'PTR', 'NS'].includes(type) ? tokens.map(absolute) : tokens;
    records.push({ owner, type, data });
  }
  return records;
}

/** Zone name → records, as a DNS host loaded them; undefined when its named is not running. */
export function loadedZones(lab: Lab, view: NetworkView, hostName: string): Map<string, ZoneRecord[]> | undefined {
  const host = lab.hosts.find((candidate) => candidate.name === hostName);
  const active = view.activeConfig(hostName, 'dns');
  if (!host?.dns || !active) return undefined;
  const zones = new Map<string, ZoneRecord[]>();
  for (const zone of namedZones(active.files[host.dns.zonesConf] ?? '', host.dns.zoneDir)) {
    const text = zone.path === undefined ? undefined : active.files[zone.path];
    if (text !== undefined) zones.set(lower(zone.name), parseZone(text, zone.name));
  }
  return zones;
}

/** The zone a name would be in, as the lab's renderer lays the zones out (for messages). */
function expectedZone(lab: Lab, name: string): string {
  let names: string[];
  try {
    names = dnsZones(lab).map((zone) => lower(zone.name));
  } catch {
    names = [];
  }
  const best = names
    .filter((zone) => name === zone || name.endsWith(`.${zone}`))
    .sort((a, b) => b.length - a.length)[0];
  return best ?? name.slice(name.indexOf('.') + 1);
}

/** The DNS servers a node's DHCP lease gives it (`option domain-name-servers` of the loaded dhcpd.conf). */
export function nameServersFor(lab: Lab, view: NetworkView, mac: string): string[] | { problem: string } {
  for (const host of hostsWith(lab, 'dhcp')) {
    const text = view.activeConfig(host.name, 'dhcp')?.files[host.dhcp.configPath];
    if (text === undefined || !dhcpLeases(text).some((lease) => lease.mac === mac.toLowerCase())) continue;
    const servers = /option\s+domain-name-servers\s+([^;]+);/.exec(stripComments(text))?.[1];
    if (!servers)
      return {
        problem: `the DHCP server on ${host.name} hands out no "option domain-name-servers": nodes resolve nothing`,
      };
    return servers.split(',').map((server) => server.trim());
  }
  return { problem: `no DHCP server has a lease loaded for ${mac}` };
}

export type Lookup = { answers: string[] } | { problem: string };

/**
 * Resolves `name` (type A or PTR) as a node's stub resolver does: the servers in order; one that is
 * down or not authoritative for the name (REFUSED) passes to the next; the first authoritative
 * answer, even "no such name", is final.
 */
export function resolveName(
  lab: Lab,
  view: NetworkView,
  servers: readonly string[],
  name: string,
  type: 'A' | 'PTR',
): Lookup {
  const wanted = lower(name);
  const tried: string[] = [];
  for (const address of servers) {
    const host = hostsWith(lab, 'dns').find((candidate) => candidate.address === address);
    if (!host) {
      tried.push(`${address} (not a DNS host of the lab)`);
      continue;
    }
    const zones = loadedZones(lab, view, host.name);
    if (!zones) {
      tried.push(`${host.name} (named not running: check and reload it)`);
      continue;
    }
    const zone = [...zones.keys()]
      .filter((candidate) => wanted === candidate || wanted.endsWith(`.${candidate}`))
      .sort((a, b) => b.length - a.length)[0];
    if (!zone) {
      tried.push(`${host.name} (zone ${expectedZone(lab, wanted)} not loaded)`);
      continue;
    }
    const answers = lookupInZone(zones.get(zone)!, zone, wanted, type, zones);
    if (answers.length > 0) return { answers };
    return { problem: `${name} has no ${type} record in zone ${zone} as loaded on ${host.name}` };
  }
  return { problem: `${name} does not resolve on ${tried.join(', ') || 'any server (the lease names none)'}` };
}

function lookupInZone(
  records: ZoneRecord[],
  zone: string,
  name: string,
  type: string,
  zones: Map<string, ZoneRecord[]>,
  depth = 0,
): string[] {
  const at = (owner: string) => records.filter((record) => record.owner === owner);
  let owned = at(name);
  // A wildcard answers for names that have no records of their own (RFC 4592, one level is enough here).
  for (let parent = name; owned.length === 0 && parent.includes('.') && parent !== zone;) {
    parent = parent.slice(parent.indexOf('.') + 1);
    owned = at(`*.${parent}`);
  }
  const direct = owned.filter((record) => record.type === type).map((record) => record.data[0]!);
  if (direct.length > 0 || depth > 8) return direct;
  const alias = owned.find((record) => record.type === 'CNAME')?.data[0];
  if (!alias) return [];
  const target = [...zones.keys()].filter((candidate) => alias === candidate || alias.endsWith(`.${candidate}`))[0];
  return target ? lookupInZone(zones.get(target)!, target, alias, type, zones, depth + 1) : [];
}

/** `in-addr.arpa` name of an IPv4 address. */
export function reverseName(ip: string): string {
  return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
}

export interface Backend {
  frontend: string;
  servers: Array<{ name: string; address: string; port: number }>;
}

/** The frontend (or listen section) HAProxy binds on `port`, and the servers of its backend. */
export function haproxyRoute(text: string, port: number): Backend | undefined {
  const sections: Array<{ kind: string; name: string; lines: string[] }> = [];
  for (const line of stripComments(text).split('\n')) {
    const header = /^\s*(global|defaults|frontend|backend|listen)\b\s*(\S*)/.exec(line);
    if (header) sections.push({ kind: header[1]!, name: header[2]!, lines: [] });
    else sections.at(-1)?.lines.push(line.trim());
  }
  const binds = (lines: string[]) =>
    lines
      .filter((line) => line.startsWith('bind '))
      .flatMap((line) => line.slice(5).trim().split(/\s+/)[0]!.split(','))
      .map((address) => Number(address.slice(address.lastIndexOf(':') + 1)));
  const front = sections.find(
    (section) => ['frontend', 'listen'].includes(section.kind) && binds(section.lines).includes(port),
  );
  if (!front) return undefined;
  const backendName =
    front.kind === 'listen'
      ? front.name
      : /^(?:default_backend|use_backend)\s+(\S+)/.exec(
          front.lines.find((line) => /^(default|use)_backend\s/.test(line)) ?? '',
        )?.[1];
  const backend = sections.find(
    (section) => ['backend', 'listen'].includes(section.kind) && section.name === backendName,
  );
  const servers = (backend?.lines ?? []).flatMap((line) => {
    const match = /^server\s+(\S+)\s+([^\s:]+)(?::(\d+))?/.exec(line);
    return match ? [{ name: match[1]!, address: match[2]!, port: match[3] ? Number(match[3]) : port }] : [];
  });
  return { frontend: front.name, servers };
}

/**
 * Whether a connection to `address:port` reaches a server for which `serves(ip, port)` holds, through
 * the HAProxy config loaded on the load balancer at `address`; the reason when it does not.
 */
export function reachThroughBalancer(
  lab: Lab,
  view: NetworkView,
  address: string,
  port: number,
  serves: (ip: string, port: number) => boolean,
): { ok: true } | { problem: string } {
  const host = hostsWith(lab, 'haproxy').find((candidate) => candidate.address === address);
  if (!host)
    return { problem: `${address} is not a load balancer of the lab (no host with a haproxy block has that address)` };
  const active = view.activeConfig(host.name, 'haproxy');
  const text = active?.files[host.haproxy.configPath];
  if (text === undefined)
    return {
      problem: `HAProxy on ${host.name} is not running with a loaded config: check it (haproxy -c) and reload it`,
    };
  const route = haproxyRoute(text, port);
  if (!route) return { problem: `the HAProxy config loaded on ${host.name} has no frontend bound to port ${port}` };
  if (route.servers.length === 0)
    return {
      problem: `the HAProxy config loaded on ${host.name} forwards port ${port} (${route.frontend}) to a backend with no servers`,
    };
  if (route.servers.some((server) => serves(server.address, server.port))) return { ok: true };
  const listed = route.servers.map((server) => `${server.name} ${server.address}:${server.port}`).join(', ');
  return {
    problem: `no server of the backend of ${route.frontend} (port ${port}) loaded on ${host.name} answers (${listed})`,
  };
}
