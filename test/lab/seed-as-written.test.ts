/**
 * The reference procedure's lab as written (test/fixtures/labs/seed-as-written.yaml) is rejected
 * with its real mistakes; the corrected example lab validates clean.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { LabValidationError, loadLab, type LabIssue } from '../../lab/load.js';
import { exampleLab, fixtureLabs } from './paths.js';

describe('the example lab', () => {
  it('validates clean', async () => {
    const lab = await loadLab(exampleLab);
    expect(lab.nodes).toHaveLength(12);
    expect(lab.hosts.map((host) => host.name)).toEqual([
      'netserv1',
      'netserv2',
      'pxe',
      'haproxy1',
      'haproxy2',
      'kvm1',
      'kvm2',
    ]);
  });
});

describe('the seed lab as written', () => {
  let issues: LabIssue[] = [];
  const messages = (path: string) => issues.filter((issue) => issue.path === path).map((issue) => issue.message);

  beforeAll(async () => {
    const error = await loadLab(join(fixtureLabs, 'seed-as-written.yaml')).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(LabValidationError);
    issues = [...(error as LabValidationError).issues];
  });

  it('gives four computes the fixed address of compute1', () => {
    for (const index of [8, 9, 10, 11]) {
      expect(messages(`nodes[${index}].ip`)).toContain(
        '10.42.253.20 is already the address of nodes[7] (compute1); every node and host needs its own address',
      );
    }
    expect(issues.filter((issue) => issue.message.includes('is already the address of'))).toHaveLength(4);
  });

  it('hands out a DHCP range .9-.254 over every static lease, both HAProxy hosts and both egress addresses', () => {
    const inRange = issues.filter((issue) =>
      issue.message.includes('inside the DHCP dynamic range 10.42.253.9-10.42.253.254'),
    );
    expect(inRange.map((issue) => issue.path)).toEqual([
      ...Array.from({ length: 12 }, (_, index) => `nodes[${index}].ip`),
      'hosts[3].address',
      'hosts[4].address',
      'day2.egress.routers[0].sourceIP',
      'day2.egress.routers[1].sourceIP',
    ]);
    expect(messages('nodes[1].ip')).toEqual([
      '10.42.253.10 is static but inside the DHCP dynamic range 10.42.253.9-10.42.253.254 ' +
        '(network.dhcpRange), so the DHCP server may lease it to another machine; move the range clear of the static addresses',
    ]);
  });

  it('selects egress nodes with node-role.kubernetes.io/infra: "true", which no node carries', () => {
    for (const router of [0, 1]) {
      expect(messages(`day2.egress.routers[${router}].nodeSelector["node-role.kubernetes.io/infra"]`)).toEqual([
        'no node carries node-role.kubernetes.io/infra="true", so the router pod would stay Pending; ' +
          'OpenShift sets role labels with an empty value, so write node-role.kubernetes.io/infra: ""',
      ]);
    }
  });

  it('writes secrets inline instead of referencing them', () => {
    const inline = 'must be a secret reference, "file:/path/to/secret" or "env:VARIABLE_NAME", never the secret itself';
    for (const path of ['secrets.pullSecret', 'secrets.sshPublicKey', 'day2.ldap.bindPassword', 'day2.ceph.userKey']) {
      expect(messages(path)).toEqual([inline]);
    }
    expect(messages('day2.ldap.ca')).toEqual([
      'secret file:/path/to/ldap-ca-chain.crt does not exist: create the file or fix the path (relative ' +
        "paths start at the lab file's folder)",
    ]);
    // The literal values never come back in a message.
    for (const issue of issues) expect(issue.message).not.toMatch(/my-user-key|<secret>|some-public-key-of-yours/);
  });

  it('never says how the helper hosts are verified', () => {
    const unverified = issues.filter((issue) =>
      issue.message.startsWith('no hostKey or knownHosts: host-key verification is mandatory'),
    );
    expect(unverified.map((issue) => issue.path)).toEqual([
      'hosts[0].ssh',
      'hosts[1].ssh',
      'hosts[2].ssh',
      'hosts[3].ssh',
      'hosts[4].ssh',
    ]);
  });

  it('reports nothing else, each issue with its line', () => {
    expect(issues).toHaveLength(32);
    expect(issues.every((issue) => typeof issue.line === 'number')).toBe(true);
    expect(issues.find((issue) => issue.path === 'nodes[8].ip')?.line).toBe(53);
  });
});
