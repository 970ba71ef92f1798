/**
 * Step activities of the day-2 runbooks (infra-nodes, ceph-csi, registry-storage, egress-router).
 * Every action is a planned converge; `day2Plans` gives their read-only halves for `runbook plan`.
 */
import type { StepContext, StepOutcome } from '../../contract/step.js';
import { convergePlanned, type PlannedStep, type StepPlan } from '../support/plan.js';
import { cephDriverStep, cephProveStep, cephSccStep, cephWaitDriver } from './ceph.js';
import { egressCheckSelectorsStep, egressWaitNetNamespaces, egressWaitRouters } from './egress.js';
import {
  infraCheckNodesStep,
  infraPoolStep,
  infraCheckPreviousStep,
  infraRelabelStep,
  infraWaitNodeUpdated,
  infraWaitRendered,
  infraWaitRouters,
} from './infra.js';
import {
  registryCheckStorageClassStep,
  registryGuardEmptyDirStep,
  registryWaitClaimBound,
  registryWaitRollout,
} from './registry.js';

const planned = {
  infraCheckNodes: infraCheckNodesStep,
  infraApplyPool: infraPoolStep,
  infraCheckPrevious: infraCheckPreviousStep,
  infraRelabel: infraRelabelStep,
  cephGrantScc: cephSccStep,
  cephApplyDriver: cephDriverStep,
  cephProveStorageClass: cephProveStep,
  registryCheckStorageClass: registryCheckStorageClassStep,
  registryGuardEmptyDir: registryGuardEmptyDirStep,
  egressCheckSelectors: egressCheckSelectorsStep,
} satisfies Record<string, (context: StepContext) => PlannedStep<StepPlan>>;

const actions = Object.fromEntries(
  Object.entries(planned).map(([name, step]) => [name, (context: StepContext) => convergePlanned(step(context))]),
) as Record<keyof typeof planned, (context: StepContext) => Promise<StepOutcome>>;

export const day2Activities = {
  ...actions,
  infraWaitRendered,
  infraWaitNodeUpdated,
  infraWaitRouters,
  cephWaitDriver,
  registryWaitClaimBound,
  registryWaitRollout,
  egressWaitRouters,
  egressWaitNetNamespaces,
};

/** The day-2 activities that have a plan half (activities/plan-registry.ts). */
export type Day2PlannedName = keyof typeof planned;

export const day2Plans: Record<string, (context: StepContext) => Promise<StepPlan>> = Object.fromEntries(
  Object.entries(planned).map(([name, step]) => [name, (context: StepContext) => step(context).plan()]),
);
