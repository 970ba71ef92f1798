/**
 * The objects an OpenShift 4 install puts in the API, built from the lab: namespaces, SCCs, the
 * ClusterOperators and ClusterVersion, Nodes as the kubelet registers them, kubelet CSRs. Shared by
 * the install controllers (`--from bare`) and the installed seeding (`--from installed`), so both
 * starting points show the same objects.
 */
import { randomUUID } from 'node:crypto';
import { clusterDomain, nodeFqdn, roleLabel, type Lab, type Node } from '../lab/schema.js';
import { kubernetesMinor } from '../lab/release.js';
import type { KubeObject } from './apiserver/store.js';

export type { KubeObject } from './apiserver/store.js';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
  [key: string]: unknown;
}

/** Store keys of the resource types these controllers touch. */
export const R = {
  namespaces: 'namespaces',
  nodes: 'nodes',
  pods: 'pods',
  configmaps: 'configmaps',
  secrets: 'secrets',
  deployments: 'deployments.apps',
  replicasets: 'replicasets.apps',
  csrs: 'certificatesigningrequests.certificates.k8s.io',
  sccs: 'securitycontextconstraints.security.openshift.io',
  clusteroperators: 'clusteroperators.config.openshift.io',
  clusterversions: 'clusterversions.config.openshift.io',
  oauths: 'oauths.config.openshift.io',
  infrastructures: 'infrastructures.config.openshift.io',
  registryConfigs: 'configs.imageregistry.operator.openshift.io',
  ingresscontrollers: 'ingresscontrollers.operator.openshift.io',
  etcds: 'etcds.operator.openshift.io',
} as const;

export function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Sets a condition, keeping `lastTransitionTime` when the status does not change. Returns the new list. */
export function setCondition(conditions: readonly Condition[] | undefined, next: Condition): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((condition) => condition.type === next.type);
  const previous = index >= 0 ? list[index] : undefined;
  const merged: Condition = {
    ...next,
    lastTransitionTime:
      previous && previous.status === next.status ? previous.lastTransitionTime : (next.lastTransitionTime ?? now()),
  };
  if (index >= 0) list[index] = merged;
  else list.push(merged);
  return list;
}

export function conditionOf(object: unknown, type: string): Condition | undefined {
  const conditions = (object as { status?: { conditions?: Condition[] } } | undefined)?.status?.conditions;
  return conditions?.find((condition) => condition.type === type);
}

export function isTrue(object: unknown, type: string): boolean {
  return conditionOf(object, type)?.status === 'True';
}

// ---------------------------------------------------------------------------------------------
// Cluster-wide

/** The ClusterOperators of the procedure's `oc get co` (OpenShift 4.2). */
export const CLUSTER_OPERATORS = [
  'authentication',
  'cloud-credential',
  'cluster-autoscaler',
  'console',
  'dns',
  'image-registry',
  'ingress',
  'insights',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'machine-api',
  'machine-config',
  'marketplace',
  'monitoring',
  'network',
  'node-tuning',
  'openshift-apiserver',
  'openshift-controller-manager',
  'openshift-samples',
  'operator-lifecycle-manager',
  'operator-lifecycle-manager-catalog',
  'operator-lifecycle-manager-packageserver',
  'service-ca',
  'service-catalog-apiserver',
  'service-catalog-controller-manager',
  'storage',
] as const;

/** Operators whose operands run on workers (routers, console, registry, monitoring): they wait for worker nodes. */
export const WORKLOAD_OPERATORS: readonly string[] = [
  'authentication',
  'console',
  'image-registry',
  'ingress',
  'monitoring',
];

