/**
 * The plan halves of the install-folder steps (`openshift-install.*`) and of the boot-file fetch: what
 * a run would write, read from the install folder and the hosts without running `openshift-install`,
 * writing a file or downloading anything. A step whose input a step before it has still to make (no
 * manifests yet for `mastersSchedulable`) throws, and the plan shows it as unknown.
 */
import { createHash } from 'node:crypto';
import { access, constants, readFile, readdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { hostsWith } from '../../lab/schema.js';
import { renderInstallConfig, schedulerManifestPath } from '../../render/install-config.js';
import type { StepContext } from '../../contract/step.js';
import { withSsh } from '../support/lab-access.js';
import { readOnlyCheck, type PlanHalf, type PlannedChange, type StepPlan } from '../support/plan.js';
import { unifiedDiff } from '../support/unified-diff.js';
import { planBootAssets } from './boot-assets.js';
import { InstallPhase, configDigest, folderStateFor, installFolder, reached } from './folder.js';
import { IGNITION_FILES, installActivities } from './index.js';
import { installerBinary } from './installer.js';

/** What `create ignition-configs` leaves in the folder (./index.ts IGNITION_FILES and the credentials). */
const IGNITION_OUTPUT = [...IGNITION_FILES, 'auth/kubeconfig', 'auth/kubeadmin-password', 'metadata.json'];

function folderAndDigest(context: StepContext) {
  const [config] = renderInstallConfig(context.lab);
  if (!config) throw new Error('render/install-config rendered no install-config.yaml');
  return { folder: installFolder(context), config, digest: configDigest(config.content, context.lab) };
}

/** A run of `openshift-install` that the plan does not make: what it would write. */
function installerRun(folder: string, args: string, writes: readonly string[]): PlannedChange {
  return {
    target: `${folder}: ${writes.join(', ')}`,
    action: 'run',
    diff: `openshift-install ${args} --dir ${folder}`,
  };
}

/** Whether `binary` (a path, or a name looked up on PATH) is an executable file here. */
async function executable(binary: string): Promise<boolean> {
  const candidates = binary.includes('/')
    ? [binary]
    : (process.env.PATH ?? '').split(delimiter).map((folder) => join(folder, binary));
  for (const candidate of candidates) {
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return true;
  }
  return false;
}

async function entriesOf(folder: string): Promise<string[]> {
  return readdir(folder).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
}

const sha256 = (content: Buffer | string) => createHash('sha256').update(content).digest('hex');

export const installPlans = {
  /** The binary is there; its release (`openshift-install version`) is checked by the run only. */
  async installCheckBinary(context: StepContext): Promise<StepPlan> {
    const binary = await installerBinary(context);
    if (!(await executable(binary))) {
      throw new Error(
        `${binary} is not an executable here: set install.openshiftInstall to the ${context.lab.cluster.version} installer`,
      );
    }
    return {
      changes: [],
      detail: `${binary} is there (its release is checked by the run: a plan runs no openshift-install)`,
    };
  },

  async installWriteConfig(context: StepContext): Promise<StepPlan> {
    const { folder, config, digest } = folderAndDigest(context);
    const state = await folderStateFor(folder, digest);
    if (state) return { changes: [], detail: `${folder} was made from this install-config (${state.phase})` };
    const entries = await entriesOf(folder);
    if (entries.length > 0) {
      throw new Error(
        `${folder} is not empty and was not made by this runbook (${entries.slice(0, 4).join(', ')}…): the run would stop here`,
      );
    }
    // The secrets show as their references: the plan never resolves them.
    const masked = (config.secrets ?? []).reduce(
      (text, slot) => text.replaceAll(slot.placeholder, `(secret ${slot.ref})`),
      config.content,
    );
    const path = join(folder, 'install-config.yaml');
    return {
      changes: [{ target: path, action: 'create', diff: unifiedDiff(path, undefined, masked) }],
      detail: `no install-config in ${folder}`,
    };
  },

  async installCreateManifests(context: StepContext): Promise<StepPlan> {
    const { folder, digest } = folderAndDigest(context);
    if (reached(await folderStateFor(folder, digest), InstallPhase.MANIFESTS)) {
      return { changes: [], detail: `manifests created in ${folder}` };
    }
    return {
      changes: [installerRun(folder, 'create manifests', ['manifests/', 'openshift/'])],
      detail: `no manifests in ${folder}`,
    };
  },

  async installMastersSchedulable(context: StepContext): Promise<StepPlan> {
    const { folder, digest } = folderAndDigest(context);
    const state = await folderStateFor(folder, digest);
    if (reached(state, InstallPhase.IGNITION)) return { changes: [], detail: 'already in the ignition configs' };
    const path = join(folder, schedulerManifestPath);
    if (!reached(state, InstallPhase.MANIFESTS)) throw new Error(`no ${path} yet: openshift-install writes it`);
    const current = /mastersSchedulable:\s*(true|false)/.exec(await readFile(path, 'utf8'))?.[1];
    const wanted = String(context.lab.cluster.mastersSchedulable);
    const detail = `mastersSchedulable: ${current ?? 'not set'} in ${path}`;
    return current === wanted
      ? { changes: [], detail }
      : {
          changes: [{ target: path, action: 'update', diff: `spec.mastersSchedulable: ${current} → ${wanted}` }],
          detail,
        };
  },

  async installCreateIgnition(context: StepContext): Promise<StepPlan> {
    const { folder, digest } = folderAndDigest(context);
    const state = await folderStateFor(folder, digest);
    const present = await Promise.all(
      IGNITION_FILES.map((file) =>
        access(join(folder, file)).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (reached(state, InstallPhase.IGNITION) && present.every(Boolean)) {
      return { changes: [], detail: `ignition configs created ${state?.ignitionCreatedAt ?? ''} in ${folder}`.trim() };
    }
    return {
      changes: [installerRun(folder, 'create ignition-configs', IGNITION_OUTPUT)],
      detail: `no ignition configs in ${folder}`,
    };
  },

  /** Each ignition file on each PXE/HTTP host, compared by sha256 (their content holds credentials). */
  async installPublishIgnition(context: StepContext): Promise<StepPlan> {
    const folder = installFolder(context);
    const files = await Promise.all(
      IGNITION_FILES.map(async (name) => {
        const content = await readFile(join(folder, name)).catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') throw new Error(`no ${join(folder, name)} yet: openshift-install writes it`);
          throw error;
        });
        return { name, sum: sha256(content) };
      }),
    );
    const changes: PlannedChange[] = [];
    const hosts = hostsWith(context.lab, 'pxe');
    for (const host of hosts) {
      await withSsh(context, host.name, async (session) => {
        for (const file of files) {
          const path = `${host.pxe.httpRoot}/${file.name}`;
          const remote = await session.readFileIfExists(path);
          if (remote !== undefined && sha256(remote) === file.sum) continue;
          changes.push({
            target: `${host.name}:${path}`,
            action: remote === undefined ? 'create' : 'update',
            diff: `${file.name} of ${folder} (sha256 ${file.sum.slice(0, 12)}…; not shown: it holds credentials)`,
          });
        }
      });
    }
    return {
      changes,
      detail:
        `${IGNITION_FILES.length * hosts.length - changes.length} of ` +
        `${IGNITION_FILES.length * hosts.length} ignition files current on ` +
        `${hosts.map((host) => host.name).join(', ')}`,
    };
  },

  installIgnitionFresh: readOnlyCheck(installActivities.installIgnitionFresh),

  /** The RHCOS files the host lacks or holds with another sum (one `sha256sum` on it); nothing downloaded. */
  async installBootAssets(context: StepContext): Promise<StepPlan> {
    const { host, files, fetch } = await planBootAssets(context);
    return {
      changes: fetch.map((file) => ({
        target: `${host}:${file.target}`,
        action: file.found.missing ? ('create' as const) : ('update' as const),
        diff: `download ${file.source}, sha256 ${file.sha256} (from ${file.sumFrom})${
          file.found.missing ? '' : `; it has sha256 ${file.found.sha256}`
        }`,
      })),
      detail: `${host} has ${files.length - fetch.length} of ${files.length} RHCOS files, sha256 verified`,
    };
  },
} satisfies Record<string, PlanHalf>;
