/**
 * The image registry operator: `configs.imageregistry.operator.openshift.io/cluster` drives the
 * `image-registry` Deployment of openshift-image-registry.
 * - `storage.emptyDir` → the registry runs on an emptyDir volume;
 * - `storage.pvc.claim` → the Deployment mounts that claim. An empty claim, or the default name
 *   `image-registry-storage` when no such PVC exists, makes the operator create the PVC itself
 *   (ReadWriteMany, 100Gi, default StorageClass), as the real one does; any other missing claim
 *   leaves the Deployment alone and the config Degraded, naming the claim. The new pod waits for
 *   its claim to be Bound (Pending, with the scheduler's reason), the old pod keeps serving, and the
 *   config stays Progressing with the reason: a claim that does not name the PVC the runbook
 *   created (the procedure's `image-registry` vs `image-registry-storage`) is visible there.
 * - no storage → no Deployment, Degraded; `managementState: Removed` → no Deployment.
 */
import type { KubeObject } from '../apiserver/store.js';
import type { Controller, SimContext } from '../context.js';
import { R, conditionOf, setCondition, type Condition } from '../openshift-objects.js';
import { startLoop } from './loop.js';
import { ensureServiceAccountOf } from './service-accounts.js';
import { W } from './pods.js';
import type { PodSpec, Volume } from './pod-spec.js';

export const REGISTRY_NAMESPACE = 'openshift-image-registry';
export const REGISTRY_DEPLOYMENT = 'image-registry';
export const DEFAULT_CLAIM = 'image-registry-storage';
const REGISTRY_IMAGE =
  'quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c';
const FINALIZER = 'imageregistry.operator.openshift.io/finalizer';

interface RegistrySpec {
  managementState?: string;
  replicas?: number;
  storage?: { emptyDir?: object; pvc?: { claim?: string }; [key: string]: unknown };
  nodeSelector?: Record<string, string>;
  tolerations?: PodSpec['tolerations'];
  rolloutStrategy?: string;
}

type StoragePlan =
  | { kind: 'none' }
  | { kind: 'unsupported'; backend: string }
  | { kind: 'emptyDir'; volume: Volume }
  | { kind: 'pvc'; claim: string; volume: Volume; missing: boolean; managed: boolean };

function storagePlan(ctx: SimContext, spec: RegistrySpec): StoragePlan {
  const storage = spec.storage ?? {};
  if (storage.pvc) {
    const claim = storage.pvc.claim || DEFAULT_CLAIM;
    const exists = ctx.api.get(W.pvcs, REGISTRY_NAMESPACE, claim) !== undefined;
    return {
      kind: 'pvc',
      claim,
      volume: { name: 'registry-storage', persistentVolumeClaim: { claimName: claim } },
      missing: !exists,
      managed: claim === DEFAULT_CLAIM,
    };
  }
  if (storage.emptyDir) return { kind: 'emptyDir', volume: { name: 'registry-storage', emptyDir: {} } };
  const backend = Object.keys(storage).find((key) => key !== 'managementState');
  return backend ? { kind: 'unsupported', backend } : { kind: 'none' };
}

/** The PVC the operator creates when the claim is left to it. */
function managedClaim(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: DEFAULT_CLAIM,
      namespace: REGISTRY_NAMESPACE,
      annotations: { 'imageregistry.openshift.io': 'true' },
    },
    spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '100Gi' } }, volumeMode: 'Filesystem' },
  };
}

