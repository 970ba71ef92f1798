/**
 * Activities of the install runbook's `openshift-install` part, in the procedure's order: check the
 * binary, write install-config.yaml, `create manifests`, set mastersSchedulable, `create
 * ignition-configs`, publish the ignition files on the HTTP hosts, and refuse expired ones before nodes
 * boot. Each converges on the install folder's state (./folder.ts).
 */
import { access, chmod, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cancellationSignal } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { hostsWith } from '../../lab/schema.js';
import { resolveSecret } from '../../lab/secrets.js';
import { patchSchedulerManifest, renderInstallConfig, schedulerManifestPath } from '../../render/install-config.js';
import { fillText } from '../../render/secret-slots.js';
import type { StepContext, StepOutcome } from '../../contract/step.js';
import { converge } from '../engine/converge.js';
import { withSsh } from '../support/lab-access.js';
import {
  InstallPhase,
  configDigest,
  folderStateFor,
  installFolder,
  reached,
  readFolderState,
  writeFolderState,
} from './folder.js';
import { installerBinary, releaseOf, runInstaller } from './installer.js';
import { describeNotJoined, nodesJoined } from './nodes-joined.js';
import { StepErrorType } from '../../contract/error-types.js';

export const IGNITION_FILES = ['bootstrap.ign', 'master.ign', 'worker.ign'] as const;

