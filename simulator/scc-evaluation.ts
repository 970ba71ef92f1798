/**
 * OpenShift's security context constraints judged against a pod, as a pure function: which SCCs the
 * pod's requester and service account may use, whether one of them allows what the pod asks for
 * (privileged containers, host network/PID/IPC, host ports, volume kinds, the run-as user), and the
 * refusal worded as OpenShift's SCC admission words it. Both the hand-written server
 * (controllers/pod-admission.ts) and the real control plane's admission webhook
 * (control-plane/scc-admission-webhook.ts) judge pods with it.
 */
import { volumeKind, type Container, type PodSpec } from './controllers/pod-spec.js';

/** An SCC object as stored (fields top-level, as security.openshift.io/v1 has them). */
export interface SccObject {
  metadata: { name: string };
  [field: string]: unknown;
}

/** Someone the SCCs may be granted to: the pod's requester or its service account. */
export interface SccSubject {
  user: string;
  groups: readonly string[];
}

export interface SccRequest {
  /** The pod's name, or its generateName (as the refusal names it). */
  podName: string;
  namespace: string;
  spec: PodSpec;
  subjects: readonly SccSubject[];
  /** The namespace's `openshift.io/sa.scc.uid-range` annotation (`1000650000/10000`), if it has one. */
  namespaceUidRange?: string;
  /** SCCs some subject may `use` through RBAC (OpenShift's other way of granting them). */
  grantedByRbac?: ReadonlySet<string>;
  /** A platform namespace: every SCC counts as usable (see isPlatformNamespace). */
  platform?: boolean;
}

export type Admission = { allowed: true; scc: string } | { allowed: false; message: string };

interface Scc {
  name: string;
  priority: number;
  allowPrivilegedContainer: boolean;
  allowHostNetwork: boolean;
  allowHostPID: boolean;
  allowHostIPC: boolean;
  allowHostPorts: boolean;
  volumes: readonly string[];
  runAsUser: { type?: string; uid?: number; uidRangeMin?: number; uidRangeMax?: number };
  /** Drops every capability and forbids privilege escalation (the -v2 SCCs). */
  dropsAll: boolean;
  users: readonly string[];
  groups: readonly string[];
}

/**
 * The platform's own namespaces. On OpenShift their service accounts hold the SCCs they need through
 * the release payload's RBAC (`system:openshift:scc:*` roles bound per operator), which the lab does not
 * install: their pods are admitted under the first SCC that fits, so the lab's operators run.
 */
export function isPlatformNamespace(namespace: string): boolean {
  return namespace.startsWith('openshift-') || namespace.startsWith('kube-') || namespace === 'openshift';
}

