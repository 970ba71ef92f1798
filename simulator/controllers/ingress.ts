/**
 * The ingress operator: each IngressController of openshift-ingress-operator drives the router
 * Deployment `router-<name>` in openshift-ingress (host network on bare metal, so one router per
 * node). `spec.replicas` and `spec.nodePlacement` (nodeSelector, tolerations) become the
 * Deployment's; a placement change rolls the routers onto the matching nodes (Pending when none
 * match) through the pod model. Status mirrors the Deployment: availableReplicas, selector,
 * domain and the operator conditions.
 */
import { clusterDomain } from '../../lab/schema.js';
import type { KubeObject } from '../apiserver/store.js';
import type { LabelSelectorObject } from '../apiserver/selectors.js';
import type { Controller, SimContext } from '../context.js';
import { R, conditionOf, setCondition, type Condition } from '../openshift-objects.js';
import { startLoop } from './loop.js';
import { ensureServiceAccountOf } from './service-accounts.js';
import type { Toleration } from './pod-spec.js';

export const INGRESS_OPERATOR_NAMESPACE = 'openshift-ingress-operator';
export const ROUTER_NAMESPACE = 'openshift-ingress';
export const DEPLOYMENT_LABEL = 'ingresscontroller.operator.openshift.io/deployment-ingresscontroller';
const ROUTER_IMAGE =
  'quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:7f2d3bd1a4e7e2a1d8b4f0e1b1f6b9d1c3f7e0a2b4c6d8e0f2a4b6c8d0e2f4a6';
/** Where routers go when the IngressController does not say (the ingress operator's default). */
const DEFAULT_NODE_SELECTOR = { 'kubernetes.io/os': 'linux', 'node-role.kubernetes.io/worker': '' };

interface IngressSpec {
  replicas?: number;
  domain?: string;
  nodePlacement?: { nodeSelector?: LabelSelectorObject; tolerations?: Toleration[] };
}

/** `metav1.LabelSelectorAsMap`: matchLabels plus single-value `In` expressions; anything else cannot be a nodeSelector. */
export function labelSelectorAsMap(selector: LabelSelectorObject): { map: Record<string, string> } | { error: string } {
  const map: Record<string, string> = { ...(selector.matchLabels ?? {}) };
  for (const expression of selector.matchExpressions ?? []) {
    if (expression.operator !== 'In' || expression.values?.length !== 1) {
      return {
        error: `failed to convert node selector: "${expression.operator}" is not a valid pod selector operator`,
      };
    }
    map[expression.key] = expression.values[0]!;
  }
  return { map };
}

export function routerDeployment(
  name: string,
  replicas: number,
  nodeSelector: Record<string, string>,
  tolerations: readonly Toleration[],
): KubeObject {
  const labels = { [DEPLOYMENT_LABEL]: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: `router-${name}`,
      namespace: ROUTER_NAMESPACE,
      labels: { ...labels, 'ingress.openshift.io/router': name },
    },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '50%' } },
      template: {
        metadata: { labels: { ...labels, 'ingresscontroller.operator.openshift.io/hash': name } },
        spec: {
          serviceAccountName: 'router',
          hostNetwork: true,
          dnsPolicy: 'ClusterFirstWithHostNet',
          priorityClassName: 'system-cluster-critical',
          nodeSelector,
          ...(tolerations.length ? { tolerations: [...tolerations] } : {}),
          containers: [
            {
              name: 'router',
              image: ROUTER_IMAGE,
              ports: [
                { name: 'http', containerPort: 80, hostPort: 80, protocol: 'TCP' },
                { name: 'https', containerPort: 443, hostPort: 443, protocol: 'TCP' },
                { name: 'metrics', containerPort: 1936, hostPort: 1936, protocol: 'TCP' },
              ],
            },
          ],
        },
      },
    },
  };
}

async function syncIngressController(ctx: SimContext, ic: KubeObject): Promise<void> {
  const { api } = ctx;
  const spec = (ic.spec ?? {}) as IngressSpec;
  const name = ic.metadata.name;
  const replicas = spec.replicas ?? 2;
  const selector = spec.nodePlacement?.nodeSelector;
  const converted = selector ? labelSelectorAsMap(selector) : { map: DEFAULT_NODE_SELECTOR };
  let deployment = api.get(R.deployments, ROUTER_NAMESPACE, `router-${name}`);
  if ('map' in converted) {
    const desired = routerDeployment(name, replicas, converted.map, spec.nodePlacement?.tolerations ?? []);
    if (!deployment) {
      await ensureServiceAccountOf(api, desired);
      deployment = await api.create(R.deployments, desired);
    } else if (
      JSON.stringify(deployment.spec) !==
      JSON.stringify({ ...(deployment.spec as object), ...(desired.spec as object) })
    ) {
      deployment = await api.mutate(R.deployments, ROUTER_NAMESPACE, `router-${name}`, (draft) => {
        draft.spec = { ...(draft.spec as object), ...(desired.spec as object) };
      });
    }
  }
  const status = ingressStatus(ctx, ic, replicas, deployment, 'error' in converted ? converted.error : undefined);
  if (JSON.stringify(status) !== JSON.stringify(ic.status ?? {})) {
    await api.mutate(
      R.ingresscontrollers,
      ic.metadata.namespace,
      name,
      (draft) => {
        draft.status = status;
      },
      { subresource: 'status' },
    );
  }
}

