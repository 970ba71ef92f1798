/**
 * Field-level comparison of a wanted object (or merge patch) with the live one: the paths whose
 * value differs, each as `path: old → new` (multi-line text as a unified diff). Only the fields the runbook sets count (what the
 * cluster adds, defaults and status, is not a difference); in a merge patch `null` means "absent".
 * Values under a Secret's `data` are masked.
 */
import { isDeepStrictEqual } from 'node:util';
import { unifiedDiff } from '../support/unified-diff.js';

export interface FieldDiff {
  path: string;
  live: unknown;
  wanted: unknown;
}

const ABSENT = Symbol('absent');

const isMap = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** The fields of `wanted` that `live` lacks or holds with another value; lists of another length compare whole. */
export function fieldDiffs(wanted: unknown, live: unknown, path = ''): FieldDiff[] {
  if (isMap(wanted)) {
    const entries = Object.entries(wanted).filter(([, value]) => value !== undefined);
    if (isMap(live) || (live === ABSENT && entries.length > 0)) {
      // A missing map is compared leaf by leaf, so a new object lists each field it sets.
      const inner = isMap(live) ? live : {};
      return entries.flatMap(([key, value]) =>
        fieldDiffs(value, key in inner ? inner[key] : ABSENT, path ? `${path}.${key}` : key),
      );
    }
    return [{ path: path || '.', live: live ?? ABSENT, wanted }];
  }
  if (Array.isArray(wanted) && Array.isArray(live) && wanted.length === live.length) {
    // Same length: item by item, so what the API server defaults inside items (ports, containers) is no difference.
    return wanted.flatMap((item, index) => fieldDiffs(item, live[index], `${path}[${index}]`));
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

/** `spec.storage.emptyDir: (absent) → {}` per line; a Secret's data and any of `secretValues` masked. */
export function formatFieldDiffs(
  diffs: readonly FieldDiff[],
  kind: string,
  secretValues: readonly string[] = [],
): string {
  const holdsSecret = (value: unknown) => {
    const text = JSON.stringify(value) ?? '';
    return secretValues.some((secret) => secret !== '' && text.includes(JSON.stringify(secret).slice(1, -1)));
  };
  return diffs
    .map(({ path, live, wanted }) => {
      const masked =
        (kind === 'Secret' && /^(data|stringData)(\.|$)/.test(path)) || holdsSecret(wanted) || holdsSecret(live);
      if (!masked && typeof live === 'string' && typeof wanted === 'string' && `${live}${wanted}`.includes('\n')) {
        // A file held in a field (a ConfigMap's config.json): its lines, as for a file on a host.
        return `${path}:\n${unifiedDiff(`/${path}`, live, wanted)}`.trimEnd();
      }
      return `${path}: ${show(live, masked)} → ${show(wanted, masked)}`;
    })
    .join('\n');
}
