/**
 * Step activities on the cluster: apply rendered objects (server-side apply, idempotent), wait on
 * conditions (watch + bounded poll), approve the nodes' CSRs with identity checks. Each declared
 * once (../engine/declare.ts), with its parameters.
 */
import { z } from 'zod';
import { StepErrorType } from '../../contract/error-types.js';
import { nodeRoles } from '../../lab/schema.js';
import type { StepContext, StepOutcome } from '../../contract/step.js';
import {
  defineAction,
  defineWait,
  KUBECONFIG_PARAM,
  kubeParams,
  type ParamsSchema,
  type WaitDiagnosis,
} from '../engine/declare.js';
import { bootstrapDiagnosis } from '../install/diagnosis.js';
import { csrDiagnosis, operatorDiagnosis } from './diagnosis.js';
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
  more: { noPlan?: string; staysPaused?: string; diagnose?: WaitDiagnosis<z.output<Params>> } = {},
) =>
  defineWait({
    name,
    summary,
    params,
    errors,
    deadline: 'step',
    probe: (context) => probe(context),
    ...more,
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
    {
      diagnose: {
        what:
          'each load balancer’s 6443 and 22623, HAProxy’s backend servers, api/api-int/node names on each DNS ' +
          'host, ignition age, the masters’ CSRs, `openshift-install gather bootstrap`',
        probes: (context) => bootstrapDiagnosis(context),
      },
    },
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
    {
      staysPaused:
        'an operator that has not settled by its deadline is Degraded or stuck and needs a fix; ' +
        'resume the run once it is fixed',
      diagnose: {
        what: 'each unsettled operator’s conditions',
        probes: (context, params) => operatorDiagnosis(context, params?.except),
      },
    },
  ),
  clusterWait(
    'clusterWaitVersionAvailable',
    'ClusterVersion `version` Available, not Failing, not Progressing',
    kubeParams,
    [],
    clusterWaitVersionAvailable,
    { diagnose: { what: 'each unsettled operator’s conditions', probes: (context) => operatorDiagnosis(context) } },
  ),
  clusterWait(
    'clusterApproveCsrs',
    'approves the pending CSRs whose identity checks out until those nodes are Ready',
    whichNodes,
    [StepErrorType.InvalidStepParams],
    clusterApproveCsrs,
    {
      noPlan: 'it approves the CSRs the nodes file while it waits; which ones is known only then',
      diagnose: {
        what: 'the nodes that filed no CSR, the CSRs refused or denied and why',
        probes: (context) => csrDiagnosis(context),
      },
    },
  ),
] as const;
