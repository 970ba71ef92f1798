/**
 * The last line of defence for "secrets never reach the history": every outcome detail, error message
 * and wait checkpoint of a step passes through `redactSecrets`, which replaces the lab's secret values
 * (a password, a private key line, a credential inside the pull secret) with `[secret]`. Activities
 * still must not put secrets into text; this catches the stderr line that echoes one.
 */
import type { Lab } from '../../lab/schema.js';
import { SecretKind, secretRefsOf } from '../../lab/secret-refs.js';
import { resolveSecret } from '../../lab/secrets.js';

export const REDACTED = '[secret]';

/** A secret (or piece of one) shorter than this is too common a string to strip without mangling text. */
const MIN_PIECE = 6;
/** Secrets are re-read at most this often (a rotated file is picked up, steps do not re-read each time). */
const CACHE_MS = 30_000;

const cache = new Map<string, { at: number; pieces: Promise<string[]> }>();

/**
 * The strings to strip for a lab's secrets, longest first. Public keys and CA bundles are not secret
 * and stay readable; unresolvable references are skipped (the step that needs one reports it).
 */
export function secretPieces(lab: Lab): Promise<string[]> {
  const { refs, key } = secretRefsFor(lab);
  const cached = cache.get(key);
  if (cached && Date.now() - cached.at < CACHE_MS) return cached.pieces;
  const pieces = Promise.all(
    refs.map(([ref, kind]) =>
      resolveSecret(ref).then(
        (value) => piecesOf(kind, value),
        () => [],
      ),
    ),
  ).then((lists) =>
    [...new Set(lists.flat().filter((piece) => piece.length >= MIN_PIECE))].sort((a, b) => b.length - a.length),
  );
  cache.set(key, { at: Date.now(), pieces });
  return pieces;
}

/**
 * A lab's secret references and their cache key, worked out once per lab object: the steps of a run get
 * the same object from the worker's lab cache (./lab-cache.ts), so a step does not walk the lab again.
 */
const refsByLab = new WeakMap<Lab, { refs: Array<[string, SecretKind]>; key: string }>();

function secretRefsFor(lab: Lab): { refs: Array<[string, SecretKind]>; key: string } {
  let found = refsByLab.get(lab);
  if (found === undefined) {
    const refs = [
      ...new Map(
        secretRefsOf(lab)
          .filter(({ kind }) => SECRET_KINDS.has(kind))
          .map(({ ref, kind }) => [ref, kind]),
      ),
    ].sort(([a], [b]) => a.localeCompare(b));
    found = { refs, key: refs.map(([ref]) => ref).join('\n') };
    refsByLab.set(lab, found);
  }
  return found;
}

const SECRET_KINDS: ReadonlySet<SecretKind> = new Set([
  SecretKind.PULL_SECRET,
  SecretKind.SSH_PRIVATE_KEY,
  SecretKind.PASSWORD,
  SecretKind.WEBHOOK_URL,
]);

function piecesOf(kind: SecretKind, value: string): string[] {
  const whole = value.trim();
  if (kind === SecretKind.PASSWORD || kind === SecretKind.WEBHOOK_URL) return [whole];
  if (kind === SecretKind.SSH_PRIVATE_KEY) {
    // The key body, line by line (an error may quote one line); the BEGIN/END lines are not secret.
    return whole.split(/\r?\n/).filter((line) => !line.startsWith('-----'));
  }
  return pullSecretPieces(whole);
}

/** The credentials of a pull secret (each `auth` and the password inside it), not its registry names. */
function pullSecretPieces(text: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [text];
  }
  const pieces: string[] = [];
  const visit = (node: unknown) => {
    if (typeof node !== 'object' || node === null) return;
    for (const [key, child] of Object.entries(node)) {
      if (
        typeof child === 'string' &&
        ['auth', 'password', 'identitytoken', 'registrytoken'].includes(key.toLowerCase())
      ) {
        pieces.push(child);
        if (key.toLowerCase() === 'auth') {
          const decoded = Buffer.from(child, 'base64').toString('utf8');
          const colon = decoded.indexOf(':');
          if (colon >= 0) pieces.push(decoded, decoded.slice(colon + 1));
        }
      } else visit(child);
    }
  };
  visit(parsed);
  return pieces;
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
