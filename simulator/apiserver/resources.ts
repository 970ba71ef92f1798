/**
 * The resource types the simulated API server serves. One generic store serves them all; this table
 * says, per type, what a real server would: group/version, plural and kind, scope, short names,
 * verbs, subresources, whether it is a custom resource (no strategic merge patch), whether it tracks
 * `metadata.generation`, and which extra field selectors it supports. Scopes and subresources follow
 * the upstream CRD manifests (openshift/api) and the built-in kube-apiserver registry.
 */
import { ovnEgressIp } from './vendored-crds.js';

export const Subresource = {
  status: 'status',
  scale: 'scale',
  approval: 'approval',
  eviction: 'eviction',
} as const;
export type Subresource = (typeof Subresource)[keyof typeof Subresource];

/** How names of a type are validated: DNS subdomain (most), DNS label (namespaces), path segment (RBAC, users). */
export type NameRule = 'subdomain' | 'label' | 'path';

/** Where the `scale` subresource reads and writes its numbers. */
export interface ScalePaths {
  specReplicas: string;
  statusReplicas: string;
  labelSelector?: string;
}

export interface ResourceType {
  group: string; // '' for the core group
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: readonly string[];
  categories?: readonly string[];
  verbs: readonly string[];
  subresources: readonly Subresource[];
  /** Served from a CustomResourceDefinition: no strategic merge patch (415), list items keep apiVersion/kind. */
  custom: boolean;
  /** `metadata.generation` is set and bumped on changes outside metadata and status. */
  generation: boolean;
  nameRule?: NameRule;
  /** Field selectors beyond metadata.name and metadata.namespace. */
  fieldSelectors?: readonly string[];
  scale?: ScalePaths;
}

export type ResourceTable = readonly ResourceType[];

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;
const NO_COLLECTION_DELETE = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] as const;
const SUBRESOURCE_VERBS: Record<Subresource, readonly string[]> = {
  status: ['get', 'patch', 'update'],
  scale: ['get', 'patch', 'update'],
  approval: ['get', 'patch', 'update'],
  eviction: ['create'],
};

/** Verbs a subresource entry lists in discovery. */
export function subresourceVerbs(sub: Subresource): readonly string[] {
  return SUBRESOURCE_VERBS[sub];
}

type Spec = Omit<ResourceType, 'verbs' | 'subresources' | 'custom' | 'generation' | 'singular'> &
  Partial<Pick<ResourceType, 'verbs' | 'subresources' | 'custom' | 'generation' | 'singular'>>;

function builtin(spec: Spec): ResourceType {
  return {
    verbs: ALL_VERBS,
    subresources: [],
    custom: false,
    generation: false,
    singular: spec.kind.toLowerCase(),
    ...spec,
  };
}

/** A CRD-backed type: generation tracked, strategic merge patch refused, only metadata field selectors. */
function crd(spec: Spec): ResourceType {
  return builtin({ custom: true, generation: true, ...spec });
}

const REPLICA_SCALE: ScalePaths = {
  specReplicas: 'spec.replicas',
  statusReplicas: 'status.replicas',
  labelSelector: 'spec.selector',
};

const status = [Subresource.status] as const;

