/**
 * How the simulated controllers reach the lab's Kubernetes API: informer-style. Reads (`get`, `list`)
 * come synchronously from a cache the API's watches keep current, `onChange` says what changed, and
 * writes are requests that resolve with what the server stored (which the cache then holds, so a
 * controller reads its own writes). Two backings:
 * - `storeLabApi`: the in-process ObjectStore of simulator/apiserver/ (the default rehearsal path);
 *   the store is its own cache and a write is the store's, at once;
 * - `realLabApi`: a real kube-apiserver (simulator/control-plane/), through LIST and WATCH with
 *   @kubernetes/client-node's Watch, and HTTPS writes as the identity given (a client certificate of the
 *   lab CA or a token), so the real server's admission, validation and RBAC judge every write.
 */
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { ApiError } from './apiserver/errors.js';
import { evictionRefusal } from './apiserver/eviction.js';
import { createAs, type UserInfo } from './apiserver/identity.js';
import {
  DEFAULT_RESOURCES,
  ResourceRegistry,
  apiVersionOf,
  resourceKey,
  type ResourceType,
} from './apiserver/resources.js';
import { matchesFields, matchesRequirements, parseFieldSelector, parseLabelSelector } from './apiserver/selectors.js';
import {
  jsonEqual,
  type DeleteOptions,
  type KubeObject,
  type ListOptions,
  type ObjectStore,
  type WatchEvent,
} from './apiserver/store.js';
import { apiRequest, type ApiReply, type ApiTarget } from './control-plane/api-client.js';
import { LAB_FIELD_MANAGER } from './control-plane/openshift-kinds.js';

export interface LabWriteOptions {
  /** `status`: the status subresource (where the type has one); `approval`: a CSR's. */
  subresource?: 'status' | 'approval';
}

export interface LabDeleteOptions extends DeleteOptions {
  /** 0: the kubelet's final delete of a terminating pod (the in-process store deletes at once anyway). */
  gracePeriodSeconds?: number;
}

const CSRS = 'certificatesigningrequests.certificates.k8s.io';

export interface LabApi {
  /** True when a real kube-apiserver answers (and its controllers run beside the simulated ones). */
  readonly real: boolean;
  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined;
  list(resource: string, opts?: ListOptions): { items: KubeObject[] };
  /** Every change the cache takes in (from any writer); returns the unsubscribe. */
  onChange(listener: (resource: string, event: WatchEvent) => void): () => void;
  create(resource: string, obj: KubeObject): Promise<KubeObject>;
  /**
   * Reads the object, lets `fn` change a copy and writes it back with the read resourceVersion (a 409
   * from a concurrent writer reads again and retries `fn`, a few times). 404 when it is gone.
   */
  mutate(
    resource: string,
    namespace: string | undefined,
    name: string,
    fn: (draft: KubeObject) => void,
    opts?: LabWriteOptions,
  ): Promise<KubeObject>;
  delete(resource: string, namespace: string | undefined, name: string, opts?: LabDeleteOptions): Promise<void>;
  /** Creates as `user` (a kubelet filing its CSR as the node-bootstrapper or as its node): the server records who. */
  createAs(user: UserInfo, resource: string, obj: KubeObject): Promise<KubeObject>;
  /** A pod through the Eviction API: a budget that allows no disruption refuses it (ApiError 429). */
  evict(namespace: string, name: string): Promise<void>;
}

/** The reading half, which the controllers' pure helpers take (an ObjectStore is one too). */
export type LabReader = Pick<LabApi, 'get' | 'list'>;

/**
 * What `ObjectStore.watch(resource, {}, listener)` gave the controllers: an ADDED event for each object
 * there now, then every change of that type. Returns the unsubscribe.
 */
export function watchType(api: LabApi, resource: string, listener: (event: WatchEvent) => void): () => void {
  const unsubscribe = api.onChange((changed, event) => {
    if (changed === resource) listener(event);
  });
  for (const object of api.list(resource).items) listener({ type: 'ADDED', object });
  return unsubscribe;
}

