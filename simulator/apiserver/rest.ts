/**
 * The REST verbs on resources: resolving `/api/v1/…` and `/apis/<g>/<v>/…` paths to a type,
 * namespace, name and subresource, then get/list/watch, create, replace, patch, delete,
 * deletecollection and the status/approval/scale/eviction subresources, with the status codes and
 * bodies kube-apiserver answers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, invalid, invalidField, methodNotAllowed, notFound, requiredField } from './errors.js';
import { evictionRefusal } from './eviction.js';
import { decodeBody, readBody, sendJson } from './http-util.js';
import { ADMIN_USER, admitCreate, requesterOf } from './identity.js';
import type { UserInfo } from './identity.js';
import { setValueAt, valueAt } from './object-path.js';
import {
  PatchType,
  applyConflicts,
  applyJsonPatch,
  conflictError,
  fieldsOf,
  recordUpdate,
  mergePatch,
  patchTypeOf,
  recordManager,
  serverSideApply,
  strategicMergePatch,
  takeOver,
} from './patch.js';
import { apiVersionOf, resourceKey } from './resources.js';
import type { ResourceRegistry, ResourceType, ScalePaths } from './resources.js';
import { selectorObjectToString } from './selectors.js';
import type { LabelSelectorObject } from './selectors.js';
import type { KubeObject, ObjectStore } from './store.js';
import { TABLE_MEDIA_TYPE, toTable, wantsTable } from './tables.js';
import { fieldValidationOf, validateObject } from './validation.js';
import type { FieldValidation } from './validation.js';
import { serveWatch } from './watch-stream.js';
import type { WatchStreamOptions } from './watch-stream.js';

export interface ResourceTarget {
  type: ResourceType;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** The legacy `/api/v1/watch/…` form. */
  watchPath: boolean;
}

/**
 * Resolves the segments after `/api/v1` or `/apis/<g>/<v>` (`['namespaces','ns','pods','p','eviction']`).
 * Undefined when no resource serves the path.
 */
export function resolveTarget(
  registry: ResourceRegistry,
  group: string,
  version: string,
  segments: string[],
): ResourceTarget | undefined {
  let rest = segments;
  const watchPath = rest[0] === 'watch';
  if (watchPath) rest = rest.slice(1);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const inner = registry.byPath(group, version, rest[2]!);
    if (inner?.namespaced) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
  }
  const [plural, name, subresource, ...extra] = rest;
  if (!plural || extra.length > 0) return undefined;
  const type = registry.byPath(group, version, plural);
  if (!type) return undefined;
  if (namespace === undefined && type.namespaced && name !== undefined) return undefined; // namespaced item without namespace
  if (subresource !== undefined && !type.subresources.includes(subresource as never)) return undefined;
  return {
    type,
    resource: resourceKey(type),
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
    watchPath,
  };
}

export interface RestContext {
  store: ObjectStore;
  watch: Omit<
    WatchStreamOptions,
    | 'store'
    | 'resource'
    | 'type'
    | 'namespace'
    | 'labelSelector'
    | 'fieldSelector'
    | 'resourceVersion'
    | 'timeoutSeconds'
    | 'allowWatchBookmarks'
    | 'sendInitialEvents'
    | 'present'
  >;
}

const isTrue = (value: string | null) => value === 'true' || value === '1';

