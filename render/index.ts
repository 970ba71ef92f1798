/**
 * The catalogue of rendered artifacts: `renderAll(lab)` gives every file the lab produces,
 * `renderArtifact(lab, name)` the files of one artifact (or of a group such as `dns`).
 * The object builders each module exports (oauthCluster, cephStorageClass, …) are re-exported here
 * for the runbooks, which apply them through @kubernetes/client-node.
 */
import { clusterDomain, type Lab } from '../lab/schema.js';
import { renderCeph } from './ceph.js';
import { renderDhcp } from './dhcp.js';
import { renderDns } from './dns.js';
import { renderEgress } from './egress.js';
import { renderHaproxy } from './haproxy.js';
import { renderInfra } from './infra.js';
import { renderInstallConfig } from './install-config.js';
import { renderOauth } from './oauth.js';
import { renderPxe } from './pxe.js';
import { renderRegistry } from './registry.js';
import { RenderError } from './topology.js';
import type { RenderedFile } from './types.js';

/** Every artifact, by renderer, with what it is. A lab without a day-2 section renders none of its artifacts. */
export const artifacts = {
  'dns.forward-zone': 'BIND zone of the node names (nodes domain), one per DNS host',
  'dns.cluster-zone': 'BIND zone of the cluster domain: api, api-int, *.apps, etcd-N and their SRV records',
  'dns.reverse-zone': 'BIND reverse zone(s) of the node subnet',
  'dns.zones-conf': 'named.conf zone statements (dns.zonesConf)',
  'dhcp.config': 'dhcpd.conf: node subnet with PXE boot files, one static lease per node',
  'pxe.bios': 'PXELINUX config per BIOS node (pxelinux.cfg/01-<mac>)',
  'pxe.uefi': 'GRUB config per UEFI node (grub.cfg-01-<mac>)',
  'pxe.menu': 'PXELINUX menu for manual boots (pxelinux.cfg/default)',
  'pxe.grub-menu': 'GRUB menu for manual boots (grub.cfg)',
  'haproxy.bootstrap': 'HAProxy config during install, with the bootstrap backend',
  'haproxy.final': 'HAProxy config after bootstrap-complete',
  'install.install-config': 'install-config.yaml (pull secret and SSH key filled when written)',
  'install.scheduler-manifest': 'manifests/cluster-scheduler-02-config.yml with mastersSchedulable set',
  'ldap.oauth': 'OAuth cluster with the LDAP identity provider',
  'ldap.bind-secret': 'Secret with the LDAP bind password (openshift-config)',
  'ldap.ca-configmap': 'ConfigMap with the LDAP CA (openshift-config)',
  'infra.machine-config-pool': 'MachineConfigPool infra',
  'infra.ingress-placement': 'IngressController default patch moving the routers to the infra nodes',
  'ceph.service-accounts': 'ceph-csi namespace and service accounts',
  'ceph.scc-grants': 'SCC users to add for the ceph-csi service accounts',
  'ceph.csi-config': 'ceph-csi-config ConfigMap (cluster id and monitors)',
  'ceph.secret': 'Secret with the Ceph user the StorageClass names',
  'ceph.storage-class': 'StorageClass for Ceph RBD volumes',
  'registry.pvc': 'PersistentVolumeClaim of the image registry',
  'registry.config-patch': 'Image registry config patch: Managed, with its storage',
  'egress.scc': 'SCC that lets the egress routers run their privileged init container',
  'egress.service-account': 'Egress router namespace and service account',
  'egress.router': 'ReplicationController (OpenShift SDN) or EgressRouter (OVN-Kubernetes) per egress router',
  'egress.service': 'Service per egress router',
  'egress.ip-namespaces': 'Namespaces given egress IPs',
  'egress.ips':
    "The namespaces' egress IPs: NetNamespace and HostSubnet patches (OpenShift SDN), " +
    "or the nodes' egress-assignable label and an EgressIP per namespace (OVN-Kubernetes)",
} as const;
export type ArtifactName = keyof typeof artifacts;

