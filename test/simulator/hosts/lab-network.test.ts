/**
 * How the simulated lab network reads the haproxy.cfg a load balancer loaded: frontends and backends
 * (the procedure's own config, `listen` sections, servers without a port). Names are resolved by the
 * real named of the DNS hosts (test/simulator/hosts/simulated-hosts.test.ts, install/bare-install.test.ts).
 */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { loadLab } from '../../../lab/load.js';
import type { Lab } from '../../../lab/schema.js';
import { haproxyConfigText } from '../../../render/haproxy.js';
import { haproxyRoute } from '../../../simulator/hosts/lab-network.js';
import { EXAMPLE_LAB } from '../install/support.js';

let lab: Lab;
beforeAll(async () => {
  lab = await loadLab(EXAMPLE_LAB);
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
