import { afterEach, describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../../../simulator/apiserver/store.js';
import { startWorkloadController } from '../../../simulator/controllers/pods.js';
import { startStorageController } from '../../../simulator/controllers/storage.js';
import {
  CEPH_NS,
  addSccToUser,
  applyAll,
  cephCsiWorkloads,
  cephStorageClass,
  claim,
  csiConfigMap,
  rbdSecret,
  workingCeph,
} from './ceph.js';
import { day2Lab, podsOf, waitFor, type Day2Lab } from './fixtures.js';

let lab: Day2Lab;
afterEach(() => lab.stop());

const phase = (obj: KubeObject | undefined) => (obj?.status as { phase?: string } | undefined)?.phase;
const running = (pods: KubeObject[]) => pods.filter((pod) => phase(pod) === 'Running').length;

/** The latest event about an object with that reason. */
function lastEvent(lab: Day2Lab, obj: KubeObject, reason?: string): string | undefined {
  const events = lab.store
    .list('events', {
      namespace: obj.metadata.namespace ?? 'default',
      fieldSelector: `involvedObject.uid=${obj.metadata.uid}`,
    })
    .items.filter((event) => !reason || event.reason === reason)
    .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
  const last = events[events.length - 1];
  return last && `${String(last.reason)}: ${String(last.message)}`;
}

function eventually(lab: Day2Lab, what: string, obj: () => KubeObject, match: string): Promise<string> {
  return waitFor(
    lab.store,
    what,
    () => {
      const message = lastEvent(lab, obj());
      return message?.includes(match) && message;
    },
    () => lastEvent(lab, obj()),
  );
}

describe('Ceph CSI and volume binding', () => {
  it('runs the CSI pods only once their ServiceAccounts hold the SCCs the seed grants', async () => {
    lab = day2Lab();
    lab.start(startWorkloadController, startStorageController);
    const { store } = lab;
    applyAll(store, cephCsiWorkloads());
    const ds = () => store.get('daemonsets.apps', CEPH_NS, 'csi-rbdplugin')!;
    const failed = await eventually(lab, 'DaemonSet FailedCreate', ds, 'FailedCreate');
    expect(failed).toContain(
      'Error creating: pods "csi-rbdplugin-" is forbidden: unable to validate against any security context constraint',
    );
    expect(failed).toContain(
      'provider restricted: .spec.securityContext.hostNetwork: Invalid value: true: Host network is not allowed to be used',
    );
    await waitFor(store, 'provisioner ReplicaFailure', () => {
      const deployment = store.get('deployments.apps', CEPH_NS, 'csi-rbdplugin-provisioner')!;
      return (deployment.status as { conditions?: { type: string; reason?: string }[] } | undefined)?.conditions?.some(
        (c) => c.type === 'ReplicaFailure' && c.reason === 'FailedCreate',
      );
    });
    expect(podsOf(store, CEPH_NS, 'csi-')).toHaveLength(0);

    // hostaccess alone is not enough: the plugin containers are privileged.
    for (const sa of ['rbd-csi-provisioner', 'rbd-csi-nodeplugin'])
      addSccToUser(store, 'hostaccess', `system:serviceaccount:${CEPH_NS}:${sa}`);
    const stillFailing = await eventually(lab, 'privileged refused', ds, 'provider hostaccess:');
    expect(stillFailing).toContain(
      'provider hostaccess: .spec.containers[1].securityContext.privileged: Invalid value: true: Privileged containers are not allowed',
    );
    expect(podsOf(store, CEPH_NS, 'csi-')).toHaveLength(0);

    for (const sa of ['rbd-csi-provisioner', 'rbd-csi-nodeplugin'])
      addSccToUser(store, 'privileged', `system:serviceaccount:${CEPH_NS}:${sa}`);
    await waitFor(
      store,
      'plugin on every worker, three provisioners',
      () =>
        running(podsOf(store, CEPH_NS, 'csi-rbdplugin-provisioner-')) === 3 &&
        (ds().status as { numberReady?: number }).numberReady === 8,
    );
    expect(podsOf(store, CEPH_NS, 'csi-rbdplugin-')[0]!.metadata.annotations?.['openshift.io/scc']).toBe('privileged');
  });

  it('binds a claim on the Ceph class only with provisioner running, the cluster id configured and the secret present', async () => {
    lab = day2Lab();
    lab.start(startWorkloadController, startStorageController);
    const { store } = lab;
    store.create('storageclasses.storage.k8s.io', cephStorageClass());
    store.create('persistentvolumeclaims', claim('openshift-image-registry', 'image-registry-storage', 'ceph-storage'));
    const pvc = () => store.get('persistentvolumeclaims', 'openshift-image-registry', 'image-registry-storage')!;
    expect(await eventually(lab, 'waiting for the provisioner', pvc, 'ExternalProvisioning')).toBe(
      'ExternalProvisioning: Waiting for a volume to be created either by the external provisioner ' +
        "'rbd.csi.ceph.com' or manually by the system administrator. If volume creation is delayed, please " +
        'verify that the provisioner is running and correctly registered.',
    );
    applyAll(store, cephCsiWorkloads());
    for (const sa of ['rbd-csi-provisioner', 'rbd-csi-nodeplugin'])
      addSccToUser(store, 'privileged', `system:serviceaccount:${CEPH_NS}:${sa}`);
    expect(await eventually(lab, 'cluster id missing', pvc, 'missing configuration')).toBe(
      'ProvisioningFailed: failed to provision volume with StorageClass "ceph-storage": rpc error: code = ' +
        'InvalidArgument desc = failed to fetch monitor list using clusterID (my-ceph-cluster-id): missing ' +
        'configuration for cluster ID "my-ceph-cluster-id"',
    );
    // The seed's config.json, typographic quotes and all.
    store.create(
      'configmaps',
      csiConfigMap(
        '[\n  {\n    “clusterID”: “my-ceph-cluster-id”,\n    “monitors: [ “10.1.2.3”,”10.1.2.4″10.1.2.5″ ]\n  }\n]\n',
      ),
    );
    expect(await eventually(lab, 'config unreadable', pvc, 'failed to parse')).toMatch(
      /failed to parse ceph-csi-config: /,
    );
    store.mutate('configmaps', CEPH_NS, 'ceph-csi-config', (cm) => {
      cm.data = {
        'config.json': '[{"clusterID": "my-ceph-cluster-id", "monitors": ["10.1.2.3", "10.1.2.4", "10.1.2.5"]}]',
      };
    });
    // The seed creates ceph-rbd-secret while its StorageClass names csi-rbd-secret.
    store.create('secrets', rbdSecret('ceph-rbd-secret'));
    expect(await eventually(lab, 'secret missing', pvc, 'secrets')).toBe(
      'ProvisioningFailed: failed to provision volume with StorageClass "ceph-storage": error getting secret ' +
        'csi-rbd-secret in namespace default: secrets "csi-rbd-secret" not found',
    );
    expect(phase(pvc())).toBe('Pending');
    store.create('secrets', rbdSecret('csi-rbd-secret'));
    const bound = await waitFor(store, 'claim Bound', () => phase(pvc()) === 'Bound' && pvc());
    const volumeName = (bound.spec as { volumeName: string }).volumeName;
    const pv = store.get('persistentvolumes', undefined, volumeName)!;
    expect(pv.spec).toMatchObject({
      storageClassName: 'ceph-storage',
      csi: {
        driver: 'rbd.csi.ceph.com',
        fsType: 'xfs',
        volumeAttributes: { clusterID: 'my-ceph-cluster-id', pool: 'kube' },
      },
      claimRef: { name: 'image-registry-storage' },
    });
    expect(phase(pv)).toBe('Bound');
    expect(await waitFor(store, 'the provisioning event', () => lastEvent(lab, bound, 'ProvisioningSucceeded'))).toBe(
      `ProvisioningSucceeded: Successfully provisioned volume ${volumeName}`,
    );
  });

  it('leaves a claim without a class Pending unless a default class exists, and refuses RWX filesystem RBD volumes', async () => {
    lab = day2Lab();
    lab.start(startWorkloadController, startStorageController);
    const { store } = lab;
    workingCeph(store);
    store.create('persistentvolumeclaims', claim('default', 'no-class'));
    const noClass = () => store.get('persistentvolumeclaims', 'default', 'no-class')!;
    expect(await eventually(lab, 'no storage class', noClass, 'FailedBinding')).toBe(
      'FailedBinding: no persistent volumes available for this claim and no storage class is set',
    );
    store.create('persistentvolumeclaims', claim('default', 'shared', 'ceph-storage', 'ReadWriteMany'));
    const shared = () => store.get('persistentvolumeclaims', 'default', 'shared')!;
    expect(await eventually(lab, 'RWX refused', shared, 'multi node')).toContain(
      'multi node access modes are only supported on rbd `block` type volumes',
    );
    store.mutate('storageclasses.storage.k8s.io', undefined, 'ceph-storage', (sc) => {
      sc.metadata.annotations = { 'storageclass.kubernetes.io/is-default-class': 'true' };
    });
    const bound = await waitFor(
      store,
      'no-class claim bound on the default class',
      () => phase(noClass()) === 'Bound' && noClass(),
    );
    expect((bound.spec as { storageClassName: string }).storageClassName).toBe('ceph-storage');
  });

  it('fault pvc-never-binds keeps the claim Pending until cleared', async () => {
    lab = day2Lab();
    lab.start(startWorkloadController, startStorageController);
    const { store, ctx } = lab;
    ctx.faults.add({ kind: 'pvc-never-binds', namespace: 'default', name: 'stuck' });
    workingCeph(store);
    store.create('persistentvolumeclaims', claim('default', 'stuck', 'ceph-storage'));
    store.create('persistentvolumeclaims', claim('default', 'fine', 'ceph-storage'));
    await waitFor(
      store,
      'the other claim binds',
      () => phase(store.get('persistentvolumeclaims', 'default', 'fine')) === 'Bound',
    );
    const stuck = () => store.get('persistentvolumeclaims', 'default', 'stuck')!;
    await eventually(lab, 'stuck waits', stuck, 'ExternalProvisioning');
    expect(phase(stuck())).toBe('Pending');
    ctx.faults.clear('pvc-never-binds');
    await waitFor(store, 'stuck binds once cleared', () => phase(stuck()) === 'Bound');
  });
});
