/**
 * The object store behind the simulated API server: one generic store for every resource type of
 * the table (./resources.ts), with the semantics clients and controllers rely on:
 * - one global, monotonically increasing resourceVersion; every write bumps it, no-op writes do not;
 * - uid, creationTimestamp, generation (bumped on changes outside metadata and status);
 * - status subresource: writes to the main resource keep the stored status, writes to `status`
 *   change only status; optimistic concurrency (409 Conflict on a stale resourceVersion);
 * - finalizers (deletionTimestamp, removal when the last finalizer goes), namespace cascade and
 *   owner-reference garbage collection;
 * - watches with label/field selectors, replay from a resourceVersion out of a bounded event log,
 *   410 Expired past it.
 * Every object handed out is a deep copy; listeners are called in commit order, one event at a time.
 */
import { randomUUID } from 'node:crypto';
import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  forbidden,
  gone,
  invalid,
  invalidField,
  notFound,
  requiredField,
} from './errors.js';
import { DEFAULT_RESOURCES, ResourceRegistry, apiVersionOf, resourceKey } from './resources.js';
import type { ResourceTable, ResourceType } from './resources.js';
import { matchesFields, matchesRequirements, parseFieldSelector, parseLabelSelector } from './selectors.js';
import type { FieldRequirement, LabelRequirement } from './selectors.js';

