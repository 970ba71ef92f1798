/**
 * Files on a helper host, compared and written over SFTP: what differs from the wanted content and
 * mode (with a unified diff), written atomically (temporary file, then rename), and put back as they
 * were when the service's check refuses the new ones.
 */
import { posix } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { SshSession } from '../../transport/ssh.js';
import type { PlannedChange } from '../support/plan.js';
import { unifiedDiff } from '../support/unified-diff.js';
import { StepErrorType } from '../../contract/error-types.js';

/** What a plan may use on a host: reads only (and the read-only queries of ./dns-wait.ts). */
export type HostReader = Pick<SshSession, 'stat' | 'readFileIfExists' | 'exec'>;

export interface HostFile {
  /** Absolute path on the host. */
  path: string;
  content: string;
  /** Permission bits (`0o644`). */
  mode: number;
}

export interface FileChange extends PlannedChange {
  action: 'create' | 'update' | 'mode';
  file: HostFile;
  /** The file as it was, to put back; undefined when it did not exist. */
  previous?: { content: string; mode: number };
}

const octal = (mode: number) => `0${mode.toString(8)}`;

/** The files of `wanted` whose content or mode differs on the host, with their diffs. */
export async function planFiles(
  hostName: string,
  reader: HostReader,
  wanted: readonly HostFile[],
): Promise<FileChange[]> {
  const changes: FileChange[] = [];
  for (const file of wanted) {
    const target = `${hostName}:${file.path}`;
    const stat = await reader.stat(file.path);
    if (stat && stat.type !== 'file') {
      throw ApplicationFailure.nonRetryable(
        `${target} is a ${stat.type}, not a file: move it away on ${hostName}, then resume`,
        StepErrorType.NotAFile,
      );
    }
    const content = stat ? await reader.readFileIfExists(file.path) : undefined;
    if (content === undefined) {
      changes.push({ target, action: 'create', file, diff: unifiedDiff(file.path, undefined, file.content) });
      continue;
    }
    const previous = { content, mode: stat!.mode };
    if (content !== file.content) {
      changes.push({ target, action: 'update', file, previous, diff: unifiedDiff(file.path, content, file.content) });
    } else if (stat!.mode !== file.mode) {
      changes.push({ target, action: 'mode', file, previous, diff: `mode ${octal(stat!.mode)} → ${octal(file.mode)}` });
    }
  }
  return changes;
}

/** Writes the changed files (each atomically), creating missing folders. */
export async function writeFiles(session: SshSession, changes: readonly FileChange[]): Promise<void> {
  for (const { file } of changes) {
    await session.mkdirp(posix.dirname(file.path));
    await session.writeFileIfChanged(file.path, file.content, file.mode);
  }
}

/** Puts the files back as they were before `writeFiles`; the problems met, if any (it goes on past them). */
export async function restoreFiles(session: SshSession, changes: readonly FileChange[]): Promise<string[]> {
  const problems: string[] = [];
  for (const change of changes) {
    try {
      if (change.previous)
        await session.writeFileIfChanged(change.file.path, change.previous.content, change.previous.mode);
      else await session.remove(change.file.path);
    } catch (error) {
      problems.push(`${change.target}: ${(error as Error).message}`);
    }
  }
  return problems;
}
