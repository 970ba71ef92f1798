/** Rules on the day-2 settings: infra nodes, egress routers, registry storage, Ceph and LDAP. */
import { nodeLabels, selectorMatches } from '../node-labels.js';
import { contains, inRange, ipToNumber, isHostAddress } from '../ip.js';
import { durationMs } from '../install-settings.js';
import { roleLabel, type Toleration } from '../schema.js';
import type { PathSegment } from '../issues.js';
import { addressClaims } from './addresses.js';
import { allNodesRead, indexed, listOf, nodesOf, subnetOf, type Rule, type RuleContext } from './context.js';

function infraNodeNames({ lab }: RuleContext): string[] {
  return nodesOf(lab).flatMap((node) =>
    node.item.role === 'infra' && node.item.name !== undefined ? [node.item.name] : [],
  );
}

const infraNodes: Rule = (context) => {
  const { lab, report } = context;
  const infra = lab.day2?.infra;
  if (infra === undefined || !allNodesRead(lab)) return;
  const names = infraNodeNames(context);
  if (names.length === 0) {
    report(
      ['day2', 'infra'],
      'needs nodes of role infra, and the lab has none; give some nodes role: infra, or remove day2.infra',
    );
    return;
  }
  const roles = new Map(nodesOf(lab).map((node) => [node.item.name, node.item.role]));
  const seen = new Set<string>();
  infra.nodes?.forEach((name, index) => {
    if (name === undefined) return;
    const role = roles.get(name);
    if (role === undefined)
      report(['day2', 'infra', 'nodes', index], `"${name}" is not a node of the lab; infra nodes are ${listOf(names)}`);
    else if (role !== 'infra')
      report(
        ['day2', 'infra', 'nodes', index],
        `"${name}" has role ${role}; only nodes of role infra move to the infra pool (give it role: infra, or drop it here)`,
      );
    if (seen.has(name))
      report(['day2', 'infra', 'nodes', index], `"${name}" is listed twice; list each infra node once`);
    seen.add(name);
  });
  const replicas = infra.routerReplicas;
  const hosts = infra.nodes?.length ?? names.length;
  if (infra.moveRouters !== false && replicas !== undefined && replicas > hosts) {
    report(
      ['day2', 'infra', 'routerReplicas'],
      `${replicas} routers on ${hosts} infra node${hosts === 1 ? '' : 's'}: routers bind ports 80 and 443 on ` +
        `their node, so the extra ones would stay Pending; use at most ${hosts}`,
    );
  }
};

const egressRouters: Rule = (context) => {
  const { lab, report } = context;
  const egress = lab.day2?.egress;
  if (egress === undefined) return;
  const subnet = subnetOf(lab);
  const taken = new Map(addressClaims(lab).map((claim) => [claim.ip, claim.owner]));
  const nodesDomain = lab.cluster?.nodesDomain;
  const cluster = { nodesDomain: nodesDomain ?? '', architecture: lab.cluster?.architecture };
  // allNodesRead: every node has its name and role, so the fallbacks below never apply.
  const labelled =
    nodesDomain === undefined || !allNodesRead(lab)
      ? undefined
      : nodesOf(lab).map(({ item }) => nodeLabels({ cluster }, { name: item.name ?? '', role: item.role ?? 'worker' }));
  for (const router of indexed(egress.routers)) {
    const path = ['day2', 'egress', 'routers', router.index] as const;
    const { sourceIP, gateway, nodeSelector } = router.item;
    if (sourceIP !== undefined) {
      const problem = addressProblem(context, sourceIP, taken, [
        'an egress router',
        'the router claims its source address',
      ]);
      if (problem !== undefined) report([...path, 'sourceIP'], problem);
      taken.set(
        sourceIP,
        `day2.egress.routers[${router.index}]${router.item.name === undefined ? '' : ` (${router.item.name})`}`,
      );
    }
    if (gateway !== undefined && subnet !== undefined && !contains(subnet, gateway)) {
      report(
        [...path, 'gateway'],
        `${gateway} is outside the node subnet ${subnet.cidr}; use the subnet's gateway ` +
          `(${lab.network?.gateway ?? 'network.gateway'}) or leave it out`,
      );
    }
    if (labelled === undefined) continue;
    const selector = nodeSelector ?? { [roleLabel('infra')]: '' };
    if (labelled.some((labels) => selectorMatches(selector as Record<string, string>, labels))) continue;
    if (nodeSelector === undefined) {
      report(
        [...path],
        `has no nodeSelector, so it runs on infra nodes, and the lab has none; add nodeSelector: { ` +
          `${roleLabel(fallbackRole(lab))}: "" }, or give some nodes role: infra`,
      );
      continue;
    }
    for (const [key, value] of Object.entries(nodeSelector)) {
      if (labelled.some((labels) => labels[key] === value)) continue;
      const carried = labelled.some((labels) => labels[key] === '');
      const hint =
        key.startsWith('node-role.kubernetes.io/') && value !== '' && carried
          ? `OpenShift sets role labels with an empty value, so write ${key}: ""`
          : selectorHint(lab);
      report(
        [...path, 'nodeSelector', key],
        `no node carries ${key}=${JSON.stringify(value)}, so the router pod would stay Pending; ${hint}`,
      );
    }
  }
};

