/**
 * Host key verification as OpenSSH does it: a key pinned in the lab file, or the entries of a
 * known_hosts file (plain, `[host]:port`, wildcard, negated and hashed `|1|salt|hash` names;
 * `@revoked` lines; `@cert-authority` lines are not host keys and are skipped).
 */
import { createHash, createHmac } from 'node:crypto';

export interface PublicKey {
  /** Key type as on the wire: `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, … */
  type: string;
  blob: Buffer;
}

/** Parses `ssh-ed25519 AAAA… [comment]`; undefined when it is not a public key line. */
export function parsePublicKey(text: string): PublicKey | undefined {
  const [type, base64] = text.trim().split(/\s+/);
  if (!type || !base64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  const blob = Buffer.from(base64, 'base64');
  return keyTypeOf(blob) === type ? { type, blob } : undefined;
}

/** The type named at the start of a wire-format public key. */
export function keyTypeOf(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const length = blob.readUInt32BE(0);
  return blob.length >= 4 + length ? blob.subarray(4, 4 + length).toString('latin1') : undefined;
}

/** `SHA256:…` as `ssh-keygen -l` prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** `ssh-ed25519 AAAA…`, the form to pin in a lab file or append to known_hosts. */
export function formatPublicKey(blob: Buffer): string {
  return `${keyTypeOf(blob) ?? 'unknown'} ${blob.toString('base64')}`;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` elsewhere. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

interface KnownHostsEntry {
  marker?: '@revoked' | '@cert-authority';
  patterns: string;
  key: PublicKey;
  line: number;
}

export function parseKnownHosts(text: string): KnownHostsEntry[] {
  const entries: KnownHostsEntry[] = [];
  text.split('\n').forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (!fields[0] || fields[0].startsWith('#')) return;
    const marker = fields[0] === '@revoked' || fields[0] === '@cert-authority' ? fields.shift() : undefined;
    const [patterns, type, base64] = fields;
    const key = patterns && type && base64 ? parsePublicKey(`${type} ${base64}`) : undefined;
    if (!patterns || !key) return;
    const entry: KnownHostsEntry = { patterns, key, line: index + 1 };
    if (marker) entry.marker = marker as KnownHostsEntry['marker'];
    entries.push(entry);
  });
  return entries;
}

/** OpenSSH pattern-list semantics: any negated match vetoes, else any positive match wins. */
function hostMatches(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) return hashedMatches(patterns, name);
  let matched = false;
  for (const pattern of patterns.split(',')) {
    const negated = pattern.startsWith('!');
    if (!globMatches(negated ? pattern.slice(1) : pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function globMatches(pattern: string, name: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 'i').test(name);
}

function hashedMatches(field: string, name: string): boolean {
  const [, , salt, hash] = field.split('|');
  if (!salt || !hash) return false;
  const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return digest === hash;
}

export type HostKeyVerdict =
  | { status: 'match' }
  /** Nothing is known for this host (or only keys of other types). */
  | { status: 'unknown' }
  /** Keys of the presented type are known for this host, but none is the presented one. */
  | { status: 'changed'; expected: string[] }
  | { status: 'revoked'; where: string };

export interface KnownKeys {
  /** A pinned key (`ssh-ed25519 AAAA…`), taken as sole authority when present. */
  pinned?: string;
  /** known_hosts contents and where they come from, for messages. */
  knownHosts?: { path: string; text: string };
}

/** Key types the verifier knows for this host, to offer them first in key exchange. */
export function knownKeyTypes(known: KnownKeys, host: string, port: number): string[] {
  return candidateKeys(known, host, port).map((entry) => entry.key.type);
}

function candidateKeys(
  known: KnownKeys,
  host: string,
  port: number,
): Array<{ key: PublicKey; where: string; revoked: boolean }> {
  if (known.pinned) {
    const key = parsePublicKey(known.pinned);
    return key ? [{ key, where: 'the lab file (hosts[].ssh.hostKey)', revoked: false }] : [];
  }
  if (!known.knownHosts) return [];
  const name = knownHostsName(host, port);
  const { path, text } = known.knownHosts;
  return parseKnownHosts(text)
    .filter((entry) => entry.marker !== '@cert-authority' && hostMatches(entry.patterns, name))
    .map((entry) => ({ key: entry.key, where: `${path} line ${entry.line}`, revoked: entry.marker === '@revoked' }));
}

export function verifyHostKey(presented: Buffer, known: KnownKeys, host: string, port: number): HostKeyVerdict {
  const candidates = candidateKeys(known, host, port);
  const revoked = candidates.find((entry) => entry.revoked && entry.key.blob.equals(presented));
  if (revoked) return { status: 'revoked', where: revoked.where };
  const trusted = candidates.filter((entry) => !entry.revoked);
  if (trusted.some((entry) => entry.key.blob.equals(presented))) return { status: 'match' };
  const type = keyTypeOf(presented);
  const sameType = trusted.filter((entry) => entry.key.type === type);
  if (sameType.length === 0) return { status: 'unknown' };
  return { status: 'changed', expected: sameType.map((entry) => `${fingerprint(entry.key.blob)} (${entry.where})`) };
}
