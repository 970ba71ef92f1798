/**
 * The network operator's egress router for OVN-Kubernetes labs: each `EgressRouter`
 * (network.operator.openshift.io/v1, redirect mode) gets the Deployment `egress-router-cni-deployment`
 * in its namespace, one pod labelled `app: egress-router-cni` carrying the router's address (the
 * macvlan CNI and its redirect rules are the pod's business); the EgressRouter reports Available
 * once that pod runs, as the operator's status does.
 */
import type { KubeObject } from '../apiserver/store.js';
import type { Controller } from '../context.js';
import { setCondition, type Condition } from '../openshift-objects.js';
import { startLoop } from './loop.js';
import { W } from './pods.js';

export const EGRESS_ROUTERS = 'egressrouters.network.operator.openshift.io';
export const OVN_ROUTER_DEPLOYMENT = 'egress-router-cni-deployment';
const IMAGE = 'quay.io/openshift/origin-egress-router-cni:latest';

function deploymentFor(router: KubeObject): KubeObject {
  const labels = { app: 'egress-router-cni' };
  const addresses = ((router.spec as { addresses?: unknown[] } | undefined)?.addresses ?? []) as unknown[];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: OVN_ROUTER_DEPLOYMENT,
      namespace: router.metadata.namespace,
      labels,
      ownerReferences: [
        {
          apiVersion: 'network.operator.openshift.io/v1',
          kind: 'EgressRouter',
          name: router.metadata.name,
          uid: router.metadata.uid!,
        },
      ],
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: {
          labels,
          annotations: {
            'k8s.v1.cni.cncf.io/networks': 'egress-router-cni-nad',
            'egress-router/addresses': JSON.stringify(addresses),
          },
        },
        spec: { containers: [{ name: 'egress-router-pod', image: IMAGE }] },
      },
    },
  } as KubeObject;
}

export const startEgressRouterOvnController: Controller = (ctx) => {
  if (ctx.lab.cluster.networkType !== 'OVNKubernetes') return () => {};
  const { api } = ctx;
  const loop = startLoop(ctx, 'egress-router', {
    resources: [EGRESS_ROUTERS, W.deployments],
    faults: false,
    pass: async () => {
      for (const router of api.list(EGRESS_ROUTERS).items) {
        const namespace = router.metadata.namespace!;
        const deployment = api.get(W.deployments, namespace, OVN_ROUTER_DEPLOYMENT);
        if (!deployment) {
          await api.create(W.deployments, deploymentFor(router));
          continue;
        }
        const ready = ((deployment.status as { availableReplicas?: number } | undefined)?.availableReplicas ?? 0) > 0;
        const previous = ((router.status as { conditions?: Condition[] } | undefined)?.conditions ?? []) as Condition[];
        const conditions = setCondition(previous, {
          type: 'Available',
          status: ready ? 'True' : 'False',
          reason: ready ? 'EgressRouterReady' : 'EgressRouterPending',
          message: ready ? 'the egress router pod runs' : 'waiting for the egress router pod',
        });
        if (JSON.stringify(conditions) !== JSON.stringify(previous))
          await api.mutate(EGRESS_ROUTERS, namespace, router.metadata.name, (draft) => {
            draft.status = { ...((draft.status as object | undefined) ?? {}), conditions };
          });
      }
    },
  });
  return loop.stop;
};
