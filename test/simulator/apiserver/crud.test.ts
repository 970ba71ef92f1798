import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AppsV1Api,
  CertificatesV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  PolicyV1Api,
  setHeaderOptions,
} from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { CO, MCP, node, pool, rejection, startTestApi, statusOf } from './helpers.js';
import type { TestApi } from './helpers.js';
import type { JsonObject } from '../../support/json.js';

let api: TestApi;
let core: CoreV1Api;
let custom: CustomObjectsApi;
let objects: KubernetesObjectApi;

beforeAll(async () => {
  api = await startTestApi();
  core = api.kc.makeApiClient(CoreV1Api);
  custom = api.kc.makeApiClient(CustomObjectsApi);
  objects = KubernetesObjectApi.makeApiClient(api.kc);
});
afterAll(() => api.close());

const mcp = { group: 'machineconfiguration.openshift.io', version: 'v1', plural: 'machineconfigpools' };

describe('API server over HTTPS with @kubernetes/client-node', () => {
  it('rejects a wrong token with a 401 Status', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(api.server.kubeconfigPath);
    kc.users[0] = { ...kc.users[0]!, token: 'not-the-token' };
    const error = await rejection(kc.makeApiClient(CoreV1Api).listNode());
    expect((error as { code: number }).code).toBe(401);
    const res = await fetchRaw('/api/v1/nodes', { authorization: 'Bearer nope' });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.text)).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
  });

  it('creates, reads, lists, replaces and deletes core objects', async () => {
    const created = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'settings' }, data: { a: '1' } },
    });
    expect(created.metadata?.uid).toBeDefined();
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    const read = await core.readNamespacedConfigMap({ namespace: 'default', name: 'settings' });
    expect(read.data).toEqual({ a: '1' });
    const list = await core.listNamespacedConfigMap({ namespace: 'default' });
    expect(list.items.map((cm) => cm.metadata?.name)).toContain('settings');
    expect(list.metadata?.resourceVersion).toBeDefined();
    const replaced = await core.replaceNamespacedConfigMap({
      namespace: 'default',
      name: 'settings',
      body: { ...read, data: { a: '2' } },
    });
    expect(replaced.data).toEqual({ a: '2' });
    await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'settings' });
    const error = await rejection(core.readNamespacedConfigMap({ namespace: 'default', name: 'settings' }));
    expect((error as { code: number }).code).toBe(404);
  });

  it('answers NotFound, AlreadyExists, Conflict and Invalid with real Status bodies', async () => {
    const missing = statusOf(await rejection(custom.getClusterCustomObject({ ...mcp, name: 'infra' })));
    expect(missing).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      code: 404,
      reason: 'NotFound',
      message: 'machineconfigpools.machineconfiguration.openshift.io "infra" not found',
      details: { name: 'infra', group: 'machineconfiguration.openshift.io', kind: 'machineconfigpools' },
    });
    await core.createNode({ body: node('dup-0') as never });
    const dup = statusOf(await rejection(core.createNode({ body: node('dup-0') as never })));
    expect(dup).toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
      message: 'nodes "dup-0" already exists',
      details: { name: 'dup-0', kind: 'nodes' },
    });
    const fresh = await core.readNode({ name: 'dup-0' });
    await core.patchNode(
      { name: 'dup-0', body: { metadata: { labels: { touched: 'yes' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const stale = statusOf(await rejection(core.replaceNode({ name: 'dup-0', body: fresh })));
    expect(stale).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: expect.stringContaining('the object has been modified'),
    });
    const bad = statusOf(
      await rejection(
        core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'Not_A_Name' } } }),
      ),
    );
    expect(bad).toMatchObject({
      code: 422,
      reason: 'Invalid',
      details: {
        name: 'Not_A_Name',
        kind: 'ConfigMap',
        causes: [{ reason: 'FieldValueInvalid', field: 'metadata.name' }],
      },
    });
    const unnamed = statusOf(
      await rejection(core.createNamespacedConfigMap({ namespace: 'default', body: { data: {} } })),
    );
    expect(unnamed).toMatchObject({
      code: 422,
      message: 'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required',
    });
    const wrongKind = statusOf(
      await rejection(
        custom.createClusterCustomObject({
          ...mcp,
          body: { apiVersion: 'machineconfiguration.openshift.io/v1', kind: 'MachineConfig', metadata: { name: 'x' } },
        }),
      ),
    );
    expect(wrongKind).toMatchObject({
      code: 422,
      reason: 'Invalid',
      message:
        'MachineConfigPool.machineconfiguration.openshift.io "x" is invalid: kind: Invalid value: ' +
        '"MachineConfig": must be MachineConfigPool',
    });
  });

  it('serves OpenShift custom resources with the status subresource and generation', async () => {
    const created = (await custom.createClusterCustomObject({
      ...mcp,
      body: { ...pool('infra', { paused: false }), status: { machineCount: 7 } },
    })) as JsonObject;
    expect(created.status).toBeUndefined(); // create cannot set status
    expect(created.metadata.generation).toBe(1);
    const withStatus = (await custom.patchClusterCustomObjectStatus(
      { ...mcp, name: 'infra', body: { status: { machineCount: 2 }, spec: { paused: true } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as JsonObject;
    expect(withStatus.status).toEqual({ machineCount: 2 });
    expect(withStatus.spec).toEqual({ paused: false });
    const paused = (await custom.patchClusterCustomObject(
      { ...mcp, name: 'infra', body: { spec: { paused: true }, status: { machineCount: 99 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as JsonObject;
    expect(paused.spec).toEqual({ paused: true });
    expect(paused.status).toEqual({ machineCount: 2 });
    expect(paused.metadata.generation).toBe(2);
    const status = (await custom.getClusterCustomObjectStatus({ ...mcp, name: 'infra' })) as JsonObject;
    expect(status.status).toEqual({ machineCount: 2 });
    // A custom resource PUT must carry metadata.resourceVersion.
    const { resourceVersion: _rv, ...meta } = paused.metadata;
    const unconditional = statusOf(
      await rejection(
        custom.replaceClusterCustomObject({ ...mcp, name: 'infra', body: { ...paused, metadata: meta } }),
      ),
    );
    expect(unconditional).toMatchObject({ code: 422, message: expect.stringContaining('metadata.resourceVersion') });
    const list = (await custom.listClusterCustomObject({ ...mcp })) as JsonObject;
    expect(list).toMatchObject({ kind: 'MachineConfigPoolList', apiVersion: 'machineconfiguration.openshift.io/v1' });
    expect(list.items[0]).toMatchObject({ kind: 'MachineConfigPool', metadata: { name: 'infra' } });
    await custom.deleteClusterCustomObject({ ...mcp, name: 'infra' });
    expect(api.store.get(MCP, undefined, 'infra')).toBeUndefined();
  });

  it('lists with label and field selectors, limit and continue', async () => {
    for (const [name, role] of [
      ['sel-master-0', 'master'],
      ['sel-worker-0', 'worker'],
      ['sel-worker-1', 'worker'],
    ] as const) {
      await core.createNode({
        body: node(name, { [`node-role.kubernetes.io/${role}`]: '', suite: 'selectors' }) as never,
      });
    }
    const workers = await core.listNode({ labelSelector: 'suite=selectors,node-role.kubernetes.io/worker=' });
    expect(workers.items.map((n) => n.metadata?.name)).toEqual(['sel-worker-0', 'sel-worker-1']);
    const notWorkers = await core.listNode({ labelSelector: 'suite in (selectors),!node-role.kubernetes.io/worker' });
    expect(notWorkers.items.map((n) => n.metadata?.name)).toEqual(['sel-master-0']);
    const byName = await core.listNode({ fieldSelector: 'metadata.name=sel-worker-1' });
    expect(byName.items.map((n) => n.metadata?.name)).toEqual(['sel-worker-1']);
    const page = await core.listNode({ labelSelector: 'suite=selectors', limit: 2 });
    expect(page.items).toHaveLength(2);
    expect(page.metadata?.remainingItemCount).toBe(1);
    const rest = await core.listNode({
      labelSelector: 'suite=selectors',
      limit: 2,
      _continue: page.metadata!._continue!,
    });
    expect(rest.items.map((n) => n.metadata?.name)).toEqual(['sel-worker-1']);
    const badField = statusOf(await rejection(core.listNode({ fieldSelector: 'status.phase=Ready' })));
    expect(badField).toMatchObject({ code: 400, reason: 'BadRequest' });
    const pods = await core.listPodForAllNamespaces({
      fieldSelector: 'spec.nodeName=sel-worker-0,status.phase!=Succeeded',
    });
    expect(pods.items).toEqual([]);
  });

  it('works through KubernetesObjectApi (discovery, create, patch, delete)', async () => {
    const spec: KubernetesObject = {
      apiVersion: 'config.openshift.io/v1',
      kind: 'ClusterOperator',
      metadata: { name: 'image-registry' },
    };
    const created = await objects.create(spec);
    expect(created.metadata?.uid).toBeDefined();
    // KubernetesObjectApi defaults to strategic merge, which custom resources refuse.
    const refused = statusOf(
      await rejection(objects.patch({ ...spec, metadata: { name: 'image-registry', labels: { a: 'b' } } })),
    );
    expect(refused).toMatchObject({
      code: 415,
      reason: 'UnsupportedMediaType',
      message:
        'the body of the request was in an unknown format - accepted media types include: ' +
        'application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    });
    const merged = await objects.patch(
      { ...spec, metadata: { name: 'image-registry', labels: { a: 'b' } } },
      undefined,
      undefined,
      undefined,
      undefined,
      PatchStrategy.MergePatch,
    );
    expect(merged.metadata?.labels).toEqual({ a: 'b' });
    // Namespaced kinds without a namespace land in the context namespace.
    const cm = await objects.create<KubernetesObject>({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'from-objects' },
    });
    expect(cm.metadata?.namespace).toBe('default');
    const listed = await objects.list('config.openshift.io/v1', 'ClusterOperator');
    expect(listed.items.map((item) => item.metadata?.name)).toContain('image-registry');
    await objects.delete(spec);
    expect(api.store.get(CO, undefined, 'image-registry')).toBeUndefined();
  });

  it('approves a CSR through the approval subresource', async () => {
    const certs = api.kc.makeApiClient(CertificatesV1Api);
    await certs.createCertificateSigningRequest({
      body: {
        metadata: { name: 'csr-approve' },
        spec: {
          request: Buffer.from('csr').toString('base64'),
          signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
          usages: ['digital signature', 'client auth'],
          username: 'system:serviceaccount:openshift-machine-config-operator:node-bootstrapper',
        },
      },
    });
    const csr = await certs.readCertificateSigningRequest({ name: 'csr-approve' });
    csr.status = {
      conditions: [
        {
          type: 'Approved',
          status: 'True',
          reason: 'KubectlApprove',
          message: 'This CSR was approved by kubectl certificate approve.',
          lastUpdateTime: new Date(),
        },
      ],
    };
    const approved = await certs.replaceCertificateSigningRequestApproval({ name: 'csr-approve', body: csr });
    expect(approved.status?.conditions?.[0]).toMatchObject({
      type: 'Approved',
      status: 'True',
      reason: 'KubectlApprove',
    });
    expect(approved.status?.conditions?.[0]?.lastTransitionTime).toBeInstanceOf(Date);
    // The same (now stale) object again is a conflict.
    const stale = statusOf(
      await rejection(certs.replaceCertificateSigningRequestApproval({ name: 'csr-approve', body: csr })),
    );
    expect(stale.reason).toBe('Conflict');
    // Signer-written status goes through /status; the approval stays.
    const signed = await certs.patchCertificateSigningRequestStatus(
      {
        name: 'csr-approve',
        body: { status: { ...approved.status, certificate: Buffer.from('cert').toString('base64') } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(signed.status?.certificate).toBeDefined();
    expect(signed.status?.conditions?.[0]?.type).toBe('Approved');
  });

  it('scales deployments and evicts pods unless a disruption budget forbids it or several select the pod', async () => {
    const apps = api.kc.makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
        },
      },
    });
    const scale = await apps.replaceNamespacedDeploymentScale({
      namespace: 'default',
      name: 'web',
      body: { metadata: { name: 'web' }, spec: { replicas: 3 } },
    });
    expect(scale.spec?.replicas).toBe(3);
    expect(scale.status?.selector).toBe('app=web');
    expect((await apps.readNamespacedDeployment({ namespace: 'default', name: 'web' })).spec?.replicas).toBe(3);

    for (const name of ['web-a', 'web-b']) {
      await core.createNamespacedPod({
        namespace: 'default',
        body: { metadata: { name, labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
      });
      api.store.mutate('pods', 'default', name, (d) => void (d.status = { phase: 'Running' }), {
        subresource: 'status',
      });
    }
    await api.kc.makeApiClient(PolicyV1Api).createNamespacedPodDisruptionBudget({
      namespace: 'default',
      body: { metadata: { name: 'web' }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } } },
    });
    const eviction = { metadata: { name: 'web-a', namespace: 'default' } };
    const blocked = await rejection(
      core.createNamespacedPodEviction({ namespace: 'default', name: 'web-a', body: eviction }),
    );
    expect(statusOf(blocked)).toMatchObject({
      code: 429,
      reason: 'TooManyRequests',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
    });
    api.store.delete('poddisruptionbudgets.policy', 'default', 'web');
    // Two budgets that each allow a disruption still refuse it, as the real server does, with a bare
    // Status of code 500.
    for (const name of ['web-one', 'web-other'])
      await api.kc.makeApiClient(PolicyV1Api).createNamespacedPodDisruptionBudget({
        namespace: 'default',
        body: { metadata: { name }, spec: { maxUnavailable: 2, selector: { matchLabels: { app: 'web' } } } },
      });
    const overlapped = await rejection(
      core.createNamespacedPodEviction({ namespace: 'default', name: 'web-a', body: eviction }),
    );
    expect(statusOf(overlapped)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
      code: 500,
    });
    api.store.delete('poddisruptionbudgets.policy', 'default', 'web-other');
    await core.createNamespacedPodEviction({ namespace: 'default', name: 'web-a', body: eviction });
    expect(api.store.get('pods', 'default', 'web-a')).toBeUndefined();
  });
});

async function fetchRaw(path: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request(`${api.server.url}${path}`, { ca: api.server.caCert, headers }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('deletion, dry runs and the current user', () => {
  it('deletes collections by label, honours dryRun, and terminates namespaces with their content', async () => {
    for (const name of ['keep', 'drop-1', 'drop-2']) {
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name, labels: { drop: String(name.startsWith('drop')) } } },
      });
    }
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'dry' } }, dryRun: 'All' });
    expect(api.store.get('configmaps', 'default', 'dry')).toBeUndefined();
    await core.deleteCollectionNamespacedConfigMap({ namespace: 'default', labelSelector: 'drop=true' });
    expect(
      api.store.list('configmaps', { namespace: 'default', labelSelector: 'drop' }).items.map((cm) => cm.metadata.name),
    ).toEqual(['keep']);

    await core.createNamespace({ body: { metadata: { name: 'doomed' } } });
    await core.createNamespacedServiceAccount({ namespace: 'doomed', body: { metadata: { name: 'robot' } } });
    const ns = await core.deleteNamespace({ name: 'doomed' });
    expect(ns).toMatchObject({ status: { phase: 'Terminating' } });
    expect(api.store.get('serviceaccounts', 'doomed', 'robot')).toBeUndefined();
    expect(((await rejection(core.readNamespace({ name: 'doomed' }))) as { code: number }).code).toBe(404);
  });

  it('tells oc whoami who the kubeconfig is', async () => {
    const user = (await custom.getClusterCustomObject({
      group: 'user.openshift.io',
      version: 'v1',
      plural: 'users',
      name: '~',
    })) as JsonObject;
    expect(user.metadata.name).toBe('system:admin');
  });
});
