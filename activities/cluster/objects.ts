/**
 * The object sets an apply step can name (`params.objects`), each built from the lab by the
 * renderers, with the secret slots they hold (filled in the activity, never returned).
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Lab } from '../../lab/schema.js';
import { apiFeatures } from '../../lab/release.js';
import { resolveSecret } from '../../lab/secrets.js';
import { cephUserKeySlot } from '../../render/ceph.js';
import {
  cephCsiConfig,
  cephNamespace,
  cephServiceAccountObjects,
  cephStorageClass,
  cephUserSecret,
  egressNamespace,
  egressRouterController,
  egressRouterOvn,
  egressRouterOvnService,
  egressRouterService,
  egressScc,
  egressServiceAccount,
  egressAssignablePatches,
  egressIpNamespaces,
  egressIpObjects,
  egressIpPatches,
  fillObject,
  infraMachineConfigPool,
  ingressPlacementPatch,
  ldapBindSecret,
  ldapCaConfigMap,
  oauthCluster,
  registryPvc,
  registryStoragePatch,
  type KubeObject,
  type MergePatch,
  type SecretSlot,
} from '../../render/index.js';
import { ldapBindPasswordSlot, ldapCaSlot } from '../../render/oauth.js';
import { encodeSecret } from '../../render/secret-slots.js';
import type { WantedObjects } from './apply.js';
import { StepErrorType } from '../../contract/error-types.js';

export interface ObjectSet {
  objects: KubeObject[];
  patches?: MergePatch[];
  /** Secret slots the objects hold, filled with the resolved values before they are compared or sent. */
  slots?: SecretSlot[];
}

function needs<T>(value: T | undefined, set: string, field: string): T {
  if (value === undefined) {
    throw ApplicationFailure.nonRetryable(
      `the object set "${set}" needs ${field} in the lab file: add it, or skip this step`,
      StepErrorType.LabSectionMissing,
    );
  }
  return value;
}

