/**
 * The install folder: where `openshift-install` keeps its state, the ignition configs and the
 * cluster's admin kubeconfig. It lives on the worker that runs the install steps (see the README on
 * workers for one lab); in a rehearsal, beside the simulated lab's state.
 *
 * Next to the installer's own files the runbook keeps `.openshift-runbooks.json`: which install-config
 * the folder was made from (a digest of the rendered document with its secret slots, never of the
 * secret values) and how far the installer got, so every step can tell "done" from "to do".
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile, rename, mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { Lab } from '../../lab/schema.js';
import type { StepContext } from '../../contract/step.js';
import { StepErrorType } from '../../contract/error-types.js';

/** How far the installer got in the folder. */
export const InstallPhase = { CONFIG: 'config', MANIFESTS: 'manifests', IGNITION: 'ignition' } as const;
export type InstallPhase = (typeof InstallPhase)[keyof typeof InstallPhase];
const PHASE_ORDER: readonly InstallPhase[] = [InstallPhase.CONFIG, InstallPhase.MANIFESTS, InstallPhase.IGNITION];

const folderStateSchema = z.object({
  /** sha256 of the install-config as rendered (secret slots, not values) and the secret references. */
  configDigest: z.string(),
  phase: z.enum([InstallPhase.CONFIG, InstallPhase.MANIFESTS, InstallPhase.IGNITION]),
  /** When `create ignition-configs` ran (ISO time): its certificates expire 24 hours later. */
  ignitionCreatedAt: z.string().optional(),
});
export type FolderState = z.output<typeof folderStateSchema>;

export const STATE_FILE = '.openshift-runbooks.json';

/** The install folder of this run: the lab's `install.dir` (default under ~/.local/share), or the rehearsal's. */
export function installFolder(context: Pick<StepContext, 'lab' | 'rehearsal'>): string {
  if (context.rehearsal) return join(dirname(context.rehearsal.endpointsFile), 'install');
  const configured = context.lab.install.dir;
  if (configured === undefined)
    return join(homedir(), '.local', 'share', 'openshift-runbooks', context.lab.name, 'install');
  return configured.startsWith('~/') ? join(homedir(), configured.slice(2)) : configured;
}

/** The admin kubeconfig `openshift-install create ignition-configs` writes. */
export function installKubeconfig(context: Pick<StepContext, 'lab' | 'rehearsal'>): string {
  return join(installFolder(context), 'auth', 'kubeconfig');
}

export function configDigest(renderedConfig: string, lab: Lab): string {
  return createHash('sha256')
    .update(renderedConfig)
    .update('\0')
    .update(JSON.stringify([lab.secrets.pullSecret, lab.secrets.sshPublicKey]))
    .digest('hex');
}

export async function readFolderState(folder: string): Promise<FolderState | undefined> {
  let text: string;
  try {
    text = await readFile(join(folder, STATE_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = folderStateSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(
      `${join(folder, STATE_FILE)} is not a state file of this project: move the folder away and run the step again`,
      StepErrorType.InstallFolderUnknown,
    );
  }
  return parsed.data;
}

export async function writeFolderState(folder: string, state: FolderState): Promise<void> {
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const file = join(folder, STATE_FILE);
  await writeFile(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

/** Whether the folder got at least as far as `phase`. */
export function reached(state: FolderState | undefined, phase: InstallPhase): boolean {
  return state !== undefined && PHASE_ORDER.indexOf(state.phase) >= PHASE_ORDER.indexOf(phase);
}

/**
 * The folder's state, refusing a folder made for another install-config: its ignition configs would
 * install a different cluster. Moving it away is the operator's call (it holds that cluster's keys).
 */
export async function folderStateFor(folder: string, digest: string): Promise<FolderState | undefined> {
  const state = await readFolderState(folder);
  if (state !== undefined && state.configDigest !== digest) {
    throw ApplicationFailure.nonRetryable(
      `${folder} holds the install assets of a different install-config (the lab's cluster, network or secrets ` +
        `changed since it was made, phase "${state.phase}"): move the folder away (it holds that install's ` +
        `credentials) or put the lab back as it was, then resume`,
      StepErrorType.InstallFolderStale,
    );
  }
  return state;
}
