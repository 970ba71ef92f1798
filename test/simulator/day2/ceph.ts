/** The seed's Ceph CSI objects (ceph-csi deploy/rbd/kubernetes, trimmed to what admission and the pod model read). */
import type { KubeObject, ObjectStore } from '../../../simulator/apiserver/store.js';
import { cephCsiManifests } from '../../../simulator/release-mirror.js';

export const CEPH_NS = 'ceph-csi';
export const SCC = 'securitycontextconstraints.security.openshift.io';

/** The driver's service accounts and workloads as the release mirror serves them, moved to `namespace`. */
export function cephCsiWorkloads(namespace = CEPH_NS): KubeObject[] {
  return Object.values(cephCsiManifests('v1.2.0'))
    .flat()
    .filter((object) => ['ServiceAccount', 'DaemonSet', 'Deployment'].includes(object.kind as string))
    .map((object) => {
      const moved = structuredClone(object) as unknown as KubeObject;
      moved.metadata = { ...moved.metadata, namespace };
      return moved;
    });
}

const RESOURCES: Record<string, string> = {
  ServiceAccount: 'serviceaccounts',
  DaemonSet: 'daemonsets.apps',
  Deployment: 'deployments.apps',
};

export function applyAll(store: ObjectStore, objects: readonly KubeObject[]): void {
  for (const object of objects) store.create(RESOURCES[object.kind]!, object);
}

/** `oc adm policy add-scc-to-user <scc> system:serviceaccount:<ns>:<sa>` as 4.2 does it (the SCC's users). */
export function addSccToUser(store: ObjectStore, scc: string, user: string): void {
  store.mutate(SCC, undefined, scc, (draft) => {
    const users = (draft.users as string[] | null) ?? [];
    if (!users.includes(user)) draft.users = [...users, user];
  });
}

/** The seed's StorageClass. */
export function cephStorageClass(): KubeObject {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'ceph-storage' },
    provisioner: 'rbd.csi.ceph.com',
    parameters: {
      clusterID: 'my-ceph-cluster-id',
      pool: 'kube',
      imageFeatures: 'layering',
      'csi.storage.k8s.io/provisioner-secret-name': 'csi-rbd-secret',
      'csi.storage.k8s.io/provisioner-secret-namespace': 'default',
      'csi.storage.k8s.io/node-stage-secret-name': 'csi-rbd-secret',
      'csi.storage.k8s.io/node-stage-secret-namespace': 'default',
      'csi.storage.k8s.io/fstype': 'xfs',
    },
    reclaimPolicy: 'Delete',
    mountOptions: ['discard'],
  };
}

export function csiConfigMap(json: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'ceph-csi-config', namespace: CEPH_NS },
    data: { 'config.json': json },
  };
}

export function rbdSecret(name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'default' },
    stringData: { userID: 'my-ceph-user-id', userKey: 'stand-in' },
  };
}

export function claim(
  namespace: string,
  name: string,
  storageClassName?: string,
  accessMode = 'ReadWriteOnce',
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace },
    spec: {
      accessModes: [accessMode],
      resources: { requests: { storage: '100Gi' } },
      ...(storageClassName ? { storageClassName } : {}),
    },
  };
}

/** Ceph CSI as the example lab sets it up (SCCs granted, config, secret, class): claims on ceph-storage bind. */
export function workingCeph(store: ObjectStore): void {
  applyAll(store, cephCsiWorkloads());
  for (const sa of ['rbd-csi-provisioner', 'rbd-csi-nodeplugin']) {
    for (const scc of ['hostaccess', 'privileged']) addSccToUser(store, scc, `system:serviceaccount:${CEPH_NS}:${sa}`);
  }
  store.create(
    'configmaps',
    csiConfigMap('[{"clusterID": "my-ceph-cluster-id", "monitors": ["10.1.2.3", "10.1.2.4", "10.1.2.5"]}]'),
  );
  store.create('secrets', rbdSecret('csi-rbd-secret'));
  store.create('storageclasses.storage.k8s.io', cephStorageClass());
}
