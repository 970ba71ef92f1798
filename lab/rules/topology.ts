/** Rules on the machines: names, MACs, roles, helper services, power and SSH access. */
import { bootAssetKinds, networkTypeProblem, oldestRelease, releaseOf, rhcosMinor } from '../release.js';
import { hostsWith, type Host } from '../schema.js';
import { allNodesRead, describe, hostsOf, listOf, nodesOf, type Indexed, type Rule } from './context.js';

/** Nodes and helper hosts share the nodes zone (haproxy1 sits next to master1), so names must be unique across both. */
const uniqueNames: Rule = ({ lab, report }) => {
  const first = new Map<string, string>();
  const claim = (kind: 'nodes' | 'hosts', entry: Indexed<{ name?: string | undefined }>) => {
    const { name } = entry.item;
    if (name === undefined) return;
    const owner = first.get(name);
    if (owner === undefined) first.set(name, describe(kind, entry));
    else
      report(
        [kind, entry.index, 'name'],
        `"${name}" is already the name of ${owner}; nodes and helper hosts share the nodes zone, so give each its own name`,
      );
  };
  nodesOf(lab).forEach((node) => claim('nodes', node));
  hostsOf(lab).forEach((host) => claim('hosts', host));
};

/** Owners the cluster zone publishes (see render/dns.ts): `api`, `api-int`, `etcd-<n>` (one per master). */
const clusterRecordName = /^(api|api-int|etcd-\d+)$/;

/**
 * When the nodes domain is the cluster domain, one zone holds node names and the cluster's records,
 * so a node or host named `api` or `etcd-0` would add a second A record to the cluster's own name.
 */
const namesClearOfClusterRecords: Rule = ({ lab, report }) => {
  const { name, baseDomain, nodesDomain } = lab.cluster ?? {};
  if (name === undefined || baseDomain === undefined || nodesDomain !== `${name}.${baseDomain}`) return;
  const check = (kind: 'nodes' | 'hosts', entry: Indexed<{ name?: string | undefined }>) => {
    if (entry.item.name === undefined || !clusterRecordName.test(entry.item.name)) return;
    report(
      [kind, entry.index, 'name'],
      `"${entry.item.name}" is a name of the cluster's own records (api, api-int, etcd-<n>), and the nodes ` +
        `domain is the cluster domain (${nodesDomain}), so its A record would collide with them; rename it, ` +
        `or give the nodes their own domain in cluster.nodesDomain (e.g. nodes.${baseDomain})`,
    );
  };
  nodesOf(lab).forEach((node) => check('nodes', node));
  hostsOf(lab).forEach((host) => check('hosts', host));
};

const uniqueUnicastMacs: Rule = ({ lab, report }) => {
  const first = new Map<string, string>();
  for (const node of nodesOf(lab)) {
    const { mac } = node.item;
    if (mac === undefined) continue;
    if (Number.parseInt(mac.slice(0, 2), 16) % 2 === 1) {
      report(
        ['nodes', node.index, 'mac'],
        `${mac} is a multicast or broadcast address, never a network card's; copy the MAC from the machine (ip link, or virsh domiflist)`,
      );
    }
    const owner = first.get(mac);
    if (owner === undefined) first.set(mac, describe('nodes', node));
    else
      report(
        ['nodes', node.index, 'mac'],
        `${mac} is already the MAC of ${owner}; DHCP and PXE tell machines apart by MAC, so each node needs its own`,
      );
  }
};

const roles: Rule = ({ lab, report }) => {
  if (!allNodesRead(lab)) return;
  const nodes = nodesOf(lab);
  const bootstraps = nodes.filter((node) => node.item.role === 'bootstrap');
  if (bootstraps.length === 0)
    report(
      ['nodes'],
      'has no node of role bootstrap; add exactly one (it serves the first control plane and is removed afterwards)',
    );
  for (const extra of bootstraps.slice(1)) {
    report(
      ['nodes', extra.index, 'role'],
      `a second bootstrap node (the first is ` +
        `${describe('nodes', bootstraps[0] as Indexed<{ name?: string }>)}); keep exactly one, give this node another role`,
    );
  }
  const masters = nodes.filter((node) => node.item.role === 'master').length;
  if (masters < 3 || masters % 2 === 0) {
    report(
      ['nodes'],
      `has ${masters} master${masters === 1 ? '' : 's'}; etcd needs an odd number of members, 3 or more, to ` +
        `keep a quorum (the procedure's cluster has 3)`,
    );
  }
  const runsWorkloads = nodes.some((node) => node.item.role === 'worker' || node.item.role === 'infra');
  if (!runsWorkloads && lab.cluster?.mastersSchedulable === false) {
    report(
      ['cluster', 'mastersSchedulable'],
      'is false but the lab has no worker or infra node, so routers and the registry could run nowhere; add ' +
        'workers or set mastersSchedulable: true',
    );
  }
};

const serviceCounts = [
  { service: 'dns', min: 1, max: Infinity, why: 'a DNS (BIND) server for the node and cluster zones' },
  {
    service: 'dhcp',
    min: 1,
    max: 1,
    why: 'exactly one DHCP server, which hands out the static leases and PXE options',
  },
  {
    service: 'pxe',
    min: 1,
    max: Infinity,
    why: 'a PXE/TFTP and HTTP server for the RHCOS installer and ignition files',
  },
  {
    service: 'haproxy',
    min: 1,
    max: Infinity,
    why: 'an HAProxy load balancer for the API, machine-config and ingress ports',
  },
] as const;

