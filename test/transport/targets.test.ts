import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { labSchema } from '../../lab/schema.js';
import { readHostEndpoints, sshTargetFor, type HostEndpoint } from '../../transport/targets.js';

const lab = labSchema.parse(parse(readFileSync(new URL('../../runbooks/labs/example.yaml', import.meta.url), 'utf8')));

describe('sshTargetFor', () => {
  test('real runs go to the lab address and verify against known_hosts', () => {
    expect(sshTargetFor(lab, 'netserv1')).toEqual({
      label: 'netserv1',
      host: '10.42.253.3',
      port: 22,
      user: 'root',
      knownHostsFile: '~/.ssh/known_hosts',
      identity: 'file:example-secrets/id_ed25519',
      rehearsal: false,
    });
  });

  test('a pinned key and an explicit ssh host win', () => {
    const pinned = structuredClone(lab);
    pinned.hosts[0]!.ssh = {
      host: 'netserv1.mgmt.example.com',
      port: 2222,
      user: 'admin',
      hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIFn0Cg98scS9',
      identity: 'env:NETSERV_KEY',
    };
    expect(sshTargetFor(pinned, 'netserv1')).toEqual({
      label: 'netserv1',
      host: 'netserv1.mgmt.example.com',
      port: 2222,
      user: 'admin',
      hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIFn0Cg98scS9',
      identity: 'env:NETSERV_KEY',
      rehearsal: false,
    });
  });

  test('rehearsals go to the simulated endpoint and pin its key', () => {
    const endpoints: HostEndpoint[] = [
      { name: 'pxe', address: '127.0.0.1', port: 40022, hostKey: 'ssh-ed25519 AAAA', root: '/tmp/x' },
    ];
    expect(sshTargetFor(lab, 'pxe', { endpoints })).toEqual({
      label: 'pxe',
      host: '127.0.0.1',
      port: 40022,
      user: 'root',
      hostKey: 'ssh-ed25519 AAAA',
      identity: 'file:example-secrets/id_ed25519',
      rehearsal: true,
    });
    expect(() => sshTargetFor(lab, 'kvm1', { endpoints })).toThrow(
      'the simulated lab publishes no SSH endpoint for host "kvm1"',
    );
  });

  test('an unknown host name lists the lab hosts', () => {
    expect(() => sshTargetFor(lab, 'netserv3')).toThrow(
      'the lab has no helper host named "netserv3" (hosts: netserv1, netserv2, pxe, haproxy1, haproxy2, ' +
        'kvm1, kvm2): use a name from hosts[].name',
    );
  });
});

describe('readHostEndpoints', () => {
  test('reads the hosts of endpoints.json and rejects anything else', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runbook-endpoints-'));
    try {
      const file = join(dir, 'endpoints.json');
      const hosts = [{ name: 'pxe', address: '127.0.0.1', port: 40022, hostKey: 'ssh-ed25519 AAAA', root: '/tmp/x' }];
      await writeFile(file, JSON.stringify({ hosts, kubeconfig: 'k' }));
      expect(await readHostEndpoints(file)).toEqual(hosts);
      await writeFile(file, JSON.stringify({ hosts: [{ ...hosts[0], port: 'x' }] }));
      await expect(readHostEndpoints(file)).rejects.toThrow(
        /is not an endpoints file written by `runbook sim start`:\n.*hosts\[0\]\.port/s,
      );
      await expect(readHostEndpoints(join(dir, 'missing.json'))).rejects.toThrow('start it with `runbook sim start`');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