export function registryDeployment(spec: RegistrySpec, volume: Volume): KubeObject {
  const labels = { 'docker-registry': 'default' };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: REGISTRY_DEPLOYMENT, namespace: REGISTRY_NAMESPACE, labels },
    spec: {
      replicas: spec.replicas ?? 1,
      selector: { matchLabels: labels },
      strategy:
        spec.rolloutStrategy === 'Recreate'
          ? { type: 'Recreate' }
          : { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: 'registry',
          priorityClassName: 'system-cluster-critical',
          nodeSelector: spec.nodeSelector ?? { 'kubernetes.io/os': 'linux' },
          ...(spec.tolerations?.length ? { tolerations: spec.tolerations } : {}),
          containers: [
            {
              name: 'registry',
              image: REGISTRY_IMAGE,
              ports: [{ containerPort: 5000, protocol: 'TCP' }],
              volumeMounts: [{ name: 'registry-storage', mountPath: '/registry' }],
            },
          ],
          volumes: [volume],
        },
      },
    },
  };
}

/** Why the registry Deployment has not rolled: its newest pending pod and the scheduler's reason. */
function pendingReason(ctx: SimContext): string | undefined {
  const pending = ctx.api
    .list(R.pods, { namespace: REGISTRY_NAMESPACE })
    .items.filter(
      (pod) =>
        pod.metadata.name.startsWith(`${REGISTRY_DEPLOYMENT}-`) &&
        (pod.status as { phase?: string } | undefined)?.phase !== 'Running',
    );
  for (const pod of pending) {
    const scheduled = conditionOf(pod, 'PodScheduled');
    if (scheduled?.status === 'False' && scheduled.message)
      return `pod ${pod.metadata.name} is Pending: ${scheduled.message}`;
  }
  return pending[0] ? `pod ${pending[0].metadata.name} is Pending` : undefined;
}

