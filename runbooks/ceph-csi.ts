/**
 * `ceph-csi`: the procedure's Ceph RBD part. The driver's project and service accounts with their
 * SCC grants; ceph-csi's RBAC, provisioner and node plugin from the release the lab pins; the config
 * map with the cluster id and monitors, the Ceph user Secret (resolved on the worker) and the
 * StorageClass; then the driver awaited on every schedulable node and the class proven by a test
 * claim that binds.
 *
 *   runbook start ceph-csi --lab lab.yaml --follow
 */
import { defineRunbook } from '../workflows/engine/definition.js';
import { action, wait } from './steps.js';

export const cephCsiRunbook = defineRunbook({
  name: 'ceph-csi',
  title: 'Ceph RBD storage through ceph-csi',
  description:
    'Project, service accounts and SCC grants; the ceph-csi driver of the pinned release; ' +
    'config map, user Secret and StorageClass; waits for the driver and proves the class with a ' +
    'test claim.',
  // Every step reads or changes the cluster through the install folder's kubeconfig: the lab's worker.
  defaults: { on: 'lab' },
  steps: [
    action('accounts', 'Create the project and the service accounts', 'clusterApply', {
      params: { objects: 'ceph-accounts' },
    }),
    action('scc', 'Grant the hostaccess and privileged SCCs', 'cephGrantScc'),
    action('driver', 'Apply the ceph-csi driver of the pinned release', 'cephApplyDriver'),
    action('config', 'Apply the config map, the user Secret and the StorageClass', 'clusterApply', {
      params: { objects: 'ceph-config' },
    }),
    wait('driver.ready', 'Wait for the node plugin everywhere and the provisioner', 'cephWaitDriver', {
      deadline: '15m',
      pollInterval: '5s',
    }),
    action('storage-class.prove', 'Prove the StorageClass with a test claim', 'cephProveStorageClass', {
      timeout: '5m',
    }),
  ],
});