export const DEFAULT_RESOURCES: ResourceTable = [
  // core/v1
  builtin({
    group: '',
    version: 'v1',
    plural: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
    shortNames: ['ns'],
    verbs: NO_COLLECTION_DELETE,
    subresources: status,
    nameRule: 'label',
    fieldSelectors: ['status.phase'],
  }),
  builtin({
    group: '',
    version: 'v1',
    plural: 'nodes',
    kind: 'Node',
    namespaced: false,
    shortNames: ['no'],
    subresources: status,
    fieldSelectors: ['spec.unschedulable'],
  }),
  builtin({
    group: '',
    version: 'v1',
    plural: 'pods',
    kind: 'Pod',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
    subresources: [Subresource.status, Subresource.eviction],
    generation: true,
    fieldSelectors: [
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.nominatedNodeName',
    ],
  }),
  builtin({ group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] }),
  builtin({ group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true, fieldSelectors: ['type'] }),
  builtin({
    group: '',
    version: 'v1',
    plural: 'services',
    kind: 'Service',
    namespaced: true,
    shortNames: ['svc'],
    categories: ['all'],
    subresources: status,
  }),
  builtin({
    group: '',
    version: 'v1',
    plural: 'serviceaccounts',
    kind: 'ServiceAccount',
    namespaced: true,
    shortNames: ['sa'],
  }),
  builtin({
    group: '',
    version: 'v1',
    plural: 'persistentvolumeclaims',
    kind: 'PersistentVolumeClaim',
    namespaced: true,
    shortNames: ['pvc'],
    subresources: status,
  }),
  builtin({
    group: '',
    version: 'v1',
    plural: 'persistentvolumes',
    kind: 'PersistentVolume',
    namespaced: false,
    shortNames: ['pv'],
    subresources: status,
  }),
  builtin({
    group: '',
    version: 'v1',
    plural: 'replicationcontrollers',
    kind: 'ReplicationController',
    namespaced: true,
    shortNames: ['rc'],
    categories: ['all'],
    subresources: [Subresource.status, Subresource.scale],
    generation: true,
    fieldSelectors: ['status.replicas'],
    scale: REPLICA_SCALE,
  }),
  builtin({
    group: '',
    version: 'v1',
    plural: 'events',
    kind: 'Event',
    namespaced: true,
    shortNames: ['ev'],
    fieldSelectors: [
      'involvedObject.kind',
      'involvedObject.name',
      'involvedObject.namespace',
      'involvedObject.uid',
      'reason',
      'type',
    ],
  }),
  builtin({
    group: '',
    version: 'v1',
    plural: 'endpoints',
    singular: 'endpoints',
    kind: 'Endpoints',
    namespaced: true,
    shortNames: ['ep'],
  }),
  // apps/v1
  builtin({
    group: 'apps',
    version: 'v1',
    plural: 'deployments',
    kind: 'Deployment',
    namespaced: true,
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: [Subresource.status, Subresource.scale],
    generation: true,
    scale: REPLICA_SCALE,
  }),
  builtin({
    group: 'apps',
    version: 'v1',
    plural: 'daemonsets',
    kind: 'DaemonSet',
    namespaced: true,
    shortNames: ['ds'],
    categories: ['all'],
    subresources: status,
    generation: true,
  }),
  builtin({
    group: 'apps',
    version: 'v1',
    plural: 'replicasets',
    kind: 'ReplicaSet',
    namespaced: true,
    shortNames: ['rs'],
    categories: ['all'],
    subresources: [Subresource.status, Subresource.scale],
    generation: true,
    fieldSelectors: ['status.replicas'],
    scale: REPLICA_SCALE,
  }),
  builtin({
    group: 'apps',
    version: 'v1',
    plural: 'statefulsets',
    kind: 'StatefulSet',
    namespaced: true,
    shortNames: ['sts'],
    categories: ['all'],
    subresources: [Subresource.status, Subresource.scale],
    generation: true,
    scale: REPLICA_SCALE,
  }),
  // policy/v1
  builtin({
    group: 'policy',
    version: 'v1',
    plural: 'poddisruptionbudgets',
    kind: 'PodDisruptionBudget',
    namespaced: true,
    shortNames: ['pdb'],
    subresources: status,
    generation: true,
  }),
  // storage.k8s.io/v1
  builtin({
    group: 'storage.k8s.io',
    version: 'v1',
    plural: 'storageclasses',
    kind: 'StorageClass',
    namespaced: false,
    shortNames: ['sc'],
  }),
  // certificates.k8s.io/v1
  builtin({
    group: 'certificates.k8s.io',
    version: 'v1',
    plural: 'certificatesigningrequests',
    kind: 'CertificateSigningRequest',
    namespaced: false,
    shortNames: ['csr'],
    subresources: [Subresource.approval, Subresource.status],
    fieldSelectors: ['spec.signerName'],
  }),
  // rbac.authorization.k8s.io/v1
  builtin({
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    plural: 'roles',
    kind: 'Role',
    namespaced: true,
    nameRule: 'path',
  }),
  builtin({
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    plural: 'rolebindings',
    kind: 'RoleBinding',
    namespaced: true,
    nameRule: 'path',
  }),
  builtin({
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    plural: 'clusterroles',
    kind: 'ClusterRole',
    namespaced: false,
    nameRule: 'path',
  }),
  builtin({
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    plural: 'clusterrolebindings',
    kind: 'ClusterRoleBinding',
    namespaced: false,
    nameRule: 'path',
  }),
  // security.openshift.io/v1
  crd({
    group: 'security.openshift.io',
    version: 'v1',
    plural: 'securitycontextconstraints',
    kind: 'SecurityContextConstraints',
    namespaced: false,
    shortNames: ['scc'],
  }),
  // config.openshift.io/v1
  crd({
    group: 'config.openshift.io',
    version: 'v1',
    plural: 'clusteroperators',
    kind: 'ClusterOperator',
    namespaced: false,
    shortNames: ['co'],
    subresources: status,
  }),
  crd({
    group: 'config.openshift.io',
    version: 'v1',
    plural: 'clusterversions',
    kind: 'ClusterVersion',
    namespaced: false,
    subresources: status,
  }),
  crd({
    group: 'config.openshift.io',
    version: 'v1',
    plural: 'oauths',
    kind: 'OAuth',
    namespaced: false,
    subresources: status,
  }),
  crd({
    group: 'config.openshift.io',
    version: 'v1',
    plural: 'infrastructures',
    kind: 'Infrastructure',
    namespaced: false,
    subresources: status,
  }),
  crd({
    group: 'config.openshift.io',
    version: 'v1',
    plural: 'ingresses',
    kind: 'Ingress',
    namespaced: false,
    subresources: status,
  }),
  crd({
    group: 'config.openshift.io',
    version: 'v1',
    plural: 'dnses',
    kind: 'DNS',
    singular: 'dns',
    namespaced: false,
    subresources: status,
  }),
  crd({
    group: 'config.openshift.io',
    version: 'v1',
    plural: 'networks',
    kind: 'Network',
    namespaced: false,
    subresources: status,
  }),
  crd({
    group: 'config.openshift.io',
    version: 'v1',
    plural: 'proxies',
    kind: 'Proxy',
    singular: 'proxy',
    namespaced: false,
    subresources: status,
  }),
  crd({
    group: 'config.openshift.io',
    version: 'v1',
    plural: 'schedulers',
    kind: 'Scheduler',
    namespaced: false,
    subresources: status,
  }),
  // machineconfiguration.openshift.io/v1
  crd({
    group: 'machineconfiguration.openshift.io',
    version: 'v1',
    plural: 'machineconfigs',
    kind: 'MachineConfig',
    namespaced: false,
    shortNames: ['mc'],
  }),
  crd({
    group: 'machineconfiguration.openshift.io',
    version: 'v1',
    plural: 'machineconfigpools',
    kind: 'MachineConfigPool',
    namespaced: false,
    shortNames: ['mcp'],
    subresources: status,
  }),
  // imageregistry.operator.openshift.io/v1
  crd({
    group: 'imageregistry.operator.openshift.io',
    version: 'v1',
    plural: 'configs',
    kind: 'Config',
    namespaced: false,
    subresources: status,
  }),
  // operator.openshift.io/v1
  crd({
    group: 'operator.openshift.io',
    version: 'v1',
    plural: 'ingresscontrollers',
    kind: 'IngressController',
    namespaced: true,
    subresources: [Subresource.status, Subresource.scale],
    scale: {
      specReplicas: 'spec.replicas',
      statusReplicas: 'status.availableReplicas',
      labelSelector: 'status.selector',
    },
  }),
  crd({
    group: 'operator.openshift.io',
    version: 'v1',
    plural: 'etcds',
    kind: 'Etcd',
    namespaced: false,
    subresources: status,
  }),
  // network.openshift.io/v1 (OpenShift SDN)
  crd({
    group: 'network.openshift.io',
    version: 'v1',
    plural: 'netnamespaces',
    kind: 'NetNamespace',
    namespaced: false,
  }),
  crd({ group: 'network.openshift.io', version: 'v1', plural: 'hostsubnets', kind: 'HostSubnet', namespaced: false }),
  crd({
    group: 'network.operator.openshift.io',
    version: 'v1',
    plural: 'egressrouters',
    kind: 'EgressRouter',
    namespaced: true,
    subresources: status,
  }),
  // k8s.ovn.org/v1 (OVN-Kubernetes), from the vendored CRD of ovn-org/ovn-kubernetes
  crd({
    group: ovnEgressIp.group,
    version: ovnEgressIp.version,
    plural: ovnEgressIp.plural,
    singular: ovnEgressIp.singular,
    kind: ovnEgressIp.kind,
    namespaced: ovnEgressIp.namespaced,
    ...(ovnEgressIp.shortNames ? { shortNames: ovnEgressIp.shortNames } : {}),
    subresources: ovnEgressIp.subresources,
  }),
  crd({
    group: 'network.openshift.io',
    version: 'v1',
    plural: 'clusternetworks',
    kind: 'ClusterNetwork',
    namespaced: false,
  }),
  // route.openshift.io/v1
  crd({
    group: 'route.openshift.io',
    version: 'v1',
    plural: 'routes',
    kind: 'Route',
    namespaced: true,
    categories: ['all'],
    subresources: status,
  }),
  // user.openshift.io/v1 (LDAP logins create users and identities)
  crd({
    group: 'user.openshift.io',
    version: 'v1',
    plural: 'users',
    kind: 'User',
    namespaced: false,
    nameRule: 'path',
  }),
  crd({
    group: 'user.openshift.io',
    version: 'v1',
    plural: 'identities',
    kind: 'Identity',
    singular: 'identity',
    namespaced: false,
    nameRule: 'path',
  }),
  crd({
    group: 'user.openshift.io',
    version: 'v1',
    plural: 'groups',
    kind: 'Group',
    namespaced: false,
    nameRule: 'path',
  }),
];

