/**
 * Step activities on the cluster: apply rendered objects (server-side apply, idempotent), wait on
 * conditions (watch + bounded poll), approve the nodes' CSRs with identity checks. `clusterPlans`
 * gives the read-only half of the apply step.
 */
import type { StepContext, StepOutcome } from '../../contract/step.js';
import { kubeFor } from '../support/kube-access.js';
import { convergePlanned, type StepPlan } from '../support/plan.js';
import { applyStep, planApply } from './apply.js';
import { clusterApproveCsrs } from './csr-approval.js';
import { objectSetFor } from './objects.js';
import {
  clusterWaitBootstrapComplete,
  clusterWaitCondition,
  clusterWaitNodesReady,
  clusterWaitOperatorsSettled,
  clusterWaitVersionAvailable,
} from './waits.js';

/** Applies the object set `params.objects` (see ./objects.ts). */
async function clusterApply(context: StepContext): Promise<StepOutcome> {
  const set = await objectSetFor(context.lab, context.params?.objects);
  return convergePlanned(applyStep(kubeFor(context), set));
}

export const clusterActivities = {
  clusterApply,
  clusterWaitCondition,
  clusterWaitBootstrapComplete,
  clusterWaitNodesReady,
  clusterWaitOperatorsSettled,
  clusterWaitVersionAvailable,
  clusterApproveCsrs,
};

export const clusterPlans = {
  clusterApply: async (context) =>
    planApply(kubeFor(context), await objectSetFor(context.lab, context.params?.objects)),
} satisfies Partial<Record<keyof typeof clusterActivities, (context: StepContext) => Promise<StepPlan>>>;