export const NAMESPACES = [
  'default',
  'kube-node-lease',
  'kube-public',
  'kube-system',
  'openshift',
  'openshift-apiserver',
  'openshift-apiserver-operator',
  'openshift-authentication',
  'openshift-authentication-operator',
  'openshift-cloud-credential-operator',
  'openshift-cluster-machine-approver',
  'openshift-cluster-node-tuning-operator',
  'openshift-cluster-samples-operator',
  'openshift-cluster-storage-operator',
  'openshift-cluster-version',
  'openshift-config',
  'openshift-config-managed',
  'openshift-console',
  'openshift-console-operator',
  'openshift-controller-manager',
  'openshift-controller-manager-operator',
  'openshift-dns',
  'openshift-dns-operator',
  'openshift-etcd',
  'openshift-image-registry',
  'openshift-infra',
  'openshift-ingress',
  'openshift-ingress-operator',
  'openshift-insights',
  'openshift-kube-apiserver',
  'openshift-kube-apiserver-operator',
  'openshift-kube-controller-manager',
  'openshift-kube-controller-manager-operator',
  'openshift-kube-scheduler',
  'openshift-kube-scheduler-operator',
  'openshift-machine-api',
  'openshift-machine-config-operator',
  'openshift-marketplace',
  'openshift-monitoring',
  'openshift-multus',
  'openshift-network-operator',
  'openshift-node',
  'openshift-operator-lifecycle-manager',
  'openshift-operators',
  'openshift-sdn',
  'openshift-service-ca',
  'openshift-service-ca-operator',
  'openshift-service-catalog-apiserver-operator',
  'openshift-service-catalog-controller-manager-operator',
] as const;

export function namespaceObject(name: string): KubeObject {
  const labels: Record<string, string> = {};
  if (name.startsWith('openshift')) labels['openshift.io/cluster-monitoring'] = 'true';
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

function scc(name: string, priority: number | null, fields: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'security.openshift.io/v1',
    kind: 'SecurityContextConstraints',
    metadata: { name, annotations: { 'kubernetes.io/description': `${name} as shipped with OpenShift` } },
    priority,
    allowHostDirVolumePlugin: false,
    allowHostIPC: false,
    allowHostNetwork: false,
    allowHostPID: false,
    allowHostPorts: false,
    allowPrivilegeEscalation: true,
    allowPrivilegedContainer: false,
    allowedCapabilities: null,
    defaultAddCapabilities: null,
    readOnlyRootFilesystem: false,
    requiredDropCapabilities: ['KILL', 'MKNOD', 'SETUID', 'SETGID'],
    fsGroup: { type: 'MustRunAs' },
    runAsUser: { type: 'MustRunAsRange' },
    seLinuxContext: { type: 'MustRunAs' },
    supplementalGroups: { type: 'RunAsAny' },
    volumes: ['configMap', 'downwardAPI', 'emptyDir', 'persistentVolumeClaim', 'projected', 'secret'],
    users: [],
    groups: [],
    ...fields,
  };
}

/** The default SecurityContextConstraints of OpenShift 4. */
export function defaultSccs(): KubeObject[] {
  return [
    scc('anyuid', 10, {
      runAsUser: { type: 'RunAsAny' },
      requiredDropCapabilities: ['MKNOD'],
      groups: ['system:cluster-admins'],
    }),
    scc('hostaccess', null, {
      allowHostDirVolumePlugin: true,
      allowHostIPC: true,
      allowHostNetwork: true,
      allowHostPID: true,
      allowHostPorts: true,
      volumes: ['configMap', 'downwardAPI', 'emptyDir', 'hostPath', 'persistentVolumeClaim', 'projected', 'secret'],
    }),
    scc('hostmount-anyuid', null, {
      allowHostDirVolumePlugin: true,
      runAsUser: { type: 'RunAsAny' },
      requiredDropCapabilities: ['MKNOD'],
      users: ['system:serviceaccount:openshift-infra:pv-recycler-controller'],
      volumes: [
        'configMap',
        'downwardAPI',
        'emptyDir',
        'hostPath',
        'nfs',
        'persistentVolumeClaim',
        'projected',
        'secret',
      ],
    }),
    scc('hostnetwork', null, { allowHostNetwork: true, allowHostPorts: true, runAsUser: { type: 'MustRunAsRange' } }),
    scc('nonroot', null, { runAsUser: { type: 'MustRunAsNonRoot' } }),
    scc('privileged', null, {
      allowHostDirVolumePlugin: true,
      allowHostIPC: true,
      allowHostNetwork: true,
      allowHostPID: true,
      allowHostPorts: true,
      allowPrivilegedContainer: true,
      allowedCapabilities: ['*'],
      allowedUnsafeSysctls: ['*'],
      requiredDropCapabilities: null,
      fsGroup: { type: 'RunAsAny' },
      runAsUser: { type: 'RunAsAny' },
      seLinuxContext: { type: 'RunAsAny' },
      seccompProfiles: ['*'],
      volumes: ['*'],
      users: ['system:admin', 'system:serviceaccount:openshift-infra:build-controller'],
      groups: ['system:cluster-admins', 'system:nodes', 'system:masters'],
    }),
    scc('restricted', null, { groups: ['system:authenticated'] }),
  ];
}

