/**
 * Secrets stay references until a file is written: no rendered content or object holds a value;
 * writeRendered fills them, writes those files 0600, and writes nothing when one cannot be resolved.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { parse, parseAllDocuments } from 'yaml';
import { resolveSecret, SecretError } from '../../lab/secrets.js';
import { renderAll } from '../../render/index.js';
import { ldapBindSecret } from '../../render/oauth.js';
import { base64, fillObject } from '../../render/secret-slots.js';
import { writeRendered } from '../../render/write.js';
import { loadExampleLab } from './example.js';

const lab = await loadExampleLab();
const files = renderAll(lab);
const refs = [
  lab.secrets.pullSecret,
  lab.secrets.sshPublicKey,
  lab.secrets.sshPrivateKey,
  lab.day2.ldap?.bindPassword ?? '',
  lab.day2.ldap?.ca ?? '',
  lab.day2.ceph?.userKey ?? '',
];
const values = new Map(await Promise.all(refs.map(async (ref) => [ref, await resolveSecret(ref)] as const)));
const dir = await mkdtemp(join(tmpdir(), 'runbook-render-secrets-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Pieces of each secret long enough to be unmistakable: its lines, and its base64 form. */
const needles = [...values.values()].flatMap((value) => [
  ...value.split('\n').filter((line) => line.length >= 16 && !line.startsWith('-----')),
  base64(value),
]);

describe('rendered content', () => {
  test('holds no secret value, only placeholders', () => {
    expect(values.size).toBe(6);
    const everything = JSON.stringify(files);
    for (const needle of needles) expect(everything.includes(needle)).toBe(false);
    expect(
      files
        .filter((file) => file.secrets !== undefined)
        .map((file) => file.artifact)
        .sort(),
    ).toEqual(['ceph.secret', 'install.install-config', 'ldap.bind-secret', 'ldap.ca-configmap']);
    for (const file of files) {
      for (const slot of file.secrets ?? []) expect(file.content).toContain(slot.placeholder);
    }
  });

  test('objects get their values only through fillObject', () => {
    const ldap = lab.day2.ldap;
    if (ldap === undefined) throw new Error('the example configures LDAP');
    const secret = ldapBindSecret(ldap);
    const slots = files.find((file) => file.artifact === 'ldap.bind-secret')?.secrets ?? [];
    const filled = fillObject(secret, slots, values);
    expect(filled.data).toEqual({ bindPassword: base64(values.get(ldap.bindPassword) ?? '') });
    expect(JSON.stringify(secret)).not.toContain(base64(values.get(ldap.bindPassword) ?? ''));
  });
});

describe('writeRendered', () => {
  test('fills the secrets on disk, 0600, and leaves other files 0644', async () => {
    const out = join(dir, 'out');
    const written = await writeRendered(files, out);
    expect(written).toHaveLength(files.length);
    for (const file of written) {
      const mode = (await stat(join(out, file.path))).mode & 0o777;
      expect({ path: file.path, mode }).toEqual({ path: file.path, mode: file.secrets.length > 0 ? 0o600 : 0o644 });
      const content = await readFile(join(out, file.path), 'utf8');
      expect(content).not.toContain('__RUNBOOK_SECRET_');
      if (/\.ya?ml$/.test(file.path))
        expect(parseAllDocuments(content).flatMap((document) => ('errors' in document ? document.errors : []))).toEqual(
          [],
        );
    }
    const installConfig = parse(await readFile(join(out, 'install/install-config.yaml'), 'utf8')) as Record<
      string,
      string
    >;
    expect(installConfig.pullSecret).toBe(values.get(lab.secrets.pullSecret));
    expect(installConfig.sshKey).toBe(values.get(lab.secrets.sshPublicKey));
    const ca = parse(await readFile(join(out, 'cluster/ldap/ca-configmap.yaml'), 'utf8')) as {
      data: Record<string, string>;
    };
    expect(ca.data['ca.crt']).toBe(values.get(lab.day2.ldap?.ca ?? ''));
    const ceph = parse(await readFile(join(out, 'cluster/ceph/secret.yaml'), 'utf8')) as {
      data: Record<string, string>;
    };
    expect(Buffer.from(ceph.data.userKey ?? '', 'base64').toString()).toBe(values.get(lab.day2.ceph?.userKey ?? ''));
    // What writeRendered reports names references, never values.
    for (const needle of needles) expect(JSON.stringify(written).includes(needle)).toBe(false);
  });

  test('writes nothing when a secret does not resolve', async () => {
    const out = join(dir, 'unresolved');
    const broken = { ...lab, secrets: { ...lab.secrets, pullSecret: 'env:RUNBOOK_TEST_UNSET_PULL_SECRET' } };
    await expect(writeRendered(renderAll(broken), out)).rejects.toThrow(SecretError);
    expect(existsSync(out)).toBe(false);
  });

  test("writes a secret holding $&, $` and $' as it is (no replacement patterns)", async () => {
    const out = join(dir, 'dollar');
    const pullSecret = '{"auths":{"x":{"auth":"a$$b","email":"ops$&team@x$`y$\'z$1"}}}';
    const file = files.find((candidate) => candidate.artifact === 'install.install-config');
    if (file === undefined) throw new Error('the example renders install-config');
    await writeRendered([file], out, {
      resolve: async (ref) => (ref === lab.secrets.pullSecret ? pullSecret : (values.get(ref) ?? '')),
    });
    const written = parse(await readFile(join(out, file.path), 'utf8')) as Record<string, string>;
    expect(written.pullSecret).toBe(pullSecret);
  });

  test('refuses a path that leaves the output folder', async () => {
    await expect(
      writeRendered([{ path: '../escape.txt', content: 'x', artifact: 'test' }], join(dir, 'escape')),
    ).rejects.toThrow(/leaves the output folder/);
  });
});
