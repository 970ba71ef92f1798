/** Deterministic hashes of object content (key order does not matter), for generated names. */
import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level, so equal content always serialises the same. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function md5Hex(value: unknown): string {
  return createHash('md5').update(stableStringify(value)).digest('hex');
}

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A short hash in the alphabet Kubernetes uses for generated names (`router-default-86cdb97784`). */
export function templateHash(value: unknown): string {
  const digest = createHash('sha256').update(stableStringify(value)).digest();
  let out = '';
  for (let i = 0; i < 10; i++) out += SAFE_ALPHABET[digest[i]! % SAFE_ALPHABET.length];
  return out;
}