export function clusterOperatorObject(name: string, version: string, conditions: Condition[]): KubeObject {
  return {
    apiVersion: 'config.openshift.io/v1',
    kind: 'ClusterOperator',
    metadata: { name },
    spec: {},
    status: {
      conditions,
      versions: [{ name: 'operator', version }],
      relatedObjects: [{ group: '', resource: 'namespaces', name: `openshift-${name}` }],
      extension: null,
    },
  };
}

/** The three conditions `oc get co` shows, plus Upgradeable. */
export function operatorConditions(
  state: { available: boolean; progressing: boolean; degraded: boolean },
  message = '',
): Condition[] {
  const reason = (flag: boolean, yes: string, no: string) => (flag ? yes : no);
  return [
    {
      type: 'Available',
      status: state.available ? 'True' : 'False',
      reason: reason(state.available, 'AsExpected', 'NotAvailable'),
      message: state.available ? '' : message,
    },
    {
      type: 'Progressing',
      status: state.progressing ? 'True' : 'False',
      reason: reason(state.progressing, 'Deploying', 'AsExpected'),
      message: state.progressing ? message : '',
    },
    {
      type: 'Degraded',
      status: state.degraded ? 'True' : 'False',
      reason: reason(state.degraded, 'Degraded', 'AsExpected'),
      message: state.degraded ? message : '',
    },
    { type: 'Upgradeable', status: 'True', reason: 'AsExpected' },
  ].map((condition) => ({ ...condition, lastTransitionTime: now() }) as Condition);
}

export function clusterVersionObject(lab: Lab, clusterID = randomUUID()): KubeObject {
  const image = `quay.io/openshift-release-dev/ocp-release@sha256:${'0'.repeat(64)}`;
  return {
    apiVersion: 'config.openshift.io/v1',
    kind: 'ClusterVersion',
    metadata: { name: 'version' },
    spec: {
      clusterID,
      channel: `stable-${lab.cluster.version.split('.').slice(0, 2).join('.')}`,
      upstream: 'https://api.openshift.com/api/upgrades_info/v1/graph',
    },
    status: {
      desired: { version: lab.cluster.version, image },
      history: [
        {
          state: 'Partial',
          startedTime: now(),
          completionTime: null,
          version: lab.cluster.version,
          image,
          verified: false,
        },
      ],
      observedGeneration: 1,
      versionHash: 'sim',
      availableUpdates: null,
      conditions: [
        { type: 'Available', status: 'False', lastTransitionTime: now() },
        { type: 'Failing', status: 'False', lastTransitionTime: now() },
        {
          type: 'Progressing',
          status: 'True',
          lastTransitionTime: now(),
          message: `Working towards ${lab.cluster.version}`,
        },
        {
          type: 'RetrievedUpdates',
          status: 'False',
          lastTransitionTime: now(),
          reason: 'RemoteFailed',
          message: 'Unable to retrieve available updates',
        },
      ],
    },
  };
}