const helperServices: Rule = ({ lab, report }) => {
  if (lab.hosts === undefined || lab.hosts.some((host) => host === undefined)) return;
  const hosts = lab.hosts as Host[];
  for (const { service, min, max, why } of serviceCounts) {
    const carriers = hostsWith({ hosts }, service);
    if (carriers.length < min) report(['hosts'], `no host has a ${service} block; the install needs ${why}`);
    if (carriers.length > max) {
      report(
        ['hosts'],
        `${carriers.length} hosts have a ${service} block (${listOf(carriers.map((host) => host.name))}); ` +
          `the install needs ${why}: keep the block on one host`,
      );
    }
  }
};

const hypervisorsExist: Rule = ({ lab, report }) => {
  const hypervisors = hostsOf(lab).filter((host) => host.item.hypervisor !== undefined && host.item.name !== undefined);
  const names = hypervisors.map((host) => host.item.name as string);
  const domains = new Map<string, string>();
  for (const node of nodesOf(lab)) {
    const power = node.item.power;
    if (power?.type !== 'libvirt' || power.hypervisor === undefined) continue;
    if (!names.includes(power.hypervisor)) {
      const known = names.length === 0 ? 'no host has a hypervisor block yet' : `hypervisors: ${listOf(names)}`;
      report(
        ['nodes', node.index, 'power', 'hypervisor'],
        `"${power.hypervisor}" is not a host with a hypervisor block (${known}); name one, or add the host ` +
          `with hypervisor: { uri: qemu:///system }`,
      );
    }
    if (power.domain === undefined) continue;
    const key = `${power.hypervisor}/${power.domain}`;
    const owner = domains.get(key);
    if (owner === undefined) domains.set(key, describe('nodes', node));
    else
      report(
        ['nodes', node.index, 'power', 'domain'],
        `libvirt domain "${power.domain}" on ${power.hypervisor} already powers ${owner}; each node is its own domain`,
      );
  }
};

const uniqueBmcs: Rule = ({ lab, report }) => {
  const first = new Map<string, string>();
  for (const node of nodesOf(lab)) {
    const power = node.item.power;
    if ((power?.type !== 'ipmi' && power?.type !== 'redfish') || power.address === undefined) continue;
    const key = power.type === 'redfish' ? `${power.address}#${power.systemId ?? '1'}` : power.address;
    const owner = first.get(key);
    if (owner === undefined) first.set(key, describe('nodes', node));
    else
      report(
        ['nodes', node.index, 'power', 'address'],
        `BMC ${power.address} already powers ${owner}; a wrong BMC would power-cycle another machine`,
      );
  }
};

const hostKeysVerified: Rule = ({ lab, report }) => {
  for (const host of hostsOf(lab)) {
    const ssh = host.item.ssh;
    if (ssh === undefined || ssh.hostKey !== undefined || ssh.knownHosts !== undefined) continue;
    const target = ssh.host ?? host.item.address ?? 'the host';
    report(
      ['hosts', host.index, 'ssh'],
      `no hostKey or knownHosts: host-key verification is mandatory; add hostKey: "ssh-ed25519 AAAA…" ` +
        `(ssh-keyscan -t ed25519 ${target}) or knownHosts: ~/.ssh/known_hosts`,
    );
  }
};

const versionsAgree: Rule = ({ lab, report }) => {
  const { version, rhcosVersion } = lab.cluster ?? {};
  if (version === undefined) return;
  const release = releaseOf(version);
  if (release === undefined) return;
  if (
    release.major < oldestRelease.major ||
    (release.major === oldestRelease.major && release.minor < oldestRelease.minor)
  ) {
    report(
      ['cluster', 'version'],
      `OpenShift ${version} is older than the runbooks know how to install; use ${oldestRelease.major}.${oldestRelease.minor} or later`,
    );
    return;
  }
  if (rhcosVersion === undefined) return;
  const minor = `${release.major}.${release.minor}`;
  if (rhcosMinor(rhcosVersion) !== minor) {
    report(
      ['cluster', 'rhcosVersion'],
      `RHCOS ${rhcosVersion} does not match OpenShift ${version}; boot the RHCOS release of the same minor version (${minor}.x)`,
    );
  }
};

/** The network plugin must be one a new cluster of the release installs with (OpenShift SDN is gone from 4.15). */
const networkTypeFitsRelease: Rule = ({ lab, report }) => {
  const { version, networkType } = lab.cluster ?? {};
  if (version === undefined || networkType === undefined || releaseOf(version) === undefined) return;
  const problem = networkTypeProblem(version, networkType);
  if (problem !== undefined) report(['cluster', 'networkType'], problem);
};

/** A sha256 for a file the release does not boot is a leftover of another release: it would never be checked. */
const checksumsFitRelease: Rule = ({ lab, report }) => {
  const { version, rhcosVersion, rhcosSha256 } = lab.cluster ?? {};
  if (rhcosSha256 === undefined || version === undefined || rhcosVersion === undefined) return;
  if (releaseOf(version) === undefined || rhcosMinor(rhcosVersion) !== rhcosMinor(version)) return;
  const kinds: string[] = bootAssetKinds(version, rhcosVersion);
  for (const key of Object.keys(rhcosSha256)) {
    if (kinds.includes(key)) continue;
    report(
      ['cluster', 'rhcosSha256', key],
      `OpenShift ${version} does not boot a ${key} file (its RHCOS files are ${listOf(kinds)}); remove it, ` +
        `or give the sha256 of one of those`,
    );
  }
};

export const topologyRules: readonly Rule[] = [
  uniqueNames,
  namesClearOfClusterRecords,
  uniqueUnicastMacs,
  roles,
  helperServices,
  hypervisorsExist,
  uniqueBmcs,
  hostKeysVerified,
  versionsAgree,
  networkTypeFitsRelease,
  checksumsFitRelease,
];
