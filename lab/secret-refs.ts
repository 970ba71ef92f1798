/**
 * Where the lab holds secret references, and what each secret should look like. One list, so the
 * loader (making `file:` paths absolute), validation (checking they resolve) and anything that
 * needs every secret of a lab stay in step with the schema. Pure.
 */
import type { PathSegment } from './issues.js';

/** What a secret holds; validation checks the shape without ever printing the value. */
export const SecretKind = {
  PULL_SECRET: 'pull-secret',
  SSH_PUBLIC_KEY: 'ssh-public-key',
  SSH_PRIVATE_KEY: 'ssh-private-key',
  CA_BUNDLE: 'ca-bundle',
  PASSWORD: 'password',
  WEBHOOK_URL: 'webhook-url',
} as const;
export type SecretKind = (typeof SecretKind)[keyof typeof SecretKind];

/** `'*'` stands for every index of an array. */
const locations: ReadonlyArray<{ pattern: readonly string[]; kind: SecretKind }> = [
  { pattern: ['secrets', 'pullSecret'], kind: SecretKind.PULL_SECRET },
  { pattern: ['secrets', 'sshPublicKey'], kind: SecretKind.SSH_PUBLIC_KEY },
  { pattern: ['secrets', 'sshPrivateKey'], kind: SecretKind.SSH_PRIVATE_KEY },
  { pattern: ['hosts', '*', 'ssh', 'identity'], kind: SecretKind.SSH_PRIVATE_KEY },
  { pattern: ['nodes', '*', 'power', 'password'], kind: SecretKind.PASSWORD },
  { pattern: ['nodes', '*', 'power', 'ca'], kind: SecretKind.CA_BUNDLE },
  { pattern: ['day2', 'ldap', 'bindPassword'], kind: SecretKind.PASSWORD },
  { pattern: ['day2', 'ldap', 'ca'], kind: SecretKind.CA_BUNDLE },
  { pattern: ['day2', 'ceph', 'userKey'], kind: SecretKind.PASSWORD },
  { pattern: ['notify', 'webhooks', '*', 'url'], kind: SecretKind.WEBHOOK_URL },
];

export interface SecretRefLocation {
  readonly path: readonly PathSegment[];
  /** The reference as written (`file:…` or `env:…`); never the value. */
  readonly ref: string;
  readonly kind: SecretKind;
}

/** Every string found at a secret location of a lab (parsed, draft or raw). */
export function secretRefsOf(lab: unknown): SecretRefLocation[] {
  return locations.flatMap(({ pattern, kind }) =>
    valuesAt(lab, pattern, []).flatMap(({ path, value }) =>
      typeof value === 'string' ? [{ path, ref: value, kind }] : [],
    ),
  );
}

/** Values at a path pattern, with their concrete paths. */
export function valuesAt(
  value: unknown,
  pattern: readonly string[],
  prefix: readonly PathSegment[],
): Array<{ path: readonly PathSegment[]; value: unknown }> {
  const [head, ...rest] = pattern;
  if (head === undefined) return value === undefined ? [] : [{ path: prefix, value }];
  if (head === '*') {
    return Array.isArray(value) ? value.flatMap((item, index) => valuesAt(item, rest, [...prefix, index])) : [];
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return valuesAt((value as Record<string, unknown>)[head], rest, [...prefix, head]);
}
