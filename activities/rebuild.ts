/**
 * Activities of the `rebuild` runbook's teardown (the power side is in ./power): the lab's consent,
 * checked before anything is touched, and the install folder emptied for a new cluster.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { StepContext, StepOutcome } from '../contract/step.js';
import { actionWithoutParams } from './engine/declare.js';
import { installFolder } from './install/folder.js';
import { readOnlyCheck } from './support/plan.js';
import { StepErrorType } from '../contract/error-types.js';

/**
 * What `openshift-install` and the install runbook leave in the install folder. A new cluster needs
 * them gone: the installer keeps its state (and the cluster's root CA) in `.openshift_install_state.json`
 * and would make the new cluster's ignition with the old identity. Anything else in the folder stays.
 */
export const INSTALL_OUTPUTS = [
  '.openshift-runbooks.json',
  '.openshift_install_state.json',
  '.openshift_install.log',
  'install-config.yaml',
  'manifests',
  'openshift',
  'bootstrap.ign',
  'master.ign',
  'worker.ign',
  'metadata.json',
  'auth',
] as const;

export const rebuildActivities = {
  /** Stops the run (not retried) unless the lab opted in: a teardown destroys the cluster. */
  async rebuildTeardownAllowed(context: StepContext): Promise<StepOutcome> {
    const lab = context.lab;
    if (lab.rebuild?.allowTeardown !== true) {
      throw ApplicationFailure.nonRetryable(
        `lab ${lab.name} does not allow a teardown: the rebuild powers off every node and wipes it, destroying the cluster. ` +
          'Nothing has been touched. To allow it, set `rebuild: { allowTeardown: true }` in the lab file (field rebuild.allowTeardown), ' +
          'then resume with `runbook resume <run> --lab <file>`; or end the run with `runbook resume <run> --abort`',
        StepErrorType.TeardownNotAllowed,
      );
    }
    return { changed: false, detail: `lab ${lab.name} allows a teardown (rebuild.allowTeardown: true)` };
  },

  /** Removes the previous install's outputs from the install folder, so the install makes a new cluster. */
  async rebuildClearInstallFolder(context: StepContext): Promise<StepOutcome> {
    const folder = installFolder(context);
    let present: string[];
    try {
      present = await readdir(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return { changed: false, detail: `${folder} does not exist: nothing of an earlier install to remove` };
      }
      throw error;
    }
    const outputs = present.filter((name) => (INSTALL_OUTPUTS as readonly string[]).includes(name));
    if (outputs.length === 0) return { changed: false, detail: `${folder} holds nothing of an earlier install` };
    for (const name of outputs) await rm(join(folder, name), { recursive: true, force: true });
    return { changed: true, detail: `removed ${outputs.join(', ')} from ${folder}` };
  },
};

export const rebuildDeclarations = [
  actionWithoutParams(
    'rebuildTeardownAllowed',
    'stops the run before anything is touched unless the lab says rebuild: { allowTeardown: true }',
    [StepErrorType.TeardownNotAllowed],
    rebuildActivities.rebuildTeardownAllowed,
    readOnlyCheck(rebuildActivities.rebuildTeardownAllowed),
  ),
  actionWithoutParams(
    'rebuildClearInstallFolder',
    'empties the install folder for a new cluster',
    [],
    rebuildActivities.rebuildClearInstallFolder,
    { none: 'what it removes is what the install stage writes again; the plan of that stage shows it' },
  ),
] as const;
