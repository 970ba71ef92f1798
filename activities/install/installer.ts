/**
 * Running `openshift-install`: a local binary, always with an argument array (execa, no shell). On
 * hardware it is the lab's `install.openshiftInstall`; in a rehearsal, the simulated lab's stand-in
 * that `runbook sim start` publishes in its endpoints file.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { execa } from 'execa';
import { z } from 'zod';
import type { StepContext } from '../../contract/step.js';
import { StepErrorType } from '../../contract/error-types.js';

const toolsSchema = z.object({ tools: z.object({ openshiftInstall: z.string().min(1) }) });

/** The binary this run uses. */
export async function installerBinary(context: Pick<StepContext, 'lab' | 'rehearsal'>): Promise<string> {
  if (!context.rehearsal) return context.lab.install.openshiftInstall;
  const file = context.rehearsal.endpointsFile;
  const parsed = toolsSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(
      `${file} names no simulated openshift-install (tools.openshiftInstall): restart the simulated lab with \`runbook sim start\``,
      StepErrorType.RehearsalToolMissing,
    );
  }
  return parsed.data.tools.openshiftInstall;
}

export interface InstallerRun {
  stdout: string;
  /** stdout and stderr interleaved (the installer logs to stderr). */
  all: string;
}

/**
 * Runs the installer in `folder`. A failure says which command failed and ends with the last lines of
 * its output (the installer logs no secrets there; its full log is `.openshift_install.log`).
 */
export async function runInstaller(
  binary: string,
  args: readonly string[],
  options: { folder: string; signal?: AbortSignal },
): Promise<InstallerRun> {
  const result = await execa(binary, args, {
    cwd: options.folder,
    reject: false,
    all: true,
    stdin: 'ignore',
    ...(options.signal && { cancelSignal: options.signal }),
  });
  if (result.failed) {
    const tail = (result.all ?? '').trim().split('\n').slice(-8).join('\n');
    const missing = (result as { code?: string }).code === 'ENOENT';
    const what = `openshift-install ${args.join(' ')}`;
    if (missing) {
      throw ApplicationFailure.nonRetryable(
        `${binary} was not found on the worker: install openshift-install for the lab's release and ` +
          `set install.openshiftInstall to its path`,
        StepErrorType.InstallerMissing,
      );
    }
    throw ApplicationFailure.retryable(
      `${what} failed (exit ${result.exitCode ?? result.signal}); see ${join(options.folder, '.openshift_install.log')}:\n${tail}`,
      StepErrorType.InstallerFailed,
    );
  }
  return { stdout: result.stdout, all: result.all ?? '' };
}

/**
 * The release a binary installs, from `openshift-install version`, whose first line names the binary
 * as it was called ("./openshift-install 4.2.0").
 */
export function releaseOf(versionOutput: string): string | undefined {
  // The binary names itself as it was called: `openshift-install 4.2.0` or `/usr/local/bin/openshift-install v4.2.0`.
  return /^(?:\S*\/)?openshift-install\s+v?(\S+)/m.exec(versionOutput)?.[1];
}
