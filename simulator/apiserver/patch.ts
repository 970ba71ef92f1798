/**
 * The PATCH flavours kube-apiserver accepts: JSON patch (RFC 6902), JSON merge patch (RFC 7396),
 * strategic merge patch for built-in types (lists merged by their patchMergeKey, `$patch`
 * directives), and server-side apply approximated as "create, or merge the applied configuration"
 * with managedFields bookkeeping. Custom resources refuse strategic merge with 415, as real.
 */
import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { ApiError, unsupportedMediaType } from './errors.js';
import { valueAt } from './object-path.js';
import type { ResourceType } from './resources.js';

export const PatchType = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;
export type PatchType = (typeof PatchType)[keyof typeof PatchType];

type Json = unknown;
type JsonObject = Record<string, Json>;

const isObject = (value: Json): value is JsonObject =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** The patch type of a request's Content-Type; 415 for anything the type does not accept. */
export function patchTypeOf(contentType: string | undefined, type: ResourceType): PatchType {
  const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const accepted: PatchType[] = type.custom
    ? [PatchType.json, PatchType.merge, PatchType.apply]
    : [PatchType.json, PatchType.merge, PatchType.strategic, PatchType.apply];
  const found = accepted.find((candidate) => candidate === media);
  if (!found) throw unsupportedMediaType(accepted);
  return found;
}

