/**
 * What the API server checks when a controller creates a pod for a workload (the errors end up as
 * FailedCreate events on the workload, as real): the pod's ServiceAccount must exist, and some
 * SecurityContextConstraints the ServiceAccount may use must allow what the pod asks for
 * (privileged containers, host network/PID/IPC, host ports, hostPath and other volume kinds).
 *
 * Users of an SCC are its `users` (`system:serviceaccount:<ns>:<sa>`, as `oc adm policy
 * add-scc-to-user` writes it) and `groups`. Service accounts of the platform's own namespaces
 * (`openshift-*`, `kube-*`) are granted what they need by the cluster's default RBAC, which this
 * lab does not model, so their pods are admitted under the first SCC that fits.
 */
import type { KubeObject, ObjectStore } from '../apiserver/store.js';
import { R } from '../openshift-objects.js';
import { serviceAccountOf, volumeKind, type PodSpec } from './pod-spec.js';

/** Service accounts every namespace gets from the service account controller. */
const BUILT_IN_SERVICE_ACCOUNTS = new Set(['default', 'builder', 'deployer']);

interface Scc {
  name: string;
  priority: number;
  allowPrivilegedContainer: boolean;
  allowHostNetwork: boolean;
  allowHostPID: boolean;
  allowHostIPC: boolean;
  allowHostPorts: boolean;
  volumes: readonly string[];
  users: readonly string[];
  groups: readonly string[];
}

export type Admission = { allowed: true; scc: string } | { allowed: false; message: string };

export function isPlatformNamespace(namespace: string): boolean {
  return namespace.startsWith('openshift-') || namespace.startsWith('kube-') || namespace === 'openshift';
}

function readScc(obj: KubeObject): Scc {
  const field = <T>(name: string, fallback: T): T => (obj[name] as T | null | undefined) ?? fallback;
  const allowHostDir = field('allowHostDirVolumePlugin', false);
  // An SCC without `volumes` allows every kind, hostPath only with allowHostDirVolumePlugin (API defaulting).
  const volumes = field<string[] | null>('volumes', null) ?? (allowHostDir ? ['*'] : ['*', '!hostPath']);
  return {
    name: obj.metadata.name,
    priority: field('priority', 0),
    allowPrivilegedContainer: field('allowPrivilegedContainer', false),
    allowHostNetwork: field('allowHostNetwork', false),
    allowHostPID: field('allowHostPID', false),
    allowHostIPC: field('allowHostIPC', false),
    allowHostPorts: field('allowHostPorts', false),
    volumes,
    users: field('users', []),
    groups: field('groups', []),
  };
}

function volumeAllowed(scc: Scc, kind: string): boolean {
  if (scc.volumes.includes(`!${kind}`)) return false;
  return scc.volumes.includes('*') || scc.volumes.includes(kind);
}

/** The validation errors an SCC finds in a pod spec, worded as the SCC admission plugin words them. */
function violations(scc: Scc, spec: PodSpec): string[] {
  const errors: string[] = [];
  if (spec.hostNetwork && !scc.allowHostNetwork)
    errors.push('spec.securityContext.hostNetwork: Invalid value: true: Host network is not allowed to be used');
  if (spec.hostPID && !scc.allowHostPID)
    errors.push('spec.securityContext.hostPID: Invalid value: true: Host PID is not allowed to be used');
  if (spec.hostIPC && !scc.allowHostIPC)
    errors.push('spec.securityContext.hostIPC: Invalid value: true: Host IPC is not allowed to be used');
  (spec.volumes ?? []).forEach((volume, index) => {
    const kind = volumeKind(volume);
    if (!volumeAllowed(scc, kind))
      errors.push(`spec.volumes[${index}]: Invalid value: "${kind}": ${kind} volumes are not allowed to be used`);
  });
  const containers = [
    ...(spec.initContainers ?? []).map((container, index) => ({ container, path: `spec.initContainers[${index}]` })),
    ...spec.containers.map((container, index) => ({ container, path: `spec.containers[${index}]` })),
  ];
  for (const { container, path } of containers) {
    if (container.securityContext?.privileged && !scc.allowPrivilegedContainer) {
      errors.push(`${path}.securityContext.privileged: Invalid value: true: Privileged containers are not allowed`);
    }
    for (const port of container.ports ?? []) {
      if (port.hostPort && !scc.allowHostPorts) {
        errors.push(`${path}.ports.hostPort: Invalid value: ${port.hostPort}: Host ports are not allowed to be used`);
      }
    }
  }
  return errors;
}

/** How permissive an SCC is; among usable SCCs of equal priority the most restrictive wins. */
function permissiveness(scc: Scc): number {
  return [
    scc.allowPrivilegedContainer,
    scc.allowHostNetwork,
    scc.allowHostPID,
    scc.allowHostIPC,
    scc.allowHostPorts,
    volumeAllowed(scc, 'hostPath'),
  ].filter(Boolean).length;
}

/** Admits (or refuses) a pod a controller is about to create in `namespace` from `spec`. */
export function admitPod(store: ObjectStore, namespace: string, generateName: string, spec: PodSpec): Admission {
  const serviceAccount = serviceAccountOf(spec);
  const platform = isPlatformNamespace(namespace);
  const forbidden = (why: string): Admission => ({
    allowed: false,
    message: `pods "${generateName}" is forbidden: ${why}`,
  });
  if (
    !platform &&
    !BUILT_IN_SERVICE_ACCOUNTS.has(serviceAccount) &&
    !store.get('serviceaccounts', namespace, serviceAccount)
  ) {
    return forbidden(
      `error looking up service account ${namespace}/${serviceAccount}: serviceaccount "${serviceAccount}" not found`,
    );
  }
  const user = `system:serviceaccount:${namespace}:${serviceAccount}`;
  const groups = ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'];
  const sccs = store
    .list(R.sccs)
    .items.map(readScc)
    .sort((a, b) => b.priority - a.priority || permissiveness(a) - permissiveness(b) || a.name.localeCompare(b.name));
  const reasons: string[] = [];
  for (const scc of sccs) {
    const usable = platform || scc.users.includes(user) || scc.groups.some((group) => groups.includes(group));
    if (!usable) {
      reasons.push(`provider "${scc.name}": Forbidden: not usable by user or serviceaccount`);
      continue;
    }
    const errors = violations(scc, spec);
    if (errors.length === 0) return { allowed: true, scc: scc.name };
    reasons.push(`provider ${scc.name}: .${errors.join(', ')}`);
  }
  // Platform pods are always admitted: their service accounts hold the SCCs they need.
  if (platform) return { allowed: true, scc: 'privileged' };
  return forbidden(`unable to validate against any security context constraint: [${reasons.join(', ')}]`);
}
