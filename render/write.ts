/**
 * Writing rendered files to a folder, the one place where secret slots are filled: each secret is
 * resolved once, substituted in the files that need it, and those files are written mode 0600.
 * Node only (file system); renderers stay pure.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { resolveSecret } from '../lab/secrets.js';
import type { SecretRef } from '../lab/schema.js';
import { fillText } from './secret-slots.js';
import type { RenderedFile } from './types.js';

export interface WrittenFile {
  /** Path under the output folder, as rendered. */
  path: string;
  artifact: string;
  host?: string;
  target?: string;
  bytes: number;
  mode: number;
  /** References of the secrets filled in (never their values). */
  secrets: SecretRef[];
}

export interface WriteOptions {
  /** Resolves a secret reference to its value; defaults to lab/secrets' `resolveSecret`. */
  resolve?: (ref: SecretRef) => Promise<string>;
}

const publicMode = 0o644;
const secretMode = 0o600;

/** Resolves every distinct reference the files need, once. */
async function resolveAll(files: readonly RenderedFile[], resolve: (ref: SecretRef) => Promise<string>) {
  const refs = [...new Set(files.flatMap((file) => (file.secrets ?? []).map((slot) => slot.ref)))];
  return new Map(await Promise.all(refs.map(async (ref) => [ref, await resolve(ref)] as const)));
}

function outputPath(outDir: string, path: string): string {
  const relative = normalize(path);
  if (isAbsolute(relative) || relative === '..' || relative.startsWith(`..${sep}`)) {
    throw new Error(`rendered path "${path}" leaves the output folder; renderers must return relative paths`);
  }
  return join(outDir, relative);
}

/**
 * Writes the files under `outDir` (created as needed, existing files replaced). Secrets are all
 * resolved before anything is written, so an unresolvable reference leaves the folder untouched.
 */
export async function writeRendered(
  files: readonly RenderedFile[],
  outDir: string,
  options: WriteOptions = {},
): Promise<WrittenFile[]> {
  const values = await resolveAll(files, options.resolve ?? resolveSecret);
  const written: WrittenFile[] = [];
  for (const file of files) {
    const slots = file.secrets ?? [];
    const destination = outputPath(outDir, file.path);
    const content = slots.length === 0 ? file.content : fillText(file.content, slots, values);
    const mode = slots.length === 0 ? publicMode : secretMode;
    await mkdir(dirname(destination), { recursive: true });
    // Narrow the mode of an existing file before the secret goes in; writeFile's mode applies only on creation.
    await writeFile(destination, '', { mode });
    await chmod(destination, mode);
    await writeFile(destination, content);
    written.push({
      path: file.path,
      artifact: file.artifact,
      ...(file.host === undefined ? {} : { host: file.host }),
      ...(file.target === undefined ? {} : { target: file.target }),
      bytes: Buffer.byteLength(content),
      mode,
      secrets: slots.map((slot) => slot.ref),
    });
  }
  return written;
}