/** Renderers by artifact group (the part of an artifact name before the dot). */
const renderers = {
  dns: renderDns,
  dhcp: renderDhcp,
  pxe: renderPxe,
  haproxy: renderHaproxy,
  install: renderInstallConfig,
  ldap: renderOauth,
  infra: renderInfra,
  ceph: renderCeph,
  registry: renderRegistry,
  egress: renderEgress,
} as const satisfies Record<string, (lab: Lab) => RenderedFile[]>;
type ArtifactGroup = keyof typeof renderers;

function groupOf(name: ArtifactName): ArtifactGroup {
  return name.split('.')[0] as ArtifactGroup;
}

/** Every file of the lab, in catalogue order (DNS, DHCP, PXE, HAProxy, install, day 2). */
export function renderAll(lab: Lab): RenderedFile[] {
  return Object.values(renderers).flatMap((render) => render(lab));
}

/** Artifact names a selector designates: one name (`dns.cluster-zone`) or a group (`dns`). */
export function selectArtifacts(selector: string): ArtifactName[] {
  const names = (Object.keys(artifacts) as ArtifactName[]).filter(
    (name) => name === selector || name.startsWith(`${selector}.`),
  );
  if (names.length === 0) {
    const groups = Object.keys(renderers);
    throw new RenderError(
      `unknown artifact "${selector}": use one of ${groups.join(', ')} or a full name such as ` +
        `dns.cluster-zone (see "runbook render --list")`,
    );
  }
  return names;
}

/** The files of one artifact or group (only its renderer runs); empty when the lab does not configure it. */
export function renderArtifact(lab: Lab, selector: string): RenderedFile[] {
  const names = selectArtifacts(selector);
  const wanted = new Set<string>(names);
  return [...new Set(names.map(groupOf))]
    .flatMap((group) => renderers[group](lab))
    .filter((file) => wanted.has(file.artifact));
}

/**
 * The files of `--only <selector>`: like renderArtifact, but a selector that picks no file of this
 * lab is an error naming the artifacts the lab does render, rather than a silent empty result.
 */
export function renderOnly(lab: Lab, selector: string): RenderedFile[] {
  const files = renderArtifact(lab, selector);
  if (files.length > 0) return files;
  const rendered = [...new Set(renderAll(lab).map((file) => file.artifact))];
  const merged =
    selectArtifacts(selector).includes('dns.cluster-zone') && lab.cluster.nodesDomain === clusterDomain(lab)
      ? ` (the nodes domain is the cluster domain, so the cluster's records are in dns.forward-zone)`
      : ' (its lab section is not configured)';
  throw new RenderError(`"${selector}" selects no file of this lab${merged}; this lab renders ${rendered.join(', ')}`);
}

export { RenderError } from './topology.js';
export type { RenderedFile, SecretSlot } from './types.js';
export type { KubeObject, MergePatch } from './manifest.js';
export { toYaml } from './manifest.js';
export { fillObject, fillText } from './secret-slots.js';
export type { SecretValues } from './secret-slots.js';
export { dnsZones, zoneText } from './dns.js';
export { dhcpdConfText } from './dhcp.js';
export { bootEntry, pxeConfigPath } from './pxe.js';
export { bootAssetsFor, publicRhcosMirror, tftpAssetFolder } from './boot-assets.js';
export type { BootAsset, BootAssetKind, BootAssetPlacement, BootAssets, BootGeneration } from './boot-assets.js';
export { balancers, haproxyConfigText } from './haproxy.js';
export { installConfig, patchSchedulerManifest, schedulerConfig, schedulerManifestPath } from './install-config.js';
export { ldapBindSecret, ldapCaConfigMap, oauthCluster } from './oauth.js';
export { infraMachineConfigPool, ingressPlacementPatch, workerToInfraMachineConfigs } from './infra.js';
export {
  cephCsiConfig,
  cephNamespace,
  cephSccGrants,
  cephServiceAccountObjects,
  cephStorageClass,
  cephUserSecret,
  withSccUsers,
} from './ceph.js';
export { registryPvc, registryStoragePatch } from './registry.js';
export {
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
} from './egress.js';
