/**
 * DNS as the helper hosts serve it, asked on the host itself (`dig @127.0.0.1`, so the answer is
 * the one of that server and not of a resolver in between): whether named serves the zone files
 * that are on disk (SOA serials), and which names the cluster needs it to answer.
 */
import { clusterDomain, nodeFqdn, type Host, type Lab } from '../../lab/schema.js';
import { clusterZone, dnsZones, nodesZone, zoneFileName } from '../../render/dns.js';
import type { HostReader } from './files.js';

/** A query on the host: short answers, one try of 2 s, so a silent server cannot hold a step. */
export function digCommand(name: string, type: 'A' | 'SOA'): string[] {
  return ['dig', '@127.0.0.1', '+short', '+time=2', '+tries=1', name, type];
}

export type DigAnswer = { answered: true; records: string[] } | { answered: false; why: string };

export async function dig(reader: HostReader, name: string, type: 'A' | 'SOA'): Promise<DigAnswer> {
  const result = await reader.exec(digCommand(name, type));
  if (result.code !== 0) {
    const why = (result.stdout.trim() || result.stderr.trim()).split('\n').pop() ?? `exit ${result.code}`;
    return { answered: false, why: `dig exited ${result.code}: ${why}` };
  }
  return {
    answered: true,
    records: result.stdout
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith(';')),
  };
}

/** The SOA serial written in a zone file. */
export function zoneFileSerial(text: string): string | undefined {
  return /\bSOA\s+\S+\s+\S+\s*\(?\s*(\d+)/.exec(text.replace(/;[^\n]*/g, ''))?.[1];
}

/**
 * Why named on `host` must reload: a zone it does not serve, or serves with another serial than the
 * file on disk. Undefined when it serves every zone's file, or when named cannot be asked (no dig,
 * no answer): then a reload would not tell more.
 */
export async function dnsStaleReason(
  reader: HostReader,
  zones: ReadonlyArray<{ name: string; fileSerial: string }>,
): Promise<string | undefined> {
  for (const zone of zones) {
    const answer = await dig(reader, zone.name, 'SOA');
    if (!answer.answered) return undefined;
    const served = answer.records[0]?.split(/\s+/)[2];
    if (served === undefined) return `named does not serve zone ${zone.name}`;
    if (served !== zone.fileSerial)
      return `named serves zone ${zone.name} with serial ${served}, the file has ${zone.fileSerial}`;
  }
  return undefined;
}

/** The names a DNS host must answer before the install goes on, with the addresses of each. */
export function expectedNames(lab: Lab): Array<{ name: string; addresses: string[] }> {
  const cluster = clusterZone(lab);
  const nodes = nodesZone(lab);
  const addressesOf = (records: typeof cluster.records, owner: string) =>
    records.filter((record) => record.type === 'A' && record.owner === owner).map((record) => record.data);
  const domain = clusterDomain(lab);
  return [
    { name: `api.${domain}`, addresses: addressesOf(cluster.records, 'api') },
    { name: `api-int.${domain}`, addresses: addressesOf(cluster.records, 'api-int') },
    // Any name under *.apps: the console's, as a user reaches it.
    { name: `console-openshift-console.apps.${domain}`, addresses: addressesOf(cluster.records, '*.apps') },
    ...lab.nodes.map((node) => ({ name: nodeFqdn(lab, node), addresses: addressesOf(nodes.records, node.name) })),
  ];
}

/** The zones of `host` with the serial of the file rendered for it. */
export function zoneSerials(lab: Lab, files: ReadonlyArray<{ path: string; content: string }>, host: Host) {
  const zoneDir = host.dns!.zoneDir.replace(/\/+$/, '');
  return dnsZones(lab).flatMap((zone) => {
    const file = files.find((candidate) => candidate.path === `${zoneDir}/${zoneFileName(zone)}`);
    const serial = file && zoneFileSerial(file.content);
    return serial ? [{ name: zone.name, fileSerial: serial }] : [];
  });
}