/** 422 for a patch that cannot be applied, in the words the API server uses. */
function patchFailed(why: string): ApiError {
  return new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${why}`);
}

export function applyJsonPatch(target: JsonObject, ops: Json): JsonObject {
  if (!Array.isArray(ops))
    throw new ApiError(400, 'BadRequest', 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  try {
    return fastJsonPatch.applyPatch(structuredClone(target), ops as Operation[], true, false).newDocument as JsonObject;
  } catch (error) {
    const err = error as { name?: string; message?: string };
    if (err.name === 'TEST_OPERATION_FAILED') throw patchFailed('testing value failed');
    throw patchFailed((err.message ?? String(error)).split('\n')[0]!);
  }
}

/** RFC 7396: objects merge, `null` deletes, everything else (arrays included) replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/**
 * patchMergeKey of the built-in list fields runbooks and controllers touch, by field name (with a
 * resource-specific override where the same name has another key, e.g. Service ports).
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  ports: 'containerPort',
  conditions: 'type',
  addresses: 'type',
  imagePullSecrets: 'name',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
};
/** Lists of scalars merged as sets (patchStrategy merge without key). */
const MERGED_SCALAR_LISTS = new Set(['finalizers']);

function mergeKeyFor(field: string, resource: ResourceType): string | undefined {
  if (field === 'ports' && resource.plural === 'services') return 'port';
  return MERGE_KEYS[field];
}

/** Strategic merge patch of built-in objects (k8s.io/apimachinery strategicpatch, the parts in use). */
export function strategicMergePatch(target: Json, patch: Json, resource: ResourceType): Json {
  if (!isObject(patch)) return structuredClone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _ignored, ...rest } = patch;
    return structuredClone(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  let result: JsonObject = isObject(target) ? { ...target } : {};
  const retainKeys = Array.isArray(patch.$retainKeys) ? (patch.$retainKeys as string[]) : undefined;
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys' || key.startsWith('$setElementOrder/')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const drop = new Set((value as Json[]) ?? []);
      if (Array.isArray(result[field])) result[field] = (result[field] as Json[]).filter((item) => !drop.has(item));
      continue;
    }
    if (value === null) {
      delete result[key];
      continue;
    }
    const mergeKey = mergeKeyFor(key, resource);
    if (Array.isArray(value) && mergeKey) result[key] = mergeListByKey(result[key], value, mergeKey, resource);
    else if (Array.isArray(value) && MERGED_SCALAR_LISTS.has(key)) {
      const current = Array.isArray(result[key]) ? (result[key] as Json[]) : [];
      result[key] = [...current, ...value.filter((item) => !current.includes(item))];
    } else {
      const merged = strategicMergePatch(result[key], value, resource);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    }
  }
  if (retainKeys) result = Object.fromEntries(Object.entries(result).filter(([key]) => retainKeys.includes(key)));
  return result;
}

function mergeListByKey(target: Json, patch: Json[], key: string, resource: ResourceType): Json[] {
  if (patch.some((item) => isObject(item) && item.$patch === 'replace')) {
    return patch.filter((item) => !(isObject(item) && item.$patch === 'replace')).map((item) => structuredClone(item));
  }
  const result = Array.isArray(target) ? [...target] : [];
  for (const item of patch) {
    if (!isObject(item)) {
      result.push(structuredClone(item));
      continue;
    }
    const index = result.findIndex((existing) => isObject(existing) && existing[key] === item[key]);
    if (item.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
      continue;
    }
    if (index >= 0) result[index] = strategicMergePatch(result[index], item, resource);
    else result.push(strategicMergePatch(undefined, item, resource));
  }
  return result;
}

/** Metadata fields that field managers own; the rest (name, uid, resourceVersion…) are the server's. */
const MANAGED_METADATA = new Set(['labels', 'annotations', 'finalizers', 'ownerReferences']);

/** The FieldsV1 set of the fields an object names (`{"f:spec":{"f:replicas":{}}}`); lists count as one field. */
export function fieldsOf(value: Json, atMetadata = false): JsonObject {
  if (!isObject(value)) return {};
  const fields: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === 'apiVersion' || key === 'kind' || (atMetadata && !MANAGED_METADATA.has(key))) continue;
    if (key === 'metadata' && !atMetadata) {
      const meta = fieldsOf(child, true);
      if (Object.keys(meta).length) fields['f:metadata'] = meta;
      continue;
    }
    fields[`f:${key}`] = isObject(child) ? fieldsOf(child) : {};
  }
  return fields;
}

/** The leaf paths of a FieldsV1 set. */
function leaves(fields: JsonObject, prefix: string[] = []): string[][] {
  const out: string[][] = [];
  for (const [key, child] of Object.entries(fields)) {
    if (!key.startsWith('f:')) continue;
    const path = [...prefix, key.slice(2)];
    if (isObject(child) && Object.keys(child).some((k) => k.startsWith('f:'))) out.push(...leaves(child, path));
    else out.push(path);
  }
  return out;
}

function owns(fields: Json, path: string[]): boolean {
  let node = fields;
  for (const part of path) {
    if (!isObject(node) || !(`f:${part}` in node)) return false;
    node = node[`f:${part}`];
  }
  return true;
}

/** Drops a leaf from a FieldsV1 set, and the parents it leaves empty. */
function disown(fields: JsonObject, path: string[]): void {
  const [head, ...rest] = path;
  const key = `f:${head}`;
  const child = fields[key];
  if (rest.length === 0 || !isObject(child)) {
    delete fields[key];
    return;
  }
  disown(child, rest);
  if (Object.keys(child).length === 0) delete fields[key];
}

function sameJson(a: Json, b: Json): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: Json): Json {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, canonical(value[key])]),
  );
}

function managedFieldsOf(obj: JsonObject): ManagedFieldsEntry[] {
  const entries = isObject(obj.metadata) ? obj.metadata.managedFields : undefined;
  return Array.isArray(entries) ? (entries as ManagedFieldsEntry[]) : [];
}

/**
 * The fields an apply by `manager` would change that other managers own: server-side apply
 * refuses them (409) unless forced, then takes them over.
 */
export function applyConflicts(
  live: JsonObject,
  applied: JsonObject,
  manager: string,
): { field: string[]; owner: ManagedFieldsEntry }[] {
  const conflicts: { field: string[]; owner: ManagedFieldsEntry }[] = [];
  for (const field of leaves(fieldsOf(applied))) {
    if (sameJson(valueAt(live, field), valueAt(applied, field))) continue;
    for (const owner of managedFieldsOf(live)) {
      if (owner.manager !== manager && owns(owner.fieldsV1, field)) conflicts.push({ field, owner });
    }
  }
  return conflicts;
}

export function conflictError(
  resource: ResourceType,
  name: string,
  conflicts: ReturnType<typeof applyConflicts>,
): ApiError {
  const causes = conflicts.map(({ field, owner }) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with "${owner.manager}"${owner.operation === 'Update' ? ` using ${owner.apiVersion}` : ''}`,
    field: `.${field.join('.')}`,
  }));
  const plural = causes.length === 1 ? 'conflict' : 'conflicts';
  const listed = causes.map((cause) => `${cause.message}: ${cause.field}`).join(', ');
  return new ApiError(409, 'Conflict', `Apply failed with ${causes.length} ${plural}: ${listed}`, {
    name,
    ...(resource.group ? { group: resource.group } : {}),
    kind: resource.plural,
    causes,
  });
}

