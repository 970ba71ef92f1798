/**
 * The integrated image registry's storage: a PersistentVolumeClaim and the operator config patch
 * that claims it by the same lab value (`day2.registry.pvc.name`), or the emptyDir variant. Either
 * patch also sets `managementState: Managed` (bare-metal installs start with the registry Removed).
 */
import type { Lab, Registry } from '../lab/schema.js';
import { manifestFile, patchFile } from './manifest.js';
import type { KubeObject, MergePatch } from './manifest.js';
import type { RenderedFile } from './types.js';

/** What the storage objects depend on (deadlines are the runbook's business). */
type RegistryStorage = Pick<Registry, 'storage' | 'pvc'>;

export const registryNamespace = 'openshift-image-registry';
const registryConfigTarget = {
  apiVersion: 'imageregistry.operator.openshift.io/v1',
  kind: 'Config',
  name: 'cluster',
} as const;

/** The claim: `day2.registry.pvc` (schema defaults when absent); without a class, the Ceph one, else the cluster default. */
function pvcSettings(lab: Lab, registry: RegistryStorage) {
  const pvc = registry.pvc ?? { name: 'image-registry-storage', size: '100Gi', accessMode: 'ReadWriteOnce' as const };
  const storageClass = pvc.storageClass ?? lab.day2.ceph?.storageClass;
  return { ...pvc, storageClass };
}

export function registryPvc(lab: Lab, registry: RegistryStorage): KubeObject {
  const pvc = pvcSettings(lab, registry);
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: pvc.name, namespace: registryNamespace },
    spec: {
      accessModes: [pvc.accessMode],
      resources: { requests: { storage: pvc.size } },
      ...(pvc.storageClass === undefined ? {} : { storageClassName: pvc.storageClass }),
    },
  };
}

/**
 * The operator config patch. Switching storage kinds must drop the other one (a merge patch merges
 * objects), hence the explicit null.
 */
export function registryStoragePatch(lab: Lab, registry: RegistryStorage): MergePatch {
  const storage =
    registry.storage === 'pvc'
      ? { emptyDir: null, pvc: { claim: pvcSettings(lab, registry).name } }
      : { emptyDir: {}, pvc: null };
  return { target: registryConfigTarget, patch: { spec: { managementState: 'Managed', storage } } };
}

export function renderRegistry(lab: Lab): RenderedFile[] {
  const registry = lab.day2.registry;
  if (registry === undefined) return [];
  const patch = patchFile(lab, registryStoragePatch(lab, registry), {
    path: 'cluster/registry/config-patch.yaml',
    artifact: 'registry.config-patch',
  });
  if (registry.storage !== 'pvc') return [patch];
  return [
    manifestFile(lab, [registryPvc(lab, registry)], { path: 'cluster/registry/pvc.yaml', artifact: 'registry.pvc' }),
    patch,
  ];
}