export { ApiError } from './errors.js';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: unknown[];
  generateName?: string;
  finalizers?: string[];
  [k: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [k: string]: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface WatchOptions extends ListOptions {
  resourceVersion?: string;
}

export interface WriteOptions {
  subresource?: string;
  /** Validate and compute the result without storing it (`?dryRun=All`). */
  dryRun?: boolean;
}

export interface DeleteOptions {
  dryRun?: boolean;
  /** `Orphan` leaves dependents (ownerReferences) in place; anything else deletes them. */
  propagationPolicy?: string;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface StoreOptions {
  /** How many events the watch log keeps; a watch from an older resourceVersion gets 410 Expired. */
  eventLogSize?: number;
}

interface LogEntry {
  rv: number;
  resource: string;
  type: WatchEventType;
  object: KubeObject;
  /** The object before the change, so selector watches can turn MODIFIED into ADDED/DELETED. */
  previous?: KubeObject;
}

interface Watcher {
  resource: string;
  namespace?: string;
  labels: LabelRequirement[];
  fields: FieldRequirement[];
  listener: (event: WatchEvent) => void;
  lastRv: number;
}

const clone = <T>(value: T): T => structuredClone(value);
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function nowTimestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** etcd returns keys in byte order, so lists come sorted by namespace, then name. */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

/** Equality of JSON values (prototype-blind: objects may come from structuredClone of another realm). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((item, i) => jsonEqual(item, other[i]));
  }
  const left = Object.entries(a).filter(([, v]) => v !== undefined);
  const right = b as Record<string, unknown>;
  const rightKeys = Object.keys(right).filter((k) => right[k] !== undefined);
  return left.length === rightKeys.length && left.every(([k, v]) => jsonEqual(v, right[k]));
}

/** Everything but metadata and status: what a generation bump looks at. */
function specPart(obj: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

export class ObjectStore {
  readonly resources: ResourceRegistry;
  private readonly data = new Map<string, Map<string, KubeObject>>();
  private rv = 0;
  private readonly log: LogEntry[] = [];
  private readonly eventLogSize: number;
  /** Highest resourceVersion whose event has been dropped from the log. */
  private compactedThrough = 0;
  private readonly watchers = new Set<Watcher>();
  private readonly changeListeners = new Set<(resource: string, event: WatchEvent) => void>();
  private readonly pending: LogEntry[] = [];
  private dispatching = false;

  constructor(resources: ResourceTable = DEFAULT_RESOURCES, options: StoreOptions = {}) {
    this.resources = new ResourceRegistry(resources);
    this.eventLogSize = options.eventLogSize ?? 10_000;
  }

  /** The type behind a store key (`nodes`, `clusteroperators.config.openshift.io`); 404 if unknown. */
  type(resource: string): ResourceType {
    const type = this.resources.byKey(resource);
    if (!type) throw new ApiError(404, 'NotFound', `the server doesn't have a resource type "${resource}"`, {});
    return type;
  }

  /** The revision of the latest write, as list responses report it. */
  resourceVersion(): string {
    return String(this.rv);
  }

  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const type = this.type(resource);
    const found = this.bucket(resource).get(objectKey(type.namespaced ? namespace : undefined, name));
    return found && clone(found);
  }

  list(resource: string, opts: ListOptions = {}): { items: KubeObject[]; resourceVersion: string } {
    const type = this.type(resource);
    const labels = parseLabelSelector(opts.labelSelector);
    const fields = parseFieldSelector(opts.fieldSelector, type.fieldSelectors ?? [], type.custom);
    const items = [...this.bucket(resource).values()]
      .filter((obj) => this.matches(obj, opts.namespace, labels, fields))
      .sort((a, b) =>
        byteOrder(objectKey(a.metadata.namespace, a.metadata.name), objectKey(b.metadata.namespace, b.metadata.name)),
      )
      .map(clone);
    return { items, resourceVersion: this.resourceVersion() };
  }

  create(resource: string, obj: KubeObject, opts: { dryRun?: boolean } = {}): KubeObject {
    const type = this.type(resource);
    const next = clone(obj);
    next.metadata = { ...(next.metadata ?? {}) } as ObjectMeta;
    const meta = next.metadata;
    this.checkTypeMeta(type, next);
    if (!meta.name && meta.generateName) meta.name = meta.generateName + this.randomSuffix();
    if (!meta.name) throw requiredField(type, '', 'metadata.name', 'name or generateName is required');
    this.checkName(type, meta.name);
    if (type.namespaced) {
      if (!meta.namespace) throw badRequest('an empty namespace may not be set during creation');
      this.checkNamespaceWritable(meta.namespace);
    } else {
      delete meta.namespace;
    }
    const bucket = this.bucket(resource);
    if (bucket.has(objectKey(meta.namespace, meta.name))) throw alreadyExists(type, meta.name);

    meta.uid = randomUUID();
    meta.creationTimestamp = nowTimestamp();
    delete meta.deletionTimestamp;
    if (type.generation) meta.generation = 1;
    else delete meta.generation;
    if (resource === 'namespaces') {
      next.spec = { finalizers: ['kubernetes'], ...(next.spec as object | undefined) };
      next.status = { phase: 'Active' };
    }
    if (opts.dryRun) return next;
    return this.commit(resource, 'ADDED', next);
  }

  replace(resource: string, obj: KubeObject, opts: WriteOptions = {}): KubeObject {
    const type = this.type(resource);
    const name = obj.metadata?.name;
    if (!name) throw requiredField(type, '', 'metadata.name', 'name is required');
    const current = this.stored(type, resource, obj.metadata.namespace, name);
    const expected = obj.metadata.resourceVersion;
    if (expected && expected !== current.metadata.resourceVersion) throw conflict(type, name);
    return this.update(type, resource, current, clone(obj), opts);
  }

  mutate(
    resource: string,
    namespace: string | undefined,
    name: string,
    fn: (draft: KubeObject) => void,
    opts: WriteOptions = {},
  ): KubeObject {
    const type = this.type(resource);
    const current = this.stored(type, resource, namespace, name);
    const draft = clone(current);
    fn(draft);
    // A draft that carries another resourceVersion (a patch with a precondition) must match.
    if (
      draft.metadata.resourceVersion !== undefined &&
      draft.metadata.resourceVersion !== current.metadata.resourceVersion
    ) {
      throw conflict(type, name);
    }
    return this.update(type, resource, current, draft, opts);
  }

  delete(resource: string, namespace: string | undefined, name: string, opts: DeleteOptions = {}): KubeObject {
    const type = this.type(resource);
    const current = this.stored(type, resource, namespace, name);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== current.metadata.uid) {
      throw conflict(
        type,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
      );
    }
    if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(
        type,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in ` +
          `object meta: ${current.metadata.resourceVersion}`,
      );
    }
    if (opts.dryRun) return clone(current);

    if (resource === 'namespaces') return this.deleteNamespace(current);
    if (current.metadata.finalizers?.length) {
      if (current.metadata.deletionTimestamp) return clone(current);
      const terminating = clone(current);
      terminating.metadata.deletionTimestamp = nowTimestamp();
      return this.commit(resource, 'MODIFIED', terminating, current);
    }
    return this.remove(resource, current, opts.propagationPolicy);
  }

  watch(resource: string, opts: WatchOptions, listener: (event: WatchEvent) => void): () => void {
    const type = this.type(resource);
    const watcher: Watcher = {
      resource,
      ...(type.namespaced && opts.namespace ? { namespace: opts.namespace } : {}),
      labels: parseLabelSelector(opts.labelSelector),
      fields: parseFieldSelector(opts.fieldSelector, type.fieldSelectors ?? [], type.custom),
      listener,
      lastRv: this.rv,
    };
    const from = opts.resourceVersion;
    if (from === undefined || from === '' || from === '0') {
      // No starting point: synthetic ADDED events for what exists now, then live changes.
      for (const obj of this.bucket(resource).values()) {
        if (this.matches(obj, watcher.namespace, watcher.labels, watcher.fields))
          listener({ type: 'ADDED', object: clone(obj) });
      }
    } else {
      const start = Number(from);
      if (!Number.isInteger(start) || start < 0) throw badRequest(`invalid resource version: "${from}"`);
      if (start < this.compactedThrough) {
        throw gone(`too old resource version: ${start} (${this.compactedThrough + 1})`);
      }
      watcher.lastRv = start;
      for (const entry of this.log) {
        if (entry.rv > start && entry.rv <= this.rv) this.deliver(watcher, entry);
      }
    }
    watcher.lastRv = this.rv;
    this.watchers.add(watcher);
    return () => {
      this.watchers.delete(watcher);
    };
  }

  /**
   * Deletes every object, as a new cluster's empty etcd would have it; watches see each deletion.
   * Resource versions keep counting up, so no client mistakes new objects for old ones.
   */
  wipe(): void {
    for (const [resource, bucket] of this.data) {
      for (const object of [...bucket.values()]) {
        bucket.delete(objectKey(object.metadata.namespace, object.metadata.name));
        this.record(resource, 'DELETED', clone(object));
      }
    }
  }

  /** How many watches are open (lets tests see that closed streams let go). */
  watchCount(): number {
    return this.watchers.size;
  }

  onChange(listener: (resource: string, event: WatchEvent) => void): () => void {
    this.changeListeners.add(listener);
    return () => {
      this.changeListeners.delete(listener);
    };
  }

  // -------------------------------------------------------------------------------------------

  private bucket(resource: string): Map<string, KubeObject> {
    let bucket = this.data.get(resource);
    if (!bucket) {
      bucket = new Map();
      this.data.set(resource, bucket);
    }
    return bucket;
  }

  private stored(type: ResourceType, resource: string, namespace: string | undefined, name: string): KubeObject {
    const found = this.bucket(resource).get(objectKey(type.namespaced ? namespace : undefined, name));
    if (!found) throw notFound(type, name);
    return found;
  }

  private matches(
    obj: KubeObject,
    namespace: string | undefined,
    labels: LabelRequirement[],
    fields: FieldRequirement[],
  ): boolean {
    if (namespace !== undefined && obj.metadata.namespace !== namespace) return false;
    return matchesRequirements(labels, obj.metadata.labels) && matchesFields(fields, obj);
  }

  private randomSuffix(): string {
    let suffix = '';
    for (let i = 0; i < 5; i++) suffix += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
    return suffix;
  }

  private checkTypeMeta(type: ResourceType, obj: KubeObject): void {
    const apiVersion = apiVersionOf(type);
    const name = obj.metadata.name ?? '';
    if (!obj.apiVersion) obj.apiVersion = apiVersion;
    if (!obj.kind) obj.kind = type.kind;
    if (obj.kind !== type.kind) throw invalidField(type, name, 'kind', obj.kind, `must be ${type.kind}`);
    if (obj.apiVersion !== apiVersion)
      throw invalidField(type, name, 'apiVersion', obj.apiVersion, `must be ${apiVersion}`);
  }

  private checkName(type: ResourceType, name: string): void {
    const rule = type.nameRule ?? 'subdomain';
    if (rule === 'path') {
      if (name === '.' || name === '..' || /[/%]/.test(name)) {
        throw invalidField(type, name, 'metadata.name', name, 'may not be "." or ".." and may not contain "/" or "%"');
      }
      return;
    }
    const ok =
      rule === 'label' ? name.length <= 63 && DNS_LABEL.test(name) : name.length <= 253 && DNS_SUBDOMAIN.test(name);
    if (!ok) {
      const what =
        rule === 'label'
          ? "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must " +
            "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for " +
            "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
          : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', " +
            "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for " +
            "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
      throw invalidField(type, name, 'metadata.name', name, what);
    }
  }

  private checkNamespaceWritable(namespace: string): void {
    const nsType = this.type('namespaces');
    const ns = this.bucket('namespaces').get(objectKey(undefined, namespace));
    if (!ns) throw notFound(nsType, namespace);
    if (ns.metadata.deletionTimestamp) {
      throw forbidden(
        nsType,
        namespace,
        `unable to create new content in namespace ${namespace} because it is being terminated`,
      );
    }
  }

  /** Builds the next version of `current` from `incoming` under the subresource rules, then stores it. */
  private update(
    type: ResourceType,
    resource: string,
    current: KubeObject,
    incoming: KubeObject,
    opts: WriteOptions,
  ): KubeObject {
    const name = current.metadata.name;
    if (incoming.metadata?.name !== undefined && incoming.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${incoming.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    const sub = opts.subresource;
    let next: KubeObject;
    if (sub === 'status') {
      next = clone(current);
      if (incoming.status === undefined) delete next.status;
      else next.status = incoming.status;
    } else if (sub === 'approval') {
      next = clone(current);
      const conditions = (incoming.status as { conditions?: unknown[] } | undefined)?.conditions;
      next.status = { ...((current.status as object | undefined) ?? {}), conditions: conditions ?? [] };
      this.checkApproval(type, current, next);
    } else if (sub !== undefined && sub !== '') {
      throw badRequest(`the store cannot write subresource "${sub}" of ${resourceKey(type)} directly`);
    } else {
      next = incoming;
      next.apiVersion ||= current.apiVersion;
      next.kind ||= current.kind;
      this.checkTypeMeta(type, next);
      if (type.subresources.includes('status')) {
        if (current.status === undefined) delete next.status;
        else next.status = clone(current.status);
      }
      const meta = (next.metadata ??= { name });
      meta.name = name;
      meta.uid = current.metadata.uid;
      meta.creationTimestamp = current.metadata.creationTimestamp;
      if (current.metadata.namespace) meta.namespace = current.metadata.namespace;
      else delete meta.namespace;
      if (current.metadata.deletionTimestamp) meta.deletionTimestamp = current.metadata.deletionTimestamp;
      else delete meta.deletionTimestamp;
      if (current.metadata.generation !== undefined) meta.generation = current.metadata.generation;
      else delete meta.generation;
    }
    next.metadata.resourceVersion = current.metadata.resourceVersion;
    if (type.generation && !jsonEqual(specPart(current), specPart(next))) {
      next.metadata.generation = (current.metadata.generation ?? 0) + 1;
    }
    if (jsonEqual(current, next)) return clone(current);
    if (opts.dryRun) return next;
    if (next.metadata.deletionTimestamp && !next.metadata.finalizers?.length) {
      this.commit(resource, 'MODIFIED', next, current);
      const stored = this.stored(type, resource, next.metadata.namespace, name);
      return this.remove(resource, stored, undefined);
    }
    return this.commit(resource, 'MODIFIED', next, current);
  }

  /** certificates.k8s.io validation of the approval subresource. */
  private checkApproval(type: ResourceType, current: KubeObject, next: KubeObject): void {
    const typesOf = (obj: KubeObject) =>
      ((obj.status as { conditions?: { type?: string }[] } | undefined)?.conditions ?? []).map((c) => c.type ?? '');
    const now = typesOf(next);
    const name = current.metadata.name;
    if (now.includes('Approved') && now.includes('Denied')) {
      throw invalid(type, name, [
        {
          reason: 'FieldValueInvalid',
          field: 'status.conditions',
          message: 'Invalid value: "Approved": Approved and Denied conditions are mutually exclusive',
        },
      ]);
    }
    const dup = now.find((t, i) => now.indexOf(t) !== i);
    if (dup)
      throw invalid(type, name, [
        { reason: 'FieldValueDuplicate', field: 'status.conditions', message: `Duplicate value: "${dup}"` },
      ]);
    for (const kept of ['Approved', 'Denied', 'Failed']) {
      if (typesOf(current).includes(kept) && !now.includes(kept)) {
        throw invalid(type, name, [
          {
            reason: 'FieldValueForbidden',
            field: 'status.conditions',
            message: `Forbidden: updates may not remove a condition of type "${kept}"`,
          },
        ]);
      }
    }
    for (const condition of (next.status as { conditions?: Record<string, unknown>[] }).conditions ?? []) {
      condition.lastUpdateTime ??= nowTimestamp();
      condition.lastTransitionTime ??= condition.lastUpdateTime;
    }
  }

  private deleteNamespace(current: KubeObject): KubeObject {
    const name = current.metadata.name;
    let terminating = current;
    if (!current.metadata.deletionTimestamp) {
      const next = clone(current);
      next.metadata.deletionTimestamp = nowTimestamp();
      next.status = { ...((next.status as object | undefined) ?? {}), phase: 'Terminating' };
      terminating = this.commit('namespaces', 'MODIFIED', next, current);
    }
    // The namespace controller: remove the content; the namespace goes once nothing is left
    // (objects held by finalizers keep it Terminating until they are gone, see remove()).
    for (const type of this.resources.table) {
      if (!type.namespaced) continue;
      const resource = resourceKey(type);
      for (const obj of [...this.bucket(resource).values()]) {
        if (obj.metadata.namespace !== name || !this.bucket(resource).has(objectKey(name, obj.metadata.name))) continue;
        if (obj.metadata.finalizers?.length) {
          if (!obj.metadata.deletionTimestamp) this.delete(resource, name, obj.metadata.name);
        } else {
          this.remove(resource, obj, undefined);
        }
      }
    }
    const still = this.bucket('namespaces').get(objectKey(undefined, name));
    if (still && !this.hasContent(name)) this.remove('namespaces', still, undefined);
    return terminating;
  }

  /** Removes an object and, unless orphaned, everything it owns. */
  private remove(resource: string, current: KubeObject, propagationPolicy: string | undefined): KubeObject {
    const removed = clone(current);
    this.bucket(resource).delete(objectKey(current.metadata.namespace, current.metadata.name));
    const result = this.record(resource, 'DELETED', removed, current);
    if (propagationPolicy !== 'Orphan') this.collectDependents(current.metadata.uid);
    const namespace = current.metadata.namespace;
    const ns = namespace ? this.bucket('namespaces').get(objectKey(undefined, namespace)) : undefined;
    if (ns?.metadata.deletionTimestamp && !this.hasContent(namespace!)) this.remove('namespaces', ns, undefined);
    return result;
  }

  private hasContent(namespace: string): boolean {
    return this.resources.table.some(
      (type) =>
        type.namespaced &&
        [...this.bucket(resourceKey(type)).values()].some((obj) => obj.metadata.namespace === namespace),
    );
  }

  private collectDependents(ownerUid: string | undefined): void {
    if (!ownerUid) return;
    for (const [resource, bucket] of this.data) {
      for (const obj of [...bucket.values()]) {
        const owned = (obj.metadata.ownerReferences ?? []).some((ref) => (ref as { uid?: string }).uid === ownerUid);
        if (owned && this.bucket(resource).has(objectKey(obj.metadata.namespace, obj.metadata.name))) {
          this.delete(resource, obj.metadata.namespace, obj.metadata.name);
        }
      }
    }
  }

  private commit(resource: string, type: WatchEventType, next: KubeObject, previous?: KubeObject): KubeObject {
    this.bucket(resource).set(objectKey(next.metadata.namespace, next.metadata.name), next);
    return this.record(resource, type, next, previous);
  }

  /** Gives the change the next resourceVersion, logs it and dispatches it. */
  private record(resource: string, type: WatchEventType, object: KubeObject, previous?: KubeObject): KubeObject {
    this.rv += 1;
    object.metadata.resourceVersion = String(this.rv);
    const entry: LogEntry = { rv: this.rv, resource, type, object, ...(previous ? { previous } : {}) };
    this.log.push(entry);
    while (this.log.length > this.eventLogSize) this.compactedThrough = this.log.shift()!.rv;
    this.pending.push(entry);
    this.drain();
    return clone(object);
  }

  /** Delivers pending events in commit order; writes made by listeners queue behind the current one. */
  private drain(): void {
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let entry = this.pending.shift(); entry; entry = this.pending.shift()) {
        for (const watcher of [...this.watchers]) {
          if (this.watchers.has(watcher)) this.deliver(watcher, entry);
        }
        for (const listener of [...this.changeListeners]) {
          this.safely(() => listener(entry!.resource, { type: entry!.type, object: clone(entry!.object) }));
        }
      }
    } finally {
      this.dispatching = false;
    }
  }

  private deliver(watcher: Watcher, entry: LogEntry): void {
    if (entry.resource !== watcher.resource || entry.rv <= watcher.lastRv) return;
    watcher.lastRv = entry.rv;
    const now = this.matches(entry.object, watcher.namespace, watcher.labels, watcher.fields);
    const before =
      entry.type === 'MODIFIED' && entry.previous !== undefined
        ? this.matches(entry.previous, watcher.namespace, watcher.labels, watcher.fields)
        : now;
    let type: WatchEventType | undefined = entry.type;
    if (entry.type === 'MODIFIED' && before !== now) type = now ? 'ADDED' : 'DELETED';
    else if (!now) type = undefined;
    if (type) {
      const event: WatchEvent = { type, object: clone(entry.object) };
      this.safely(() => watcher.listener(event));
    }
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      // One faulty listener must not stop the others from hearing about the change.
      console.error('object store listener failed:', error);
    }
  }
}
