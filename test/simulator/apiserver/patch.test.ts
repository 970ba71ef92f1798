import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { node, rejection, startTestApi, statusOf } from './helpers.js';
import type { TestApi } from './helpers.js';
import type { JsonObject } from '../../support/json.js';

let api: TestApi;
let core: CoreV1Api;
let apps: AppsV1Api;
let custom: CustomObjectsApi;

beforeAll(async () => {
  api = await startTestApi();
  core = api.kc.makeApiClient(CoreV1Api);
  apps = api.kc.makeApiClient(AppsV1Api);
  custom = api.kc.makeApiClient(CustomObjectsApi);
  api.store.create('nodes', node('worker-0', { 'node-role.kubernetes.io/worker': '' }));
});
afterAll(() => api.close());

const as = (strategy: string) => setHeaderOptions('Content-Type', strategy);
const hostsubnet = { group: 'network.openshift.io', version: 'v1', plural: 'hostsubnets' };

describe('PATCH', () => {
  it('applies JSON patch (the generated clients default) and answers 422 when a test fails', async () => {
    const patched = await core.patchNode({
      name: 'worker-0',
      body: [{ op: 'add', path: '/metadata/labels/node-role.kubernetes.io~1infra', value: '' }],
    });
    expect(patched.metadata?.labels).toEqual({
      'node-role.kubernetes.io/worker': '',
      'node-role.kubernetes.io/infra': '',
    });
    const failed = statusOf(
      await rejection(
        core.patchNode({ name: 'worker-0', body: [{ op: 'test', path: '/spec/unschedulable', value: true }] }),
      ),
    );
    expect(failed).toMatchObject({ code: 422, reason: 'Invalid' });
  });

  it('applies merge patch: null deletes, arrays replace', async () => {
    await core.patchNode(
      {
        name: 'worker-0',
        body: {
          spec: {
            taints: [
              { key: 'a', effect: 'NoSchedule' },
              { key: 'b', effect: 'NoSchedule' },
            ],
          },
        },
      },
      as(PatchStrategy.MergePatch),
    );
    const patched = await core.patchNode(
      {
        name: 'worker-0',
        body: {
          metadata: { labels: { 'node-role.kubernetes.io/infra': null } },
          spec: { taints: [{ key: 'c', effect: 'NoExecute' }] },
        },
      },
      as(PatchStrategy.MergePatch),
    );
    expect(patched.metadata?.labels).toEqual({ 'node-role.kubernetes.io/worker': '' });
    expect(patched.spec?.taints).toEqual([{ key: 'c', effect: 'NoExecute' }]);
    // A merge patch carrying a stale resourceVersion is a conflict.
    const stale = statusOf(
      await rejection(
        core.patchNode(
          { name: 'worker-0', body: { metadata: { resourceVersion: '1' }, spec: { unschedulable: true } } },
          as(PatchStrategy.MergePatch),
        ),
      ),
    );
    expect(stale).toMatchObject({ code: 409, reason: 'Conflict' });
  });

  it('applies strategic merge patch to built-ins: cordon, containers and env merged by name', async () => {
    const cordoned = await core.patchNode(
      { name: 'worker-0', body: { spec: { unschedulable: true } } },
      as(PatchStrategy.StrategicMergePatch),
    );
    expect(cordoned.spec?.unschedulable).toBe(true);
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'router' },
        spec: {
          selector: { matchLabels: { app: 'router' } },
          template: {
            metadata: { labels: { app: 'router' } },
            spec: {
              containers: [
                {
                  name: 'router',
                  image: 'router:1',
                  env: [
                    { name: 'A', value: '1' },
                    { name: 'B', value: '2' },
                  ],
                },
                { name: 'sidecar', image: 'side:1' },
              ],
            },
          },
        },
      },
    });
    const patched = await apps.patchNamespacedDeployment(
      {
        namespace: 'default',
        name: 'router',
        body: {
          spec: {
            template: {
              spec: {
                nodeSelector: { 'node-role.kubernetes.io/infra': '' },
                containers: [
                  {
                    name: 'router',
                    image: 'router:2',
                    env: [
                      { name: 'B', value: '3' },
                      { name: 'A', $patch: 'delete' },
                    ],
                  },
                ],
              },
            },
          },
        },
      },
      as(PatchStrategy.StrategicMergePatch),
    );
    const containers = patched.spec?.template.spec?.containers ?? [];
    expect(containers.map((c) => [c.name, c.image])).toEqual([
      ['router', 'router:2'],
      ['sidecar', 'side:1'],
    ]);
    expect(containers[0]?.env).toEqual([{ name: 'B', value: '3' }]);
    expect(patched.spec?.template.spec?.nodeSelector).toEqual({ 'node-role.kubernetes.io/infra': '' });
    expect(patched.metadata?.generation).toBe(2);
  });

  it('refuses strategic merge patch on custom resources with 415', async () => {
    await custom.createClusterCustomObject({
      ...hostsubnet,
      body: {
        apiVersion: 'network.openshift.io/v1',
        kind: 'HostSubnet',
        metadata: { name: 'worker-0' },
        host: 'worker-0',
        subnet: '10.128.2.0/23',
      },
    });
    const error = await rejection(
      custom.patchClusterCustomObject(
        { ...hostsubnet, name: 'worker-0', body: { egressIPs: ['10.42.253.50'] } },
        as(PatchStrategy.StrategicMergePatch),
      ),
    );
    expect((error as { code: number }).code).toBe(415);
    expect(statusOf(error)).toMatchObject({ reason: 'UnsupportedMediaType' });
    const merged = (await custom.patchClusterCustomObject(
      { ...hostsubnet, name: 'worker-0', body: { egressIPs: ['10.42.253.50'] } },
      as(PatchStrategy.MergePatch),
    )) as Record<string, unknown>;
    expect(merged.egressIPs).toEqual(['10.42.253.50']);
  });

  it('server-side apply creates, then merges, and needs a field manager', async () => {
    const objects = KubernetesObjectApi.makeApiClient(api.kc);
    const spec: KubernetesObject & { spec: object } = {
      apiVersion: 'operator.openshift.io/v1',
      kind: 'IngressController',
      metadata: { name: 'default', namespace: 'openshift-ingress-operator' },
      spec: { replicas: 2 },
    };
    const created = await objects.patch(spec, undefined, undefined, 'runbook', true, PatchStrategy.ServerSideApply);
    expect(created.metadata?.uid).toBeDefined();
    const applied = (await objects.patch(
      { ...spec, spec: { nodePlacement: { nodeSelector: { matchLabels: { 'node-role.kubernetes.io/infra': '' } } } } },
      undefined,
      undefined,
      'runbook',
      true,
      PatchStrategy.ServerSideApply,
    )) as JsonObject;
    expect(applied.spec).toEqual({
      replicas: 2,
      nodePlacement: { nodeSelector: { matchLabels: { 'node-role.kubernetes.io/infra': '' } } },
    });
    expect(applied.metadata.managedFields[0]).toMatchObject({ manager: 'runbook', operation: 'Apply' });
    const noManager = statusOf(
      await rejection(objects.patch(spec, undefined, undefined, undefined, undefined, PatchStrategy.ServerSideApply)),
    );
    expect(noManager).toMatchObject({
      code: 422,
      message: 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    });
    const forced = statusOf(
      await rejection(objects.patch(spec, undefined, undefined, 'runbook', true, PatchStrategy.MergePatch)),
    );
    expect(forced).toMatchObject({
      code: 422,
      message: expect.stringContaining('force: Forbidden: may not be specified for non-apply patch'),
    });
    // Scale subresource of the IngressController.
    const scale = await custom.getNamespacedCustomObjectScale({
      group: 'operator.openshift.io',
      version: 'v1',
      plural: 'ingresscontrollers',
      namespace: 'openshift-ingress-operator',
      name: 'default',
    });
    expect(scale).toMatchObject({ kind: 'Scale', spec: { replicas: 2 } });
  });

  it('server-side apply refuses to change fields another manager owns unless forced', async () => {
    const objects = KubernetesObjectApi.makeApiClient(api.kc);
    const base = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owned', namespace: 'default' } };
    const applyAs = (manager: string, data: Record<string, string>, force = false) =>
      objects.patch(
        { ...base, data } as KubernetesObject,
        undefined,
        undefined,
        manager,
        force,
        PatchStrategy.ServerSideApply,
      );
    await applyAs('installer', { size: '1', mode: 'a' });
    await applyAs('runbook', { size: '1' }); // same value: shared, no conflict
    const refused = statusOf(await rejection(applyAs('runbook', { size: '2' })));
    expect(refused).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: 'Apply failed with 1 conflict: conflict with "installer": .data.size',
      details: { causes: [{ reason: 'FieldManagerConflict', field: '.data.size' }] },
    });
    const forced = (await applyAs('runbook', { size: '2' }, true)) as JsonObject;
    expect(forced.data).toEqual({ size: '2', mode: 'a' });
    const installer = forced.metadata.managedFields.find((e: { manager: string }) => e.manager === 'installer');
    expect(installer.fieldsV1).toEqual({ 'f:data': { 'f:mode': {} } });
    // A patch with a field manager owns what it changed.
    await core.patchNamespacedConfigMap(
      { namespace: 'default', name: 'owned', body: { data: { mode: 'b' } }, fieldManager: 'editor' },
      as(PatchStrategy.MergePatch),
    );
    const editorConflict = statusOf(await rejection(applyAs('installer', { mode: 'c' })));
    expect(editorConflict.message).toBe('Apply failed with 1 conflict: conflict with "editor" using v1: .data.mode');
  });

  it('answers 404 for patches of missing objects and 415 for unknown patch types', async () => {
    const missing = statusOf(
      await rejection(core.patchNode({ name: 'nope', body: { spec: {} } }, as(PatchStrategy.MergePatch))),
    );
    expect(missing).toMatchObject({ code: 404, message: 'nodes "nope" not found' });
    const unknown = await rejection(core.patchNode({ name: 'worker-0', body: {} }, as('application/x-yaml')));
    expect((unknown as { code: number }).code).toBe(415);
  });
});