function renderedConfig(context: StepContext) {
  const [config] = renderInstallConfig(context.lab);
  if (!config) throw new Error('render/install-config rendered no install-config.yaml');
  return { config, digest: configDigest(config.content, context.lab) };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** The binary installs the lab's release (`cluster.version`). Read-only. */
async function installCheckBinary(context: StepContext): Promise<StepOutcome> {
  const binary = await installerBinary(context);
  const { stdout } = await runInstaller(binary, ['version'], { folder: process.cwd(), signal: cancellationSignal() });
  const release = releaseOf(stdout);
  const wanted = context.lab.cluster.version;
  if (release === undefined || !(release === wanted || release.startsWith(`${wanted}-`))) {
    throw ApplicationFailure.nonRetryable(
      `${binary} installs ${release ?? 'an unknown release'}, the lab says cluster.version ${wanted}: point ` +
        `install.openshiftInstall at the ${wanted} installer (or correct cluster.version), then resume`,
      StepErrorType.InstallerVersionMismatch,
    );
  }
  return { changed: false, detail: `${binary} installs ${release}` };
}

/** install-config.yaml in the install folder, secrets filled only on disk (mode 0600). */
async function installWriteConfig(context: StepContext): Promise<StepOutcome> {
  const folder = installFolder(context);
  const { config, digest } = renderedConfig(context);
  return converge({
    check: async () => {
      const state = await folderStateFor(folder, digest);
      if (state) return { ok: true, detail: `${folder} was made from this install-config (${state.phase})` };
      const entries = (await exists(folder)) ? await readdir(folder) : [];
      if (entries.length > 0) {
        throw ApplicationFailure.nonRetryable(
          `${folder} is not empty and was not made by this runbook (${entries.slice(0, 4).join(', ')}…): ` +
            'set install.dir to an empty or new folder, then resume',
          StepErrorType.InstallFolderUnknown,
        );
      }
      return { ok: false, detail: `no install-config in ${folder}` };
    },
    apply: async () => {
      await mkdir(folder, { recursive: true, mode: 0o700 });
      const values = new Map<string, string>();
      for (const slot of config.secrets ?? []) values.set(slot.ref, await resolveSecret(slot.ref));
      const path = join(folder, 'install-config.yaml');
      await writeFile(path, fillText(config.content, config.secrets ?? [], values), { mode: 0o600 });
      await chmod(path, 0o600);
      await writeFolderState(folder, { configDigest: digest, phase: InstallPhase.CONFIG });
      return `wrote ${path}`;
    },
  });
}

/** `openshift-install create manifests` (it consumes install-config.yaml). */
async function installCreateManifests(context: StepContext): Promise<StepOutcome> {
  const folder = installFolder(context);
  const { digest } = renderedConfig(context);
  return converge({
    check: async () => {
      const state = await folderStateFor(folder, digest);
      return reached(state, InstallPhase.MANIFESTS)
        ? { ok: true, detail: `manifests created in ${folder}` }
        : { ok: false, detail: `no manifests in ${folder}` };
    },
    apply: async () => {
      const binary = await installerBinary(context);
      await runInstaller(binary, ['create', 'manifests', '--dir', folder], { folder, signal: cancellationSignal() });
      if (!(await exists(join(folder, schedulerManifestPath)))) {
        throw ApplicationFailure.nonRetryable(
          `openshift-install create manifests wrote no ${schedulerManifestPath} in ${folder}: check the binary's release`,
          StepErrorType.InstallerOutputMissing,
        );
      }
      await writeFolderState(folder, { configDigest: digest, phase: InstallPhase.MANIFESTS });
      return `created the manifests in ${folder}`;
    },
  });
}

/** `mastersSchedulable` in the scheduler manifest, as the lab says (the procedure's `sed`). */
async function installMastersSchedulable(context: StepContext): Promise<StepOutcome> {
  const folder = installFolder(context);
  const { digest } = renderedConfig(context);
  const path = join(folder, schedulerManifestPath);
  const wanted = context.lab.cluster.mastersSchedulable;
  return converge({
    check: async () => {
      const state = await folderStateFor(folder, digest);
      if (reached(state, InstallPhase.IGNITION)) return { ok: true, detail: 'already in the ignition configs' };
      const text = await readFile(path, 'utf8');
      const current = /mastersSchedulable:\s*(true|false)/.exec(text)?.[1];
      return { ok: current === String(wanted), detail: `mastersSchedulable: ${current ?? 'not set'} in ${path}` };
    },
    apply: async () => {
      await writeFile(path, patchSchedulerManifest(await readFile(path, 'utf8'), wanted));
      return `set mastersSchedulable: ${wanted} in ${path}`;
    },
  });
}

/** `openshift-install create ignition-configs`: bootstrap, master and worker ignition, auth/. */
async function installCreateIgnition(context: StepContext): Promise<StepOutcome> {
  const folder = installFolder(context);
  const { digest } = renderedConfig(context);
  return converge({
    check: async () => {
      const state = await folderStateFor(folder, digest);
      const present = await Promise.all(IGNITION_FILES.map((file) => exists(join(folder, file))));
      return reached(state, InstallPhase.IGNITION) && present.every(Boolean)
        ? { ok: true, detail: `ignition configs created ${state?.ignitionCreatedAt ?? ''} in ${folder}`.trim() }
        : { ok: false, detail: `no ignition configs in ${folder}` };
    },
    apply: async () => {
      const binary = await installerBinary(context);
      await runInstaller(binary, ['create', 'ignition-configs', '--dir', folder], {
        folder,
        signal: cancellationSignal(),
      });
      await writeFolderState(folder, {
        configDigest: digest,
        phase: InstallPhase.IGNITION,
        ignitionCreatedAt: new Date().toISOString(),
      });
      return `created ${IGNITION_FILES.join(', ')} in ${folder}`;
    },
  });
}

/** The ignition files on every PXE/HTTP host, under `pxe.httpRoot` (what the PXE configs point at). */
async function installPublishIgnition(context: StepContext): Promise<StepOutcome> {
  const folder = installFolder(context);
  const files = await Promise.all(
    IGNITION_FILES.map(async (name) => ({ name, content: await readFile(join(folder, name)) })),
  );
  const written: string[] = [];
  for (const host of hostsWith(context.lab, 'pxe')) {
    await withSsh(context, host.name, async (session) => {
      await session.mkdirp(host.pxe.httpRoot);
      for (const file of files) {
        // World-readable: the HTTP server serves them to booting nodes, as the procedure does.
        const { changed } = await session.writeFileIfChanged(`${host.pxe.httpRoot}/${file.name}`, file.content, 0o644);
        if (changed) written.push(`${host.name}:${host.pxe.httpRoot}/${file.name}`);
      }
    });
  }
  return written.length > 0
    ? { changed: true, detail: `published ${written.join(', ')}` }
    : {
        changed: false,
        detail: `the ignition files on ${hostsWith(context.lab, 'pxe')
          .map((h) => h.name)
          .join(', ')} are current`,
      };
}

/**
 * Before a node boots: its ignition's certificates must still be valid (24 hours from creation, less
 * the lab's margin). Expired ones cannot be renewed in place; the operator recreates them. Once every
 * node has joined, they are not used any more and their age is no reason to stop.
 */
async function installIgnitionFresh(context: StepContext): Promise<StepOutcome> {
  const folder = installFolder(context);
  const state = await readFolderState(folder);
  if (!state?.ignitionCreatedAt) {
    throw ApplicationFailure.nonRetryable(
      `${folder} has no ignition configs yet: run the install runbook's openshift-install steps first`,
      StepErrorType.IgnitionMissing,
    );
  }
  const ageHours = (Date.now() - Date.parse(state.ignitionCreatedAt)) / 3_600_000;
  const maxHours = context.lab.install.ignitionMaxAgeHours;
  if (ageHours >= maxHours) {
    // Only a node that joins uses them: on an installed cluster (a second run) their age stops nothing.
    const joined = await nodesJoined(context);
    if (joined.all) {
      return {
        changed: false,
        detail:
          `the ignition configs are ${ageHours.toFixed(1)} h old (limit ${maxHours} h), but every node the lab ` +
          `lists has joined the cluster (${joined.count}): they are not used any more`,
      };
    }
    throw ApplicationFailure.nonRetryable(
      `the ignition configs in ${folder} were created ${ageHours.toFixed(1)} h ago (at ${state.ignitionCreatedAt}); ` +
        `their certificates are valid for ${maxHours} h (install.ignitionMaxAgeHours), and ` +
        `${describeNotJoined(joined)}. Move ${folder} away, then ` +
        'rewind the run to the install-config step with `runbook resume <run> --from openshift-install.config`',
      StepErrorType.IgnitionExpired,
    );
  }
  return { changed: false, detail: `ignition configs are ${ageHours.toFixed(1)} h old (limit ${maxHours} h)` };
}

export const installActivities = {
  installCheckBinary,
  installWriteConfig,
  installCreateManifests,
  installMastersSchedulable,
  installCreateIgnition,
  installPublishIgnition,
  installIgnitionFresh,
};