export async function handleResource(
  ctx: RestContext,
  req: IncomingMessage,
  res: ServerResponse,
  target: ResourceTarget,
  query: URLSearchParams,
): Promise<void> {
  const method = req.method ?? 'GET';
  const { name, subresource } = target;
  if (target.watchPath || (method === 'GET' && isTrue(query.get('watch')))) {
    if (method !== 'GET' || subresource) throw methodNotAllowed();
    return startWatch(ctx, req, res, target, query);
  }
  if (name === undefined) {
    if (method === 'GET') return sendList(ctx.store, req, res, target, query);
    // Namespaced objects are created under /namespaces/<ns>/, never through the all-namespaces path.
    if (method === 'POST' && !(target.type.namespaced && target.namespace === undefined))
      return create(ctx.store, req, res, target, query);
    if (method === 'DELETE') return deleteCollection(ctx.store, req, res, target, query);
    throw methodNotAllowed();
  }
  if (subresource === 'eviction') {
    if (method !== 'POST') throw methodNotAllowed();
    return evict(ctx.store, req, res, target, name);
  }
  if (subresource === 'scale') return scale(ctx.store, req, res, target, name, query);
  switch (method) {
    case 'GET': {
      const found = get(ctx.store, target, name, requesterOf(req));
      if (wantsTable(req.headers.accept) && !subresource) {
        return sendJson(
          res,
          200,
          toTable(
            target.type,
            target.resource,
            [found],
            found.metadata.resourceVersion ?? '',
            query.get('includeObject'),
          ),
          TABLE_MEDIA_TYPE,
        );
      }
      return sendJson(res, 200, found);
    }
    case 'PUT':
      return replace(ctx.store, req, res, target, name, query);
    case 'PATCH':
      return patch(ctx.store, req, res, target, name, query);
    case 'DELETE':
      if (subresource) throw methodNotAllowed();
      return remove(ctx.store, req, res, target, name, query);
    default:
      throw methodNotAllowed();
  }
}

/** The requester as `oc whoami` (GET users/~) sees it: the installer's admin, or whom it impersonates. */
function currentUser(user: UserInfo): KubeObject {
  return {
    apiVersion: 'user.openshift.io/v1',
    kind: 'User',
    metadata: { name: user.username },
    groups: [...user.groups],
  };
}

function get(store: ObjectStore, target: ResourceTarget, name: string, user: UserInfo = ADMIN_USER): KubeObject {
  if (target.resource === 'users.user.openshift.io' && name === '~') return currentUser(user);
  const found = store.get(target.resource, target.namespace, name);
  if (!found) throw notFound(target.type, name);
  return found;
}

interface ContinueToken {
  rv: string;
  offset: number;
}

function sendList(
  store: ObjectStore,
  req: IncomingMessage,
  res: ServerResponse,
  target: ResourceTarget,
  query: URLSearchParams,
): void {
  const { items, metadata } = list(store, target, query);
  if (wantsTable(req.headers.accept)) {
    const table = toTable(
      target.type,
      target.resource,
      items,
      String(metadata.resourceVersion),
      query.get('includeObject'),
    );
    return sendJson(res, 200, { ...table, metadata }, TABLE_MEDIA_TYPE);
  }
  // Built-in list items come without apiVersion/kind; custom resource items keep them.
  const { type } = target;
  const shown = type.custom ? items : items.map(({ apiVersion: _a, kind: _k, ...rest }) => rest);
  sendJson(res, 200, { kind: `${type.kind}List`, apiVersion: apiVersionOf(type), metadata, items: shown });
}

function list(
  store: ObjectStore,
  target: ResourceTarget,
  query: URLSearchParams,
): { items: KubeObject[]; metadata: Record<string, unknown> } {
  const result = store.list(target.resource, {
    ...(target.namespace !== undefined ? { namespace: target.namespace } : {}),
    ...optional('labelSelector', query.get('labelSelector')),
    ...optional('fieldSelector', query.get('fieldSelector')),
  });
  let items = result.items;
  let offset = 0;
  const token = query.get('continue');
  if (token) {
    try {
      offset = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ContinueToken).offset;
    } catch {
      throw badRequest(`invalid continue token: ${token}`);
    }
  }
  const limit = Number(query.get('limit') ?? '0');
  const metadata: Record<string, unknown> = { resourceVersion: result.resourceVersion };
  if (limit > 0 || offset > 0) {
    const page = items.slice(offset, limit > 0 ? offset + limit : undefined);
    const next = offset + page.length;
    if (next < items.length) {
      metadata.continue = Buffer.from(
        JSON.stringify({ rv: result.resourceVersion, offset: next } satisfies ContinueToken),
      ).toString('base64url');
      metadata.remainingItemCount = items.length - next;
    }
    items = page;
  }
  return { items, metadata };
}

function optional<K extends string>(key: K, value: string | null): Partial<Record<K, string>> {
  return value === null || value === '' ? {} : ({ [key]: value } as Record<K, string>);
}

