/**
 * What each DNS host's real named answers for the names a node resolves at first boot (its own name
 * forward and reverse, api and api-int), asked over DNS on the named's loopback port each time it
 * (re)loads. The boot sequence judges first boot synchronously, from these answers; they change only
 * when a named starts, reloads or stops, and each of those asks again before the change is announced.
 */
import { Resolver } from 'node:dns/promises';
import { clusterDomain, nodeFqdn, type Lab } from '../../lab/schema.js';

export type RecordType = 'A' | 'PTR';

/** One answer: records; the name or type is not there (authoritative); not served here (REFUSED); no answer. */
export type DnsAnswer =
  | { kind: 'records'; records: string[] }
  | { kind: 'nxdomain' | 'nodata' }
  | { kind: 'refused' }
  | { kind: 'unreachable'; detail: string };

/** `in-addr.arpa` name of an IPv4 address. */
export function reverseName(ip: string): string {
  return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
}

const key = (name: string, type: RecordType) => `${type} ${name.toLowerCase().replace(/\.$/, '')}`;

/** The names and types the nodes of a lab resolve at first boot. */
export function firstBootQuestions(lab: Lab): Array<{ name: string; type: RecordType }> {
  const domain = clusterDomain(lab);
  return [
    { name: `api-int.${domain}`, type: 'A' },
    { name: `api.${domain}`, type: 'A' },
    ...lab.nodes.flatMap((node) => [
      { name: nodeFqdn(lab, node), type: 'A' as const },
      { name: reverseName(node.ip), type: 'PTR' as const },
    ]),
  ];
}

async function ask(resolver: Resolver, name: string, type: RecordType): Promise<DnsAnswer> {
  try {
    const records = type === 'A' ? await resolver.resolve4(name) : await resolver.resolvePtr(name);
    // named rotates the order of a record set (rrset-order cyclic): sorted, so messages are stable.
    return { kind: 'records', records: records.map((record) => record.toLowerCase().replace(/\.$/, '')).sort() };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND') return { kind: 'nxdomain' };
    if (code === 'ENODATA') return { kind: 'nodata' };
    if (code === 'EREFUSED') return { kind: 'refused' };
    return { kind: 'unreachable', detail: code ?? String(error) };
  }
}

export class DnsAnswers {
  private readonly byHost = new Map<string, Map<string, DnsAnswer>>();

  constructor(private readonly lab: Lab) {}

  /** Asks the named of `host` on `port` every first-boot question; `undefined` port: named is down. */
  async refresh(host: string, port: number | undefined): Promise<void> {
    if (port === undefined) {
      this.byHost.delete(host);
      return;
    }
    const resolver = new Resolver({ timeout: 2_000, tries: 2 });
    resolver.setServers([`127.0.0.1:${port}`]);
    const questions = firstBootQuestions(this.lab);
    const answers = await Promise.all(questions.map(({ name, type }) => ask(resolver, name, type)));
    this.byHost.set(host, new Map(questions.map(({ name, type }, i) => [key(name, type), answers[i]!])));
  }

  /** What `host`'s named answered for `name`; undefined when it is not running (or was never asked that). */
  answer(host: string, name: string, type: RecordType): DnsAnswer | undefined {
    return this.byHost.get(host)?.get(key(name, type));
  }

  running(host: string): boolean {
    return this.byHost.has(host);
  }
}