async function sync(ctx: SimContext, config: KubeObject): Promise<void> {
  const { api } = ctx;
  const spec = (config.spec ?? {}) as RegistrySpec;
  const previous = (config.status ?? {}) as Record<string, unknown> & { conditions?: Condition[] };
  let conditions = previous.conditions ?? [];
  const set = (type: string, value: boolean, reason: string, message: string) => {
    conditions = setCondition(conditions, { type, status: value ? 'True' : 'False', reason, message });
  };
  const existing = api.get(R.deployments, REGISTRY_NAMESPACE, REGISTRY_DEPLOYMENT);
  let storageStatus: unknown = previous.storage;
  let storageManaged = previous.storageManaged ?? false;

  if (spec.managementState === 'Removed') {
    if (existing) await api.delete(R.deployments, REGISTRY_NAMESPACE, REGISTRY_DEPLOYMENT);
    set('Removed', true, 'Removed', 'The registry is removed');
    set('Available', true, 'Removed', 'The registry is removed');
    set('Progressing', false, 'Removed', 'All registry resources are removed');
    set('Degraded', false, 'Removed', 'The registry is removed');
  } else {
    set('Removed', false, '', '');
    let plan = storagePlan(ctx, spec);
    if (plan.kind === 'pvc' && plan.missing && plan.managed) {
      await api.create(W.pvcs, managedClaim());
      ctx.log.info(`image-registry: created PersistentVolumeClaim ${REGISTRY_NAMESPACE}/${DEFAULT_CLAIM}`);
      plan = storagePlan(ctx, spec);
    }
    if (plan.kind === 'none' || plan.kind === 'unsupported' || (plan.kind === 'pvc' && plan.missing)) {
      const message =
        plan.kind === 'none'
          ? 'storage backend not configured'
          : plan.kind === 'unsupported'
            ? `storage backend ${plan.backend} is not available in this lab`
            : `Unable to apply resources: unable to sync storage configuration: persistentvolumeclaims ` +
              `"${(plan as { claim: string }).claim}" not found`;
      set('StorageExists', false, plan.kind === 'pvc' ? 'PVCNotFound' : 'StorageNotConfigured', message);
      const serving =
        existing !== undefined &&
        Number((existing.status as { availableReplicas?: number } | undefined)?.availableReplicas ?? 0) > 0;
      set(
        'Available',
        serving,
        serving ? 'Ready' : 'DeploymentNotFound',
        serving ? 'The registry is ready' : `The deployment does not exist: ${message}`,
      );
      set('Progressing', true, 'Error', message);
      set('Degraded', true, 'Error', message);
    } else {
      const desired = registryDeployment(spec, plan.volume);
      if (!existing) {
        await ensureServiceAccountOf(api, desired);
        await api.create(R.deployments, desired);
      } else if (
        JSON.stringify(existing.spec) !== JSON.stringify({ ...(existing.spec as object), ...(desired.spec as object) })
      ) {
        await api.mutate(R.deployments, REGISTRY_NAMESPACE, REGISTRY_DEPLOYMENT, (draft) => {
          draft.spec = { ...(draft.spec as object), ...(desired.spec as object) };
        });
      }
      if (plan.kind === 'pvc') {
        storageManaged =
          plan.managed &&
          api.get(W.pvcs, REGISTRY_NAMESPACE, plan.claim)?.metadata.annotations?.['imageregistry.openshift.io'] ===
            'true';
        set('StorageExists', true, 'PVCExists', `PVC ${plan.claim} exists`);
      } else {
        storageManaged = false;
        set('StorageExists', true, 'Creation Successful', 'EmptyDir storage successfully created');
      }
      storageStatus = spec.storage;
      const deployment = api.get(R.deployments, REGISTRY_NAMESPACE, REGISTRY_DEPLOYMENT)!;
      const status = (deployment.status ?? {}) as {
        availableReplicas?: number;
        updatedReplicas?: number;
        replicas?: number;
      };
      const replicas = spec.replicas ?? 1;
      const rolled =
        (status.updatedReplicas ?? 0) >= replicas &&
        (status.availableReplicas ?? 0) >= replicas &&
        (status.replicas ?? 0) === replicas;
      const available = (status.availableReplicas ?? 0) > 0;
      set(
        'Available',
        available,
        available ? 'Ready' : 'NoReplicasAvailable',
        available ? 'The registry is ready' : 'The deployment does not have available replicas',
      );
      const why = rolled ? undefined : pendingReason(ctx);
      set(
        'Progressing',
        !rolled,
        rolled ? 'Ready' : 'DeploymentNotCompleted',
        rolled ? 'The registry is ready' : `The deployment has not completed${why ? `: ${why}` : ''}`,
      );
      set('Degraded', false, 'AsExpected', '');
    }
  }
  const deployment = api.get(R.deployments, REGISTRY_NAMESPACE, REGISTRY_DEPLOYMENT);
  const next = {
    ...previous,
    // openshift/api requires it: the operator always writes it, {} while no storage is configured.
    storage: storageStatus ?? {},
    storageManaged,
    readyReplicas: Number((deployment?.status as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0),
    observedGeneration: config.metadata.generation,
    conditions,
  };
  if (JSON.stringify(next) !== JSON.stringify(previous)) {
    await api.mutate(
      R.registryConfigs,
      undefined,
      config.metadata.name,
      (draft) => {
        draft.status = next;
      },
      { subresource: 'status' },
    );
  }
}

/** Starts the image registry operator. */
export const startRegistryController: Controller = (ctx) => {
  const loop = startLoop(ctx, 'image-registry', {
    resources: [R.registryConfigs, R.deployments, W.pvcs, R.pods],
    faults: false,
    pass: async () => {
      const config = ctx.api.get(R.registryConfigs, undefined, 'cluster');
      if (!config) return;
      if (config.metadata.deletionTimestamp) {
        if (ctx.api.get(R.deployments, REGISTRY_NAMESPACE, REGISTRY_DEPLOYMENT))
          await ctx.api.delete(R.deployments, REGISTRY_NAMESPACE, REGISTRY_DEPLOYMENT);
        await ctx.api.mutate(R.registryConfigs, undefined, 'cluster', (draft) => {
          draft.metadata.finalizers = (draft.metadata.finalizers ?? []).filter((finalizer) => finalizer !== FINALIZER);
        });
        return;
      }
      await sync(ctx, config);
    },
  });
  return loop.stop;
};