function startWatch(
  ctx: RestContext,
  req: IncomingMessage,
  res: ServerResponse,
  target: ResourceTarget,
  query: URLSearchParams,
): void {
  const fieldSelectors = [
    query.get('fieldSelector'),
    target.name !== undefined ? `metadata.name=${target.name}` : null,
  ].filter((value): value is string => !!value);
  const timeout = query.get('timeoutSeconds');
  serveWatch(req, res, {
    ...ctx.watch,
    store: ctx.store,
    resource: target.resource,
    type: target.type,
    ...(target.namespace !== undefined ? { namespace: target.namespace } : {}),
    ...optional('labelSelector', query.get('labelSelector')),
    ...(fieldSelectors.length ? { fieldSelector: fieldSelectors.join(',') } : {}),
    ...optional('resourceVersion', query.get('resourceVersion')),
    ...(timeout !== null && Number(timeout) > 0 ? { timeoutSeconds: Number(timeout) } : {}),
    allowWatchBookmarks: isTrue(query.get('allowWatchBookmarks')),
    ...(wantsTable(req.headers.accept)
      ? {
          present: (obj: KubeObject) =>
            toTable(
              target.type,
              target.resource,
              [obj],
              obj.metadata.resourceVersion ?? '',
              query.get('includeObject'),
            ),
        }
      : {}),
    sendInitialEvents: isTrue(query.get('sendInitialEvents')),
  });
}

async function readObject(req: IncomingMessage): Promise<KubeObject> {
  const body = decodeBody(await readBody(req), req.headers['content-type']);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('the body of the request must be a JSON object');
  }
  const obj = body as KubeObject;
  if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {} as KubeObject['metadata'];
  return obj;
}

