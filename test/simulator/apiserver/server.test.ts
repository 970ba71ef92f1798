import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from 'node:https';
import { readFile } from 'node:fs/promises';
import { CoreV1Api, VersionApi, Watch } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { ObjectStore } from '../../../simulator/apiserver/store.js';
import { startApiServer } from '../../../simulator/apiserver/server.js';
import { rejection, startTestApi, statusOf } from './helpers.js';
import type { TestApi } from './helpers.js';
import type { AnyJson } from '../../support/json.js';

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi({ server: { token: 'sha256~fixed-test-token', kubernetesVersion: 'v1.14.6+c07e432da' } });
});
afterAll(() => api.close());

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => AnyJson;
}

function call(
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string; token?: string | null } = {},
): Promise<Raw> {
  const token = options.token === undefined ? api.server.token : options.token;
  const headers = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...options.headers };
  return new Promise((resolve, reject) => {
    const req = request(`${api.server.url}${path}`, { method, ca: api.server.caCert, headers }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) }),
      );
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('API server plumbing', () => {
  it('writes a kubeconfig with the CA, the server URL and the token', async () => {
    const config = parseYaml(await readFile(api.server.kubeconfigPath, 'utf8'));
    expect(config['current-context']).toBe('admin');
    expect(config.clusters[0].cluster.server).toBe(api.server.url);
    expect(api.server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(Buffer.from(config.clusters[0].cluster['certificate-authority-data'], 'base64').toString()).toBe(
      api.server.caCert,
    );
    expect(config.users[0].user.token).toBe('sha256~fixed-test-token');
  });

  it('binds loopback only', async () => {
    await expect(startApiServer({ store: new ObjectStore(), stateDir: api.stateDir, host: '0.0.0.0' })).rejects.toThrow(
      /loopback only/,
    );
  });

  it('serves discovery: version, core and group lists, resources before their subresources', async () => {
    const version = await api.kc.makeApiClient(VersionApi).getCode();
    expect(version).toMatchObject({ major: '1', minor: '14', gitVersion: 'v1.14.6+c07e432da' });
    expect((await call('GET', '/api')).json()).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const groups = (await call('GET', '/apis')).json();
    expect(groups.kind).toBe('APIGroupList');
    expect(groups.groups.map((g: { name: string }) => g.name)).toEqual(
      expect.arrayContaining(['apps', 'config.openshift.io', 'machineconfiguration.openshift.io']),
    );
    const core = (await call('GET', '/api/v1')).json();
    const names: string[] = core.resources.map((r: { name: string }) => r.name);
    expect(names.indexOf('pods')).toBeLessThan(names.indexOf('pods/eviction'));
    expect(core.resources.find((r: { name: string }) => r.name === 'pods/eviction')).toMatchObject({
      kind: 'Eviction',
      group: 'policy',
      verbs: ['create'],
    });
    const mco = (await call('GET', '/apis/machineconfiguration.openshift.io/v1')).json();
    expect(mco).toMatchObject({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: 'machineconfiguration.openshift.io/v1',
    });
    expect(mco.resources).toContainEqual(
      expect.objectContaining({
        name: 'machineconfigpools',
        kind: 'MachineConfigPool',
        namespaced: false,
        shortNames: ['mcp'],
      }),
    );
    expect((await call('GET', '/apis/config.openshift.io')).json()).toMatchObject({
      kind: 'APIGroup',
      name: 'config.openshift.io',
    });
    const aggregated = await call('GET', '/apis', {
      headers: { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' },
    });
    expect(aggregated.headers['content-type']).toBe(
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
    );
    expect(aggregated.json()).toMatchObject({ kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2' });
    expect((await call('GET', '/apis/nope.example.com/v1')).status).toBe(404);
  });

  it('answers 401 without or with another token, except for health checks', async () => {
    expect((await call('GET', '/api/v1/nodes', { token: null })).json()).toMatchObject({
      kind: 'Status',
      code: 401,
      reason: 'Unauthorized',
    });
    expect((await call('GET', '/api/v1/nodes', { token: 'other' })).status).toBe(401);
    const health = await call('GET', '/healthz', { token: null });
    expect([health.status, health.text]).toEqual([200, 'ok']);
  });

  it('answers 404 for unknown paths, 405 for verbs a path does not serve, 400 for mismatched namespaces', async () => {
    expect((await call('GET', '/api/v1/widgets')).json()).toMatchObject({ code: 404, reason: 'NotFound' });
    expect((await call('PUT', '/api/v1/namespaces/default/configmaps', { body: '{}' })).json()).toMatchObject({
      code: 405,
      reason: 'MethodNotAllowed',
    });
    expect((await call('POST', '/api/v1/configmaps', { body: '{}' })).status).toBe(405);
    const mismatch = await call('POST', '/api/v1/namespaces/default/configmaps', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ metadata: { name: 'x', namespace: 'kube-system' } }),
    });
    expect(mismatch.json()).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message: 'the namespace of the provided object does not match the namespace sent on the request',
    });
    const garbage = await call('POST', '/api/v1/namespaces/default/configmaps', {
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(garbage.json()).toMatchObject({ code: 400, reason: 'BadRequest' });
    const core = api.kc.makeApiClient(CoreV1Api);
    const missingNs = statusOf(
      await rejection(core.createNamespacedConfigMap({ namespace: 'absent', body: { metadata: { name: 'x' } } })),
    );
    expect(missingNs).toMatchObject({ code: 404, message: 'namespaces "absent" not found' });
  });

  it('answers 503 with Retry-After while unavailable, keeping mounted routes reachable', async () => {
    api.server.addRoute('/simulator/faults', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"faults":[]}');
    });
    let down = true;
    api.server.setAvailability(() => (down ? { ok: false, retryAfterSeconds: 7 } : { ok: true }));
    const refused = await call('GET', '/api/v1/nodes');
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('7');
    expect(refused.json()).toMatchObject({ kind: 'Status', code: 503, reason: 'ServiceUnavailable' });
    expect((await call('GET', '/simulator/faults')).json()).toEqual({ faults: [] });
    expect((await call('GET', '/simulator/faults', { token: 'other' })).status).toBe(401);
    down = false;
    expect((await call('GET', '/api/v1/nodes')).status).toBe(200);
    api.server.setAvailability(() => ({ ok: true }));
  });

  it('ends open watches when asked to drop them', async () => {
    const ended = new Promise<unknown>((resolve) => {
      void new Watch(api.kc).watch(
        '/api/v1/nodes',
        { resourceVersion: api.store.resourceVersion() },
        () => {},
        resolve,
      );
    });
    while (api.store.watchCount() === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    api.server.dropWatches();
    expect(await ended).toBeNull();
  });
});
