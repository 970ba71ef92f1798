/**
 * `registry-storage`: the image registry on a claim, as the procedure sets it. The StorageClass is
 * checked first; the claim is awaited Bound before the registry's config names it; then the
 * registry's rollout onto it, the operator Available and not Degraded. A lab that asks for emptyDir
 * while the registry is on a claim is refused unless `--option allowEmptyDir=true`.
 *
 *   runbook start registry-storage --lab lab.yaml --follow
 */
import { defineRunbook } from '../workflows/engine/definition.js';
import { action, optionOn, wait } from './steps.js';
import type { Lab } from '../lab/schema.js';

const onClaim = (lab: Lab) => lab.day2.registry?.storage === 'pvc';

export const registryStorageRunbook = defineRunbook({
  name: 'registry-storage',
  title: 'Image registry storage on a claim',
  description:
    'Checks the StorageClass, creates the claim and waits until it is Bound, points the ' +
    'registry at it and waits for the rollout and the operator. Going back to emptyDir needs ' +
    '--option allowEmptyDir=true.',
  // Every step reads or changes the cluster through the install folder's kubeconfig: the lab's worker.
  defaults: { on: 'lab' },
  steps: [
    action('storage-class.check', 'Check the StorageClass exists', 'registryCheckStorageClass', {
      when: onClaim,
    }),
    action('emptydir.guard', 'Refuse to leave a claim for emptyDir unless asked', 'registryGuardEmptyDir', {
      when: (lab, input) => !onClaim(lab) && !optionOn(input, 'allowEmptyDir'),
    }),
    action('claim', 'Create the claim', 'clusterApply', {
      params: { objects: 'registry-claim' },
      when: onClaim,
    }),
    wait('claim.bound', 'Wait for the claim to be Bound', 'registryWaitClaimBound', {
      deadline: 'lab',
      pollInterval: '5s',
      when: onClaim,
    }),
    action('config', 'Point the registry at its storage', 'clusterApply', {
      params: { objects: 'registry-config' },
    }),
    wait('rollout', 'Wait for the registry on its storage, the operator Available', 'registryWaitRollout', {
      deadline: '15m',
      pollInterval: '5s',
    }),
  ],
});