/** The namespace of the URL wins; a body naming another namespace is refused as the real server does. */
function placeInNamespace(target: ResourceTarget, obj: KubeObject): void {
  if (!target.type.namespaced) return;
  const bodyNamespace = obj.metadata.namespace;
  if (bodyNamespace && target.namespace && bodyNamespace !== target.namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  const namespace = target.namespace ?? bodyNamespace;
  if (!namespace) throw notFound(target.type, obj.metadata.name ?? '');
  obj.metadata.namespace = namespace;
}

/** What a real server resets on create: status written by controllers, not by the creator. */
function prepareForCreate(type: ResourceType, obj: KubeObject): void {
  if (type.subresources.includes('status') && type.plural !== 'nodes') delete obj.status;
  if (
    type.group === '' &&
    (type.plural === 'pods' || type.plural === 'persistentvolumeclaims' || type.plural === 'persistentvolumes')
  ) {
    obj.status = { phase: 'Pending' };
  }
  if (type.group === '' && type.plural === 'services') {
    const spec = (obj.spec ??= {}) as { type?: string; clusterIP?: string; ports?: { protocol?: string }[] };
    spec.type ??= 'ClusterIP';
    if (!spec.clusterIP && spec.type !== 'ExternalName') {
      spec.clusterIP = `172.30.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}`;
    }
    for (const port of spec.ports ?? []) port.protocol ??= 'TCP';
  }
}

const isDryRun = (query: URLSearchParams) => query.getAll('dryRun').includes('All');

async function create(
  store: ObjectStore,
  req: IncomingMessage,
  res: ServerResponse,
  target: ResourceTarget,
  query: URLSearchParams,
): Promise<void> {
  const obj = await readObject(req);
  validateObject(target.type, obj, { verb: 'create', mode: fieldValidationOf(query), res });
  placeInNamespace(target, obj);
  prepareForCreate(target.type, obj);
  admitCreate(target.resource, obj, requesterOf(req));
  trackUpdate(undefined, obj, target.type, query.get('fieldManager'));
  sendJson(res, 201, store.create(target.resource, obj, { dryRun: isDryRun(query) }));
}

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Tracks what `?fieldManager=` wrote, for later server-side applies to conflict with. */
function trackUpdate(
  before: KubeObject | undefined,
  after: KubeObject,
  type: ResourceType,
  manager: string | null,
  subresource?: string,
): void {
  if (!manager) return;
  recordUpdate(before, after, {
    manager,
    apiVersion: apiVersionOf(type),
    time: now(),
    fieldsType: 'FieldsV1',
    ...(subresource ? { subresource } : {}),
  });
}

async function replace(
  store: ObjectStore,
  req: IncomingMessage,
  res: ServerResponse,
  target: ResourceTarget,
  name: string,
  query: URLSearchParams,
): Promise<void> {
  const obj = await readObject(req);
  validateObject(target.type, obj, { verb: 'update', mode: fieldValidationOf(query), res });
  if (obj.metadata.name && obj.metadata.name !== name) {
    throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
  }
  obj.metadata.name = name;
  placeInNamespace(target, obj);
  if (target.type.custom && !obj.metadata.resourceVersion) {
    throw invalidField(target.type, name, 'metadata.resourceVersion', '0x0', 'must be specified for an update');
  }
  const subresource = target.subresource;
  sendJson(
    res,
    200,
    store.replace(target.resource, obj, { ...(subresource ? { subresource } : {}), dryRun: isDryRun(query) }),
  );
}

function assign(draft: KubeObject, next: unknown): void {
  if (next === null || typeof next !== 'object' || Array.isArray(next))
    throw badRequest('the patch must leave an object');
  for (const key of Object.keys(draft)) delete draft[key];
  Object.assign(draft, next);
}

function patchBody(raw: Buffer, patchType: PatchType): unknown {
  // JSON is valid YAML: apply bodies are parsed as YAML, the others as JSON.
  return decodeBody(raw, patchType === PatchType.apply ? 'application/yaml' : 'application/json');
}

function applyPatch(patchType: PatchType, draft: KubeObject, body: unknown, type: ResourceType): unknown {
  switch (patchType) {
    case PatchType.json:
      return applyJsonPatch(draft, body);
    case PatchType.merge:
      return mergePatch(draft, body);
    case PatchType.strategic:
      return strategicMergePatch(draft, body, type);
    case PatchType.apply:
      return serverSideApply(draft, body as Record<string, unknown>, type);
  }
}

async function patch(
  store: ObjectStore,
  req: IncomingMessage,
  res: ServerResponse,
  target: ResourceTarget,
  name: string,
  query: URLSearchParams,
): Promise<void> {
  const { type } = target;
  const patchType = patchTypeOf(req.headers['content-type'], type);
  const raw = await readBody(req);
  const fieldManager = query.get('fieldManager');
  const force = query.get('force');
  if (force !== null && patchType !== PatchType.apply) {
    throw invalid({ group: 'meta.k8s.io', kind: 'PatchOptions' }, '', [
      { reason: 'FieldValueForbidden', field: 'force', message: 'Forbidden: may not be specified for non-apply patch' },
    ]);
  }
  const body = patchBody(raw, patchType);
  if (body === undefined) throw badRequest('the body of the request was empty');
  const dryRun = isDryRun(query);
  const subresource = target.subresource;
  const mode = fieldValidationOf(query);
  if (patchType === PatchType.apply)
    return apply(store, res, target, name, body, {
      fieldManager,
      force: isTrue(force),
      dryRun,
      mode,
      user: requesterOf(req),
    });
  const result = store.mutate(
    target.resource,
    target.namespace,
    name,
    (draft) => {
      const before = structuredClone(draft);
      assign(draft, applyPatch(patchType, draft, body, type));
      validateObject(type, draft, { verb: 'patch', mode, res });
      trackUpdate(before, draft, type, fieldManager, subresource);
    },
    { ...(subresource ? { subresource } : {}), dryRun },
  );
  sendJson(res, 200, result);
}

interface ApplyOptions {
  fieldManager: string | null;
  force: boolean;
  dryRun: boolean;
  mode: FieldValidation;
  user: UserInfo;
}

function apply(
  store: ObjectStore,
  res: ServerResponse,
  target: ResourceTarget,
  name: string,
  body: unknown,
  { fieldManager, force, dryRun, mode, user }: ApplyOptions,
): void {
  const { type } = target;
  if (!fieldManager) {
    throw invalid({ group: 'meta.k8s.io', kind: 'PatchOptions' }, '', [
      { reason: 'FieldValueRequired', field: 'fieldManager', message: 'Required value: is required for apply patch' },
    ]);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw badRequest('the apply configuration must be an object');
  const applied = body as KubeObject;
  if (!applied.apiVersion || !applied.kind) {
    throw badRequest('invalid object type: /, Kind=');
  }
  const appliedName = applied.metadata?.name;
  if (appliedName !== name) {
    if (!appliedName) throw requiredField(type, name, 'metadata.name', 'name is required');
    throw badRequest(`the name of the object (${appliedName}) does not match the name on the URL (${name})`);
  }
  const manager = {
    manager: fieldManager,
    operation: 'Apply' as const,
    apiVersion: applied.apiVersion,
    time: now(),
    fieldsType: 'FieldsV1' as const,
    fieldsV1: fieldsOf(applied),
    ...(target.subresource ? { subresource: target.subresource } : {}),
  };
  const existing = store.get(target.resource, target.namespace, name);
  if (!existing) {
    if (target.subresource) throw notFound(type, name);
    const created = serverSideApply(undefined, applied, type) as KubeObject;
    validateObject(type, created, { verb: 'apply', mode, res });
    placeInNamespace(target, created);
    prepareForCreate(type, created);
    admitCreate(target.resource, created, user);
    recordManager(created, manager);
    return sendJson(res, 201, store.create(target.resource, created, { dryRun }));
  }
  const result = store.mutate(
    target.resource,
    target.namespace,
    name,
    (draft) => {
      const resourceVersion = draft.metadata.resourceVersion;
      const conflicts = applyConflicts(draft, applied, fieldManager);
      if (conflicts.length > 0 && !force) throw conflictError(type, name, conflicts);
      assign(draft, serverSideApply(draft, applied, type));
      validateObject(type, draft, { verb: 'apply', mode, res });
      takeOver(draft, conflicts);
      if (applied.metadata.resourceVersion === undefined) draft.metadata.resourceVersion = resourceVersion;
      recordManager(draft, manager);
    },
    { ...(target.subresource ? { subresource: target.subresource } : {}), dryRun },
  );
  sendJson(res, 200, result);
}

/** Types whose DELETE answers with the deleted object; the others answer a Status. */
const RETURNS_DELETED_OBJECT = new Set([
  'pods',
  'serviceaccounts',
  'securitycontextconstraints.security.openshift.io',
  'namespaces',
]);

interface DeleteBody {
  propagationPolicy?: string;
  orphanDependents?: boolean;
  dryRun?: string[];
  preconditions?: { uid?: string; resourceVersion?: string };
}

async function deleteOptions(req: IncomingMessage, query: URLSearchParams) {
  const body = (decodeBody(await readBody(req), 'application/json') ?? {}) as DeleteBody;
  const orphan = body.orphanDependents ?? query.get('orphanDependents') === 'true';
  const propagationPolicy = body.propagationPolicy ?? query.get('propagationPolicy') ?? (orphan ? 'Orphan' : undefined);
  return {
    dryRun: isDryRun(query) || (body.dryRun ?? []).includes('All'),
    ...(propagationPolicy ? { propagationPolicy } : {}),
    ...(body.preconditions ? { preconditions: body.preconditions } : {}),
  };
}

function successStatus(type: ResourceType, obj: KubeObject): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: {
      name: obj.metadata.name,
      ...(type.group ? { group: type.group } : {}),
      kind: type.plural,
      uid: obj.metadata.uid,
    },
  };
}

