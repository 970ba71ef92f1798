/**
 * The ceph-csi driver as the runbook applies it: upstream's manifests (the release mirror's copy)
 * moved from `default` to the driver's namespace, subjects included, images overridden from the lab;
 * a manifest or a lab that puts something in another namespace is refused before anything is applied.
 */
import { describe, expect, it } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { cephNamespaceIssues, rewriteDriver } from '../../activities/day2/ceph.js';
import type { Ceph } from '../../lab/schema.js';
import type { KubeObject } from '../../render/index.js';
import { cephCsiManifests } from '../../simulator/release-mirror.js';
import { loadExampleLab } from '../../testing/engine-harness.js';

const ceph = async (): Promise<Ceph> => {
  const lab = await loadExampleLab();
  return {
    ...lab.day2.ceph!,
    driver: { release: 'v1.2.0', images: { 'csi-rbdplugin': 'registry.local/cephcsi:v1.2.0' } },
  };
};
const manifests = cephCsiManifests('v1.2.0') as unknown as Record<string, KubeObject[]>;

describe('the ceph-csi driver manifests', () => {
  it('moves namespaced objects and service-account subjects to the driver namespace and overrides images', async () => {
    const settings = await ceph();
    const objects = Object.entries(manifests).flatMap(([file, documents]) => rewriteDriver(settings, file, documents));
    for (const object of objects) {
      if (['ClusterRole', 'ClusterRoleBinding'].includes(object.kind))
        expect(object.metadata.namespace).toBeUndefined();
      else expect(object.metadata.namespace).toBe('ceph-csi');
      for (const subject of (object as { subjects?: Array<{ namespace: string }> }).subjects ?? [])
        expect(subject.namespace).toBe('ceph-csi');
    }
    const plugin = objects.find((object) => object.kind === 'DaemonSet') as unknown as {
      spec: { template: { spec: { containers: Array<{ name: string; image: string }> } } };
    };
    expect(plugin.spec.template.spec.containers).toEqual([
      expect.objectContaining({ name: 'driver-registrar', image: 'quay.io/k8scsi/csi-node-driver-registrar:v1.1.0' }),
      expect.objectContaining({ name: 'csi-rbdplugin', image: 'registry.local/cephcsi:v1.2.0' }),
    ]);
    expect(cephNamespaceIssues(settings, objects)).toEqual([]);
    // The inputs are left as fetched.
    expect(manifests['csi-rbdplugin.yaml']![0]!.metadata.namespace).toBe('default');
  });

  it('refuses an object or a binding in another namespace, naming the file and the fix', async () => {
    const settings = await ceph();
    const elsewhere = structuredClone(manifests['csi-provisioner-rbac.yaml']!);
    (elsewhere[2] as unknown as { subjects: Array<{ namespace: string }> }).subjects[0]!.namespace = 'kube-system';
    let failure: unknown;
    try {
      rewriteDriver(settings, 'csi-provisioner-rbac.yaml', elsewhere);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'NamespaceMismatch', nonRetryable: true });
    expect((failure as Error).message).toBe(
      'csi-provisioner-rbac.yaml: ClusterRoleBinding rbd-csi-provisioner-role binds ' +
        'ServiceAccount kube-system/rbd-csi-provisioner, not one in ceph-csi where the driver runs: ' +
        'fix the manifest',
    );
  });
});
