/**
 * The platform's own workloads that make draining a node on OpenShift what it is: the per-node
 * DaemonSets the operators run (DNS, node-ca, the machine-config daemon, the network plugin,
 * multus, tuned, node-exporter), which `oc adm drain` refuses without `--ignore-daemonsets`, and
 * the monitoring pods on emptyDir volumes, refused without `--delete-emptydir-data`, whose
 * PodDisruptionBudget a drain must respect. The operators create them during the install.
 */
import type { Lab } from '../lab/schema.js';
import type { KubeObject } from './apiserver/store.js';
import { namespaceObject } from './openshift-objects.js';

interface DaemonSetShape {
  namespace: string;
  name: string;
  /** Container names, as the real pods have them. */
  containers: string[];
  hostNetwork?: boolean;
  /** Only on masters (the machine-config server). */
  mastersOnly?: boolean;
}

/** The DaemonSets of an installed cluster; the network plugin's follow `networkType`. */
function daemonSetShapes(lab: Lab): DaemonSetShape[] {
  const network: DaemonSetShape[] =
    lab.cluster.networkType === 'OVNKubernetes'
      ? [
          {
            namespace: 'openshift-ovn-kubernetes',
            name: 'ovnkube-node',
            containers: ['ovn-controller', 'ovnkube-node'],
            hostNetwork: true,
          },
        ]
      : [
          { namespace: 'openshift-sdn', name: 'sdn', containers: ['sdn'], hostNetwork: true },
          { namespace: 'openshift-sdn', name: 'ovs', containers: ['openvswitch'], hostNetwork: true },
        ];
  return [
    { namespace: 'openshift-dns', name: 'dns-default', containers: ['dns', 'dns-node-resolver'] },
    { namespace: 'openshift-image-registry', name: 'node-ca', containers: ['node-ca'] },
    {
      namespace: 'openshift-machine-config-operator',
      name: 'machine-config-daemon',
      containers: ['machine-config-daemon'],
      hostNetwork: true,
    },
    {
      namespace: 'openshift-machine-config-operator',
      name: 'machine-config-server',
      containers: ['machine-config-server'],
      hostNetwork: true,
      mastersOnly: true,
    },
    ...network,
    { namespace: 'openshift-multus', name: 'multus', containers: ['kube-multus'], hostNetwork: true },
    { namespace: 'openshift-cluster-node-tuning-operator', name: 'tuned', containers: ['tuned'], hostNetwork: true },
    {
      namespace: 'openshift-monitoring',
      name: 'node-exporter',
      containers: ['node-exporter', 'kube-rbac-proxy'],
      hostNetwork: true,
    },
  ];
}

function daemonSet(shape: DaemonSetShape): KubeObject {
  const labels = { app: shape.name };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: shape.name, namespace: shape.namespace, labels },
    spec: {
      selector: { matchLabels: labels },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: shape.name,
          priorityClassName: 'system-node-critical',
          nodeSelector: {
            'kubernetes.io/os': 'linux',
            ...(shape.mastersOnly ? { 'node-role.kubernetes.io/master': '' } : {}),
          },
          // Node-level daemons run everywhere, tainted masters included.
          tolerations: [{ operator: 'Exists' }],
          ...(shape.hostNetwork ? { hostNetwork: true } : {}),
          containers: shape.containers.map((name) => ({ name, image: `quay.io/openshift-release-dev/${name}` })),
        },
      },
    },
  };
}

/** prometheus-adapter: two replicas on workers, an emptyDir each, and a budget that keeps one up. */
const ADAPTER_LABELS = { name: 'prometheus-adapter' };

function prometheusAdapter(): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'prometheus-adapter', namespace: 'openshift-monitoring', labels: ADAPTER_LABELS },
    spec: {
      replicas: 2,
      selector: { matchLabels: ADAPTER_LABELS },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
      template: {
        metadata: { labels: ADAPTER_LABELS },
        spec: {
          serviceAccountName: 'prometheus-adapter',
          priorityClassName: 'system-cluster-critical',
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          containers: [
            {
              name: 'prometheus-adapter',
              image: 'quay.io/openshift-release-dev/prometheus-adapter',
              volumeMounts: [{ name: 'tmpfs', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmpfs', emptyDir: {} }],
        },
      },
    },
  };
}

function prometheusAdapterBudget(): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'prometheus-adapter-pdb', namespace: 'openshift-monitoring', labels: ADAPTER_LABELS },
    spec: { minAvailable: 1, selector: { matchLabels: ADAPTER_LABELS } },
  };
}

/** What the operators create, keyed by store resource, namespaces first. */
export function platformWorkloads(lab: Lab): Array<{ resource: string; object: KubeObject }> {
  const shapes = daemonSetShapes(lab);
  const namespaces = [...new Set(shapes.map((shape) => shape.namespace))];
  return [
    ...namespaces.map((name) => ({ resource: 'namespaces', object: namespaceObject(name) })),
    ...shapes.map((shape) => ({ resource: 'daemonsets.apps', object: daemonSet(shape) })),
    { resource: 'deployments.apps', object: prometheusAdapter() },
    { resource: 'poddisruptionbudgets.policy', object: prometheusAdapterBudget() },
  ];
}
