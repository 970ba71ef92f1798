/**
 * Idempotent apply of rendered objects. Objects go through server-side apply with the field
 * manager `openshift-runbooks` (forced: the lab file is the source of truth for the fields it
 * renders, as `oc patch` was in the procedure), where the release has it (lab/release.ts
 * `apiFeatures`: from 4.3); on older releases a missing object is created and a differing one
 * merge-patched with the fields the lab renders. Merge patches (which may delete a field with
 * null) go as merge patches; under a patch's `replace` paths, what only the live object holds is
 * deleted too. The plan reads each live object and lists the fields that differ, so a second run
 * finds nothing to do and sends nothing.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { PatchStrategy } from '../../transport/kube.js';
import type { KubeObject, MergePatch } from '../../render/index.js';
import type { KubeClients } from '../../transport/kube.js';
import type { PlannedChange, PlannedStep, StepPlan } from '../support/plan.js';
import { fieldDiffs, formatFieldDiffs } from './fields.js';

export const FIELD_MANAGER = 'openshift-runbooks';

/** What an apply step wants in the cluster; `secretValues` are masked wherever a diff shows them. */
export interface WantedObjects {
  objects: readonly KubeObject[];
  patches?: readonly MergePatch[];
  secretValues?: readonly string[];
  /** false on releases without server-side apply (OpenShift 4.2): create, then merge patch. */
  serverSideApply?: boolean;
}

export interface ObjectChange extends PlannedChange {
  action: 'create' | 'update';
  /** Index of the object in `items(wanted)`: the plan carries no object body (it may hold a secret). */
  item: number;
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
  // A patch of labels or annotations (a Node's) brings metadata of its own: the target names it.
  const { metadata, ...rest } = patch.patch as { metadata?: Record<string, unknown> };
  return { apiVersion, kind, metadata: { ...metadata, name, ...(namespace ? { namespace } : {}) }, ...rest };
}

interface Item {
  object: KubeObject;
  how: 'apply' | 'merge-patch';
  /** The merge patch it came from, when its body depends on the live object (`replace`). */
  patch?: MergePatch;
}

/** The objects in order: server-side applies, then merge patches. */
function items(wanted: WantedObjects): Item[] {
  return [
    ...wanted.objects.map((object) => ({ object, how: 'apply' as const })),
    ...(wanted.patches ?? []).map((patch) => ({
      object: patchObject(patch),
      how: 'merge-patch' as const,
      ...(patch.replace?.length && { patch }),
    })),
  ];
}

const isMap = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Sets null in `wanted` for each key of `live` it lacks, map by map. */
function removeOthers(wanted: Record<string, unknown>, live: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(live)) {
    const inner = wanted[key];
    if (!(key in wanted)) wanted[key] = null;
    else if (isMap(inner) && isMap(value)) removeOthers(inner, value);
  }
}

/** The object a merge patch sends to `live`: under each `replace` path, what only the live one holds removed. */
function patchFor(item: Item, live: KubernetesObject | undefined): KubeObject {
  if (!item.patch || !live) return item.object;
  const body = structuredClone(item.patch.patch);
  for (const path of item.patch.replace ?? []) {
    const keys = path.split('.');
    const at = (root: unknown) => keys.reduce<unknown>((value, key) => (isMap(value) ? value[key] : undefined), root);
    const wanted = at(body);
    const current = at(live);
    if (isMap(wanted) && isMap(current)) removeOthers(wanted, current);
  }
  return patchObject({ ...item.patch, patch: body });
}

async function readLive(kube: KubeClients, object: KubeObject): Promise<KubernetesObject | undefined> {
  try {
    return await kube.objects.read(object as KubernetesObject & { metadata: { name: string } });
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  }
}

/** The wanted fields a live object lacks or holds otherwise, one `path: old → new` per line. */
function differences(wanted: KubeObject, live: KubernetesObject, secretValues: readonly string[]): string {
  const { metadata, apiVersion: _apiVersion, kind: _kind, ...rest } = wanted;
  // Labels and annotations only: name and namespace are how the object was found.
  const { labels, annotations } = metadata;
  const compared = { ...rest, ...((labels || annotations) && { metadata: { labels, annotations } }) };
  return formatFieldDiffs(fieldDiffs(compared, live), wanted.kind, secretValues);
}

export async function planApply(kube: KubeClients, wanted: WantedObjects): Promise<ApplyPlan> {
  const changes: ObjectChange[] = [];
  const all = items(wanted);
  const secrets = wanted.secretValues ?? [];
  for (const [item, entry] of all.entries()) {
    const { how } = entry;
    const target = objectName(entry.object);
    const live = await readLive(kube, entry.object);
    const object = patchFor(entry, live);
    if (!live) {
      if (how === 'merge-patch') {
        throw new Error(
          `${target} does not exist yet: it is the cluster's own object, wait for the operator that creates it`,
        );
      }
      changes.push({ target, action: 'create', item, diff: differences(object, {}, secrets) });
      continue;
    }
    const diff = differences(object, live, secrets);
    if (diff) changes.push({ target, action: 'update', item, diff });
  }
  return { changes, detail: `${all.length - changes.length} of ${all.length} objects as wanted` };
}

export async function applyPlanned(kube: KubeClients, wanted: WantedObjects, plan: ApplyPlan): Promise<string> {
  const all = items(wanted);
  for (const change of plan.changes) {
    const entry = all[change.item]!;
    const { how } = entry;
    // A patch that replaces a field is made against the object as it is now, as its plan was.
    const body = (entry.patch ? patchFor(entry, await readLive(kube, entry.object)) : entry.object) as KubernetesObject;
    if (how === 'apply' && wanted.serverSideApply === false && change.action === 'create') {
      await kube.objects.create(body, undefined, undefined, FIELD_MANAGER);
    } else if (how === 'apply' && wanted.serverSideApply !== false) {
      await kube.objects.patch(body, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    } else {
      await kube.objects.patch(body, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch);
    }
  }
  return plan.changes
    .map((change) => `${change.action === 'create' ? 'created' : 'updated'} ${change.target}`)
    .join(', ');
}

export function applyStep(kube: KubeClients, wanted: WantedObjects): PlannedStep<ApplyPlan> {
  return { plan: () => planApply(kube, wanted), apply: (plan) => applyPlanned(kube, wanted, plan) };
}
