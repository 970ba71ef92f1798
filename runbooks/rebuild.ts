/**
 * `rebuild`: the nightly rebuild of a lab. Tears the cluster down (every node powered off and made to
 * install again at its next boot; the install folder emptied for a new cluster), then runs the stages
 * `install`, `infra-nodes`, `ceph-csi`, `registry-storage` and `egress-router`, in that order.
 *
 *   runbook start rebuild --lab lab.yaml --follow
 *   runbook rehearse rebuild --lab runbooks/labs/example.yaml     # from an installed simulated lab
 *
 * One composed definition, not child workflows: each stage's steps are the stage runbook's own, their
 * ids prefixed with the stage (`install.bootstrap.complete`, `ceph-csi.claim.test`). So the run has one
 * progress tree: `runbook status rebuild/<lab>` shows the stage and the step in one path, `runbook resume
 * rebuild/<lab>` (retry, skip, abort, `--lab`, `--from install.openshift-install.config`) reaches a paused
 * stage with nothing forwarded between workflows, and the history replays as one. A manual start of
 * `install` for the same lab while a rebuild runs is refused by the one-run-per-lab rule of `runbook
 * start`, not by a child's workflow id.
 *
 * The teardown is destructive: the lab must say `rebuild: { allowTeardown: true }`, which the first
 * step checks before anything is touched. By power type: libvirt wipes each node's boot volume through
 * its hypervisor host, IPMI and Redfish set PXE as the next boot device, manual power stops at a gate
 * per node that says to power it off and make it PXE boot.
 */
import type { Lab } from '../lab/schema.js';
import { defineRunbook, type RunbookDefinition } from '../workflows/engine/definition.js';
import type { Step, StepCondition } from '../workflows/engine/steps.js';
import { action, allOf, condition, forEach } from './steps.js';
import { cephCsiRunbook } from './ceph-csi.js';
import { egressRouterRunbook } from './egress-router.js';
import { infraNodesRunbook } from './infra-nodes.js';
import { installRunbook } from './install.js';
import { powerSteps } from './power-steps.js';
import { registryStorageRunbook } from './registry-storage.js';

/** Every node, the workers first and the control plane last. */
const TEARDOWN_ORDER = ['worker', 'infra', 'master', 'bootstrap'] as const;
const allNodes = (lab: Lab) =>
  TEARDOWN_ORDER.flatMap((role) => lab.nodes.filter((node) => node.role === role).map((node) => node.name));
const remoteNodes = (lab: Lab) =>
  allNodes(lab).filter((name) => lab.nodes.find((n) => n.name === name)?.power.type !== 'manual');

/** A stage: the runbook's steps under its name, each skipped when the lab has no part for the stage. */
function stage(definition: RunbookDefinition, applies?: StepCondition): Step[] {
  return definition.steps.map((step): Step => {
    const when = applies === undefined || step.when === undefined ? (applies ?? step.when) : allOf(applies, step.when);
    const renamed = step.kind !== 'gate' && step.kind !== 'for-each' && step.renamedFrom !== undefined;
    return {
      ...step,
      id: `${definition.name}.${step.id}`,
      ...(when && { when }),
      ...(renamed && { renamedFrom: `${definition.name}.${step.renamedFrom}` }),
    };
  });
}

export const rebuildRunbook = defineRunbook({
  name: 'rebuild',
  title: 'Rebuild the lab: tear it down, install it, apply day 2',
  description:
    'Tears the cluster down (every node off and made to reinstall, the install folder emptied; the lab must allow it ' +
    'with rebuild.allowTeardown), then the install, infra-nodes, ceph-csi, registry-storage and egress-router stages.',
  steps: [
    action('teardown.allowed', 'Check that the lab allows a teardown', 'rebuildTeardownAllowed', {
      description: 'Stops the run before anything is touched unless the lab says rebuild: { allowTeardown: true }.',
      retry: { maximumAttempts: 1 },
    }),
    ...powerSteps('teardown.power-off', 'Power off every node', {
      nodes: allNodes,
      to: 'off',
      params: { reinstall: true },
    }),
    forEach('teardown.reinstall', 'Make each node install again at its next boot', {
      description:
        'libvirt: the boot volume is wiped on the hypervisor host; IPMI and Redfish: PXE as next boot device.',
      items: remoteNodes,
      when: (lab) => remoteNodes(lab).length > 0,
      steps: [action('next-boot', 'Wipe its boot disk or make it PXE boot', 'powerReinstallOnNextBoot')],
    }),
    action('teardown.install-folder', 'Empty the install folder for a new cluster', 'rebuildClearInstallFolder', {
      on: 'lab',
    }),
    ...stage(installRunbook),
    ...stage(
      infraNodesRunbook,
      condition('the lab has no infra nodes', (lab) => lab.nodes.some((node) => node.role === 'infra')),
    ),
    ...stage(
      cephCsiRunbook,
      condition('the lab has no day2.ceph block', (lab) => lab.day2.ceph !== undefined),
    ),
    ...stage(
      registryStorageRunbook,
      condition('the lab has no day2.registry block', (lab) => lab.day2.registry !== undefined),
    ),
    ...stage(
      egressRouterRunbook,
      condition('the lab has no day2.egress block', (lab) => lab.day2.egress !== undefined),
    ),
  ],
});
