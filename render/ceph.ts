/**
 * Ceph RBD through ceph-csi: the namespace and service accounts with their SCC grants, the
 * `ceph-csi-config` ConfigMap (cluster id and monitors), the Ceph user Secret and the StorageClass,
 * which names that Secret through the same lab value (`day2.ceph.secretName`).
 *
 * The ceph-csi provisioner Deployment and node plugin DaemonSet are upstream's YAML
 * (`deploy/rbd/kubernetes` of ceph/ceph-csi, namespace switched to ours), applied from the
 * operator's copy of the release they run; they are not rendered here.
 */
import type { Ceph, Lab } from '../lab/schema.js';
import { manifestFile, namespaceObject, serviceAccountObject, serviceAccountUser, toYaml } from './manifest.js';
import type { KubeObject } from './manifest.js';
import { base64, secretSlot } from './secret-slots.js';
import { header } from './text.js';
import type { RenderedFile, SecretSlot } from './types.js';

export const cephServiceAccounts = ['rbd-csi-provisioner', 'rbd-csi-nodeplugin'] as const;
/** SCCs each ceph-csi service account may use (`oc adm policy add-scc-to-user <scc> <user>`). */
export const cephSccs = ['hostaccess', 'privileged'] as const;
export const cephProvisioner = 'rbd.csi.ceph.com';

/** A user added to an SCC's `users`, as `oc adm policy add-scc-to-user` does. */
export interface SccGrant {
  scc: string;
  user: string;
}

export function cephUserKeySlot(ceph: Ceph): SecretSlot {
  return secretSlot('cephUserKey', ceph.userKey, 'base64');
}

export function cephNamespace(ceph: Ceph): KubeObject {
  return namespaceObject(ceph.namespace);
}

export function cephServiceAccountObjects(ceph: Ceph): KubeObject[] {
  return cephServiceAccounts.map((name) => serviceAccountObject(ceph.namespace, name));
}

export function cephSccGrants(ceph: Ceph): SccGrant[] {
  return cephServiceAccounts.flatMap((account) =>
    cephSccs.map((scc) => ({ scc, user: serviceAccountUser(ceph.namespace, account) })),
  );
}

/**
 * An SCC with the grants for it added to `users`, or undefined when they are all there already
 * (so applying grants is idempotent). Pure: the SCC passed in is not modified.
 */
export function withSccUsers<T extends { metadata?: { name?: string }; users?: string[] | null }>(
  scc: T,
  grants: readonly SccGrant[],
): T | undefined {
  const users = scc.users ?? [];
  const missing = grants
    .filter((grant) => grant.scc === scc.metadata?.name && !users.includes(grant.user))
    .map((grant) => grant.user);
  if (missing.length === 0) return undefined;
  return { ...scc, users: [...users, ...new Set(missing)] };
}

/** config.json of ceph-csi: one entry per Ceph cluster. */
export function cephCsiConfig(ceph: Ceph): KubeObject {
  const clusters = [{ clusterID: ceph.clusterId, monitors: ceph.monitors }];
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'ceph-csi-config', namespace: ceph.namespace },
    data: { 'config.json': `${JSON.stringify(clusters, null, 2)}\n` },
  };
}

/** The Ceph user the provisioner and node plugin authenticate as; `userKey` is a secret slot. */
export function cephUserSecret(ceph: Ceph): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: ceph.secretName, namespace: ceph.secretNamespace },
    type: 'Opaque',
    data: { userID: base64(ceph.userId), userKey: cephUserKeySlot(ceph).placeholder },
  };
}

export function cephStorageClass(ceph: Ceph): KubeObject {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: ceph.storageClass },
    provisioner: cephProvisioner,
    parameters: {
      clusterID: ceph.clusterId,
      pool: ceph.pool,
      imageFeatures: ceph.imageFeatures,
      'csi.storage.k8s.io/provisioner-secret-name': ceph.secretName,
      'csi.storage.k8s.io/provisioner-secret-namespace': ceph.secretNamespace,
      'csi.storage.k8s.io/node-stage-secret-name': ceph.secretName,
      'csi.storage.k8s.io/node-stage-secret-namespace': ceph.secretNamespace,
      'csi.storage.k8s.io/fstype': ceph.fsType,
    },
    reclaimPolicy: 'Delete',
    mountOptions: ['discard'],
  };
}

export function renderCeph(lab: Lab): RenderedFile[] {
  const ceph = lab.day2.ceph;
  if (ceph === undefined) return [];
  const grants = cephSccGrants(ceph);
  return [
    manifestFile(lab, [cephNamespace(ceph), ...cephServiceAccountObjects(ceph)], {
      path: 'cluster/ceph/service-accounts.yaml',
      artifact: 'ceph.service-accounts',
    }),
    {
      path: 'cluster/ceph/scc-grants.yaml',
      content: header(lab, '#', 'SCC users to add (oc adm policy add-scc-to-user <scc> <user>)') + toYaml(grants),
      artifact: 'ceph.scc-grants',
    },
    manifestFile(lab, [cephCsiConfig(ceph)], { path: 'cluster/ceph/csi-config.yaml', artifact: 'ceph.csi-config' }),
    manifestFile(lab, [cephUserSecret(ceph)], {
      path: 'cluster/ceph/secret.yaml',
      artifact: 'ceph.secret',
      secrets: [cephUserKeySlot(ceph)],
    }),
    manifestFile(lab, [cephStorageClass(ceph)], {
      path: 'cluster/ceph/storageclass.yaml',
      artifact: 'ceph.storage-class',
    }),
  ];
}
