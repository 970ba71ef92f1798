/**
 * The image registry on a claim: the StorageClass it needs is checked first, the claim is awaited
 * Bound before the registry's config names it, and the rollout is awaited onto that claim with the
 * operator Available and not Degraded. Going back to emptyDir (images lost at each restart) is a
 * separate, explicit choice: `--option allowEmptyDir=true`.
 */
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { Lab, Registry } from '../../lab/schema.js';
import { registryPvc } from '../../render/index.js';
import type { StepContext, StepOutcome } from '../../contract/step.js';
import { conditionOf, describeCondition, hasCondition } from '../cluster/conditions.js';
import { readObject, watchedPoll } from '../cluster/watch-wait.js';
import { kubeFor } from '../support/kube-access.js';
import type { PlannedStep, StepPlan } from '../support/plan.js';
import { checkStep, refuse, watchDegraded, type DegradedProgress } from './support.js';
import { StepErrorType } from '../../contract/error-types.js';

const NAMESPACE = 'openshift-image-registry';
const CONFIG = { apiVersion: 'imageregistry.operator.openshift.io/v1', kind: 'Config', name: 'cluster' };

function registryOf(lab: Lab): Registry {
  return (
    lab.day2.registry ??
    refuse(
      'the lab has no day2.registry block: add one (storage: pvc, pvc: {...}) to set the registry storage',
      StepErrorType.LabSectionMissing,
    )
  );
}

function claimOf(lab: Lab): { name: string; storageClass?: string } {
  const claim = registryPvc(lab, registryOf(lab)) as unknown as {
    metadata: { name: string };
    spec: { storageClassName?: string };
  };
  return {
    name: claim.metadata.name,
    ...(claim.spec.storageClassName ? { storageClass: claim.spec.storageClassName } : {}),
  };
}