/** The in-process store as a LabApi: today's behaviour, writes applied before the promise resolves. */
export function storeLabApi(store: ObjectStore): LabApi {
  return {
    real: false,
    get: (resource, namespace, name) => store.get(resource, namespace, name),
    list: (resource, opts) => store.list(resource, opts),
    onChange: (listener) => store.onChange(listener),
    create: async (resource, obj) => store.create(resource, obj),
    mutate: async (resource, namespace, name, fn, opts) => store.mutate(resource, namespace, name, fn, opts),
    delete: async (resource, namespace, name, opts) => {
      store.delete(resource, namespace, name, opts);
    },
    createAs: async (user, resource, obj) => createAs(store, user, resource, obj),
    evict: async (namespace, name) => {
      const pod = store.get('pods', namespace, name);
      const refusal = pod && evictionRefusal(store, pod);
      if (refusal) throw refusal;
      store.delete('pods', namespace, name);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The real kube-apiserver

export interface RealLabApi extends LabApi {
  /** Resolves once every watched type has been listed (the cache holds the server's state). */
  synced(): Promise<void>;
  /** The same cache and watches, writing as another identity (a node, the node-bootstrapper). */
  writingAs(target: ApiTarget): LabApi;
  stop(): void;
}

export interface RealLabApiOptions {
  /** Where and as whom: kube-apiserver itself (as on a master), admin by default. */
  target: ApiTarget;
  /** Store keys of the types to cache (default: every type of the simulator's table the server serves). */
  resources?: readonly string[];
  /** Credentials of another identity (the node-bootstrapper's token, a node's certificate), for `createAs`. */
  targetFor?: (user: UserInfo) => Promise<ApiTarget>;
  /** Warnings (a watch that broke and is started again). */
  warn?: (message: string) => void;
}

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

function collectionPath(type: ResourceType, namespace: string | undefined): string {
  const base = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  return type.namespaced && namespace ? `${base}/namespaces/${namespace}/${type.plural}` : `${base}/${type.plural}`;
}

function objectPath(type: ResourceType, namespace: string | undefined, name: string): string {
  return `${collectionPath(type, namespace)}/${encodeURIComponent(name)}`;
}

function kubeConfigOf(target: ApiTarget): KubeConfig {
  const config = new KubeConfig();
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const credential = target.credential;
  config.loadFromOptions({
    clusters: [{ name: 'lab', server: target.url, caData: b64(target.caPem) }],
    users: [
      'token' in credential
        ? { name: 'lab-user', token: credential.token }
        : { name: 'lab-user', certData: b64(credential.certPem), keyData: b64(credential.keyPem) },
    ],
    contexts: [{ name: 'lab', cluster: 'lab', user: 'lab-user' }],
    currentContext: 'lab',
  });
  return config;
}

/** A Status answer as the ApiError the controllers already handle (409 retried on the next pass). */
function apiErrorOf(method: string, path: string, reply: ApiReply): ApiError {
  const status = reply.body as { reason?: string; message?: string; details?: object } | string | undefined;
  if (typeof status === 'object' && status !== null) {
    return new ApiError(
      reply.status,
      status.reason ?? 'Unknown',
      status.message ?? `${method} ${path}`,
      status.details,
    );
  }
  return new ApiError(reply.status, 'Unknown', `${method} ${path} answered ${reply.status}: ${String(status)}`);
}

/** How long the server keeps one watch open (under client-node's 30 s inactivity timeout). */
const WATCH_SECONDS = 20;

class TypeCache {
  readonly objects = new Map<string, KubeObject>();
  resourceVersion = '';
}

export function realLabApi(options: RealLabApiOptions): RealLabApi {
  const registry = new ResourceRegistry(DEFAULT_RESOURCES);
  const warn = options.warn ?? (() => {});
  const listeners = new Set<(resource: string, event: WatchEvent) => void>();
  const caches = new Map<string, TypeCache>();
  const aborts = new Set<AbortController>();
  let stopped = false;

  const typeOf = (resource: string): ResourceType => {
    const type = registry.byKey(resource);
    if (!type) throw new ApiError(404, 'NotFound', `the server doesn't have a resource type "${resource}"`, {});
    return type;
  };
  const cacheOf = (resource: string): TypeCache => {
    let cache = caches.get(resource);
    if (!cache) {
      cache = new TypeCache();
      caches.set(resource, cache);
    }
    return cache;
  };
  const emit = (resource: string, event: WatchEvent) => {
    for (const listener of [...listeners]) listener(resource, event);
  };
  /** Takes in an object the server returned or sent, unless the cache already has a newer one. */
  const absorb = (resource: string, type: WatchEvent['type'], object: KubeObject) => {
    const cache = cacheOf(resource);
    const key = objectKey(object.metadata.namespace, object.metadata.name);
    const held = cache.objects.get(key);
    const newer = (a: KubeObject | undefined, b: KubeObject) =>
      a?.metadata.uid === b.metadata.uid &&
      Number(a?.metadata.resourceVersion ?? 0) >= Number(b.metadata.resourceVersion ?? 0);
    if (type === 'DELETED') {
      if (!held || held.metadata.uid !== object.metadata.uid) return;
      cache.objects.delete(key);
    } else {
      if (newer(held, object)) return;
      if (!object.apiVersion) object.apiVersion = apiVersionOf(typeOf(resource));
      if (!object.kind) object.kind = typeOf(resource).kind;
      cache.objects.set(key, object);
    }
    emit(resource, { type: held && type !== 'DELETED' ? 'MODIFIED' : type, object: structuredClone(object) });
  };

  const adminConfig = kubeConfigOf(options.target);
  const watcher = new Watch(adminConfig);

  const listAndWatch = async (resource: string): Promise<void> => {
    const type = typeOf(resource);
    const path = collectionPath(type, undefined);
    let reply = await apiRequest(options.target, 'GET', path);
    // A type's watch cache still filling (429, "storage is (re)initializing") answers within seconds.
    for (let attempt = 0; reply.status === 429 && attempt < 120 && !stopped; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      reply = await apiRequest(options.target, 'GET', path);
    }
    if (reply.status >= 400) throw apiErrorOf('GET', path, reply);
    const list = reply.body as { metadata: { resourceVersion: string }; items: KubeObject[] };
    const cache = cacheOf(resource);
    const seen = new Set<string>();
    for (const item of list.items) {
      seen.add(objectKey(item.metadata.namespace, item.metadata.name));
      absorb(resource, 'ADDED', item);
    }
    for (const [key, object] of [...cache.objects]) if (!seen.has(key)) absorb(resource, 'DELETED', object);
    cache.resourceVersion = list.metadata.resourceVersion;
    await watchFrom(resource, path);
  };

  /**
   * Watches from the cache's resourceVersion. The server ends each watch after WATCH_SECONDS (before
   * client-node's 30 s inactivity timeout can): the next one carries on from the last version seen; an
   * expired version (410) or a broken stream lists the type again.
   */
  const watchFrom = async (resource: string, path: string): Promise<void> => {
    const cache = cacheOf(resource);
    const relist = (why: string) => {
      if (stopped) return;
      warn(`the watch of ${resource} ended (${why}); listing it again`);
      setTimeout(() => void listAndWatch(resource).catch((error: unknown) => relist(String(error))), 500);
    };
    let ended = false;
    const holder: { abort?: AbortController } = {};
    holder.abort = await watcher.watch(
      path,
      { resourceVersion: cache.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: WATCH_SECONDS },
      (phase, object: KubeObject) => {
        if (phase === 'BOOKMARK') cache.resourceVersion = object.metadata.resourceVersion ?? cache.resourceVersion;
        else if (phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED') {
          cache.resourceVersion = object.metadata.resourceVersion ?? cache.resourceVersion;
          absorb(resource, phase, object);
        } else if (phase === 'ERROR') {
          // 410 Gone (compacted) or another Status: list again from now.
          ended = true;
          holder.abort?.abort();
          relist(`the server ended it: ${(object as unknown as { message?: string }).message ?? phase}`);
        }
      },
      (error: unknown) => {
        if (holder.abort) aborts.delete(holder.abort);
        if (ended || stopped) return;
        ended = true;
        if (error) relist(String(error));
        else watchFrom(resource, path).catch((failure: unknown) => relist(String(failure)));
      },
    );
    aborts.add(holder.abort);
  };

  const wanted = options.resources ?? DEFAULT_RESOURCES.filter((type) => type.verbs.includes('watch')).map(resourceKey);
  const synced = Promise.all(
    wanted.map((resource) =>
      listAndWatch(resource).catch((error: unknown) => {
        // A type the real server does not serve (the simulator's table is wider) stays empty.
        if (error instanceof ApiError && error.code === 404) return;
        throw error;
      }),
    ),
  ).then(() => undefined);

  const writerFor = (target: ApiTarget): LabApi => {
    const call = async (method: string, path: string, resource: string, body?: unknown): Promise<KubeObject> => {
      // managedFields name the lab's controllers as one field manager, as the copy of the seeding did.
      const url = method === 'POST' || method === 'PUT' ? `${path}?fieldManager=${LAB_FIELD_MANAGER}` : path;
      const reply = await apiRequest(target, method, url, body === undefined ? {} : { body });
      if (reply.status >= 400) throw apiErrorOf(method, path, reply);
      const object = reply.body as KubeObject;
      if (method !== 'DELETE' && object?.metadata) absorb(resource, method === 'POST' ? 'ADDED' : 'MODIFIED', object);
      return object;
    };
    const api: LabApi = {
      real: true,
      get: (resource, namespace, name) => {
        const type = typeOf(resource);
        const found = cacheOf(resource).objects.get(objectKey(type.namespaced ? namespace : undefined, name));
        return found && structuredClone(found);
      },
      list: (resource, opts = {}) => {
        const type = typeOf(resource);
        const labels = parseLabelSelector(opts.labelSelector);
        const fields = parseFieldSelector(opts.fieldSelector, type.fieldSelectors ?? [], type.custom);
        const items = [...cacheOf(resource).objects.values()]
          .filter((object) => opts.namespace === undefined || object.metadata.namespace === opts.namespace)
          .filter((object) => matchesRequirements(labels, object.metadata.labels) && matchesFields(fields, object))
          .sort((a, b) => {
            const ka = objectKey(a.metadata.namespace, a.metadata.name);
            const kb = objectKey(b.metadata.namespace, b.metadata.name);
            return ka < kb ? -1 : ka > kb ? 1 : 0;
          })
          .map((object) => structuredClone(object));
        return { items };
      },
      onChange: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      create: async (resource, obj) => {
        const type = typeOf(resource);
        const body = structuredClone(obj);
        body.apiVersion ||= apiVersionOf(type);
        body.kind ||= type.kind;
        const created = await call('POST', collectionPath(type, obj.metadata.namespace), resource, body);
        // The server drops a new object's status; the simulator's writers (a kubelet registering its Node
        // with its conditions) mean it, so it follows as the status write a real writer would send next.
        const sub = resource === CSRS ? 'approval' : 'status';
        const empty = obj.status === undefined || jsonEqual(obj.status, {});
        if (empty || !type.subresources.includes(sub) || jsonEqual(created.status, obj.status)) {
          return created;
        }
        const { namespace, name } = created.metadata;
        return call('PUT', `${objectPath(type, namespace, name)}/${sub}`, resource, { ...created, status: obj.status });
      },
      mutate: async (resource, namespace, name, fn, opts = {}) => {
        const type = typeOf(resource);
        const path = objectPath(type, namespace, name);
        const sub = opts.subresource && type.subresources.includes(opts.subresource) ? `/${opts.subresource}` : '';
        let current = api.get(resource, namespace, name);
        for (let attempt = 0; ; attempt++) {
          if (!current) {
            const reply = await apiRequest(target, 'GET', path);
            if (reply.status >= 400) throw apiErrorOf('GET', path, reply);
            current = reply.body as KubeObject;
          }
          const draft = structuredClone(current);
          fn(draft);
          try {
            return await call('PUT', `${path}${sub}`, resource, draft);
          } catch (error) {
            if (!(error instanceof ApiError && error.code === 409) || attempt >= 3) throw error;
            current = undefined;
          }
        }
      },
      delete: async (resource, namespace, name, opts = {}) => {
        const type = typeOf(resource);
        const body = {
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          ...(opts.propagationPolicy ? { propagationPolicy: opts.propagationPolicy } : {}),
          ...(opts.preconditions ? { preconditions: opts.preconditions } : {}),
          ...(opts.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: opts.gracePeriodSeconds } : {}),
        };
        await call('DELETE', objectPath(type, namespace, name), resource, body);
      },
      createAs: async (user, resource, obj) => {
        if (!options.targetFor)
          throw new Error(`no credentials to act as ${user.username} were given to the lab's API`);
        return writerFor(await options.targetFor(user)).create(resource, obj);
      },
      evict: async (namespace, name) => {
        const body = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } };
        const path = `/api/v1/namespaces/${namespace}/pods/${encodeURIComponent(name)}/eviction`;
        const reply = await apiRequest(target, 'POST', path, { body });
        if (reply.status >= 400) throw apiErrorOf('POST', path, reply);
      },
    };
    return api;
  };

  const admin = writerFor(options.target);
  return {
    ...admin,
    synced: () => synced,
    writingAs: (other) => writerFor(other),
    stop: () => {
      stopped = true;
      for (const abort of aborts) abort.abort();
      aborts.clear();
      listeners.clear();
    },
  };
}
