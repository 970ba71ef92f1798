/**
 * The example lab's daemon configs through the real checkers: named-checkzone on every zone,
 * named-checkconf -z on a named.conf including the zone statements, dhcpd -t, haproxy -c.
 * The checks must also reject a broken file, or passing them would prove nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect } from '@jest/globals';
import { dnsZones } from '../../render/dns.js';
import { renderAll } from '../../render/index.js';
import { testWithTool } from '../support/checkers.js';
import { checkDhcpd, checkHaproxy, checkNamedConf, checkZone, expectPassed, loadExampleLab } from './support.js';

const lab = await loadExampleLab();
const files = renderAll(lab);
const dir = await mkdtemp(join(tmpdir(), 'runbook-render-check-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const zoneFiles = files.filter((file) => file.artifact.endsWith('-zone'));

describe('BIND', () => {
  testWithTool('named-checkzone', 'every zone file of every DNS host loads', async (tool) => {
    const zones = new Map(dnsZones(lab).map((zone) => [`db.${zone.name}`, zone.name]));
    expect(zoneFiles).toHaveLength(2 * zones.size);
    for (const file of zoneFiles) {
      const zone = zones.get(file.path.split('/').pop() ?? '');
      expect(zone).toBeDefined();
      expectPassed(await checkZone(tool, dir, file, zone ?? ''), file.path);
    }
  });

  testWithTool('named-checkzone', 'a zone with a broken record is rejected', async (tool) => {
    const file = zoneFiles[0];
    if (file === undefined) throw new Error('no zone rendered');
    const broken = { ...file, path: `broken/${file.path}`, content: `${file.content}master1 IN A 10.42.253.300\n` };
    expect((await checkZone(tool, dir, broken, lab.cluster.nodesDomain)).exitCode).not.toBe(0);
  });

  testWithTool('named-checkconf', 'named.conf with the rendered zone statements loads every zone', async (tool) => {
    expectPassed(await checkNamedConf(tool, join(dir, 'named'), lab), 'named-checkconf -z');
  });
});

describe('isc-dhcp-server', () => {
  const dhcp = files.filter((file) => file.artifact === 'dhcp.config');

  testWithTool('dhcpd', 'dhcpd -t accepts the rendered dhcpd.conf', async (tool) => {
    expect(dhcp).toHaveLength(1);
    for (const file of dhcp) expectPassed(await checkDhcpd(tool, join(dir, 'dhcp'), file.content), file.path);
  });

  testWithTool('dhcpd', 'dhcpd -t rejects a host block missing a semicolon', async (tool) => {
    const content = `${dhcp[0]?.content ?? ''}host broken {\n    hardware ethernet 52:54:00:00:00:01\n}\n`;
    expect((await checkDhcpd(tool, join(dir, 'dhcp-broken'), content)).exitCode).not.toBe(0);
  });
});

describe('HAProxy', () => {
  const configs = files.filter((file) => file.artifact.startsWith('haproxy.'));

  testWithTool('haproxy', 'haproxy -c accepts both variants on every host, without warnings', async (tool) => {
    expect(configs).toHaveLength(4);
    for (const file of configs) {
      expectPassed(
        await checkHaproxy(tool, join(dir, 'haproxy'), file.path.replaceAll('/', '_'), file.content),
        file.path,
      );
    }
  });

  testWithTool('haproxy', 'haproxy -c rejects a backend with an unknown balance algorithm', async (tool) => {
    const broken = `${configs[0]?.content ?? ''}\nbackend broken\n    balance nowhere\n`;
    expect((await checkHaproxy(tool, join(dir, 'haproxy-broken'), 'broken.cfg', broken)).exitCode).not.toBe(0);
  });
});
