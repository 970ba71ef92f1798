/**
 * How the simulated lab network reads what the daemons loaded: BIND zone files (as rendered, and as
 * an operator writes them by hand), the resolver's order over the lease's DNS servers, and HAProxy
 * frontends and backends (the seed's own config, `listen` sections, servers without a port).
 */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { loadLab } from '../../../lab/load.js';
import type { Lab } from '../../../lab/schema.js';
import { dnsZones, zoneText } from '../../../render/dns.js';
import { haproxyConfigText } from '../../../render/haproxy.js';
import type { ServiceName } from '../../../simulator/hosts/config-checks.js';
import { haproxyRoute, parseZone, resolveName, reverseName } from '../../../simulator/hosts/lab-network.js';
import type { ActiveConfig } from '../../../simulator/hosts/services.js';
import { EXAMPLE_LAB } from '../install/support.js';

let lab: Lab;
/** Zone name → the rendered zone file. */
let rendered: Record<string, string>;
beforeAll(async () => {
  lab = await loadLab(EXAMPLE_LAB);
  rendered = Object.fromEntries(dnsZones(lab).map((zone) => [zone.name, zoneText(lab, zone)]));
});

/** A view where each DNS host loaded the given zones (name → file text), or nothing when absent. */
function dnsView(loaded: Record<string, Record<string, string>>) {
  return {
    activeConfig(host: string, service: ServiceName): ActiveConfig | undefined {
      const zones = loaded[host];
      if (service !== 'dns' || !zones) return undefined;
      const conf = Object.keys(zones)
        .map((zone) => `zone "${zone}" { type master; file "db.${zone}"; };`)
        .join('\n');
      const files: Record<string, string> = { '/etc/bind/named.conf.openshift': conf };
      for (const [zone, text] of Object.entries(zones)) files[`/etc/bind/zones/db.${zone}`] = text;
      return { service, files, sha256: '' };
    },
  };
}

const SERVERS = ['10.42.253.3', '10.42.253.5'];

describe('zones', () => {
  test('reads the rendered zones: A records, the wildcard, PTRs, SRV records with a TTL', () => {
    const cluster = parseZone(rendered['intra.example.com']!, 'intra.example.com');
    expect(cluster.filter((record) => record.owner === 'api-int.intra.example.com')).toEqual([
      { owner: 'api-int.intra.example.com', type: 'A', data: ['10.42.253.150'] },
      { owner: 'api-int.intra.example.com', type: 'A', data: ['10.42.253.151'] },
    ]);
    expect(cluster.find((record) => record.type === 'SOA')?.owner).toBe('intra.example.com');
    expect(cluster.filter((record) => record.type === 'SRV')).toHaveLength(3);
    const view = dnsView({ netserv1: rendered });
    expect(resolveName(lab, view, SERVERS, 'console-openshift-console.apps.intra.example.com', 'A')).toEqual({
      answers: ['10.42.253.150', '10.42.253.151'],
    });
    expect(resolveName(lab, view, SERVERS, reverseName('10.42.253.10'), 'PTR')).toEqual({
      answers: ['master1.nodes.example.com'],
    });
  });

  test('reads a zone written by hand: relative and absolute names, blank owners, a CNAME', () => {
    const text = [
      '$TTL 1h',
      '@ IN SOA ns1.nodes.example.com. hostmaster.intra.example.com. ( 7 ; serial',
      '  3600 900 1209600 300 )',
      '  IN NS ns1.nodes.example.com.',
      'api-int.intra.example.com. 300 IN A 10.42.253.150',
      '                           IN A 10.42.253.151',
      'api IN CNAME api-int',
    ].join('\n');
    const view = dnsView({ netserv1: { ...rendered, 'intra.example.com': text } });
    expect(resolveName(lab, view, SERVERS, 'api.intra.example.com', 'A')).toEqual({
      answers: ['10.42.253.150', '10.42.253.151'],
    });
  });

  test('passes to the next server when one is down or not authoritative; the first authoritative answer is final', () => {
    const { ['intra.example.com']: _cluster, ...withoutCluster } = rendered;
    expect(resolveName(lab, dnsView({ netserv2: rendered }), SERVERS, 'api.intra.example.com', 'A')).toEqual({
      answers: ['10.42.253.150', '10.42.253.151'],
    });
    expect(resolveName(lab, dnsView({ netserv1: withoutCluster }), SERVERS, 'api-int.intra.example.com', 'A')).toEqual({
      problem:
        'api-int.intra.example.com does not resolve on netserv1 (zone intra.example.com not loaded), netserv2 (named not running: check and reload it)',
    });
    expect(resolveName(lab, dnsView({ netserv1: rendered }), SERVERS, 'nope.nodes.example.com', 'A')).toEqual({
      problem: 'nope.nodes.example.com has no A record in zone nodes.example.com as loaded on netserv1',
    });
    expect(resolveName(lab, dnsView({}), ['10.9.9.9'], 'api.intra.example.com', 'A')).toEqual({
      problem: 'api.intra.example.com does not resolve on 10.9.9.9 (not a DNS host of the lab)',
    });
  });
});

describe('HAProxy routes', () => {
  test('the rendered config: the backend servers of the frontend bound to a port', () => {
    const text = haproxyConfigText(lab, 'bootstrap');
    expect(haproxyRoute(text, 22623)).toEqual({
      frontend: 'machine-config-server',
      servers: [
        { name: 'bootstrap', address: '10.42.253.9', port: 22623 },
        { name: 'master1', address: '10.42.253.10', port: 22623 },
        { name: 'master2', address: '10.42.253.11', port: 22623 },
        { name: 'master3', address: '10.42.253.12', port: 22623 },
      ],
    });
    expect(haproxyRoute(haproxyConfigText(lab, 'final'), 6443)?.servers.map((server) => server.name)).toEqual([
      'master1',
      'master2',
      'master3',
    ]);
    expect(haproxyRoute(text, 8080)).toBeUndefined();
  });

  test('listen sections, servers without a port, comments and odd indentation', () => {
    const text = [
      'listen api # the API',
      '  bind 0.0.0.0:6443,:6444',
      '  mode tcp',
      'server master1 10.42.253.10 check',
      '  # server master2 10.42.253.11 check',
    ].join('\n');
    expect(haproxyRoute(text, 6444)).toEqual({
      frontend: 'api',
      servers: [{ name: 'master1', address: '10.42.253.10', port: 6444 }],
    });
  });
});
