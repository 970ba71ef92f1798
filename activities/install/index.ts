/**
 * Activities of the install runbook's `openshift-install` part, in the procedure's order: check the
 * binary, write install-config.yaml, `create manifests`, set mastersSchedulable, `create
 * ignition-configs`, then the ignition files (./ignition.ts) and the RHCOS boot files
 * (./boot-assets.ts). Each is declared once (../engine/declare.ts) and converges on the install
 * folder's state (./folder.ts); its plan reads the folder and never runs `openshift-install`. A step
 * whose input a step before it has still to make (no manifests yet for `mastersSchedulable`) throws in
 * a plan, which shows it as unknown.
 */
import { access, chmod, constants, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { cancellationSignal } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { resolveSecret } from '../../lab/secrets.js';
import { patchSchedulerManifest, renderInstallConfig, schedulerManifestPath } from '../../render/install-config.js';
import { fillText } from '../../render/secret-slots.js';
import type { StepContext } from '../../contract/step.js';
import { StepErrorType } from '../../contract/error-types.js';
import { defineAction, noParams } from '../engine/declare.js';
import type { PlannedChange } from '../support/plan.js';
import { unifiedDiff } from '../support/unified-diff.js';
import { installBootAssets } from './boot-assets.js';
import { InstallPhase, configDigest, folderStateFor, installFolder, reached, writeFolderState } from './folder.js';
import { IGNITION_FILES, installIgnitionFresh, installPublishIgnition } from './ignition.js';
import { installerBinary, releaseOf, runInstaller } from './installer.js';

export { IGNITION_FILES } from './ignition.js';

/** What `create ignition-configs` leaves in the folder: the ignition files and the credentials. */
const IGNITION_OUTPUT = [...IGNITION_FILES, 'auth/kubeconfig', 'auth/kubeadmin-password', 'metadata.json'];

const FOLDER = [StepErrorType.InstallFolderUnknown, StepErrorType.InstallFolderStale];
const INSTALLER = [StepErrorType.InstallerMissing, StepErrorType.InstallerFailed, StepErrorType.RehearsalToolMissing];

/** The install folder, the install-config rendered for it and the digest the folder's state must carry. */
function folderAndConfig(context: StepContext) {
  const [config] = renderInstallConfig(context.lab);
  if (!config) throw new Error('render/install-config rendered no install-config.yaml');
  return { folder: installFolder(context), config, digest: configDigest(config.content, context.lab) };
}

async function exists(path: string, mode = constants.F_OK): Promise<boolean> {
  return access(path, mode).then(
    () => true,
    () => false,
  );
}

/** Whether `binary` (a path, or a name looked up on PATH) is an executable file here. */
async function executable(binary: string): Promise<boolean> {
  const candidates = binary.includes('/')
    ? [binary]
    : (process.env.PATH ?? '').split(delimiter).map((folder) => join(folder, binary));
  for (const candidate of candidates) if (await exists(candidate, constants.X_OK)) return true;
  return false;
}

/** A run of `openshift-install` as a plan lists it: what it would write. */
function installerRun(folder: string, args: string, writes: readonly string[]): PlannedChange {
  return {
    target: `${folder}: ${writes.join(', ')}`,
    action: 'run',
    diff: `openshift-install ${args} --dir ${folder}`,
  };
}

/** `openshift-install <args> --dir <folder>`, cancelled with the activity. */
async function runInFolder(context: StepContext, folder: string, args: string[]): Promise<void> {
  const binary = await installerBinary(context);
  await runInstaller(binary, [...args, '--dir', folder], { folder, signal: cancellationSignal() });
}

const installCheckBinary = defineAction({
  name: 'installCheckBinary',
  summary: 'the openshift-install binary installs the lab’s cluster.version',
  params: noParams,
  errors: [...INSTALLER, StepErrorType.InstallerVersionMismatch],
  /** The binary installs the lab's release (`cluster.version`). Read-only. */
  async apply(context) {
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
  },
  /** The binary is there; its release (`openshift-install version`) is checked by the run only. */
  async plan(context) {
    const binary = await installerBinary(context);
    if (!(await executable(binary))) {
      throw new Error(
        `${binary} is not an executable here: set install.openshiftInstall to the ` +
          `${context.lab.cluster.version} installer`,
      );
    }
    return {
      changes: [],
      detail: `${binary} is there (its release is checked by the run: a plan runs no openshift-install)`,
    };
  },
});

/** install-config.yaml in the install folder, secrets filled only on disk (mode 0600). */
const installWriteConfig = defineAction({
  name: 'installWriteConfig',
  summary: 'install-config.yaml in the install folder, secrets filled on disk only (mode 0600)',
  params: noParams,
  errors: FOLDER,
  planned: (context) => {
    const { folder, config, digest } = folderAndConfig(context);
    const path = join(folder, 'install-config.yaml');
    return {
      async plan() {
        const state = await folderStateFor(folder, digest);
        if (state) return { changes: [], detail: `${folder} was made from this install-config (${state.phase})` };
        const entries = (await exists(folder)) ? await readdir(folder) : [];
        if (entries.length > 0) {
          throw ApplicationFailure.nonRetryable(
            `${folder} is not empty and was not made by this runbook (${entries.slice(0, 4).join(', ')}…): ` +
              'set install.dir to an empty or new folder, then resume',
            StepErrorType.InstallFolderUnknown,
          );
        }
        // The secrets show as their references: a plan never resolves them.
        const masked = (config.secrets ?? []).reduce(
          (text, slot) => text.replaceAll(slot.placeholder, `(secret ${slot.ref})`),
          config.content,
        );
        return {
          changes: [{ target: path, action: 'create', diff: unifiedDiff(path, undefined, masked) }],
          detail: `no install-config in ${folder}`,
        };
      },
      async apply() {
        await mkdir(folder, { recursive: true, mode: 0o700 });
        const values = new Map<string, string>();
        for (const slot of config.secrets ?? []) values.set(slot.ref, await resolveSecret(slot.ref));
        await writeFile(path, fillText(config.content, config.secrets ?? [], values), { mode: 0o600 });
        await chmod(path, 0o600);
        await writeFolderState(folder, { configDigest: digest, phase: InstallPhase.CONFIG });
        return `wrote ${path}`;
      },
    };
  },
});

/** `openshift-install create manifests` (it consumes install-config.yaml). */
const installCreateManifests = defineAction({
  name: 'installCreateManifests',
  summary: '`openshift-install create manifests`',
  params: noParams,
  errors: [...FOLDER, ...INSTALLER, StepErrorType.InstallerOutputMissing],
  planned: (context) => {
    const { folder, digest } = folderAndConfig(context);
    return {
      plan: async () =>
        reached(await folderStateFor(folder, digest), InstallPhase.MANIFESTS)
          ? { changes: [], detail: `manifests created in ${folder}` }
          : {
              changes: [installerRun(folder, 'create manifests', ['manifests/', 'openshift/'])],
              detail: `no manifests in ${folder}`,
            },
      async apply() {
        await runInFolder(context, folder, ['create', 'manifests']);
        if (!(await exists(join(folder, schedulerManifestPath)))) {
          throw ApplicationFailure.nonRetryable(
            `openshift-install create manifests wrote no ${schedulerManifestPath} in ${folder}: ` +
              "check the binary's release",
            StepErrorType.InstallerOutputMissing,
          );
        }
        await writeFolderState(folder, { configDigest: digest, phase: InstallPhase.MANIFESTS });
        return `created the manifests in ${folder}`;
      },
    };
  },
});

/** `mastersSchedulable` in the scheduler manifest, as the lab says (the procedure's `sed`). */
const installMastersSchedulable = defineAction({
  name: 'installMastersSchedulable',
  summary: '`mastersSchedulable` in the scheduler manifest, as the lab says',
  params: noParams,
  errors: FOLDER,
  planned: (context) => {
    const { folder, digest } = folderAndConfig(context);
    const path = join(folder, schedulerManifestPath);
    const wanted = context.lab.cluster.mastersSchedulable;
    return {
      async plan() {
        const state = await folderStateFor(folder, digest);
        if (reached(state, InstallPhase.IGNITION)) return { changes: [], detail: 'already in the ignition configs' };
        if (!reached(state, InstallPhase.MANIFESTS)) throw new Error(`no ${path} yet: openshift-install writes it`);
        const current = /mastersSchedulable:\s*(true|false)/.exec(await readFile(path, 'utf8'))?.[1];
        const detail = `mastersSchedulable: ${current ?? 'not set'} in ${path}`;
        if (current === String(wanted)) return { changes: [], detail };
        const diff = `spec.mastersSchedulable: ${current} → ${wanted}`;
        return { changes: [{ target: path, action: 'update', diff }], detail };
      },
      async apply() {
        await writeFile(path, patchSchedulerManifest(await readFile(path, 'utf8'), wanted));
        return `set mastersSchedulable: ${wanted} in ${path}`;
      },
    };
  },
});

/** `openshift-install create ignition-configs`: bootstrap, master and worker ignition, auth/. */
const installCreateIgnition = defineAction({
  name: 'installCreateIgnition',
  summary: '`openshift-install create ignition-configs`',
  params: noParams,
  errors: [...FOLDER, ...INSTALLER, StepErrorType.InstallerOutputMissing],
  planned: (context) => {
    const { folder, digest } = folderAndConfig(context);
    return {
      async plan() {
        const state = await folderStateFor(folder, digest);
        const present = await Promise.all(IGNITION_FILES.map((file) => exists(join(folder, file))));
        if (reached(state, InstallPhase.IGNITION) && present.every(Boolean)) {
          const detail = `ignition configs created ${state?.ignitionCreatedAt ?? ''} in ${folder}`.trim();
          return { changes: [], detail };
        }
        return {
          changes: [installerRun(folder, 'create ignition-configs', IGNITION_OUTPUT)],
          detail: `no ignition configs in ${folder}`,
        };
      },
      async apply() {
        await runInFolder(context, folder, ['create', 'ignition-configs']);
        await writeFolderState(folder, {
          configDigest: digest,
          phase: InstallPhase.IGNITION,
          ignitionCreatedAt: new Date().toISOString(),
        });
        return `created ${IGNITION_FILES.join(', ')} in ${folder}`;
      },
    };
  },
});

/** The install activities in the procedure's order. */
export const installDeclarations = [
  installCheckBinary,
  installWriteConfig,
  installCreateManifests,
  installMastersSchedulable,
  installCreateIgnition,
  installPublishIgnition,
  installIgnitionFresh,
  installBootAssets,
] as const;

/** Their apply halves by name, for tests that wrap one (the ignition check, a day later). */
export const installActivities = Object.fromEntries(
  installDeclarations.map((declaration) => [declaration.name, declaration.run]),
) as { [D in (typeof installDeclarations)[number] as D['name']]: D['run'] };
