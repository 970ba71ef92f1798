/**
 * What a node on the lab network reaches, judged from what the helper daemons LOADED (not the files
 * on disk): names through the real named of the DNS hosts its DHCP lease names, and TCP services
 * through the frontends and backends of the haproxy.cfg loaded on the load balancer a name resolves to.
 * Each failure is said the way an operator would find it ("api-int.… does not resolve on netserv1 (zone …
 * not loaded)").
 */
import { hostsWith, type Lab } from '../../lab/schema.js';
import { dnsZones } from '../../render/dns.js';
import type { DnsAnswer, RecordType } from './dns-answers.js';
import { dhcpLeases, stripComments, type ServiceName } from './service-files.js';
import type { ActiveConfig } from './services.js';

export { reverseName } from './dns-answers.js';

export interface NetworkView {
  activeConfig(host: string, service: ServiceName): ActiveConfig | undefined;
  /** What each DNS host's named answers (./dns-answers.ts). */
  dns: {
    answer(host: string, name: string, type: RecordType): DnsAnswer | undefined;
    running(host: string): boolean;
  };
}

const lower = (name: string) => name.toLowerCase().replace(/\.$/, '');

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
 * Resolves `name` (type A or PTR) as a node's stub resolver does, through the DNS hosts' real named
 * (./dns-answers.ts): the servers in order; one that is down or not authoritative for the name
 * (REFUSED) passes to the next; the first authoritative answer, even "no such name", is final.
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
    const answer = view.dns.answer(host.name, wanted, type);
    if (!answer || !view.dns.running(host.name)) {
      tried.push(`${host.name} (named not running: check and reload it)`);
      continue;
    }
    if (answer.kind === 'refused') {
      tried.push(`${host.name} (zone ${expectedZone(lab, wanted)} not loaded)`);
      continue;
    }
    if (answer.kind === 'unreachable') {
      tried.push(`${host.name} (named does not answer: ${answer.detail})`);
      continue;
    }
    if (answer.kind === 'records') return { answers: answer.records };
    return { problem: `${name} has no ${type} record in zone ${expectedZone(lab, wanted)} as loaded on ${host.name}` };
  }
  return { problem: `${name} does not resolve on ${tried.join(', ') || 'any server (the lease names none)'}` };
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
