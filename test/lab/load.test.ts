/** Loading lab files: lines in issues, every issue at once, references made absolute, validateLab on objects. */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { formatIssue, LabFileError, LabValidationError, loadLab, parseLab, validateLab } from '../../lab/load.js';
import { exampleLab, exampleSecrets, fixtureLabs, sdnExampleLab } from './paths.js';
import type { JsonObject } from '../support/json.js';

// The procedure's 4.2 / SDN lab: the line numbers and the two egress routers below are its.
const exampleText = readFileSync(sdnExampleLab, 'utf8');
const currentText = readFileSync(exampleLab, 'utf8');

/** The 4.2 example lab as a plain object, to edit in a test. */
function exampleObject(): JsonObject {
  return parse(exampleText) as JsonObject;
}

async function rejection(promise: Promise<unknown>): Promise<LabValidationError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(LabValidationError);
  return error as LabValidationError;
}

describe('parseLab', () => {
  it('makes file references absolute against the lab folder and leaves ~/ and env: alone', async () => {
    const text = exampleText.replace(
      'ssh: { user: root, knownHosts: ~/.ssh/known_hosts }\n    dns',
      'ssh: { user: root, knownHosts: keys/known_hosts }\n    dns',
    );
    const lab = await parseLab(text, exampleLab);
    expect(lab.secrets.pullSecret).toBe(`file:${join(exampleSecrets, 'pull-secret.json')}`);
    expect(lab.day2.ceph?.userKey).toBe(`file:${join(exampleSecrets, 'ceph-user-key')}`);
    expect(lab.hosts[0]?.ssh.knownHosts).toBe(join(exampleLab, '..', 'keys', 'known_hosts'));
    expect(lab.hosts[1]?.ssh.knownHosts).toBe('~/.ssh/known_hosts');

    process.env.RUNBOOK_TEST_LDAP_PASSWORD = 'not-printed';
    try {
      const withEnv = await parseLab(
        text.replace(/bindPassword: file:\S+/, 'bindPassword: env:RUNBOOK_TEST_LDAP_PASSWORD'),
        exampleLab,
      );
      expect(withEnv.day2.ldap?.bindPassword).toBe('env:RUNBOOK_TEST_LDAP_PASSWORD');
    } finally {
      delete process.env.RUNBOOK_TEST_LDAP_PASSWORD;
    }
  });

  it('reports every issue at once, in file order, each with its line', async () => {
    const text = exampleText
      .replace('mac: "52:54:00:79:f3:0f"', 'mac: "52:54:00:79:f3"') // line 34: schema
      .replace('ip: 10.42.253.21', 'ip: 10.42.253.20') // line 40: duplicate address
      .replace('routerReplicas: 3', 'routerReplicas: 9') // line 95: day-2 rule
      .replace('bindPassword: file:example-secrets/ldap-bind-password', 'bindPassword: file:example-secrets/nope'); // line 88
    const error = await rejection(parseLab(text, 'lab.yaml', { baseDir: join(exampleLab, '..') }));
    expect(error.issues.map((issue) => [issue.path, issue.line])).toEqual([
      ['nodes[2].mac', 34],
      ['nodes[8].ip', 40],
      ['day2.ldap.bindPassword', 88],
      ['day2.infra.routerReplicas', 95],
    ]);
    expect(error.lines()[0]).toBe(
      'nodes[2].mac (lab.yaml:34): must be a MAC address of six colon-separated hex pairs such as 52:54:00:e1:48:6a',
    );
    expect(error.message).toBe('lab.yaml: the lab is invalid (4 issues)');
  });

  it('a broken MAC does not hide the rules on the other nodes', async () => {
    const text = exampleText
      .replace('mac: "52:54:00:be:c0:a4"', 'mac: nope')
      .replace('{ name: master3, role: master,', '{ name: master3, role: worker,');
    const error = await rejection(parseLab(text, exampleLab));
    expect(error.issues.map((issue) => issue.path)).toEqual(['nodes', 'nodes[1].mac']);
    expect(error.issues[0]?.message).toMatch(/^has 2 masters/);
  });

  it('rejects YAML syntax errors with their line and goes no further', async () => {
    const error = await rejection(parseLab('apiVersion: openshift-runbooks/v1\nkind: [Lab\nname: x\n', 'bad.yaml'));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.path).toBe('');
    expect(error.issues[0]?.message).toMatch(/^not valid YAML: /);
    expect(error.lines()[0]).toMatch(/^bad\.yaml:\d+: not valid YAML/);
  });

  it('points a missing field at its parent and an unknown one at its own line', async () => {
    const text = exampleText.replace('  nextServer: 10.42.44.100\n', '  nextserver: 10.42.44.100\n');
    const error = await rejection(parseLab(text, exampleLab));
    expect(error.issues.map((issue) => formatIssue(issue))).toEqual([
      'network.nextServer: is required; it must be an IPv4 address such as 10.42.253.10',
      'network.nextserver: unknown key "nextserver"; remove it or fix its spelling (keys here: cidr, ' +
        'gateway, dnsServers, searchDomains, dhcpRange, nextServer)',
    ]);
    // The absent field is placed at `network:`, the unknown key at its own line.
    expect(error.issues.map((issue) => issue.line)).toEqual([23, 29]);
  });

  it('can skip the secret checks for a machine without the secrets', async () => {
    const text = exampleText.replace('pull-secret.json', 'elsewhere.json');
    await expect(parseLab(text, exampleLab)).rejects.toThrow(LabValidationError);
    await expect(parseLab(text, exampleLab, { checkSecrets: false })).resolves.toMatchObject({ name: 'intra' });
  });
});

