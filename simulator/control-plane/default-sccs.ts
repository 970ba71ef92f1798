/**
 * The default SecurityContextConstraints of a current OpenShift 4 (4.11 and later), seeded into the real
 * control plane when it starts: the classic set of openshift-objects.ts, plus restricted-v2, nonroot-v2
 * and hostnetwork-v2. As on such a cluster, `restricted` is no longer granted to every authenticated
 * user: restricted-v2 is, and through RBAC (the `system:openshift:scc:restricted-v2` ClusterRole's `use`
 * verb bound to `system:authenticated`), not through its `groups`. A simulated lab does not seed
 * these (`defaultSccs: false`): its release's SCCs come with its bootstrap manifests, through the API.
 */
import { defaultSccs } from '../openshift-objects.js';
import type { KubeObject } from '../apiserver/store.js';
import { applyAsLab, type ApiTarget } from './api-client.js';

const V2_VOLUMES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected'];

function v2(base: KubeObject, name: string): KubeObject {
  return {
    ...base,
    metadata: { name, annotations: { 'kubernetes.io/description': `${name} as shipped with OpenShift` } },
    allowPrivilegeEscalation: false,
    allowedCapabilities: ['NET_BIND_SERVICE'],
    requiredDropCapabilities: ['ALL'],
    seccompProfiles: ['runtime/default'],
    volumes: [...V2_VOLUMES, 'secret'],
    users: [],
    groups: [],
  };
}

export function currentDefaultSccs(): KubeObject[] {
  const classic = defaultSccs().map((scc) => (scc.metadata.name === 'restricted' ? { ...scc, groups: [] } : scc));
  const named = (name: string) => classic.find((scc) => scc.metadata.name === name)!;
  return [
    ...classic,
    v2(named('restricted'), 'restricted-v2'),
    v2(named('nonroot'), 'nonroot-v2'),
    v2(named('hostnetwork'), 'hostnetwork-v2'),
  ];
}

/** The ClusterRole whose `use` verb grants an SCC, as OpenShift names it. */
export function sccUseRole(scc: string): object {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: `system:openshift:scc:${scc}` },
    rules: [
      {
        apiGroups: ['security.openshift.io'],
        resources: ['securitycontextconstraints'],
        resourceNames: [scc],
        verbs: ['use'],
      },
    ],
  };
}

/** Applies the default SCCs and restricted-v2's grant to every authenticated user. */
export async function seedDefaultSccs(admin: ApiTarget): Promise<void> {
  const apply = (apiPath: string, body: object) => applyAsLab(admin, apiPath, body);
  await Promise.all(
    currentDefaultSccs().map((scc) =>
      apply(`/apis/security.openshift.io/v1/securitycontextconstraints/${scc.metadata.name}`, scc),
    ),
  );
  const rbac = '/apis/rbac.authorization.k8s.io/v1';
  await apply(`${rbac}/clusterroles/system:openshift:scc:restricted-v2`, sccUseRole('restricted-v2'));
  await apply(`${rbac}/clusterrolebindings/system:openshift:scc:restricted-v2`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'system:openshift:scc:restricted-v2' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:openshift:scc:restricted-v2' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:authenticated' }],
  });
}
