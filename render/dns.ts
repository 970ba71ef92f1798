/**
 * BIND: the nodes zone (node and helper host names), the cluster zone (api, api-int, *.apps, etcd
 * names and SRV records), the reverse zones of the node subnet, and the `zone` statements that
 * named.conf includes. Every DNS host gets the same set, as a primary of each zone.
 */
import { clusterDomain, hostsWith } from '../lab/schema.js';
import type { Host, Lab } from '../lab/schema.js';
import { contains, ipToNumber, parseNetwork } from '../lab/ip.js';
import { ptrOwner, reverseZones } from './ipv4.js';
import { masters, publishedHosts, requireHosts } from './topology.js';
import { fnv1a32, header, lines } from './text.js';
import type { RenderedFile } from './types.js';

export interface ZoneRecord {
  /** Relative to the zone origin; `@` is the origin itself. */
  owner: string;
  type: 'A' | 'NS' | 'PTR' | 'SRV';
  data: string;
  ttl?: number;
}

export interface Zone {
  /** Zone name without trailing dot. */
  name: string;
  artifact: 'dns.forward-zone' | 'dns.cluster-zone' | 'dns.reverse-zone';
  /** Records other than SOA and NS. */
  records: ZoneRecord[];
}

const defaultTtl = 3600;
/** TTL of the etcd SRV records, as the installer documentation writes them. */
const srvTtl = 86400;
const soaTimers = { refresh: 3600, retry: 900, expire: 1209600, negativeTtl: 300 } as const;

/** A helper host's name in the nodes zone. */
function hostFqdn(lab: Lab, host: Host): string {
  return `${host.name}.${lab.cluster.nodesDomain}`;
}

/** The name-to-address pairs published in the nodes zone: nodes, then helper hosts. */
function publishedNames(lab: Lab): Array<{ name: string; ip: string }> {
  return [
    ...lab.nodes.map((node) => ({ name: node.name, ip: node.ip })),
    ...publishedHosts(lab).map((host) => ({ name: host.name, ip: host.address })),
  ];
}

export function nodesZone(lab: Lab): Zone {
  return {
    name: lab.cluster.nodesDomain,
    artifact: 'dns.forward-zone',
    records: publishedNames(lab).map(({ name, ip }) => ({ owner: name, type: 'A', data: ip })),
  };
}

/** api and api-int and *.apps resolve to the HAProxy hosts; etcd-N to the N-th master (from 0). */
export function clusterZone(lab: Lab): Zone {
  const domain = clusterDomain(lab);
  const balancers = requireHosts(lab, 'haproxy').map((host) => host.address);
  const etcd = masters(lab).map((master, index) => ({ name: `etcd-${index}`, ip: master.ip }));
  const toBalancers = (owner: string): ZoneRecord[] => balancers.map((ip) => ({ owner, type: 'A', data: ip }));
  return {
    name: domain,
    artifact: 'dns.cluster-zone',
    records: [
      ...toBalancers('api'),
      ...toBalancers('api-int'),
      ...toBalancers('*.apps'),
      ...etcd.map(({ name, ip }): ZoneRecord => ({ owner: name, type: 'A', data: ip })),
      ...etcd.map(({ name }): ZoneRecord => ({
        owner: '_etcd-server-ssl._tcp',
        type: 'SRV',
        ttl: srvTtl,
        data: `0 10 2380 ${name}.${domain}.`,
      })),
    ],
  };
}

/** One zone per octet-aligned block of the subnet (see reverseZones), PTRs sorted by address. */
export function reverseZonesOf(lab: Lab): Zone[] {
  const subnet = parseNetwork(lab.network.cidr);
  const names = publishedNames(lab)
    .filter(({ ip }) => contains(subnet, ip))
    .sort((a, b) => ipToNumber(a.ip) - ipToNumber(b.ip));
  return reverseZones(subnet).map((zone) => ({
    name: zone.name,
    artifact: 'dns.reverse-zone',
    records: names
      .filter(({ ip }) => contains(zone.block, ip))
      .map(({ name, ip }) => ({ owner: ptrOwner(zone, ip), type: 'PTR', data: `${name}.${lab.cluster.nodesDomain}.` })),
  }));
}