describe('loadLab', () => {
  it('says when the file is missing', async () => {
    const missing = join(fixtureLabs, 'no-such-lab.yaml');
    const error = await loadLab(missing).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(LabFileError);
    expect((error as LabFileError).message).toBe(`the lab file ${missing} does not exist`);
    expect((error as LabFileError).hints().join('\n')).toMatch(/runbooks\/labs\/example\.yaml/);
  });
});

describe('validateLab', () => {
  it('accepts the example as an object and applies defaults', () => {
    const result = validateLab(exampleObject());
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.lab.nodes[0]?.boot).toBe('bios');
      expect(result.lab.secrets.pullSecret).toBe('file:example-secrets/pull-secret.json');
    }
  });

  it('gives a lab without networkType the plugin its release installs by default', () => {
    const current = parse(currentText) as JsonObject;
    delete current.cluster.networkType;
    const old = exampleObject();
    delete old.cluster.networkType;
    const [currentLab, oldLab] = [validateLab(current), validateLab(old)];
    expect([currentLab.ok && currentLab.lab.cluster.networkType, oldLab.ok && oldLab.lab.cluster.networkType]).toEqual([
      'OVNKubernetes',
      'OpenShiftSDN',
    ]);
  });

  it('refuses OpenShift SDN on a release without it, naming cluster.networkType and the release', () => {
    for (const version of ['4.15.3', '4.17.0', '4.21.0']) {
      const lab = parse(currentText) as JsonObject;
      lab.cluster.version = version;
      lab.cluster.rhcosVersion = version;
      lab.cluster.networkType = 'OpenShiftSDN';
      const result = validateLab(lab);
      expect(result.ok ? [] : result.issues.map((issue) => issue.path)).toEqual(['cluster.networkType']);
      expect(result.ok ? '' : result.issues[0]?.message).toContain(`OpenShift ${version}`);
    }
    const sdnAt414 = exampleObject();
    sdnAt414.cluster.version = '4.14.2';
    sdnAt414.cluster.rhcosVersion = '4.14.2';
    expect(validateLab(sdnAt414).ok).toBe(true);
  });

  it('returns the issues, without lines, for an invalid object', () => {
    const lab = exampleObject();
    lab.nodes[4].role = 'worker';
    lab.nodes[5].role = 'worker';
    lab.nodes[6].role = 'worker';
    const result = validateLab(lab);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues.map((issue) => issue.path)).toEqual([
        'day2.infra',
        'day2.egress.routers[0].nodeSelector["node-role.kubernetes.io/infra"]',
        'day2.egress.routers[1].nodeSelector["node-role.kubernetes.io/infra"]',
      ]);
      expect(result.issues[0]).toEqual({
        path: 'day2.infra',
        message: 'needs nodes of role infra, and the lab has none; give some nodes role: infra, or remove day2.infra',
      });
    }
  });

  it('rejects what is not a lab at all', () => {
    expect(validateLab(null)).toEqual({
      ok: false,
      issues: [{ path: '', message: 'must be an object, not null (an empty value)' }],
    });
    const result = validateLab({ apiVersion: 'v1' });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.issues.map((issue) => formatIssue(issue))).toContain('apiVersion: must be "openshift-runbooks/v1"');
  });
});
