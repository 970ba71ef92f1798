/**
 * A stamp (inode, size, mtime in ns) of every file under a folder, keyed by its path relative to
 * `relativeTo`: two equal stamp sets mean no file was written, created or removed in between.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export async function fileStamps(
  root: string,
  options: { relativeTo?: string; missingIsEmpty?: boolean; skip?: (file: string) => boolean } = {},
): Promise<Record<string, string>> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch((error: unknown) => {
    if (options.missingIsEmpty && (error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  });
  const stamps: Record<string, string> = {};
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (options.skip?.(file)) continue;
    const info = await stat(file, { bigint: true });
    stamps[path.relative(options.relativeTo ?? root, file)] = `${info.ino}:${info.size}:${info.mtimeNs}`;
  }
  return stamps;
}

/**
 * A daemon's own log on a simulated host (`<host>/daemons/*.log`): the real named and HAProxy write
 * there by themselves (HAProxy logs each health-check change), so it says nothing about what a step
 * wrote. Everything else there (HAProxy's loopback configuration, rndc.conf) is written by a reload.
 */
export const isDaemonLog = (file: string): boolean =>
  path.basename(path.dirname(file)) === 'daemons' && file.endsWith('.log');

/** The stamps of the simulated hosts' files (`<lab state>/hosts`), without the daemons' own logs. */
export function hostFileStamps(hostsDir: string, options: { relativeTo?: string; missingIsEmpty?: boolean } = {}) {
  return fileStamps(hostsDir, { ...options, skip: isDaemonLog });
}