/** Every zone the DNS hosts serve; when the nodes domain is the cluster domain, one zone holds both. */
export function dnsZones(lab: Lab): Zone[] {
  const nodes = nodesZone(lab);
  const cluster = clusterZone(lab);
  const forward =
    nodes.name === cluster.name ? [{ ...nodes, records: [...nodes.records, ...cluster.records] }] : [nodes, cluster];
  return [...forward, ...reverseZonesOf(lab)];
}

export function zoneFileName(zone: Pick<Zone, 'name'>): string {
  return `db.${zone.name}`;
}

/**
 * A zone file. The SOA serial is a digest of the rest of the file: the same lab gives the same
 * bytes, and any change of records changes the serial. It does not grow monotonically, which is
 * fine for DNS hosts that are all primaries loading these files; a secondary fed by zone transfer
 * would need `rndc retransfer` after a change.
 */
export function zoneText(lab: Lab, zone: Zone): string {
  const servers = requireHosts(lab, 'dns').map((host) => `${hostFqdn(lab, host)}.`);
  const primary = servers[0] ?? '';
  const records: ZoneRecord[] = [
    ...servers.map((server): ZoneRecord => ({ owner: '@', type: 'NS', data: server })),
    ...zone.records,
  ];
  const width = Math.max(...records.map((record) => record.owner.length));
  const body = records.map((record) => {
    const ttl = record.ttl === undefined ? '' : `${record.ttl} `;
    return `${record.owner.padEnd(width)} ${ttl}IN ${record.type.padEnd(3)} ${record.data}`;
  });
  const withSerial = (serial: string) =>
    lines(
      header(lab, ';', `Zone ${zone.name}`).trimEnd(),
      `$ORIGIN ${zone.name}.`,
      `$TTL ${defaultTtl}`,
      `@ IN SOA ${primary} hostmaster.${zone.name}. (`,
      `    ${serial} ; serial: digest of this file`,
      `    ${soaTimers.refresh} ; refresh`,
      `    ${soaTimers.retry} ; retry`,
      `    ${soaTimers.expire} ; expire`,
      `    ${soaTimers.negativeTtl} ) ; negative caching TTL`,
      body,
    );
  // Serials are 32-bit; keeping them in 1..2^31-1 avoids RFC 1982 wrap-around surprises.
  const serial = (fnv1a32(withSerial('SERIAL')) % 0x7fffffff) + 1;
  return withSerial(String(serial));
}

/** The `zone` statements, for the file named.conf includes (`dns.zonesConf`). */
export function zonesConfText(lab: Lab, host: Host & Required<Pick<Host, 'dns'>>): string {
  const statements = dnsZones(lab).map((zone) =>
    [`zone "${zone.name}" {`, '    type master;', `    file "${zoneTarget(host, zone)}";`, '};'].join('\n'),
  );
  return lines(header(lab, '//', `Zones of cluster ${clusterDomain(lab)}`).trimEnd(), statements.join('\n\n'));
}

function zoneTarget(host: Host & Required<Pick<Host, 'dns'>>, zone: Zone): string {
  return `${host.dns.zoneDir.replace(/\/+$/, '')}/${zoneFileName(zone)}`;
}

export function renderDns(lab: Lab): RenderedFile[] {
  const zones = dnsZones(lab);
  return hostsWith(lab, 'dns').flatMap((host) => [
    ...zones.map((zone) => ({
      path: `dns/${host.name}/${zoneFileName(zone)}`,
      content: zoneText(lab, zone),
      artifact: zone.artifact,
      host: host.name,
      target: zoneTarget(host, zone),
    })),
    {
      path: `dns/${host.name}/${host.dns.zonesConf.split('/').pop() ?? 'named.conf.openshift'}`,
      content: zonesConfText(lab, host),
      artifact: 'dns.zones-conf',
      host: host.name,
      target: host.dns.zonesConf,
    },
  ]);
}