export const objectSets = {
  /** Install-time registry storage, as the procedure sets it; the registry runbook moves it to a PVC. */
  'registry-emptydir': (lab: Lab): ObjectSet => ({
    objects: [],
    patches: [registryStoragePatch(lab, { storage: 'emptyDir' })],
  }),
  ldap: (lab: Lab): ObjectSet => {
    const ldap = needs(lab.day2.ldap, 'ldap', 'day2.ldap');
    const ca = ldapCaConfigMap(ldap);
    const caSlot = ldapCaSlot(ldap);
    return {
      objects: [ldapBindSecret(ldap), ...(ca ? [ca] : []), oauthCluster(ldap)],
      slots: [ldapBindPasswordSlot(ldap), ...(caSlot ? [caSlot] : [])],
    };
  },
  'infra-pool': (lab: Lab): ObjectSet => {
    needs(lab.day2.infra, 'infra-pool', 'day2.infra');
    return { objects: [infraMachineConfigPool()] };
  },
  'ingress-placement': (lab: Lab): ObjectSet => ({
    objects: [],
    patches: [needs(ingressPlacementPatch(lab), 'ingress-placement', 'day2.infra with moveRouters: true')],
  }),
  ceph: (lab: Lab): ObjectSet => {
    const ceph = needs(lab.day2.ceph, 'ceph', 'day2.ceph');
    return {
      objects: [
        cephNamespace(ceph),
        ...cephServiceAccountObjects(ceph),
        cephCsiConfig(ceph),
        cephUserSecret(ceph),
        cephStorageClass(ceph),
      ],
      slots: [cephUserKeySlot(ceph)],
    };
  },
  /** The driver's namespace and service accounts, before the SCC grants and the driver. */
  'ceph-accounts': (lab: Lab): ObjectSet => {
    const ceph = needs(lab.day2.ceph, 'ceph-accounts', 'day2.ceph');
    return { objects: [cephNamespace(ceph), ...cephServiceAccountObjects(ceph)] };
  },
  /** What the driver reads: its config map, the Ceph user Secret, and the StorageClass. */
  'ceph-config': (lab: Lab): ObjectSet => {
    const ceph = needs(lab.day2.ceph, 'ceph-config', 'day2.ceph');
    return {
      objects: [cephCsiConfig(ceph), cephUserSecret(ceph), cephStorageClass(ceph)],
      slots: [cephUserKeySlot(ceph)],
    };
  },
  /** The claim alone: the registry's config names it only once it is Bound. */
  'registry-claim': (lab: Lab): ObjectSet => {
    const registry = needs(lab.day2.registry, 'registry-claim', 'day2.registry');
    return { objects: registry.storage === 'pvc' ? [registryPvc(lab, registry)] : [] };
  },
  'registry-config': (lab: Lab): ObjectSet => {
    const registry = needs(lab.day2.registry, 'registry-config', 'day2.registry');
    return { objects: [], patches: [registryStoragePatch(lab, registry)] };
  },
  'registry-pvc': (lab: Lab): ObjectSet => {
    const registry = needs(lab.day2.registry, 'registry-pvc', 'day2.registry');
    return { objects: [registryPvc(lab, registry)], patches: [registryStoragePatch(lab, registry)] };
  },
  egress: (lab: Lab): ObjectSet => {
    const egress = needs(lab.day2.egress, 'egress', 'day2.egress');
    return {
      objects: [
        egressScc(egress),
        egressNamespace(egress),
        egressServiceAccount(egress),
        ...egress.routers.flatMap((router) => [
          egressRouterController(lab, egress, router),
          egressRouterService(egress, router),
        ]),
      ],
    };
  },
  /** OpenShift SDN: the namespaces given egress IPs (the SDN then makes their NetNamespaces). */
  'egress-ip-namespaces': (lab: Lab): ObjectSet => ({
    objects: egressIpNamespaces(needs(lab.day2.egress, 'egress-ip-namespaces', 'day2.egress')),
  }),
  /** OpenShift SDN: the egress IPs on the NetNamespaces and the HostSubnets. */
  'egress-ips': (lab: Lab): ObjectSet => ({
    objects: [],
    patches: egressIpPatches(lab, needs(lab.day2.egress, 'egress-ips', 'day2.egress')),
  }),
  /** OVN-Kubernetes: the namespaces given egress IPs, an EgressIP per namespace, the egress-assignable label on the nodes. */
  'egress-ips-ovn': (lab: Lab): ObjectSet => {
    const egress = needs(lab.day2.egress, 'egress-ips-ovn', 'day2.egress');
    return {
      objects: [...egressIpNamespaces(egress), ...egressIpObjects(egress)],
      patches: egressAssignablePatches(lab, egress),
    };
  },
  /** OVN-Kubernetes: the namespace, an EgressRouter (redirect) and a Service per router. */
  'egress-ovn': (lab: Lab): ObjectSet => {
    const egress = needs(lab.day2.egress, 'egress-ovn', 'day2.egress');
    return {
      objects: [
        egressNamespace(egress),
        ...egress.routers.flatMap((router) => [
          egressRouterOvn(lab, egress, router),
          egressRouterOvnService(egress, router),
        ]),
      ],
    };
  },
} as const satisfies Record<string, (lab: Lab) => ObjectSet>;
export type ObjectSetName = keyof typeof objectSets;

/** The names a step's `params.objects` may take (the zod enum of clusterApply's params). */
export const OBJECT_SET_NAMES = Object.keys(objectSets) as [ObjectSetName, ...ObjectSetName[]];

/** The set a step names, its secrets filled (their encoded values listed, for diffs to mask). */
export async function objectSetFor(lab: Lab, name: unknown): Promise<WantedObjects> {
  if (typeof name !== 'string' || !(name in objectSets)) {
    throw ApplicationFailure.nonRetryable(
      `params.objects must name an object set, one of ${Object.keys(objectSets).join(', ')} (got ${JSON.stringify(name)})`,
      StepErrorType.UnknownObjectSet,
    );
  }
  const set = objectSets[name as ObjectSetName](lab);
  const slots = set.slots ?? [];
  const values = new Map(
    await Promise.all(slots.map(async (slot) => [slot.ref, await resolveSecret(slot.ref)] as const)),
  );
  return {
    objects: set.objects.map((object) => fillObject(object, slots, values)),
    patches: (set.patches ?? []).map((patch) => fillObject(patch, slots, values)),
    secretValues: slots.map((slot) => encodeSecret(slot, values)),
    serverSideApply: apiFeatures(lab.cluster.version).serverSideApply,
  };
}
