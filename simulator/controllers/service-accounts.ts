/**
 * The ServiceAccount a workload's pods run as, created with the workload as OpenShift's operators do
 * (the ingress operator's `router`, the registry's `registry`, each platform DaemonSet's own): a real
 * kube-apiserver refuses a pod whose ServiceAccount does not exist.
 */
import type { KubeObject } from '../apiserver/store.js';
import type { LabApi } from '../lab-api.js';

/** Creates the ServiceAccount `workload`'s pod template names, when it is missing. */
export async function ensureServiceAccountOf(api: LabApi, workload: KubeObject): Promise<void> {
  const template = (workload.spec as { template?: { spec?: { serviceAccountName?: string } } } | undefined)?.template;
  const name = template?.spec?.serviceAccountName;
  const namespace = workload.metadata.namespace;
  if (!name || name === 'default' || !namespace || api.get('serviceaccounts', namespace, name)) return;
  await api.create('serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });
}
