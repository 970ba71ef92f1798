/**
 * The last line of defence for "secrets never reach the history": every outcome detail, error message
 * and wait checkpoint of a step passes through `redactSecrets`, which replaces any piece of the lab's
 * secret values (a password, a key line, a token inside the pull secret) with `[secret]`. Activities
 * still must not put secrets into text; this catches the stderr line that echoes one.
 */
import type { Lab } from '../../lab/schema.js';
import { secretRefsOf } from '../../lab/secret-refs.js';
import { resolveSecret } from '../../lab/secrets.js';

export const REDACTED = '[secret]';

/** Pieces shorter than this are too common to strip (`ssh-ed25519`, `{"auths"`) without mangling text. */
const MIN_PIECE = 12;
/** A whole secret value shorter than this (an unusually short password) is still stripped as a whole. */
const MIN_WHOLE = 6;
/** Secrets are re-read at most this often (a rotated file is picked up, steps do not re-read each time). */
const CACHE_MS = 30_000;

const cache = new Map<string, { at: number; pieces: Promise<string[]> }>();

/** The strings to strip for a lab's secrets, longest first. Unresolvable references are skipped. */
export function secretPieces(lab: Lab): Promise<string[]> {
  const refs = [...new Set(secretRefsOf(lab).map((location) => location.ref))].sort();
  const key = refs.join('\n');
  const cached = cache.get(key);
  if (cached && Date.now() - cached.at < CACHE_MS) return cached.pieces;
  const pieces = Promise.all(refs.map((ref) => resolveSecret(ref).catch(() => undefined))).then((values) =>
    [...new Set(values.flatMap((value) => (value === undefined ? [] : piecesOf(value))))].sort((a, b) => b.length - a.length),
  );
  cache.set(key, { at: Date.now(), pieces });
  return pieces;
}

function piecesOf(value: string): string[] {
  const whole = value.trim();
  const parts = whole.split(/[\s"'{}[\],:]+/).filter((part) => part.length >= MIN_PIECE);
  return whole.length >= MIN_WHOLE ? [whole, ...parts] : parts;
}

export function redactWith(text: string, pieces: readonly string[]): string {
  let result = text;
  for (const piece of pieces) if (result.includes(piece)) result = result.split(piece).join(REDACTED);
  return result;
}

/** `text` with every piece of the lab's secrets replaced by `[secret]`. */
export async function redactSecrets(text: string, lab: Lab): Promise<string> {
  return redactWith(text, await secretPieces(lab));
}