function fieldSet(paths: string[][]): JsonObject {
  const fields: JsonObject = {};
  for (const path of paths) {
    let node = fields;
    for (const part of path) node = (node[`f:${part}`] ??= {}) as JsonObject;
  }
  return fields;
}

/**
 * Records a non-apply write by `manager` (create, update, patch with `?fieldManager=`): it owns
 * the fields it set (all of them on create), and takes them from whoever owned them before.
 */
export function recordUpdate(
  before: JsonObject | undefined,
  after: JsonObject,
  entry: Omit<ManagedFieldsEntry, 'fieldsV1' | 'operation'>,
): void {
  const changed = leaves(fieldsOf(after)).filter(
    (path) => !before || !sameJson(valueAt(before, path), valueAt(after, path)),
  );
  if (changed.length === 0) return;
  const entries = managedFieldsOf(after);
  for (const other of entries) for (const path of changed) disown(other.fieldsV1, path);
  const own = entries.find(
    (e) => e.manager === entry.manager && e.operation === 'Update' && e.subresource === entry.subresource,
  );
  const fieldsV1 = fieldSet([...(own ? leaves(own.fieldsV1) : []), ...changed]);
  const kept = entries.filter((e) => e !== own && Object.keys(e.fieldsV1).length > 0);
  if (!isObject(after.metadata)) after.metadata = {};
  (after.metadata as JsonObject).managedFields = [...kept, { ...entry, operation: 'Update', fieldsV1 }];
}

/** After a forced apply, the applier alone owns the fields it changed. */
export function takeOver(obj: JsonObject, conflicts: ReturnType<typeof applyConflicts>): void {
  const entries = managedFieldsOf(obj);
  for (const { field, owner } of conflicts) {
    const entry = entries.find(
      (e) => e.manager === owner.manager && e.operation === owner.operation && e.subresource === owner.subresource,
    );
    if (entry) disown(entry.fieldsV1, field);
  }
  if (isObject(obj.metadata)) obj.metadata.managedFields = entries.filter((e) => Object.keys(e.fieldsV1).length > 0);
}

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonObject;
  subresource?: string;
}

/** Records `manager`'s ownership of the applied fields in metadata.managedFields. */
export function recordManager(obj: JsonObject, entry: ManagedFieldsEntry): void {
  const metadata = (obj.metadata ??= {}) as JsonObject;
  const entries = Array.isArray(metadata.managedFields) ? (metadata.managedFields as ManagedFieldsEntry[]) : [];
  const others = entries.filter(
    (e) => !(e.manager === entry.manager && e.operation === entry.operation && e.subresource === entry.subresource),
  );
  metadata.managedFields = [...others, entry];
}

/**
 * Server-side apply of `applied` over `live` (undefined when the object does not exist yet):
 * built-in types merge like a strategic patch, custom resources like a merge patch.
 */
export function serverSideApply(live: JsonObject | undefined, applied: JsonObject, resource: ResourceType): JsonObject {
  const { metadata, ...rest } = applied;
  const appliedMeta = isObject(metadata) ? { ...metadata } : {};
  delete appliedMeta.managedFields;
  const body = { ...rest, metadata: appliedMeta };
  if (!live) return structuredClone(body);
  return (resource.custom ? mergePatch(live, body) : strategicMergePatch(live, body, resource)) as JsonObject;
}