async function remove(
  store: ObjectStore,
  req: IncomingMessage,
  res: ServerResponse,
  target: ResourceTarget,
  name: string,
  query: URLSearchParams,
): Promise<void> {
  const options = await deleteOptions(req, query);
  const deleted = store.delete(target.resource, target.namespace, name, options);
  const stillThere = !options.dryRun && store.get(target.resource, target.namespace, name) !== undefined;
  if (stillThere || RETURNS_DELETED_OBJECT.has(target.resource)) return sendJson(res, 200, deleted);
  sendJson(res, 200, successStatus(target.type, deleted));
}

async function deleteCollection(
  store: ObjectStore,
  req: IncomingMessage,
  res: ServerResponse,
  target: ResourceTarget,
  query: URLSearchParams,
): Promise<void> {
  if (!target.type.verbs.includes('deletecollection')) throw methodNotAllowed();
  const options = await deleteOptions(req, query);
  const { items } = store.list(target.resource, {
    ...(target.namespace !== undefined ? { namespace: target.namespace } : {}),
    ...optional('labelSelector', query.get('labelSelector')),
    ...optional('fieldSelector', query.get('fieldSelector')),
  });
  const deleted = items.map((item) =>
    store.delete(target.resource, item.metadata.namespace, item.metadata.name, options),
  );
  sendJson(res, 200, {
    kind: `${target.type.kind}List`,
    apiVersion: apiVersionOf(target.type),
    metadata: {},
    items: deleted,
  });
}

