/**
 * The ignition configs after `create ignition-configs`: published on every PXE/HTTP host under
 * `pxe.httpRoot` (what the PXE configs point at), and refused once their certificates have expired,
 * before a node boots with them. Each declared with its apply half and its plan half.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { hostsWith } from '../../lab/schema.js';
import type { StepContext, StepOutcome } from '../../contract/step.js';
import { StepErrorType } from '../../contract/error-types.js';
import { defineAction, noParams } from '../engine/declare.js';
import { withSsh } from '../support/lab-access.js';
import { readOnlyCheck, type PlannedChange } from '../support/plan.js';
import { installFolder, readFolderState } from './folder.js';
import { describeNotJoined, nodesJoined } from './nodes-joined.js';

export const IGNITION_FILES = ['bootstrap.ign', 'master.ign', 'worker.ign'] as const;

const sha256 = (content: Buffer | string) => createHash('sha256').update(content).digest('hex');

/** The ignition files of the install folder; one missing means `create ignition-configs` has not run. */
async function ignitionFiles(folder: string) {
  return Promise.all(
    IGNITION_FILES.map(async (name) => {
      const content = await readFile(join(folder, name)).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') throw new Error(`no ${join(folder, name)} yet: openshift-install writes it`);
        throw error;
      });
      return { name, content };
    }),
  );
}

const pxeHostNames = (context: StepContext) =>
  hostsWith(context.lab, 'pxe')
    .map((host) => host.name)
    .join(', ');

export const installPublishIgnition = defineAction({
  name: 'installPublishIgnition',
  summary: 'the ignition configs on every HTTP host',
  params: noParams,
  errors: [StepErrorType.IgnitionMissing],
  async apply(context) {
    const files = await ignitionFiles(installFolder(context));
    const written: string[] = [];
    for (const host of hostsWith(context.lab, 'pxe')) {
      await withSsh(context, host.name, async (session) => {
        await session.mkdirp(host.pxe.httpRoot);
        for (const file of files) {
          // World-readable: the HTTP server serves them to booting nodes, as the procedure does.
          const path = `${host.pxe.httpRoot}/${file.name}`;
          const { changed } = await session.writeFileIfChanged(path, file.content, 0o644);
          if (changed) written.push(`${host.name}:${path}`);
        }
      });
    }
    return written.length > 0
      ? { changed: true, detail: `published ${written.join(', ')}` }
      : { changed: false, detail: `the ignition files on ${pxeHostNames(context)} are current` };
  },
  /** Each file on each host, compared by sha256 (their content holds credentials, so no diff). */
  async plan(context) {
    const folder = installFolder(context);
    const files = (await ignitionFiles(folder)).map(({ name, content }) => ({ name, sum: sha256(content) }));
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
    const total = IGNITION_FILES.length * hosts.length;
    return {
      changes,
      detail: `${total - changes.length} of ${total} ignition files current on ${pxeHostNames(context)}`,
    };
  },
});

/**
 * Before a node boots: its ignition's certificates must still be valid (24 hours from creation, less
 * the lab's margin). Expired ones cannot be renewed in place; the operator recreates them. Once every
 * node has joined, they are not used any more and their age is no reason to stop.
 */
async function ignitionFresh(context: StepContext): Promise<StepOutcome> {
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

export const installIgnitionFresh = defineAction({
  name: 'installIgnitionFresh',
  summary: 'refuses ignition configs older than their certificates allow, before nodes boot',
  params: noParams,
  errors: [StepErrorType.IgnitionMissing, StepErrorType.IgnitionExpired],
  apply: ignitionFresh,
  plan: readOnlyCheck(ignitionFresh),
});