/** The cluster-scoped configuration objects the installer creates. */
export function clusterConfigObjects(lab: Lab): KubeObject[] {
  const domain = clusterDomain(lab);
  return [
    {
      apiVersion: 'config.openshift.io/v1',
      kind: 'Infrastructure',
      metadata: { name: 'cluster' },
      spec: { cloudConfig: { name: '' }, platformSpec: { type: 'None' } },
      status: {
        apiServerURL: `https://api.${domain}:6443`,
        apiServerInternalURI: `https://api-int.${domain}:6443`,
        etcdDiscoveryDomain: domain,
        infrastructureName: `${lab.cluster.name}-sim`,
        platform: 'None',
        controlPlaneTopology: 'HighlyAvailable',
        infrastructureTopology: 'HighlyAvailable',
      },
    },
    {
      apiVersion: 'config.openshift.io/v1',
      kind: 'OAuth',
      metadata: { name: 'cluster', annotations: { 'release.openshift.io/create-only': 'true' } },
      spec: {},
    },
    {
      apiVersion: 'operator.openshift.io/v1',
      kind: 'Etcd',
      metadata: { name: 'cluster' },
      spec: { managementState: 'Managed' },
      status: { conditions: [] },
    },
  ];
}

/** The image registry's operator config as a bare-metal install leaves it: no storage, so Degraded. */
export function registryConfigObject(storage?: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'imageregistry.operator.openshift.io/v1',
    kind: 'Config',
    metadata: { name: 'cluster', finalizers: ['imageregistry.operator.openshift.io/finalizer'] },
    spec: {
      managementState: 'Managed',
      logLevel: 'Normal',
      operatorLogLevel: 'Normal',
      replicas: 1,
      httpSecret: randomUUID().replace(/-/g, ''),
      defaultRoute: false,
      proxy: {},
      requests: { read: { maxWaitInQueue: '0s' }, write: { maxWaitInQueue: '0s' } },
      rolloutStrategy: 'RollingUpdate',
      ...(storage ? { storage } : { storage: {} }),
    },
    status: {},
  };
}

// ---------------------------------------------------------------------------------------------
// Nodes

/** The kubelet version OpenShift ships with a release (lab/release.ts; 4.2 as in the procedure's `oc get nodes`). */
export function kubeletVersion(openshiftVersion: string): string {
  const minor = kubernetesMinor(openshiftVersion);
  return minor === 14 ? 'v1.14.6+c07e432da' : `v1.${minor}.0`;
}

/** Role labels as OpenShift sets them at install: masters are masters, every other node a worker (infra too). */
export function installRoleLabels(node: Pick<Node, 'role'>): Record<string, string> {
  return { [roleLabel(node.role === 'master' ? 'master' : 'worker')]: '' };
}

export function nodeReadyCondition(ready: boolean): Condition {
  return ready
    ? {
        type: 'Ready',
        status: 'True',
        reason: 'KubeletReady',
        message: 'kubelet is posting ready status',
        lastHeartbeatTime: now(),
        lastTransitionTime: now(),
      }
    : {
        type: 'Ready',
        status: 'False',
        reason: 'KubeletNotReady',
        lastHeartbeatTime: now(),
        lastTransitionTime: now(),
        message:
          'runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin ' +
          'returns error: Missing CNI default network',
      };
}