// ---------------------------------------------------------------------------------------------
// pods/eviction: the Eviction API drains use, honouring PodDisruptionBudgets (./eviction.ts).

async function evict(
  store: ObjectStore,
  req: IncomingMessage,
  res: ServerResponse,
  target: ResourceTarget,
  name: string,
): Promise<void> {
  const body = (decodeBody(await readBody(req), req.headers['content-type']) ?? {}) as {
    metadata?: { name?: string };
    deleteOptions?: DeleteBody;
  };
  if (body.metadata?.name && body.metadata.name !== name) {
    throw badRequest(`name in URL does not match name in Eviction object`);
  }
  const namespace = target.namespace!;
  const refusal = evictionRefusal(store, get(store, target, name));
  if (refusal) throw refusal;
  store.delete('pods', namespace, name, {
    ...(body.deleteOptions?.preconditions ? { preconditions: body.deleteOptions.preconditions } : {}),
  });
  sendJson(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}

// ---------------------------------------------------------------------------------------------
// scale: an autoscaling/v1 Scale view of a replica count.

function scaleOf(obj: KubeObject, paths: ScalePaths): Record<string, unknown> {
  const selector = paths.labelSelector ? valueAt(obj, paths.labelSelector) : undefined;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: Number(valueAt(obj, paths.specReplicas) ?? 0) },
    status: {
      replicas: Number(valueAt(obj, paths.statusReplicas) ?? 0),
      ...(typeof selector === 'string'
        ? { selector }
        : selector
          ? { selector: selectorObjectToString(selector as LabelSelectorObject) }
          : {}),
    },
  };
}

async function scale(
  store: ObjectStore,
  req: IncomingMessage,
  res: ServerResponse,
  target: ResourceTarget,
  name: string,
  query: URLSearchParams,
): Promise<void> {
  const paths = target.type.scale!;
  const method = req.method;
  if (method === 'GET') return sendJson(res, 200, scaleOf(get(store, target, name), paths));
  if (method !== 'PUT' && method !== 'PATCH') throw methodNotAllowed();
  const patchType =
    method === 'PATCH' ? patchTypeOf(req.headers['content-type'], { ...target.type, custom: false }) : undefined;
  const raw = await readBody(req);
  const body = patchType ? patchBody(raw, patchType) : decodeBody(raw, req.headers['content-type']);
  const result = store.mutate(
    target.resource,
    target.namespace,
    name,
    (draft) => {
      const current = scaleOf(draft, paths);
      const next = (patchType ? applyPatch(patchType, current as KubeObject, body, target.type) : body) as {
        metadata?: { resourceVersion?: string };
        spec?: { replicas?: unknown };
      };
      const replicas = next?.spec?.replicas;
      if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
        throw invalid({ group: 'autoscaling', kind: 'Scale' }, name, [
          {
            reason: 'FieldValueInvalid',
            field: 'spec.replicas',
            message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
          },
        ]);
      }
      if (next.metadata?.resourceVersion) draft.metadata.resourceVersion = next.metadata.resourceVersion;
      setValueAt(draft, paths.specReplicas, replicas);
    },
    { dryRun: isDryRun(query) },
  );
  sendJson(res, 200, scaleOf(result, paths));
}