/** The user and groups a pod's service account authenticates as. */
export function serviceAccountSubject(namespace: string, serviceAccount: string): SccSubject {
  return {
    user: `system:serviceaccount:${namespace}:${serviceAccount}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
  };
}

function readScc(obj: SccObject): Scc {
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
    runAsUser: field('runAsUser', {}),
    dropsAll:
      field<string[] | null>('requiredDropCapabilities', null)?.includes('ALL') === true &&
      field<boolean>('allowPrivilegeEscalation', true) === false,
    users: field('users', []),
    groups: field('groups', []),
  };
}

function volumeAllowed(scc: Scc, kind: string): boolean {
  if (scc.volumes.includes(`!${kind}`)) return false;
  return scc.volumes.includes('*') || scc.volumes.includes(kind);
}

/** `1000650000/10000` → [1000650000, 1000659999]. */
function parseUidRange(annotation: string | undefined): [number, number] | undefined {
  const match = /^(\d+)\/(\d+)$/.exec(annotation?.trim() ?? '');
  if (!match) return undefined;
  const first = Number(match[1]);
  return [first, first + Number(match[2]) - 1];
}

/** Why `uid` does not fit the SCC's run-as-user strategy, or undefined when it does. */
function runAsUserError(scc: Scc, uid: number, namespaceRange: [number, number] | undefined): string | undefined {
  const strategy = scc.runAsUser;
  switch (strategy.type) {
    case 'MustRunAs':
      return strategy.uid === undefined || uid === strategy.uid ? undefined : `must be: ${strategy.uid}`;
    case 'MustRunAsNonRoot':
      return uid === 0 ? 'running with the root UID is forbidden' : undefined;
    case 'MustRunAsRange': {
      const range: [number, number] | undefined =
        strategy.uidRangeMin !== undefined && strategy.uidRangeMax !== undefined
          ? [strategy.uidRangeMin, strategy.uidRangeMax]
          : namespaceRange;
      // No range anywhere (the lab's namespaces lack the annotation the cluster-policy-controller sets): unchecked.
      if (!range || (uid >= range[0] && uid <= range[1])) return undefined;
      return `must be in the ranges: [${range[0]}, ${range[1]}]`;
    }
    default:
      return undefined;
  }
}

function runAsUserOf(context: unknown): number | undefined {
  const uid = (context as { runAsUser?: unknown } | undefined)?.runAsUser;
  return typeof uid === 'number' ? uid : undefined;
}

/** The validation errors an SCC finds in a pod spec, worded as the SCC admission plugin words them. */
function violations(scc: Scc, spec: PodSpec, namespaceRange: [number, number] | undefined): string[] {
  const errors: string[] = [];
  if (spec.hostNetwork && !scc.allowHostNetwork)
    errors.push('spec.securityContext.hostNetwork: Invalid value: true: Host network is not allowed to be used');
  if (spec.hostPID && !scc.allowHostPID)
    errors.push('spec.securityContext.hostPID: Invalid value: true: Host PID is not allowed to be used');
  if (spec.hostIPC && !scc.allowHostIPC)
    errors.push('spec.securityContext.hostIPC: Invalid value: true: Host IPC is not allowed to be used');
  const podUid = runAsUserOf(spec.securityContext);
  const podUidError = podUid === undefined ? undefined : runAsUserError(scc, podUid, namespaceRange);
  if (podUidError) errors.push(`spec.securityContext.runAsUser: Invalid value: ${podUid}: ${podUidError}`);
  (spec.volumes ?? []).forEach((volume, index) => {
    const kind = volumeKind(volume);
    if (!volumeAllowed(scc, kind))
      errors.push(`spec.volumes[${index}]: Invalid value: "${kind}": ${kind} volumes are not allowed to be used`);
  });
  const containers: { container: Container; path: string }[] = [
    ...(spec.initContainers ?? []).map((container, index) => ({ container, path: `spec.initContainers[${index}]` })),
    ...spec.containers.map((container, index) => ({ container, path: `spec.containers[${index}]` })),
  ];
  for (const { container, path } of containers) {
    if (container.securityContext?.privileged && !scc.allowPrivilegedContainer) {
      errors.push(`${path}.securityContext.privileged: Invalid value: true: Privileged containers are not allowed`);
    }
    const uid = runAsUserOf(container.securityContext);
    const uidError = uid === undefined ? undefined : runAsUserError(scc, uid, namespaceRange);
    if (uidError) errors.push(`${path}.securityContext.runAsUser: Invalid value: ${uid}: ${uidError}`);
    for (const port of container.ports ?? []) {
      if (port.hostPort && !scc.allowHostPorts) {
        errors.push(`${path}.ports.hostPort: Invalid value: ${port.hostPort}: Host ports are not allowed to be used`);
      }
    }
  }
  return errors;
}

/**
 * How permissive an SCC is; among usable SCCs of equal priority the most restrictive wins (so
 * hostnetwork-v2 before hostnetwork: it keeps no capabilities).
 */
function permissiveness(scc: Scc): number {
  return (
    (scc.dropsAll ? 0 : 0.5) +
    [
      scc.allowPrivilegedContainer,
      scc.allowHostNetwork,
      scc.allowHostPID,
      scc.allowHostIPC,
      scc.allowHostPorts,
      volumeAllowed(scc, 'hostPath'),
      scc.runAsUser.type === 'RunAsAny',
    ].filter(Boolean).length
  );
}

/** Whether an SCC's `users` or `groups` name one of the subjects. */
export function grantedDirectly(scc: SccObject, subjects: readonly SccSubject[]): boolean {
  const { users, groups } = readScc(scc);
  return subjects.some(
    (subject) => users.includes(subject.user) || subject.groups.some((group) => groups.includes(group)),
  );
}

/**
 * Admits the pod under the first usable SCC (highest priority, then the most restrictive, then by name)
 * that allows everything it asks for, or refuses it with every SCC's reason.
 */
export function evaluateSccs(sccObjects: readonly SccObject[], request: SccRequest): Admission {
  const namespaceRange = parseUidRange(request.namespaceUidRange);
  const sccs = sccObjects
    .map((obj) => ({ obj, scc: readScc(obj) }))
    .sort(
      (a, b) =>
        b.scc.priority - a.scc.priority ||
        permissiveness(a.scc) - permissiveness(b.scc) ||
        a.scc.name.localeCompare(b.scc.name),
    );
  const reasons: string[] = [];
  for (const { obj, scc } of sccs) {
    const usable =
      request.platform === true ||
      grantedDirectly(obj, request.subjects) ||
      (request.grantedByRbac?.has(scc.name) ?? false);
    if (!usable) {
      reasons.push(`provider "${scc.name}": Forbidden: not usable by user or serviceaccount`);
      continue;
    }
    const errors = violations(scc, request.spec, namespaceRange);
    if (errors.length === 0) return { allowed: true, scc: scc.name };
    reasons.push(`provider ${scc.name}: .${errors.join(', ')}`);
  }
  // Platform pods are always admitted: their service accounts hold the SCCs they need.
  if (request.platform) return { allowed: true, scc: 'privileged' };
  return {
    allowed: false,
    message:
      `pods "${request.podName}" is forbidden: ` +
      `unable to validate against any security context constraint: [${reasons.join(', ')}]`,
  };
}
