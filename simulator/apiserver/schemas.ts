/**
 * Structural schemas of the kinds the simulated API server serves, in the OpenAPI v3 subset that
 * CustomResourceDefinitions use (type, properties, items, additionalProperties, required,
 * x-kubernetes-int-or-string, x-kubernetes-preserve-unknown-fields). They cover the fields of
 * k8s.io/api and openshift/api that the runbooks, the procedure and the simulator's controllers use;
 * a part marked `open` (most `status`, pod templates) keeps whatever it is given, as a CRD with
 * x-kubernetes-preserve-unknown-fields does. The server validates and prunes with them
 * (./validation.ts) and publishes them at /openapi/v2 and /openapi/v3 (./openapi.ts).
 */
import type { ResourceType } from './resources.js';
import { ovnEgressIp } from './vendored-crds.js';

export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  format?: string;
  properties?: Record<string, Schema>;
  /** A map whose values all have this schema. */
  additionalProperties?: Schema;
  items?: Schema;
  required?: string[];
  enum?: string[];
  'x-kubernetes-int-or-string'?: true;
  'x-kubernetes-preserve-unknown-fields'?: true;
}

const str = (description?: string): Schema => ({ type: 'string', ...(description ? { description } : {}) });
const int = (description?: string): Schema => ({ type: 'integer', ...(description ? { description } : {}) });
const bool = (description?: string): Schema => ({ type: 'boolean', ...(description ? { description } : {}) });
const time: Schema = { type: 'string', format: 'date-time' };
const strings: Schema = { type: 'array', items: str() };
const stringMap: Schema = { type: 'object', additionalProperties: str() };
const intOrString = (description?: string): Schema => ({
  'x-kubernetes-int-or-string': true,
  ...(description ? { description } : {}),
});
const arr = (items: Schema, description?: string): Schema => ({
  type: 'array',
  items,
  ...(description ? { description } : {}),
});
const obj = (properties: Record<string, Schema>, description?: string, required?: string[]): Schema => ({
  type: 'object',
  properties,
  ...(description ? { description } : {}),
  ...(required ? { required } : {}),
});
/** An object whose content this simulator does not model: kept as given. */
const open = (description?: string): Schema => ({
  type: 'object',
  'x-kubernetes-preserve-unknown-fields': true,
  ...(description ? { description } : {}),
});

const ownerReference = obj(
  {
    apiVersion: str(),
    kind: str(),
    name: str(),
    uid: str(),
    controller: bool(),
    blockOwnerDeletion: bool(),
  },
  undefined,
  ['apiVersion', 'kind', 'name', 'uid'],
);

export const objectMeta = obj(
  {
    name: str('Name must be unique within a namespace (or the cluster, for cluster-scoped kinds).'),
    generateName: str(),
    namespace: str(),
    selfLink: str(),
    uid: str(),
    resourceVersion: str(),
    generation: int(),
    creationTimestamp: time,
    deletionTimestamp: time,
    deletionGracePeriodSeconds: int(),
    labels: { ...stringMap, description: 'Map of string keys and values to organize and select objects.' },
    annotations: { ...stringMap, description: 'Map of string keys and values for arbitrary metadata.' },
    ownerReferences: arr(ownerReference),
    finalizers: strings,
    managedFields: arr(open()),
  },
  'Standard object metadata.',
);

