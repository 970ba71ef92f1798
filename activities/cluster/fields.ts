/**
 * Field-level comparison of a wanted object (or merge patch) with the live one: the paths whose
 * value differs, each as `path: old → new`. Only the fields the runbook sets count (what the
 * cluster adds, defaults and status, is not a difference); in a merge patch `null` means "absent".
 * Values under a Secret's `data` are masked.
 */
import { isDeepStrictEqual } from 'node:util';

export interface FieldDiff {
  path: string;
  live: unknown;
  wanted: unknown;
}

const ABSENT = Symbol('absent');

const isMap = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** The fields of `wanted` that `live` lacks or holds with another value; lists compare whole. */
export function fieldDiffs(wanted: unknown, live: unknown, path = ''): FieldDiff[] {
  if (isMap(wanted)) {
    if (!isMap(live)) return [{ path: path || '.', live: live ?? ABSENT, wanted }];
    return Object.entries(wanted).flatMap(([key, value]) =>
      fieldDiffs(value, key in live ? live[key] : ABSENT, path ? `${path}.${key}` : key),
    );
  }
  if (wanted === null) return live === ABSENT || live === null ? [] : [{ path, live, wanted: ABSENT }];
  return isDeepStrictEqual(wanted, live) ? [] : [{ path, live, wanted }];
}

function show(value: unknown, masked: boolean): string {
  if (value === ABSENT || value === undefined) return '(absent)';
  if (masked) return '(secret)';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

/** `spec.storage.emptyDir: (absent) → {}` per line; Secret data masked. */
export function formatFieldDiffs(diffs: readonly FieldDiff[], kind: string): string {
  return diffs
    .map(({ path, live, wanted }) => {
      const masked = kind === 'Secret' && /^(data|stringData)(\.|$)/.test(path);
      return `${path}: ${show(live, masked)} → ${show(wanted, masked)}`;
    })
    .join('\n');
}