/**
 * Why `ip` cannot be an egress address (outside the node subnet, its network or broadcast address,
 * used by someone in `taken`, inside the DHCP pool), or undefined when it can; `who` needs it, `why` it must be on the subnet.
 */
function addressProblem(
  { lab }: RuleContext,
  ip: string,
  taken: ReadonlyMap<string, string>,
  [needs, why]: readonly [who: string, why: string],
): string | undefined {
  const subnet = subnetOf(lab);
  const range = lab.network?.dhcpRange;
  const owner = taken.get(ip);
  if (subnet !== undefined && !contains(subnet, ip))
    return `${ip} is outside the node subnet ${subnet.cidr}; ${why} on the nodes' network, so pick an unused address inside it`;
  if (subnet !== undefined && !isHostAddress(subnet, ip)) {
    const which = ipToNumber(ip) === subnet.first ? 'network' : 'broadcast';
    return (
      `${ip} is the ${which} address of the node subnet ${subnet.cidr}, which no machine may use; pick ` +
      `an unused host address inside it`
    );
  }
  if (owner !== undefined) return `${ip} is already used by ${owner}; ${needs} needs an address nobody else uses`;
  if (range?.start !== undefined && range.end !== undefined && inRange(ip, range.start, range.end))
    return (
      `${ip} is inside the DHCP dynamic range ${range.start}-${range.end} (network.dhcpRange), so DHCP ` +
      `may lease it to a machine; pick an address outside the pool`
    );
  return undefined;
}

/**
 * Namespace egress IPs, on either plugin (NetNamespace and HostSubnet on OpenShift SDN, EgressIP
 * objects and egress-assignable nodes on OVN-Kubernetes): each address free, used once, on a node
 * of the lab that the cluster has (not the bootstrap node); each namespace once; a podSelector only
 * where EgressIP objects have one (OVN-Kubernetes).
 */
const namespaceEgressIPs: Rule = (context) => {
  const { lab, report } = context;
  const egress = lab.day2?.egress;
  if (egress?.egressIPs === undefined) return;
  const ovn = lab.cluster?.networkType === 'OVNKubernetes';
  const holds = ovn
    ? 'the node is labelled k8s.ovn.org/egress-assignable, for OVN to assign the addresses to'
    : "the address goes on a node's HostSubnet";
  const taken = new Map(addressClaims(lab).map((claim) => [claim.ip, claim.owner]));
  for (const router of indexed(egress.routers))
    if (router.item.sourceIP !== undefined)
      taken.set(router.item.sourceIP, `day2.egress.routers[${router.index}] (${router.item.name ?? 'a router'})`);
  const nodes = new Map(nodesOf(lab).map((node) => [node.item.name, node.item.role]));
  const cluster = nodesOf(lab).flatMap((node) =>
    node.item.role !== 'bootstrap' && node.item.name !== undefined ? [node.item.name] : [],
  );
  const namespaces = new Map<string, number>();
  for (const entry of indexed(egress.egressIPs)) {
    const path = ['day2', 'egress', 'egressIPs', entry.index] as const;
    const { namespace } = entry.item;
    if (namespace !== undefined) {
      const earlier = namespaces.get(namespace);
      if (earlier !== undefined)
        report(
          [...path, 'namespace'],
          `"${namespace}" already has its egress IPs in day2.egress.egressIPs[${earlier}]; list each ` +
            `namespace once, with all its addresses`,
        );
      else namespaces.set(namespace, entry.index);
    }
    if (!ovn && entry.item.podSelector !== undefined)
      report(
        [...path, 'podSelector'],
        'needs OVN-Kubernetes: an OpenShift SDN NetNamespace gives its egress IPs to every pod of the namespace; ' +
          'remove podSelector, or use networkType: OVNKubernetes',
      );
    for (const address of indexed(entry.item.ips)) {
      const { ip, node } = address.item;
      if (ip !== undefined) {
        const problem = addressProblem(context, ip, taken, [
          'an egress IP',
          'the node holding it answers for the address',
        ]);
        if (problem !== undefined) report([...path, 'ips', address.index, 'ip'], problem);
        taken.set(ip, `day2.egress.egressIPs[${entry.index}].ips[${address.index}]`);
      }
      if (node === undefined || !allNodesRead(lab)) continue;
      const role = nodes.get(node);
      if (role === undefined)
        report(
          [...path, 'ips', address.index, 'node'],
          `"${node}" is not a node of the lab; ${holds}: use one of ${listOf(cluster)}`,
        );
      else if (role === 'bootstrap')
        report(
          [...path, 'ips', address.index, 'node'],
          `"${node}" is the bootstrap node, which leaves the cluster after the install; use one of ${listOf(cluster)}`,
        );
    }
  }
};