/** The StorageClass the claim names exists (ceph-csi done, or the lab's own class). */
export function registryCheckStorageClassStep(context: StepContext): PlannedStep<StepPlan> {
  return checkStep(async () => {
    const { storageClass } = claimOf(context.lab);
    if (storageClass === undefined) return 'the claim uses the cluster default StorageClass';
    const kube = await kubeFor(context);
    const found = await readObject(kube, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', name: storageClass });
    if (!found)
      refuse(
        `the StorageClass ${storageClass} (day2.registry.pvc.storageClass, else ` +
          `day2.ceph.storageClass) does not exist, so the registry's claim would stay Pending: run ` +
          `the ceph-csi runbook first, or name an existing class in day2.registry.pvc.storageClass`,
        StepErrorType.StorageClassMissing,
      );
    return `StorageClass ${storageClass} exists (provisioner ${(found as { provisioner?: string }).provisioner ?? '?'})`;
  });
}

/** Runs only when the lab asks for emptyDir without `allowEmptyDir`: refuses to leave a claim the registry uses. */
export function registryGuardEmptyDirStep(context: StepContext): PlannedStep<StepPlan> {
  return checkStep(async () => {
    const live = (await readObject(await kubeFor(context), CONFIG)) as
      { spec?: { storage?: { pvc?: { claim?: string } } } } | undefined;
    const claim = live?.spec?.storage?.pvc?.claim;
    if (claim !== undefined)
      refuse(
        `the registry keeps its images on the claim ${claim || '(operator default)'}, and ` +
          `day2.registry.storage is emptyDir, which loses them at every restart; ` +
          'to switch anyway run with --option allowEmptyDir=true, or set day2.registry.storage: pvc',
        StepErrorType.EmptyDirRefused,
      );
    return 'the registry is not on a claim';
  });
}

function phaseOf(claim: V1PersistentVolumeClaim | undefined): string {
  return claim?.status?.phase ?? 'not created';
}

/** The claim Bound; the deadline is the lab's day2.registry.bindDeadline (set by the declaration, ./index.ts). */
export async function registryWaitClaimBound(context: StepContext): Promise<StepOutcome> {
  const kube = await kubeFor(context);
  const { name } = claimOf(context.lab);
  return watchedPoll(
    context,
    kube,
    {
      what: `PersistentVolumeClaim ${NAMESPACE}/${name} to be Bound (day2.registry.bindDeadline)`,
      watches: [
        {
          path: `/api/v1/namespaces/${NAMESPACE}/persistentvolumeclaims`,
          query: { fieldSelector: `metadata.name=${name}` },
        },
      ],
    },
    async () => {
      const claim = (await readObject(kube, {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        name,
        namespace: NAMESPACE,
      })) as V1PersistentVolumeClaim | undefined;
      const phase = phaseOf(claim);
      return {
        done: phase === 'Bound',
        detail: `claim ${name}: ${phase}${claim?.spec?.volumeName ? ` (volume ${claim.spec.volumeName})` : ''}`,
      };
    },
  );
}

interface RegistryDeployment {
  metadata?: { generation?: number };
  spec?: {
    replicas?: number;
    template?: {
      spec?: { volumes?: Array<{ name: string; persistentVolumeClaim?: { claimName?: string }; emptyDir?: object }> };
    };
  };
  status?: { observedGeneration?: number; replicas?: number; updatedReplicas?: number; availableReplicas?: number };
}

/** The registry Deployment rolled out onto the wanted storage, and the operator Available, not Degraded. */
export async function registryWaitRollout(context: StepContext): Promise<StepOutcome> {
  const kube = await kubeFor(context);
  const registry = registryOf(context.lab);
  const claim = registry.storage === 'pvc' ? claimOf(context.lab).name : undefined;
  const storage = claim ? `claim ${claim}` : 'emptyDir';
  return watchedPoll<DegradedProgress>(
    context,
    kube,
    {
      what: `the image registry to run on ${storage}, image-registry Available and not Degraded`,
      watches: [
        {
          path: `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`,
          query: { fieldSelector: 'metadata.name=image-registry' },
        },
        {
          path: '/apis/config.openshift.io/v1/clusteroperators',
          query: { fieldSelector: 'metadata.name=image-registry' },
        },
      ],
    },
    async ({ elapsedMs, progress }) => {
      const deployment = (await readObject(kube, {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'image-registry',
        namespace: NAMESPACE,
      })) as RegistryDeployment | undefined;
      const operator = await readObject(kube, {
        apiVersion: 'config.openshift.io/v1',
        kind: 'ClusterOperator',
        name: 'image-registry',
      });
      const volumes = deployment?.spec?.template?.spec?.volumes ?? [];
      const onStorage = claim
        ? volumes.some((volume) => volume.persistentVolumeClaim?.claimName === claim)
        : volumes.some((volume) => volume.emptyDir !== undefined);
      const status = deployment?.status ?? {};
      const wanted = deployment?.spec?.replicas ?? 1;
      const rolledOut =
        (status.observedGeneration ?? 0) >= (deployment?.metadata?.generation ?? 1) &&
        status.updatedReplicas === wanted &&
        status.availableReplicas === wanted &&
        status.replicas === wanted;
      const healthy = hasCondition(operator, 'Available') && conditionOf(operator, 'Degraded')?.status === 'False';
      const done = Boolean(deployment) && onStorage && rolledOut && healthy;
      return {
        done,
        ...(!done && { progress: watchDegraded('image-registry', operator, elapsedMs, progress) }),
        detail: `${
          deployment
            ? `registry ${onStorage ? 'on' : 'not yet on'} ${storage}, ` +
              `${status.updatedReplicas ?? 0}/${wanted} updated, ${status.availableReplicas ?? 0} ` +
              `available`
            : 'no registry Deployment yet'
        }; image-registry ${describeCondition(operator, 'Available')}, ${describeCondition(operator, 'Degraded')}`,
      };
    },
  );
}
