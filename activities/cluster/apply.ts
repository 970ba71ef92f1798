/**
 * Idempotent apply of rendered objects. Objects go through server-side apply with the field
 * manager `openshift-runbooks` (forced: the lab file is the source of truth for the fields it
 * renders, as `oc patch` was in the procedure); merge patches (which may delete a field with null)
 * go as merge patches. The plan reads each live object and lists the fields that differ, so a
 * second run finds nothing to do and sends nothing.
 */
import { PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import type { KubeObject, MergePatch } from '../../render/index.js';
import type { KubeClients } from '../../transport/kube.js';
import type { PlannedChange, PlannedStep, StepPlan } from '../support/plan.js';
import { fieldDiffs, formatFieldDiffs } from './fields.js';

export const FIELD_MANAGER = 'openshift-runbooks';

export interface ObjectChange extends PlannedChange {
  action: 'create' | 'update';
  how: 'apply' | 'merge-patch';
  body: KubernetesObject;
}

export interface ApplyPlan extends StepPlan {
  changes: ObjectChange[];
}

/** `Secret openshift-config/ldap-secret`. */
export function objectName(object: { kind: string; metadata: { name: string; namespace?: string } }): string {
  const { name, namespace } = object.metadata;
  return `${object.kind} ${namespace ? `${namespace}/` : ''}${name}`;
}

function patchObject(patch: MergePatch): KubeObject {
  const { apiVersion, kind, name, namespace } = patch.target;
  return { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) }, ...patch.patch };
}

/** HTTP status of a failed client-node call. */
function statusOf(error: unknown): number | undefined {
  return (error as { code?: number }).code;
}

async function readLive(kube: KubeClients, object: KubeObject): Promise<KubernetesObject | undefined> {
  try {
    return await kube.objects.read(object as KubernetesObject & { metadata: { name: string } });
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

/** The wanted fields a live object lacks; metadata counts only for labels and annotations. */
function differences(wanted: KubeObject, live: KubernetesObject): string {
  const { metadata, apiVersion: _apiVersion, kind: _kind, ...rest } = wanted;
  const compared = {
    ...rest,
    metadata: {
      ...(metadata.labels && { labels: metadata.labels }),
      ...(metadata.annotations && { annotations: metadata.annotations }),
    },
  };
  return formatFieldDiffs(fieldDiffs(compared, live), wanted.kind);
}

export async function planApply(
  kube: KubeClients,
  wanted: { objects: readonly KubeObject[]; patches?: readonly MergePatch[] },
): Promise<ApplyPlan> {
  const changes: ObjectChange[] = [];
  const items = [
    ...wanted.objects.map((object) => ({ object, how: 'apply' as const })),
    ...(wanted.patches ?? []).map((patch) => ({ object: patchObject(patch), how: 'merge-patch' as const })),
  ];
  for (const { object, how } of items) {
    const target = objectName(object);
    const live = await readLive(kube, object);
    if (!live) {
      if (how === 'merge-patch') {
        throw new Error(
          `${target} does not exist yet: it is the cluster's own object, wait for the operator that creates it`,
        );
      }
      changes.push({ target, action: 'create', how, body: object as KubernetesObject, diff: differences(object, {}) });
      continue;
    }
    const diff = differences(object, live);
    if (diff) changes.push({ target, action: 'update', how, body: object as KubernetesObject, diff });
  }
  const detail = `${items.length - changes.length} of ${items.length} objects as wanted`;
  return { changes, detail };
}

export async function applyPlanned(kube: KubeClients, plan: ApplyPlan): Promise<string> {
  for (const change of plan.changes) {
    if (change.how === 'apply') {
      await kube.objects.patch(change.body, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    } else {
      await kube.objects.patch(change.body, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch);
    }
  }
  return plan.changes
    .map((change) => `${change.action === 'create' ? 'created' : 'updated'} ${change.target}`)
    .join(', ');
}

export function applyStep(
  kube: KubeClients,
  wanted: { objects: readonly KubeObject[]; patches?: readonly MergePatch[] },
): PlannedStep<ApplyPlan> {
  return { plan: () => planApply(kube, wanted), apply: (plan) => applyPlanned(kube, plan) };
}
