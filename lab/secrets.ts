/**
 * Secret references (`file:/path`, `env:NAME`): resolved only inside the function that uses the
 * value, checked at validation time without printing it. Every message names the reference, never
 * the value. Node only: not for workflow code.
 */
import { open } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { SecretKind } from './secret-refs.js';

/** A secret that cannot be resolved; the message names the reference and what to do. */
export class SecretError extends Error {
  constructor(
    public readonly ref: string,
    reason: string,
  ) {
    super(`secret ${ref} ${reason}`);
    this.name = 'SecretError';
  }
}

/** Larger than any pull secret, key or CA bundle: a file this big is the wrong file. */
const maxSecretBytes = 1024 * 1024;

/** The file a `file:` reference names: `~/` is the current user's home, relative paths start at `baseDir`. */
export function secretFilePath(ref: string, baseDir = process.cwd()): string | undefined {
  if (!ref.startsWith('file:')) return undefined;
  const path = ref.slice('file:'.length);
  if (path === '~' || path.startsWith('~/')) return join(homedir(), path.slice(1));
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/**
 * The secret's value. A single trailing newline (as editors and `echo` leave it) is removed, so a
 * password file holds the password and nothing else.
 */
export async function resolveSecret(ref: string): Promise<string> {
  const value = await readSecret(ref, maxSecretBytes);
  return value.replace(/\r?\n$/, '');
}

/**
 * Why the reference does not resolve to a usable secret, or `undefined` when it does: the file
 * exists, is readable and not empty (the variable is set and not empty), and, when `kind` is given,
 * the value looks like that kind of secret (a private key where the public one belongs is caught
 * here, before install-config publishes it). Reads only the head of the file.
 */
export async function checkSecretRef(ref: string, kind?: SecretKind): Promise<string | undefined> {
  let head: string;
  try {
    head = await readSecret(ref, kind === SecretKind.PULL_SECRET ? maxSecretBytes : 4096);
  } catch (error) {
    if (error instanceof SecretError) return error.message;
    throw error;
  }
  const problem = kind === undefined ? undefined : shapeProblem(kind, head);
  return problem === undefined ? undefined : `secret ${ref} ${problem}`;
}

/** Reads at most `limit` bytes of the secret; errors say what is wrong with the reference. */
async function readSecret(ref: string, limit: number): Promise<string> {
  if (ref.startsWith('env:')) {
    const name = ref.slice('env:'.length);
    const value = process.env[name];
    if (value === undefined)
      throw new SecretError(ref, `is not set: export ${name} in the environment of the command (or the worker)`);
    if (value === '') throw new SecretError(ref, `is empty: set ${name} to the secret`);
    return value.slice(0, limit);
  }
  const path = secretFilePath(ref);
  if (path === undefined)
    throw new SecretError(ref, 'is not a reference: write file:/path/to/secret or env:VARIABLE_NAME');
  let file;
  try {
    file = await open(path, 'r');
  } catch (error) {
    throw new SecretError(ref, fileProblem(error));
  }
  try {
    const stat = await file.stat();
    if (!stat.isFile()) throw new SecretError(ref, 'is not a regular file: reference the file that holds the secret');
    if (stat.size === 0) throw new SecretError(ref, 'is an empty file: put the secret in it');
    if (stat.size > maxSecretBytes)
      throw new SecretError(ref, `is ${stat.size} bytes, too large for a secret: check the path`);
    const buffer = Buffer.alloc(Math.min(limit, stat.size));
    const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } catch (error) {
    if (error instanceof SecretError) throw error;
    throw new SecretError(ref, fileProblem(error));
  } finally {
    await file.close();
  }
}

function fileProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT')
    return "does not exist: create the file or fix the path (relative paths start at the lab file's folder)";
  if (code === 'EACCES' || code === 'EPERM')
    return 'is not readable by this user: fix its permissions (chmod 600, owned by the user running the runbooks)';
  if (code === 'EISDIR') return 'is a folder: reference the file that holds the secret';
  return `cannot be read (${code ?? 'unknown error'})`;
}

/** Whether the head of a secret looks like its kind; the message never quotes the value. */
function shapeProblem(kind: SecretKind, head: string): string | undefined {
  const privateKey = /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(head);
  switch (kind) {
    case SecretKind.PULL_SECRET:
      return isPullSecret(head)
        ? undefined
        : 'is not a pull secret: expected JSON such as {"auths": {…}}, as downloaded from the Red Hat console';
    case SecretKind.SSH_PUBLIC_KEY:
      if (privateKey)
        return 'holds a private key where the public key belongs, and install-config would publish it: reference the .pub file';
      return /^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/=]+/.test(head)
        ? undefined
        : 'is not an SSH public key: expected one line such as "ssh-ed25519 AAAA… user@host" (the .pub file)';
    case SecretKind.SSH_PRIVATE_KEY:
      return privateKey
        ? undefined
        : 'is not an SSH private key: expected a file starting with -----BEGIN OPENSSH PRIVATE KEY-----';
    case SecretKind.CA_BUNDLE:
      return head.includes('-----BEGIN CERTIFICATE-----')
        ? undefined
        : 'is not a CA bundle: expected PEM certificates (-----BEGIN CERTIFICATE-----)';
    case SecretKind.PASSWORD:
      return undefined;
    case SecretKind.WEBHOOK_URL:
      return /^https?:\/\/[^\s/]+/.test(head.trim())
        ? undefined
        : 'is not a webhook URL: expected one line such as https://hooks.example.com/services/…';
  }
}

function isPullSecret(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && typeof (value as { auths?: unknown }).auths === 'object';
  } catch {
    return false;
  }
}
