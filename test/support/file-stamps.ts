/**
 * A stamp (inode, size, mtime in ns) of every file under a folder, keyed by its path relative to
 * `relativeTo`: two equal stamp sets mean no file was written, created or removed in between.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export async function fileStamps(
  root: string,
  options: { relativeTo?: string; missingIsEmpty?: boolean } = {},
): Promise<Record<string, string>> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch((error: unknown) => {
    if (options.missingIsEmpty && (error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  });
  const stamps: Record<string, string> = {};
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const info = await stat(file, { bigint: true });
    stamps[path.relative(options.relativeTo ?? root, file)] = `${info.ino}:${info.size}:${info.mtimeNs}`;
  }
  return stamps;
}