const labelSelector = obj(
  {
    matchLabels: { ...stringMap, description: 'A map of {key,value} pairs; each is an equality requirement.' },
    matchExpressions: arr(
      obj({ key: str(), operator: str('In, NotIn, Exists or DoesNotExist.'), values: strings }, undefined, [
        'key',
        'operator',
      ]),
    ),
  },
  'A label query over a set of resources. An empty selector matches all objects; a null one none.',
);
const localRef = obj({ name: str() });
const objectReference = obj({
  apiVersion: str(),
  kind: str(),
  name: str(),
  namespace: str(),
  uid: str(),
  resourceVersion: str(),
  fieldPath: str(),
});
const taint = obj({ key: str(), value: str(), effect: str(), timeAdded: time }, undefined, ['key', 'effect']);
const toleration = obj({
  key: str(),
  operator: str(),
  value: str(),
  effect: str(),
  tolerationSeconds: int(),
});
const policyRule = obj({
  apiGroups: strings,
  resources: strings,
  resourceNames: strings,
  verbs: strings,
  nonResourceURLs: strings,
});
const subject = obj({ kind: str(), apiGroup: str(), name: str(), namespace: str() });
const roleRef = obj({ apiGroup: str(), kind: str(), name: str() });
const podSpecLike = open('A pod template (not modelled field by field here).');

