/**
 * What the API server checks when a controller creates a pod for a workload (the errors end up as
 * FailedCreate events on the workload, as real): the pod's ServiceAccount must exist, and some
 * SecurityContextConstraints the ServiceAccount may use must allow what the pod asks for
 * (privileged containers, host network/PID/IPC, host ports, hostPath and other volume kinds).
 *
 * Users of an SCC are its `users` (`system:serviceaccount:<ns>:<sa>`, as `oc adm policy
 * add-scc-to-user` writes it) and `groups`. Service accounts of the platform's own namespaces
 * (`openshift-*`, `kube-*`) are granted what they need by the cluster's default RBAC, which this
 * lab does not model, so their pods are admitted under the first SCC that fits. The SCCs themselves are
 * judged by scc-evaluation.ts, which the real control plane's admission webhook shares.
 */
import type { LabReader } from '../lab-api.js';
import { R } from '../openshift-objects.js';
import { evaluateSccs, isPlatformNamespace, serviceAccountSubject, type Admission } from '../scc-evaluation.js';
import { serviceAccountOf, type PodSpec } from './pod-spec.js';

export { isPlatformNamespace, type Admission };

/** Service accounts every namespace gets from the service account controller. */
const BUILT_IN_SERVICE_ACCOUNTS = new Set(['default', 'builder', 'deployer']);

/** Admits (or refuses) a pod a controller is about to create in `namespace` from `spec`. */
export function admitPod(api: LabReader, namespace: string, generateName: string, spec: PodSpec): Admission {
  const serviceAccount = serviceAccountOf(spec);
  const platform = isPlatformNamespace(namespace);
  const forbidden = (why: string): Admission => ({
    allowed: false,
    message: `pods "${generateName}" is forbidden: ${why}`,
  });
  if (
    !platform &&
    !BUILT_IN_SERVICE_ACCOUNTS.has(serviceAccount) &&
    !api.get('serviceaccounts', namespace, serviceAccount)
  ) {
    return forbidden(
      `error looking up service account ${namespace}/${serviceAccount}: serviceaccount "${serviceAccount}" not found`,
    );
  }
  const namespaceObject = api.get('namespaces', undefined, namespace);
  return evaluateSccs(api.list(R.sccs).items, {
    podName: generateName,
    namespace,
    spec,
    subjects: [serviceAccountSubject(namespace, serviceAccount)],
    namespaceUidRange: namespaceObject?.metadata.annotations?.['openshift.io/sa.scc.uid-range'],
    platform,
  });
}