/** A Node as the kubelet registers it; `ready` sets the Ready condition. */
export function nodeObject(lab: Lab, node: Node, ready: boolean): KubeObject {
  const fqdn = nodeFqdn(lab, node);
  const arch = lab.cluster.architecture === 'aarch64' ? 'arm64' : 'amd64';
  const master = node.role === 'master';
  const pressure = (type: string, reason: string) => ({
    type,
    status: 'False',
    reason,
    message: `kubelet has ${reason.replace(/^KubeletHas/, '').toLowerCase()}`,
    lastHeartbeatTime: now(),
    lastTransitionTime: now(),
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: fqdn,
      labels: {
        'beta.kubernetes.io/arch': arch,
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': arch,
        'kubernetes.io/hostname': fqdn,
        'kubernetes.io/os': 'linux',
        'node.openshift.io/os_id': 'rhcos',
        ...installRoleLabels(node),
      },
      annotations: { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec:
      master && !lab.cluster.mastersSchedulable
        ? { taints: [{ key: 'node-role.kubernetes.io/master', effect: 'NoSchedule' }] }
        : {},
    status: {
      addresses: [
        { type: 'InternalIP', address: node.ip },
        { type: 'Hostname', address: fqdn },
      ],
      capacity: {
        cpu: master ? '4' : '2',
        memory: master ? '16409096Ki' : '8163800Ki',
        pods: '250',
        'ephemeral-storage': '125293548Ki',
      },
      allocatable: {
        cpu: master ? '3500m' : '1500m',
        memory: master ? '15782408Ki' : '7537112Ki',
        pods: '250',
        'ephemeral-storage': '115470533646',
      },
      conditions: [
        pressure('MemoryPressure', 'KubeletHasSufficientMemory'),
        pressure('DiskPressure', 'KubeletHasNoDiskPressure'),
        pressure('PIDPressure', 'KubeletHasSufficientPID'),
        nodeReadyCondition(ready),
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: arch,
        bootID: randomUUID(),
        containerRuntimeVersion: 'cri-o://1.14.11-0.23.dev.rhaos4.2.gitc41de67.el8',
        kernelVersion: '4.18.0-147.el8.x86_64',
        kubeProxyVersion: kubeletVersion(lab.cluster.version),
        kubeletVersion: kubeletVersion(lab.cluster.version),
        machineID: randomUUID().replace(/-/g, ''),
        operatingSystem: 'linux',
        osImage: `Red Hat Enterprise Linux CoreOS ${lab.cluster.rhcosVersion.split('.').slice(0, 2).join('')}.81 (Ootpa)`,
        systemUUID: randomUUID(),
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Kubelet CSRs (reference: the kubelet TLS bootstrap)

export const NODE_BOOTSTRAPPER = 'system:serviceaccount:openshift-machine-config-operator:node-bootstrapper';
export const CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
export const SERVING_SIGNER = 'kubernetes.io/kubelet-serving';

interface CsrIdentity {
  signerName: string;
  usages: string[];
  username: string;
  groups: string[];
}

function csrObject(name: string, requestPem: string, identity: CsrIdentity): KubeObject {
  const { signerName, usages, username, groups } = identity;
  return {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name },
    spec: {
      request: Buffer.from(requestPem).toString('base64'),
      signerName,
      usages,
      username,
      uid: randomUUID(),
      groups,
    },
    status: {},
  };
}

/** The client CSR a kubelet files with the node-bootstrapper credentials. */
export function clientCsrObject(name: string, requestPem: string): KubeObject {
  return csrObject(name, requestPem, {
    signerName: CLIENT_SIGNER,
    usages: ['digital signature', 'key encipherment', 'client auth'],
    username: NODE_BOOTSTRAPPER,
    groups: [
      'system:serviceaccounts',
      'system:serviceaccounts:openshift-machine-config-operator',
      'system:authenticated',
    ],
  });
}

/** The serving CSR a registered kubelet files as itself. */
export function servingCsrObject(name: string, nodeName: string, requestPem: string): KubeObject {
  return csrObject(name, requestPem, {
    signerName: SERVING_SIGNER,
    usages: ['digital signature', 'key encipherment', 'server auth'],
    username: `system:node:${nodeName}`,
    groups: ['system:nodes', 'system:authenticated'],
  });
}

/** Generated CSR names look like the API server's `csr-xxxxx`. */
export function csrName(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += alphabet[Math.floor(Math.random() * alphabet.length)];
  return `csr-${suffix}`;
}
