/**
 * Step activities on the cluster: apply rendered objects (server-side apply, idempotent), wait on
 * conditions (watch + bounded poll), approve the nodes' CSRs with identity checks. Each declared
 * once (../engine/declare.ts), with its parameters.
 */
import { z } from 'zod';
import { StepErrorType } from '../../contract/error-types.js';
import { nodeRoles } from '../../lab/schema.js';
import type { StepContext, StepOutcome } from '../../contract/step.js';
import { defineAction, defineWait, KUBECONFIG_PARAM, kubeParams, type ParamsSchema } from '../engine/declare.js';
import { kubeFor } from '../support/kube-access.js';
import { convergePlanned } from '../support/plan.js';
import { applyStep, planApply } from './apply.js';
import { clusterApproveCsrs } from './csr-approval.js';
import { OBJECT_SET_NAMES, objectSetFor } from './objects.js';
import {
  clusterWaitBootstrapComplete,
  clusterWaitCondition,
  clusterWaitNodesReady,
  clusterWaitOperatorsSettled,
  clusterWaitVersionAvailable,
} from './waits.js';

/** `nodes` or `roles`: the inventory nodes a wait is about (default: all but the bootstrap node). */
const whichNodes = z
  .object({ nodes: z.array(z.string()).optional(), roles: z.array(z.enum(nodeRoles)).optional(), ...KUBECONFIG_PARAM })
  .strict()
  .optional();

const clusterApply = defineAction({
  name: 'clusterApply',
  summary: 'server-side apply of a rendered object set (`objects`) and merge patches of the cluster’s own objects',
  params: z.object({ objects: z.enum(OBJECT_SET_NAMES), ...KUBECONFIG_PARAM }).strict(),
  errors: [StepErrorType.UnknownObjectSet, StepErrorType.LabSectionMissing],
  apply: async (context, { objects }) =>
    convergePlanned(applyStep(await kubeFor(context), await objectSetFor(context.lab, objects))),
  plan: async (context, { objects }) => planApply(await kubeFor(context), await objectSetFor(context.lab, objects)),
});

/** A cluster wait, bounded by the step's deadline (some by a lab deadline too, see ./waits.ts). */
const clusterWait = <const Name extends string, Params extends ParamsSchema>(
  name: Name,
  summary: string,
  params: Params,
  errors: readonly StepErrorType[],
  probe: (context: StepContext) => Promise<StepOutcome>,
  noPlan?: string,
) =>
  defineWait({
    name,
    summary,
    params,
    errors,
    deadline: 'step',
    probe: (context) => probe(context),
    ...(noPlan !== undefined && { noPlan }),
  });

const conditionParams = z
  .object({
    apiVersion: z.string(),
    kind: z.string(),
    name: z.string(),
    namespace: z.string().optional(),
    condition: z.object({ type: z.string(), status: z.string().optional() }).optional(),
    path: z.string().optional(),
    equals: z.json().optional(),
    ...KUBECONFIG_PARAM,
  })
  .strict();

export const clusterDeclarations = [
  clusterApply,
  clusterWait(
    'clusterWaitCondition',
    'one object until a condition or a value at a path holds',
    conditionParams,
    [StepErrorType.InvalidStepParams],
    clusterWaitCondition,
  ),
  // Bounded by the lab's install.deadlines (bootstrapApi + bootstrapComplete) too.
  clusterWait(
    'clusterWaitBootstrapComplete',
    'the API answers, then ConfigMap kube-system/bootstrap says complete',
    kubeParams,
    [],
    clusterWaitBootstrapComplete,
  ),
  clusterWait(
    'clusterWaitNodesReady',
    'every such node Ready',
    whichNodes,
    [StepErrorType.InvalidStepParams],
    clusterWaitNodesReady,
  ),
  // This one and the next are bounded by the lab's install.deadlines.installComplete too.
  clusterWait(
    'clusterWaitOperatorsSettled',
    'every ClusterOperator Available, not Degraded, not Progressing, but those `except`',
    z
      .object({ except: z.array(z.string()).optional() })
      .strict()
      .optional(),
    [StepErrorType.OperatorDegraded],
    clusterWaitOperatorsSettled,
  ),
  clusterWait(
    'clusterWaitVersionAvailable',
    'ClusterVersion `version` Available, not Failing, not Progressing',
    kubeParams,
    [],
    clusterWaitVersionAvailable,
  ),
  clusterWait(
    'clusterApproveCsrs',
    'approves the pending CSRs whose identity checks out until those nodes are Ready',
    whichNodes,
    [StepErrorType.InvalidStepParams],
    clusterApproveCsrs,
    'it approves the CSRs the nodes file while it waits; which ones is known only then',
  ),
] as const;