function ingressStatus(
  ctx: SimContext,
  ic: KubeObject,
  replicas: number,
  deployment: KubeObject | undefined,
  placementError: string | undefined,
): Record<string, unknown> {
  const previous = (ic.status ?? {}) as { conditions?: Condition[] };
  const status = (deployment?.status ?? {}) as {
    availableReplicas?: number;
    updatedReplicas?: number;
    replicas?: number;
  };
  const available = status.availableReplicas ?? 0;
  const updated = status.updatedReplicas ?? 0;
  const deploymentAvailable = deployment !== undefined && conditionOf(deployment, 'Available')?.status === 'True';
  const rollingOut = deployment !== undefined && (updated < replicas || (status.replicas ?? 0) > replicas);
  let conditions = previous.conditions ?? [];
  const set = (type: string, value: boolean, reason: string, message: string) => {
    conditions = setCondition(conditions, { type, status: value ? 'True' : 'False', reason, message });
  };
  set('Admitted', placementError === undefined, placementError ? 'Invalid' : 'Valid', placementError ?? '');
  set(
    'DeploymentAvailable',
    deploymentAvailable,
    deploymentAvailable ? 'DeploymentAvailable' : 'DeploymentUnavailable',
    deploymentAvailable
      ? 'The deployment has Available status condition set to True'
      : 'The deployment has Available status condition set to False (reason: MinimumReplicasUnavailable) ' +
          'with message: Deployment does not have minimum availability.',
  );
  set(
    'DeploymentReplicasAllAvailable',
    available >= replicas,
    available >= replicas ? 'DeploymentReplicasAvailable' : 'DeploymentReplicasNotAvailable',
    available >= replicas ? 'All replicas are available' : `${available}/${replicas} of replicas are available`,
  );
  set(
    'DeploymentRollingOut',
    rollingOut,
    rollingOut ? 'DeploymentRollingOut' : 'DeploymentNotRollingOut',
    rollingOut
      ? `Waiting for router deployment rollout to finish: ${updated} out of ${replicas} new replica(s) have been updated...`
      : '',
  );
  set(
    'Available',
    deploymentAvailable,
    deploymentAvailable ? 'IngressControllerAvailable' : 'IngressControllerUnavailable',
    deploymentAvailable ? '' : 'One or more status conditions indicate unavailable: DeploymentAvailable=False',
  );
  set(
    'Progressing',
    rollingOut,
    rollingOut ? 'IngressControllerProgressing' : 'AsExpected',
    rollingOut
      ? `One or more status conditions indicate progressing: DeploymentRollingOut=True ` +
          `(DeploymentRollingOut: Waiting for router deployment rollout to finish: ${updated} out of ` +
          `${replicas} new replica(s) have been updated...)`
      : '',
  );
  const degraded = placementError !== undefined || (deployment !== undefined && available === 0 && replicas > 0);
  set(
    'Degraded',
    degraded,
    degraded ? 'IngressControllerDegraded' : 'AsExpected',
    placementError ??
      (degraded ? 'One or more other status conditions indicate a degraded state: DeploymentAvailable=False' : ''),
  );
  return {
    availableReplicas: available,
    selector: `${DEPLOYMENT_LABEL}=${ic.metadata.name}`,
    domain: ((ic.spec ?? {}) as IngressSpec).domain ?? `apps.${clusterDomain(ctx.lab)}`,
    endpointPublishingStrategy: { type: 'HostNetwork' },
    observedGeneration: ic.metadata.generation,
    conditions,
  };
}

/** A deleted IngressController: its routers go, then the operator's finalizer. */
async function removeIngressController(ctx: SimContext, ic: KubeObject): Promise<void> {
  const name = `router-${ic.metadata.name}`;
  if (ctx.api.get(R.deployments, ROUTER_NAMESPACE, name)) await ctx.api.delete(R.deployments, ROUTER_NAMESPACE, name);
  await ctx.api.mutate(R.ingresscontrollers, ic.metadata.namespace, ic.metadata.name, (draft) => {
    draft.metadata.finalizers = (draft.metadata.finalizers ?? []).filter(
      (finalizer) => !finalizer.startsWith('ingresscontroller.operator.openshift.io/'),
    );
  });
}

/** Starts the ingress operator (router Deployments and IngressController status). */
export const startIngressController: Controller = (ctx) => {
  const loop = startLoop(ctx, 'ingress', {
    resources: [R.ingresscontrollers, R.deployments],
    faults: false,
    pass: async () => {
      for (const ic of ctx.api.list(R.ingresscontrollers, { namespace: INGRESS_OPERATOR_NAMESPACE }).items) {
        if (ic.metadata.deletionTimestamp) await removeIngressController(ctx, ic);
        else await syncIngressController(ctx, ic);
      }
    },
  });
  return loop.stop;
};