/**
 * What to select instead when a selector matches no node: the infra role when the lab has infra
 * nodes; otherwise the role the routers could run on (worker, else master), or infra nodes to add.
 */
function selectorHint(lab: RuleContext['lab']): string {
  if (nodesOf(lab).some((node) => node.item.role === 'infra'))
    return `use labels the nodes carry, such as ${roleLabel('infra')}: ""`;
  const fallback = fallbackRole(lab);
  return (
    `the lab has no infra nodes, so select ${roleLabel(fallback)}: "" (every ${fallback} node carries ` +
    `it), or give some nodes role: infra and select ${roleLabel('infra')}: ""`
  );
}

/** The role that hosts router pods in a lab without infra nodes: workers, else the masters. */
function fallbackRole(lab: RuleContext['lab']): 'worker' | 'master' {
  return nodesOf(lab).some((node) => node.item.role === 'worker') ? 'worker' : 'master';
}

/** Each router is a ReplicationController and a Service named after it, so two routers of one name would overwrite each other. */
const uniqueEgressNames: Rule = ({ lab, report }) => {
  const first = new Map<string, number>();
  for (const router of indexed(lab.day2?.egress?.routers)) {
    const { name } = router.item;
    if (name === undefined) continue;
    const earlier = first.get(name);
    if (earlier === undefined) first.set(name, router.index);
    else
      report(
        ['day2', 'egress', 'routers', router.index, 'name'],
        `"${name}" is already the name of day2.egress.routers[${earlier}]; each router's controller and ` +
          `Service are named after it, so give each router its own name`,
      );
  }
};

const redirectDestinations: Rule = ({ lab, report }) => {
  for (const router of indexed(lab.day2?.egress?.routers)) {
    if (router.item.mode !== 'redirect' || !('destinations' in router.item)) continue;
    const seen = new Set<string>();
    let fallback = false;
    indexed(router.item.destinations).forEach(({ index, item }) => {
      const path = ['day2', 'egress', 'routers', router.index, 'destinations', index] as const;
      if (item.port === undefined) {
        if (fallback) report(path, 'a second fallback destination (no port); keep one, give the others a port');
        fallback = true;
        return;
      }
      const key = `${item.port}/${item.protocol ?? 'tcp'}`;
      if (seen.has(key))
        report(
          [...path, 'port'],
          `port ${key} is already redirected by an earlier destination; each port and protocol goes to one address`,
        );
      seen.add(key);
    });
  }
};

const registryStorage: Rule = ({ lab, report }) => {
  const registry = lab.day2?.registry;
  if (registry === undefined) return;
  const ceph = lab.day2?.ceph;
  if (registry.storage !== 'pvc') {
    if (registry.pvc !== undefined)
      report(
        ['day2', 'registry', 'pvc'],
        'describes a claim but storage is emptyDir; set storage: pvc to use it, or remove pvc',
      );
    return;
  }
  if (registry.pvc === undefined) {
    report(
      ['day2', 'registry'],
      'storage is pvc but there is no pvc block; add pvc: { name: image-registry-storage, size: 100Gi }',
    );
    return;
  }
  const storageClass = registry.pvc.storageClass ?? ceph?.storageClass;
  if (storageClass === undefined) {
    report(
      ['day2', 'registry', 'pvc'],
      'names no storage class and there is no Ceph cluster to default to, so the claim would stay Pending; ' +
        'set storageClass, or configure day2.ceph',
    );
    return;
  }
  if (ceph !== undefined && storageClass === ceph.storageClass && registry.pvc.accessMode === 'ReadWriteMany') {
    report(
      ['day2', 'registry', 'pvc', 'accessMode'],
      `Ceph RBD volumes (storage class ${storageClass}) with a file system are ReadWriteOnce only; use accessMode: ReadWriteOnce`,
    );
  }
};

