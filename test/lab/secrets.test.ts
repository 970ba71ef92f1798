/** Secret references: resolved where used, checked without printing, errors that name the reference only. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { SecretKind } from '../../lab/secret-refs.js';
import { checkSecretRef, resolveSecret, SecretError, secretFilePath } from '../../lab/secrets.js';
import { exampleSecrets } from './paths.js';

const value = 'Sup3r-s3cret-value';
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(os.tmpdir(), 'runbook-secrets-'));
  await writeFile(join(dir, 'password'), `${value}\n`);
  await writeFile(join(dir, 'empty'), '');
  await mkdir(join(dir, 'folder'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('resolveSecret', () => {
  it('reads a file without its trailing newline, and a variable', async () => {
    await expect(resolveSecret(`file:${join(dir, 'password')}`)).resolves.toBe(value);
    process.env.RUNBOOK_TEST_SECRET = value;
    try {
      await expect(resolveSecret('env:RUNBOOK_TEST_SECRET')).resolves.toBe(value);
    } finally {
      delete process.env.RUNBOOK_TEST_SECRET;
    }
  });

  it('expands ~/ to the home of the resolving process', () => {
    expect(secretFilePath('file:~/.ssh/id_ed25519')).toBe(join(os.homedir(), '.ssh', 'id_ed25519'));
    expect(secretFilePath('file:keys/pull.json', '/srv/lab')).toBe('/srv/lab/keys/pull.json');
    expect(secretFilePath('env:X')).toBeUndefined();
  });

  it('fails with the reference and what to do, never the value', async () => {
    const missing = `file:${join(dir, 'missing')}`;
    await expect(resolveSecret(missing)).rejects.toThrow(
      new SecretError(
        missing,
        "does not exist: create the file or fix the path (relative paths start at the lab file's folder)",
      ),
    );
    await expect(resolveSecret('env:RUNBOOK_TEST_UNSET')).rejects.toThrow(
      /^secret env:RUNBOOK_TEST_UNSET is not set: export RUNBOOK_TEST_UNSET/,
    );
    await expect(resolveSecret(value)).rejects.toThrow(/is not a reference/);
  });
});

describe('checkSecretRef', () => {
  it('accepts the stand-in secrets of the example lab for what they are', async () => {
    const cases: Array<[string, SecretKind]> = [
      ['pull-secret.json', SecretKind.PULL_SECRET],
      ['id_ed25519.pub', SecretKind.SSH_PUBLIC_KEY],
      ['id_ed25519', SecretKind.SSH_PRIVATE_KEY],
      ['ldap-ca.crt', SecretKind.CA_BUNDLE],
      ['ldap-bind-password', SecretKind.PASSWORD],
    ];
    for (const [file, kind] of cases)
      await expect(checkSecretRef(`file:${join(exampleSecrets, file)}`, kind)).resolves.toBeUndefined();
  });

  it('names what is wrong with the file', async () => {
    const ref = (name: string) => `file:${join(dir, name)}`;
    await expect(checkSecretRef(ref('empty'))).resolves.toBe(
      `secret ${ref('empty')} is an empty file: put the secret in it`,
    );
    await expect(checkSecretRef(ref('folder'))).resolves.toBe(
      `secret ${ref('folder')} is not a regular file: reference the file that holds the secret`,
    );
    process.env.RUNBOOK_TEST_EMPTY = '';
    try {
      await expect(checkSecretRef('env:RUNBOOK_TEST_EMPTY')).resolves.toBe(
        'secret env:RUNBOOK_TEST_EMPTY is empty: set RUNBOOK_TEST_EMPTY to the secret',
      );
    } finally {
      delete process.env.RUNBOOK_TEST_EMPTY;
    }
  });

  it('catches a secret of the wrong kind without quoting it', async () => {
    const password = `file:${join(dir, 'password')}`;
    const problems = await Promise.all([
      checkSecretRef(password, SecretKind.PULL_SECRET),
      checkSecretRef(password, SecretKind.SSH_PUBLIC_KEY),
      checkSecretRef(password, SecretKind.SSH_PRIVATE_KEY),
      checkSecretRef(password, SecretKind.CA_BUNDLE),
      checkSecretRef(`file:${join(exampleSecrets, 'id_ed25519')}`, SecretKind.SSH_PUBLIC_KEY),
    ]);
    expect(problems.map((problem) => problem?.replace(/^secret \S+ /, ''))).toEqual([
      'is not a pull secret: expected JSON such as {"auths": {…}}, as downloaded from the Red Hat console',
      'is not an SSH public key: expected one line such as "ssh-ed25519 AAAA… user@host" (the .pub file)',
      'is not an SSH private key: expected a file starting with -----BEGIN OPENSSH PRIVATE KEY-----',
      'is not a CA bundle: expected PEM certificates (-----BEGIN CERTIFICATE-----)',
      'holds a private key where the public key belongs, and install-config would publish it: reference the .pub file',
    ]);
    for (const problem of problems) expect(problem).not.toContain(value);
  });
});
