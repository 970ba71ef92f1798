import { afterEach, describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../../../simulator/apiserver/store.js';
import { startIngressController } from '../../../simulator/controllers/ingress.js';
import { startWorkloadController } from '../../../simulator/controllers/pods.js';
import { startRegistryController } from '../../../simulator/controllers/registry.js';
import { startStorageController } from '../../../simulator/controllers/storage.js';
import { registryConfigObject } from '../../../simulator/openshift-objects.js';
import { defaultIngressController } from '../../../simulator/seed-installed.js';
import { claim, workingCeph } from './ceph.js';
import { day2Lab, fqdn, podsOf, waitFor, type Day2Lab } from './fixtures.js';
import { regexp } from '../../support/regexp.js';

let lab: Day2Lab;
afterEach(() => lab.stop());

const IC = 'ingresscontrollers.operator.openshift.io';
const REGISTRY = 'configs.imageregistry.operator.openshift.io';
const phase = (obj: KubeObject | undefined) => (obj?.status as { phase?: string } | undefined)?.phase;
const nodeOf = (pod: KubeObject) => (pod.spec as { nodeName?: string }).nodeName;
const condition = (obj: KubeObject | undefined, type: string) =>
  (
    (obj?.status as { conditions?: { type: string; status: string; message?: string; reason?: string }[] } | undefined)
      ?.conditions ?? []
  ).find((c) => c.type === type);

describe('ingress operator', () => {
  it("moves the routers to the infra nodes as the seed's nodePlacement asks, Pending until nodes match", async () => {
    lab = day2Lab();
    lab.start(startWorkloadController, startIngressController);
    const { store, ctx } = lab;
    store.create(IC, defaultIngressController(ctx));
    const ic = () => store.get(IC, 'openshift-ingress-operator', 'default')!;
    await waitFor(
      store,
      'two routers available',
      () =>
        (ic().status as { availableReplicas?: number }).availableReplicas === 2 &&
        condition(ic(), 'Available')?.status === 'True',
    );
    const routers = podsOf(store, 'openshift-ingress', 'router-default-');
    expect(routers.every((pod) => /compute|infra/.test(nodeOf(pod) ?? ''))).toBe(true);
    expect(ic().status).toMatchObject({
      domain: 'apps.intra.example.com',
      selector: 'ingresscontroller.operator.openshift.io/deployment-ingresscontroller=default',
    });
    // Host network: the pod IP is the node's.
    const node = store.get('nodes', undefined, nodeOf(routers[0]!)!)!;
    expect((routers[0]!.status as { podIP: string }).podIP).toBe(
      (node.status as { addresses: { address: string }[] }).addresses[0]!.address,
    );

    store.mutate(IC, 'openshift-ingress-operator', 'default', (draft) => {
      draft.spec = {
        ...(draft.spec as object),
        replicas: 3,
        nodePlacement: { nodeSelector: { matchLabels: { 'node-role.kubernetes.io/infra': '' } } },
      };
    });
    await waitFor(store, 'new routers Pending, old ones serving', () => {
      const pods = podsOf(store, 'openshift-ingress', 'router-default-');
      return (
        pods.some((pod) => !nodeOf(pod)) &&
        pods.filter((pod) => phase(pod) === 'Running').length === 2 &&
        condition(ic(), 'Progressing')?.status === 'True'
      );
    });
    for (const name of ['infra1', 'infra2', 'infra3']) {
      store.mutate('nodes', undefined, fqdn(name), (draft) => {
        draft.metadata.labels = { ...draft.metadata.labels, 'node-role.kubernetes.io/infra': '' };
      });
    }
    const placed = await waitFor(store, 'three routers on infra1..3', () => {
      const pods = podsOf(store, 'openshift-ingress', 'router-default-');
      const nodes = pods.map(nodeOf).sort();
      return (
        pods.length === 3 &&
        pods.every((pod) => phase(pod) === 'Running') &&
        nodes.join() === ['infra1', 'infra2', 'infra3'].map(fqdn).join() &&
        nodes
      );
    });
    expect(placed).toHaveLength(3);
    await waitFor(
      store,
      'IngressController settled',
      () =>
        (ic().status as { availableReplicas?: number }).availableReplicas === 3 &&
        condition(ic(), 'Progressing')?.status === 'False',
    );
  });
});

describe('image registry operator', () => {
  it("runs on emptyDir, and shows why it never rolls with the seed's claim drift", async () => {
    lab = day2Lab();
    lab.start(startWorkloadController, startStorageController, startRegistryController);
    const { store } = lab;
    store.create(REGISTRY, registryConfigObject({ emptyDir: {} }));
    const config = () => store.get(REGISTRY, undefined, 'cluster')!;
    await waitFor(
      store,
      'registry ready on emptyDir',
      () =>
        condition(config(), 'Available')?.status === 'True' && condition(config(), 'Progressing')?.status === 'False',
    );
    const [first] = podsOf(store, 'openshift-image-registry', 'image-registry-');
    expect((first!.spec as { volumes: unknown[] }).volumes).toEqual([{ name: 'registry-storage', emptyDir: {} }]);

    // The seed: PVC "image-registry" (no class), then `claim: image-registry-storage` in the config.
    store.create('persistentvolumeclaims', claim('openshift-image-registry', 'image-registry'));
    store.mutate(REGISTRY, undefined, 'cluster', (draft) => {
      (draft.spec as { storage: unknown }).storage = { pvc: { claim: 'image-registry-storage' } };
    });
    const progressing = await waitFor(store, 'Progressing with the pending pod reason', () => {
      const message = condition(config(), 'Progressing')?.message ?? '';
      return message.includes('unbound immediate PersistentVolumeClaims') && message;
    });
    expect(progressing).toMatch(
      regexp(
        /^The deployment has not completed: pod image-registry-\w+-\w+ is Pending: /,
        /0\/11 nodes are available: pod has unbound immediate PersistentVolumeClaims\.$/,
      ),
    );
    // The operator made its own claim under the configured name; the seed's PVC is unused.
    const managed = store.get('persistentvolumeclaims', 'openshift-image-registry', 'image-registry-storage')!;
    expect(managed.metadata.annotations?.['imageregistry.openshift.io']).toBe('true');
    expect(phase(managed)).toBe('Pending');
    // The old pod keeps serving.
    expect(
      podsOf(store, 'openshift-image-registry', 'image-registry-')
        .filter((pod) => phase(pod) === 'Running')
        .map((pod) => pod.metadata.name),
    ).toEqual([first!.metadata.name]);
    expect(condition(config(), 'Available')?.status).toBe('True');

    // A claim naming no PVC at all (not the default name): Degraded, nothing rolls.
    store.mutate(REGISTRY, undefined, 'cluster', (draft) => {
      (draft.spec as { storage: unknown }).storage = { pvc: { claim: 'registry-typo' } };
    });
    await waitFor(
      store,
      'Degraded naming the claim',
      () =>
        condition(config(), 'Degraded')?.message ===
        'Unable to apply resources: unable to sync storage configuration: persistentvolumeclaims "registry-typo" not found',
    );
  });

  it('rolls onto the Ceph claim once it is Bound (the example lab: one name for PVC and claim)', async () => {
    lab = day2Lab();
    lab.start(startWorkloadController, startStorageController, startRegistryController);
    const { store } = lab;
    store.create(REGISTRY, registryConfigObject({ emptyDir: {} }));
    workingCeph(store);
    const config = () => store.get(REGISTRY, undefined, 'cluster')!;
    await waitFor(store, 'registry on emptyDir', () => condition(config(), 'Progressing')?.status === 'False');
    store.create('persistentvolumeclaims', claim('openshift-image-registry', 'image-registry-storage', 'ceph-storage'));
    store.mutate(REGISTRY, undefined, 'cluster', (draft) => {
      (draft.spec as { storage: unknown }).storage = { pvc: { claim: 'image-registry-storage' } };
    });
    await waitFor(store, 'rolled onto the claim', () => {
      const pods = podsOf(store, 'openshift-image-registry', 'image-registry-');
      const volumes = pods.map((pod) => JSON.stringify((pod.spec as { volumes: unknown[] }).volumes));
      return (
        pods.length === 1 &&
        phase(pods[0]) === 'Running' &&
        volumes[0]!.includes('"claimName":"image-registry-storage"') &&
        condition(config(), 'Progressing')?.status === 'False'
      );
    });
    expect(config().status).toMatchObject({ storage: { pvc: { claim: 'image-registry-storage' } }, readyReplicas: 1 });
    expect(condition(config(), 'StorageExists')?.message).toBe('PVC image-registry-storage exists');
    const deployment = store.get('deployments.apps', 'openshift-image-registry', 'image-registry')!;
    expect(deployment.status).toMatchObject({ replicas: 1, updatedReplicas: 1, availableReplicas: 1 });
  });
});