/**
 * OVN-Kubernetes runs egress routers as `EgressRouter` objects, which only redirect, and whose pod
 * the network operator places (no nodeSelector or tolerations of the lab's reach it).
 */
const egressOnOvn: Rule = ({ lab, report }) => {
  if (lab.cluster?.networkType !== 'OVNKubernetes') return;
  for (const router of indexed(lab.day2?.egress?.routers)) {
    const path = ['day2', 'egress', 'routers', router.index] as const;
    if (router.item.mode === 'http-proxy')
      report(
        [...path, 'mode'],
        'http-proxy needs OpenShift SDN: on OVNKubernetes an egress router is an EgressRouter object, which only supports redirect mode. ' +
          'For a fixed source address on outgoing traffic, give the namespace egress IPs ' +
          '(day2.egress.egressIPs, EgressIP objects on OVN); for proxy rules, run an HTTP proxy as a Deployment ' +
          'of your own in a namespace with egress IPs; or use mode: redirect with destinations',
      );
    if (router.item.tolerations !== undefined)
      report(
        [...path, 'tolerations'],
        "are not used on OVNKubernetes: the network operator places an EgressRouter's pod itself; " +
          'remove them (they apply to OpenShift SDN routers)',
      );
  }
};

/** Tolerations as the API server accepts them, and only where they take effect. */
const routerTolerations: Rule = ({ lab, report }) => {
  for (const router of indexed(lab.day2?.egress?.routers))
    checkTolerations(['day2', 'egress', 'routers', router.index, 'tolerations'], router.item.tolerations, report);
  const infra = lab.day2?.infra;
  if (infra?.routerTolerations === undefined) return;
  if (infra.moveRouters === false && infra.routerTolerations.length > 0)
    report(
      ['day2', 'infra', 'routerTolerations'],
      'are set while moveRouters is false, so the routers stay where they are and these are never applied; ' +
        'remove them, or set moveRouters: true',
    );
  checkTolerations(['day2', 'infra', 'routerTolerations'], infra.routerTolerations, report);
};

/** Each toleration as a pod spec accepts it: no value with Exists, a key with Equal. */
function checkTolerations(
  at: readonly PathSegment[],
  tolerations: readonly (Partial<Toleration> | undefined)[] | undefined,
  report: RuleContext['report'],
): void {
  for (const toleration of indexed(tolerations)) {
    const path = [...at, toleration.index] as const;
    const { key, operator, value } = toleration.item;
    if (operator === 'Exists' && value !== undefined && value !== '')
      report(
        [...path, 'value'],
        `must be left out with operator: Exists (it tolerates any value of ${key ?? 'any key'}); remove value, or use operator: Equal`,
      );
    if ((operator ?? 'Equal') === 'Equal' && key === undefined)
      report(
        [...path, 'key'],
        'is needed with operator: Equal (the default); name the taint key, or use operator: Exists to tolerate every taint',
      );
  }
}

/** A wait step's activity may run at most 6 hours; a longer node deadline could never be reached. */
const infraNodeDeadline: Rule = ({ lab, report }) => {
  const deadline = lab.day2?.infra?.nodeDeadline;
  if (typeof deadline !== 'string' || !/^(?=\d)(\d+h)?(\d+m)?(\d+s)?$/.test(deadline)) return;
  if (durationMs(deadline) > 6 * 3_600_000 || durationMs(deadline) === 0)
    report(
      ['day2', 'infra', 'nodeDeadline'],
      `${deadline} is not between 1s and 6h; a node's update is awaited at most 6h, use e.g. 30m`,
    );
};

const ldapTransport: Rule = ({ lab, report }) => {
  const ldap = lab.day2?.ldap;
  if (ldap?.url === undefined || ldap.insecure !== true) return;
  if (ldap.url.startsWith('ldaps://')) {
    report(
      ['day2', 'ldap', 'insecure'],
      'is true with an ldaps:// URL, which OpenShift rejects: ldaps always uses TLS; set insecure: false, or use an ldap:// URL',
    );
  }
  if (ldap.ca !== undefined)
    report(
      ['day2', 'ldap', 'ca'],
      'is set while insecure is true, which OpenShift rejects; remove ca, or set insecure: false',
    );
};

export const day2Rules: readonly Rule[] = [
  infraNodes,
  egressRouters,
  uniqueEgressNames,
  redirectDestinations,
  registryStorage,
  egressOnOvn,
  namespaceEgressIPs,
  routerTolerations,
  infraNodeDeadline,
  ldapTransport,
];