/** Top-level fields of each kind besides apiVersion, kind and metadata, by `apiVersion/kind`. */
const KIND_FIELDS: Record<string, Record<string, Schema>> = {
  'v1/Namespace': { spec: obj({ finalizers: strings }), status: open() },
  'v1/Node': {
    spec: obj({
      podCIDR: str(),
      podCIDRs: strings,
      providerID: str(),
      unschedulable: bool('Unschedulable controls node schedulability of new pods (cordon).'),
      taints: arr(taint),
      configSource: open(),
      externalID: str(),
    }),
    status: open(),
  },
  'v1/Pod': { spec: podSpecLike, status: open() },
  'v1/ConfigMap': { data: stringMap, binaryData: stringMap, immutable: bool() },
  'v1/Secret': { data: stringMap, stringData: stringMap, type: str(), immutable: bool() },
  'v1/Service': { spec: open(), status: open() },
  'v1/ServiceAccount': {
    secrets: arr(objectReference),
    imagePullSecrets: arr(localRef),
    automountServiceAccountToken: bool(),
  },
  'v1/PersistentVolumeClaim': {
    spec: obj({
      accessModes: strings,
      selector: labelSelector,
      resources: obj({ requests: { type: 'object', additionalProperties: intOrString() }, limits: open() }),
      volumeName: str(),
      storageClassName: str(),
      volumeMode: str(),
      dataSource: open(),
      dataSourceRef: open(),
      volumeAttributesClassName: str(),
    }),
    status: open(),
  },
  'v1/PersistentVolume': { spec: open(), status: open() },
  'v1/ReplicationController': {
    spec: obj({
      replicas: int(),
      minReadySeconds: int(),
      selector: stringMap,
      template: podSpecLike,
    }),
    status: open(),
  },
  'v1/Event': {
    involvedObject: objectReference,
    reason: str(),
    message: str(),
    source: obj({ component: str(), host: str() }),
    firstTimestamp: time,
    lastTimestamp: time,
    count: int(),
    type: str(),
    eventTime: str(),
    series: open(),
    action: str(),
    related: objectReference,
    reportingComponent: str(),
    reportingInstance: str(),
  },
  'v1/Endpoints': { subsets: arr(open()) },
  'apps/v1/Deployment': { spec: open(), status: open() },
  'apps/v1/DaemonSet': { spec: open(), status: open() },
  'apps/v1/ReplicaSet': { spec: open(), status: open() },
  'apps/v1/StatefulSet': { spec: open(), status: open() },
  'policy/v1/PodDisruptionBudget': {
    spec: obj({
      minAvailable: intOrString('Pods that must still be available after an eviction (number or percentage).'),
      maxUnavailable: intOrString('Pods that can be unavailable after an eviction (number or percentage).'),
      selector: labelSelector,
      unhealthyPodEvictionPolicy: str(),
    }),
    status: open(),
  },
  'storage.k8s.io/v1/StorageClass': {
    provisioner: str(),
    parameters: stringMap,
    reclaimPolicy: str(),
    mountOptions: strings,
    allowVolumeExpansion: bool(),
    volumeBindingMode: str(),
    allowedTopologies: arr(open()),
  },
  'certificates.k8s.io/v1/CertificateSigningRequest': {
    spec: obj(
      {
        request: str('Base64 of a PEM-encoded PKCS#10 certificate request.'),
        signerName: str(),
        expirationSeconds: int(),
        usages: strings,
        username: str('Set by the API server from the requesting identity.'),
        uid: str('Set by the API server from the requesting identity.'),
        groups: { ...strings, description: 'Set by the API server from the requesting identity.' },
        extra: { type: 'object', additionalProperties: strings },
      },
      undefined,
      ['request', 'signerName'],
    ),
    status: obj({
      conditions: arr(
        obj({
          type: str(),
          status: str(),
          reason: str(),
          message: str(),
          lastUpdateTime: time,
          lastTransitionTime: time,
        }),
      ),
      certificate: str(),
    }),
  },
  'rbac.authorization.k8s.io/v1/Role': { rules: arr(policyRule) },
  'rbac.authorization.k8s.io/v1/ClusterRole': { rules: arr(policyRule), aggregationRule: open() },
  'rbac.authorization.k8s.io/v1/RoleBinding': { subjects: arr(subject), roleRef },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': { subjects: arr(subject), roleRef },
  'security.openshift.io/v1/SecurityContextConstraints': {
    priority: int(),
    allowPrivilegedContainer: bool(),
    defaultAddCapabilities: strings,
    requiredDropCapabilities: strings,
    allowedCapabilities: strings,
    allowHostDirVolumePlugin: bool(),
    volumes: strings,
    allowedFlexVolumes: arr(obj({ driver: str() })),
    allowHostNetwork: bool(),
    allowHostPorts: bool(),
    allowHostPID: bool(),
    allowHostIPC: bool(),
    userNamespaceLevel: str(),
    defaultAllowPrivilegeEscalation: bool(),
    allowPrivilegeEscalation: bool(),
    seLinuxContext: open(),
    runAsUser: open(),
    supplementalGroups: open(),
    fsGroup: open(),
    readOnlyRootFilesystem: bool(),
    users: strings,
    groups: strings,
    seccompProfiles: strings,
    allowedUnsafeSysctls: strings,
    forbiddenSysctls: strings,
  },
  'config.openshift.io/v1/OAuth': {
    spec: obj({
      identityProviders: arr(
        obj({
          name: str(),
          mappingMethod: str('claim (default), lookup or add.'),
          type: str('LDAP, HTPasswd, OpenID, …'),
          ldap: obj({
            url: str(),
            bindDN: str(),
            bindPassword: localRef,
            insecure: bool(),
            ca: localRef,
            attributes: obj({ id: strings, preferredUsername: strings, name: strings, email: strings }),
          }),
          htpasswd: obj({ fileData: localRef }),
          openID: open(),
          github: open(),
          gitlab: open(),
          google: open(),
          keystone: open(),
          requestHeader: open(),
          basicAuth: open(),
        }),
      ),
      tokenConfig: open(),
      templates: open(),
    }),
    status: open(),
  },
  'config.openshift.io/v1/Scheduler': {
    spec: obj({
      mastersSchedulable: bool('Whether master nodes take ordinary workloads.'),
      policy: localRef,
      profile: str(),
      profileCustomizations: open(),
      defaultNodeSelector: str(),
    }),
    status: open(),
  },
  'machineconfiguration.openshift.io/v1/MachineConfig': {
    spec: obj({
      config: open('An Ignition config.'),
      osImageURL: str(),
      baseOSExtensionsContainerImage: str(),
      kernelArguments: strings,
      extensions: strings,
      fips: bool(),
      kernelType: str(),
    }),
  },
  'machineconfiguration.openshift.io/v1/MachineConfigPool': {
    spec: obj({
      machineConfigSelector: { ...labelSelector, description: 'Which MachineConfigs the pool renders.' },
      nodeSelector: { ...labelSelector, description: 'Which nodes the pool manages; empty matches none.' },
      paused: bool('Whether the MCO stops updating the nodes of the pool.'),
      maxUnavailable: intOrString('How many nodes may update at once (number or percentage).'),
      configuration: obj({ name: str(), source: arr(objectReference) }),
      pinnedImageSets: arr(obj({ name: str() })),
    }),
    status: open(),
  },
  'imageregistry.operator.openshift.io/v1/Config': {
    spec: obj({
      managementState: str('Managed, Unmanaged, Removed or Force.'),
      logLevel: str(),
      operatorLogLevel: str(),
      unsupportedConfigOverrides: open(),
      observedConfig: open(),
      httpSecret: str(),
      proxy: open(),
      storage: obj({
        emptyDir: obj({}),
        pvc: obj({ claim: str() }),
        s3: open(),
        gcs: open(),
        swift: open(),
        azure: open(),
        ibmcos: open(),
        oss: open(),
        managementState: str(),
      }),
      readOnly: bool(),
      disableRedirect: bool(),
      requests: open(),
      defaultRoute: bool(),
      routes: arr(open()),
      replicas: int(),
      logging: int(),
      resources: open(),
      nodeSelector: stringMap,
      tolerations: arr(toleration),
      rolloutStrategy: str(),
      affinity: open(),
      topologySpreadConstraints: arr(open()),
    }),
    status: open(),
  },
  'operator.openshift.io/v1/IngressController': {
    spec: obj({
      domain: str(),
      replicas: int(),
      endpointPublishingStrategy: open(),
      defaultCertificate: localRef,
      namespaceSelector: labelSelector,
      routeSelector: labelSelector,
      nodePlacement: obj({ nodeSelector: labelSelector, tolerations: arr(toleration) }),
      tlsSecurityProfile: open(),
      clientTLS: open(),
      routeAdmission: open(),
      logging: open(),
      httpHeaders: open(),
      tuningOptions: open(),
      unsupportedConfigOverrides: open(),
      httpErrorCodePages: localRef,
      httpEmptyRequestsPolicy: str(),
      httpCompression: open(),
    }),
    status: open(),
  },
  'network.openshift.io/v1/NetNamespace': { netname: str(), netid: int(), egressIPs: strings },
  [`${ovnEgressIp.group}/${ovnEgressIp.version}/${ovnEgressIp.kind}`]: ovnEgressIp.fields,
  'network.openshift.io/v1/HostSubnet': {
    host: str(),
    hostIP: str(),
    subnet: str(),
    egressIPs: strings,
    egressCIDRs: strings,
  },
  'network.openshift.io/v1/ClusterNetwork': {
    network: str(),
    hostsubnetlength: int(),
    serviceNetwork: str(),
    pluginName: str(),
    clusterNetworks: arr(obj({ CIDR: str(), hostSubnetLength: int() })),
    vxlanPort: int(),
    mtu: int(),
  },
  'user.openshift.io/v1/User': { fullName: str(), identities: strings, groups: strings },
  'user.openshift.io/v1/Identity': {
    providerName: str(),
    providerUserName: str(),
    user: objectReference,
    extra: stringMap,
  },
  'user.openshift.io/v1/Group': { users: strings },
};

const built = new Map<string, Schema>();

/** The schema of a kind: apiVersion, kind, metadata, and its own fields (spec/status open when not modelled). */
export function schemaOf(type: Pick<ResourceType, 'group' | 'version' | 'kind'>): Schema {
  const apiVersion = type.group === '' ? type.version : `${type.group}/${type.version}`;
  const key = `${apiVersion}/${type.kind}`;
  const known = built.get(key);
  if (known) return known;
  const fields = KIND_FIELDS[key] ?? { spec: open(), status: open() };
  const schema = obj(
    {
      apiVersion: str('The versioned schema of this representation of an object.'),
      kind: str('The REST resource this object represents.'),
      metadata: objectMeta,
      ...fields,
    },
    `${type.kind} (${apiVersion}).`,
  );
  built.set(key, schema);
  return schema;
}
