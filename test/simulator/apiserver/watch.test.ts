import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, Watch, makeInformer } from '@kubernetes/client-node';
import type { V1Node } from '@kubernetes/client-node';
import { configMap, node, startTestApi } from './helpers.js';
import type { TestApi } from './helpers.js';

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi({ store: { eventLogSize: 50 }, server: { bookmarkIntervalMs: 20 } });
});
afterAll(() => api.close());

interface Seen {
  type: string;
  object: {
    metadata?: { name?: string; resourceVersion?: string; annotations?: Record<string, string> };
    code?: number;
    reason?: string;
  };
}

/** Starts a watch; `until(n)` resolves once n events arrived, `done` once the stream ended. */
async function watch(path: string, query: Record<string, string | number | boolean | undefined>) {
  const events: Seen[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let ended!: (err: unknown) => void;
  const done = new Promise<unknown>((resolve) => (ended = resolve));
  const controller = await new Watch(api.kc).watch(
    path,
    query,
    (type, object) => {
      events.push({ type, object });
      for (const waiter of waiters.filter((w) => events.length >= w.count)) waiter.resolve();
    },
    (err) => ended(err),
  );
  return {
    events,
    done,
    until: (count: number) =>
      new Promise<Seen[]>((resolve) => {
        if (events.length >= count) resolve(events);
        else waiters.push({ count, resolve: () => resolve(events) });
      }),
    stop: () => controller.abort(),
  };
}

const names = (events: Seen[]) => events.map((e) => `${e.type} ${e.object.metadata?.name}`);

describe('watch', () => {
  it('streams changes in order from the list resourceVersion', async () => {
    const core = api.kc.makeApiClient(CoreV1Api);
    const list = await core.listNamespacedConfigMap({ namespace: 'default' });
    const w = await watch('/api/v1/namespaces/default/configmaps', { resourceVersion: list.metadata?.resourceVersion });
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'w1' } } });
    await core.patchNamespacedConfigMap({
      namespace: 'default',
      name: 'w1',
      body: [{ op: 'add', path: '/data', value: { k: 'v' } }],
    });
    await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'w1' });
    const events = await w.until(3);
    expect(names(events)).toEqual(['ADDED w1', 'MODIFIED w1', 'DELETED w1']);
    const versions = events.map((e) => Number(e.object.metadata?.resourceVersion));
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    w.stop();
  });

  it('replays events after a given resourceVersion and starts with ADDED for current objects without one', async () => {
    const first = api.store.create('configmaps', configMap('default', 'r1'));
    api.store.create('configmaps', configMap('default', 'r2'));
    const replay = await watch('/api/v1/namespaces/default/configmaps', {
      resourceVersion: first.metadata.resourceVersion,
    });
    expect(names(await replay.until(1))).toEqual(['ADDED r2']);
    replay.stop();
    const fresh = await watch('/api/v1/namespaces/default/configmaps', { labelSelector: 'never=present' });
    const all = await watch('/api/v1/namespaces/default/configmaps', {});
    expect(names(await all.until(2))).toEqual(['ADDED r1', 'ADDED r2']);
    all.stop();
    fresh.stop();
  });

  it('filters by label and field selector, turning label changes into ADDED/DELETED', async () => {
    api.store.create('nodes', node('watch-0'));
    const w = await watch('/api/v1/nodes', {
      labelSelector: 'node-role.kubernetes.io/infra=',
      resourceVersion: api.store.resourceVersion(),
    });
    const one = await watch('/api/v1/nodes', {
      fieldSelector: 'metadata.name=watch-1',
      resourceVersion: api.store.resourceVersion(),
    });
    api.store.mutate(
      'nodes',
      undefined,
      'watch-0',
      (d) => void (d.metadata.labels = { 'node-role.kubernetes.io/infra': '' }),
    );
    api.store.mutate('nodes', undefined, 'watch-0', (d) => void (d.spec = { unschedulable: true }));
    api.store.mutate('nodes', undefined, 'watch-0', (d) => void (d.metadata.labels = {}));
    api.store.create('nodes', node('watch-1'));
    expect(names(await w.until(3))).toEqual(['ADDED watch-0', 'MODIFIED watch-0', 'DELETED watch-0']);
    expect(names(await one.until(1))).toEqual(['ADDED watch-1']);
    w.stop();
    one.stop();
  });

  it('sends an ERROR event with 410 Expired for a resourceVersion older than the event log, then ends', async () => {
    const old = api.store.resourceVersion();
    for (let i = 0; i < 60; i++)
      api.store.mutate('nodes', undefined, 'watch-1', (d) => void (d.metadata.annotations = { i: String(i) }));
    const w = await watch('/api/v1/nodes', { resourceVersion: old });
    const [event] = await w.until(1);
    expect(event).toMatchObject({ type: 'ERROR', object: { code: 410, reason: 'Expired' } });
    expect(await w.done).toBeNull();
  });

  it('sends bookmarks when allowed, honours timeoutSeconds, and lets go when the client aborts', async () => {
    const before = api.store.watchCount();
    const w = await watch('/api/v1/nodes', { allowWatchBookmarks: true, resourceVersion: api.store.resourceVersion() });
    const [bookmark] = await w.until(1);
    expect(bookmark).toMatchObject({
      type: 'BOOKMARK',
      object: { kind: 'Node', metadata: { resourceVersion: api.store.resourceVersion() } },
    });
    expect(api.store.watchCount()).toBe(before + 1);
    w.stop();
    await w.done;
    await waitFor(() => api.store.watchCount() === before);

    const initial = await watch('/api/v1/namespaces/default/configmaps', {
      sendInitialEvents: true,
      allowWatchBookmarks: true,
      resourceVersionMatch: 'NotOlderThan',
    });
    const events = await initial.until(3);
    expect(names(events.slice(0, 2))).toEqual(['ADDED r1', 'ADDED r2']);
    expect(events[2]).toMatchObject({
      type: 'BOOKMARK',
      object: { metadata: { annotations: { 'k8s.io/initial-events-end': 'true' } } },
    });
    initial.stop();

    const short = await watch('/api/v1/nodes', { timeoutSeconds: 1, resourceVersion: api.store.resourceVersion() });
    expect(await short.done).toBeNull();
  });

  it('feeds an informer (list, then watch from the list resourceVersion)', async () => {
    const core = api.kc.makeApiClient(CoreV1Api);
    const informer = makeInformer<V1Node>(api.kc, '/api/v1/nodes', () => core.listNode());
    const added: string[] = [];
    const updated: string[] = [];
    informer.on('add', (obj) => added.push(obj.metadata!.name!));
    informer.on('update', (obj) => updated.push(obj.metadata!.name!));
    await informer.start();
    expect(added).toEqual(expect.arrayContaining(['watch-0', 'watch-1']));
    api.store.mutate('nodes', undefined, 'watch-0', (d) => void (d.spec = { unschedulable: false }));
    await waitFor(() => updated.includes('watch-0'));
    await informer.stop();
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}
