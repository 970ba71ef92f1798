import { describe, expect, it } from '@jest/globals';
import { ApiError, ObjectStore } from '../../../simulator/apiserver/store.js';
import type { WatchEvent } from '../../../simulator/apiserver/store.js';
import { CO, MCP, configMap, namespace, node, pool } from './helpers.js';

function storeWith(...namespaces: string[]): ObjectStore {
  const store = new ObjectStore();
  for (const name of namespaces) store.create('namespaces', namespace(name));
  return store;
}

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected an ApiError');
}

describe('ObjectStore', () => {
  it('fills uid, resourceVersion, creationTimestamp and generation on create', () => {
    const store = storeWith();
    const created = store.create(MCP, pool('infra', { paused: false }));
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(created.metadata.generation).toBe(1);
    expect(Number(created.metadata.resourceVersion)).toBeGreaterThan(0);
    expect(store.get(MCP, undefined, 'infra')).toEqual(created);
  });

  it('keeps one global, increasing resourceVersion and skips no-op writes', () => {
    const store = storeWith('a');
    const first = store.create('configmaps', configMap('a', 'x'));
    const second = store.create(CO, {
      apiVersion: 'config.openshift.io/v1',
      kind: 'ClusterOperator',
      metadata: { name: 'dns' },
      spec: {},
    });
    expect(Number(second.metadata.resourceVersion)).toBeGreaterThan(Number(first.metadata.resourceVersion));
    const same = store.mutate('configmaps', 'a', 'x', () => {});
    expect(same.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    expect(store.resourceVersion()).toBe(second.metadata.resourceVersion);
  });

  it('hands out copies that cannot change the store', () => {
    const store = storeWith('a');
    const created = store.create('configmaps', configMap('a', 'x', { k: 'v' }));
    (created.data as Record<string, string>).k = 'changed';
    store.list('configmaps').items[0]!.metadata.name = 'other';
    expect(store.get('configmaps', 'a', 'x')?.data).toEqual({ k: 'v' });
  });

  it('refuses duplicates, stale updates, bad names, wrong kinds and missing namespaces', () => {
    const store = storeWith('a');
    const created = store.create('configmaps', configMap('a', 'x'));
    expect(apiError(() => store.create('configmaps', configMap('a', 'x'))).status()).toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
      message: 'configmaps "x" already exists',
    });
    store.mutate('configmaps', 'a', 'x', (d) => void (d.data = { k: '1' }));
    expect(apiError(() => store.replace('configmaps', created)).reason).toBe('Conflict');
    expect(apiError(() => store.create('configmaps', configMap('a', 'Bad_Name'))).code).toBe(422);
    expect(
      apiError(() => store.create('configmaps', { ...configMap('a', 'y'), kind: 'Secret' })).status(),
    ).toMatchObject({
      code: 422,
      message: 'ConfigMap "y" is invalid: kind: Invalid value: "Secret": must be ConfigMap',
    });
    expect(apiError(() => store.create('configmaps', configMap('nowhere', 'y'))).message).toBe(
      'namespaces "nowhere" not found',
    );
    expect(apiError(() => store.get('widgets', undefined, 'x')).code).toBe(404);
  });

  it('generates names from generateName', () => {
    const store = storeWith('a');
    const created = store.create('configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: '', namespace: 'a', generateName: 'csr-' },
    });
    expect(created.metadata.name).toMatch(/^csr-[a-z0-9]{5}$/);
  });

  it('keeps status out of main-resource writes and spec out of status writes', () => {
    const store = storeWith();
    store.create(MCP, { ...pool('worker', { paused: false }), status: { machineCount: 3 } });
    const main = store.mutate(MCP, undefined, 'worker', (d) => {
      (d.spec as { paused: boolean }).paused = true;
      d.status = { machineCount: 99 };
    });
    expect(main.status).toEqual({ machineCount: 3 });
    expect(main.metadata.generation).toBe(2);
    const status = store.mutate(
      MCP,
      undefined,
      'worker',
      (d) => {
        (d.spec as { paused: boolean }).paused = false;
        d.status = { machineCount: 4 };
      },
      { subresource: 'status' },
    );
    expect(status.spec).toEqual({ paused: true });
    expect(status.status).toEqual({ machineCount: 4 });
    expect(status.metadata.generation).toBe(2);
    // Labels are metadata: no generation bump.
    const labelled = store.mutate(MCP, undefined, 'worker', (d) => void (d.metadata.labels = { a: 'b' }));
    expect(labelled.metadata.generation).toBe(2);
  });

  it('lists with label and field selectors and rejects unknown field selectors', () => {
    const store = storeWith();
    store.create('nodes', node('master-0', { 'node-role.kubernetes.io/master': '' }));
    store.create('nodes', node('worker-0', { 'node-role.kubernetes.io/worker': '', zone: 'a' }));
    store.create('nodes', node('worker-1', { 'node-role.kubernetes.io/worker': '', zone: 'b' }));
    store.mutate('nodes', undefined, 'worker-1', (d) => void (d.spec = { unschedulable: true }));
    const names = (labelSelector?: string, fieldSelector?: string) =>
      store
        .list('nodes', { ...(labelSelector ? { labelSelector } : {}), ...(fieldSelector ? { fieldSelector } : {}) })
        .items.map((n) => n.metadata.name);
    expect(names('node-role.kubernetes.io/worker=')).toEqual(['worker-0', 'worker-1']);
    expect(names('node-role.kubernetes.io/worker,zone!=a')).toEqual(['worker-1']);
    expect(names('zone in (a,b)')).toEqual(['worker-0', 'worker-1']);
    expect(names('zone notin (a)')).toEqual(['master-0', 'worker-1']);
    expect(names('!zone')).toEqual(['master-0']);
    expect(names(undefined, 'metadata.name=worker-0')).toEqual(['worker-0']);
    expect(names(undefined, 'spec.unschedulable=false')).toEqual(['master-0', 'worker-0']);
    expect(apiError(() => names(undefined, 'status.phase=Running')).status()).toMatchObject({
      code: 400,
      message: 'field label not supported: status.phase',
    });
    expect(apiError(() => store.list(MCP, { fieldSelector: 'spec.paused=true' })).message).toBe(
      '"spec.paused" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
    expect(apiError(() => names('zone in a')).code).toBe(400);
  });

  it('watches in commit order, with selectors turning modifications into ADDED/DELETED', () => {
    const store = storeWith('a');
    const seen: string[] = [];
    const stop = store.watch('configmaps', { namespace: 'a', labelSelector: 'app=x' }, (e) =>
      seen.push(`${e.type} ${e.object.metadata.name}`),
    );
    store.create('configmaps', configMap('a', 'one'));
    store.mutate('configmaps', 'a', 'one', (d) => void (d.metadata.labels = { app: 'x' }));
    store.mutate('configmaps', 'a', 'one', (d) => void (d.data = { k: 'v' }));
    store.mutate('configmaps', 'a', 'one', (d) => void (d.metadata.labels = {}));
    store.create('configmaps', {
      ...configMap('a', 'two'),
      metadata: { name: 'two', namespace: 'a', labels: { app: 'x' } },
    });
    store.delete('configmaps', 'a', 'two');
    stop();
    store.create('configmaps', {
      ...configMap('a', 'three'),
      metadata: { name: 'three', namespace: 'a', labels: { app: 'x' } },
    });
    expect(seen).toEqual(['ADDED one', 'MODIFIED one', 'DELETED one', 'ADDED two', 'DELETED two']);
  });

  it('delivers changes made by listeners after the change they heard, to everyone in order', () => {
    const store = storeWith('a');
    const order: string[] = [];
    store.onChange((resource, event) => {
      if (event.type === 'ADDED' && event.object.metadata.name === 'first')
        store.create('configmaps', configMap('a', 'second'));
    });
    store.onChange((resource, event) => order.push(`${event.type} ${resource} ${event.object.metadata.name}`));
    store.create('configmaps', configMap('a', 'first'));
    expect(order).toEqual(['ADDED configmaps first', 'ADDED configmaps second']);
  });

  it('replays from a resourceVersion and answers 410 Expired past the event log', () => {
    const store = new ObjectStore(undefined, { eventLogSize: 3 });
    store.create('namespaces', namespace('a'));
    const from = store.create('configmaps', configMap('a', 'c0')).metadata.resourceVersion!;
    store.create('configmaps', configMap('a', 'c1'));
    store.create('configmaps', configMap('a', 'c2'));
    const replayed: WatchEvent[] = [];
    store.watch('configmaps', { resourceVersion: from }, (e) => replayed.push(e))();
    expect(replayed.map((e) => e.object.metadata.name)).toEqual(['c1', 'c2']);
    store.create('configmaps', configMap('a', 'c3'));
    store.create('configmaps', configMap('a', 'c4'));
    const error = apiError(() => store.watch('configmaps', { resourceVersion: from }, () => {}));
    expect(error.status()).toMatchObject({ code: 410, reason: 'Expired' });
    expect(error.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
    const initial: string[] = [];
    store.watch('configmaps', {}, (e) => initial.push(`${e.type} ${e.object.metadata.name}`))();
    expect(initial).toEqual(['ADDED c0', 'ADDED c1', 'ADDED c2', 'ADDED c3', 'ADDED c4']);
  });

  it('holds objects with finalizers until the last finalizer goes', () => {
    const store = storeWith('a');
    store.create('configmaps', {
      ...configMap('a', 'held'),
      metadata: { name: 'held', namespace: 'a', finalizers: ['example.com/keep'] },
    });
    const terminating = store.delete('configmaps', 'a', 'held');
    expect(terminating.metadata.deletionTimestamp).toBeDefined();
    expect(store.get('configmaps', 'a', 'held')).toBeDefined();
    store.mutate('configmaps', 'a', 'held', (d) => void (d.metadata.finalizers = []));
    expect(store.get('configmaps', 'a', 'held')).toBeUndefined();
  });

  it('deletes namespace content, dependents by owner reference, and refuses content in terminating namespaces', () => {
    const store = storeWith('a', 'b');
    const owner = store.create('configmaps', configMap('b', 'owner'));
    store.create('configmaps', {
      ...configMap('b', 'owned'),
      metadata: {
        name: 'owned',
        namespace: 'b',
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid }],
      },
    });
    store.delete('configmaps', 'b', 'owner');
    expect(store.get('configmaps', 'b', 'owned')).toBeUndefined();

    store.create('configmaps', {
      ...configMap('a', 'held'),
      metadata: { name: 'held', namespace: 'a', finalizers: ['x/y'] },
    });
    store.create('configmaps', configMap('a', 'plain'));
    const ns = store.delete('namespaces', undefined, 'a');
    expect(ns.status).toEqual({ phase: 'Terminating' });
    expect(store.get('configmaps', 'a', 'plain')).toBeUndefined();
    expect(apiError(() => store.create('configmaps', configMap('a', 'late'))).code).toBe(403);
    store.mutate('configmaps', 'a', 'held', (d) => void (d.metadata.finalizers = []));
    expect(store.get('namespaces', undefined, 'a')).toBeUndefined();
  });

  it('validates CSR approval updates', () => {
    const store = storeWith();
    const csr = {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name: 'csr-abcde' },
      spec: { request: 'cmVx', signerName: 'kubernetes.io/kubelet-serving', usages: ['server auth'] },
    };
    store.create('certificatesigningrequests.certificates.k8s.io', csr);
    const approve = (types: string[]) =>
      store.mutate(
        'certificatesigningrequests.certificates.k8s.io',
        undefined,
        'csr-abcde',
        (d) => {
          d.status = { conditions: types.map((type) => ({ type, status: 'True', reason: 'Test' })) };
        },
        { subresource: 'approval' },
      );
    expect(apiError(() => approve(['Approved', 'Denied'])).code).toBe(422);
    const approved = approve(['Approved']);
    expect(
      (approved.status as { conditions: { lastUpdateTime?: string }[] }).conditions[0]!.lastUpdateTime,
    ).toBeDefined();
    expect(apiError(() => approve([])).code).toBe(422);
  });
});