/**
 * The store key of a type: the plural, qualified by group for non-core types (`nodes`,
 * `machineconfigpools.machineconfiguration.openshift.io`).
 */
export function resourceKey(type: Pick<ResourceType, 'group' | 'plural'>): string {
  return type.group === '' ? type.plural : `${type.plural}.${type.group}`;
}

/** `v1` or `<group>/<version>`. */
export function apiVersionOf(type: Pick<ResourceType, 'group' | 'version'>): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

export interface GroupVersions {
  group: string;
  versions: string[];
}

/** Lookups over a resource table. */
export class ResourceRegistry {
  private readonly byKeyMap = new Map<string, ResourceType>();

  constructor(readonly table: ResourceTable = DEFAULT_RESOURCES) {
    for (const type of table) {
      const key = resourceKey(type);
      if (this.byKeyMap.has(key)) throw new Error(`resource table lists ${key} twice`);
      this.byKeyMap.set(key, type);
    }
  }

  byKey(key: string): ResourceType | undefined {
    return this.byKeyMap.get(key);
  }

  byPath(group: string, version: string, plural: string): ResourceType | undefined {
    const type = this.byKeyMap.get(resourceKey({ group, plural }));
    return type && type.version === version ? type : undefined;
  }

  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.table.find((type) => apiVersionOf(type) === apiVersion && type.kind === kind);
  }

  /** Types of one group/version, sorted by plural as the real discovery lists them. */
  inGroupVersion(group: string, version: string): ResourceType[] {
    return this.table
      .filter((type) => type.group === group && type.version === version)
      .sort((a, b) => a.plural.localeCompare(b.plural));
  }

  /** Named groups (core excluded) in table order, each with its versions. */
  groups(): GroupVersions[] {
    const groups = new Map<string, string[]>();
    for (const type of this.table) {
      if (type.group === '') continue;
      const versions = groups.get(type.group) ?? [];
      if (!versions.includes(type.version)) versions.push(type.version);
      groups.set(type.group, versions);
    }
    return [...groups].map(([group, versions]) => ({ group, versions }));
  }
}
