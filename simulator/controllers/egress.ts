/**
 * The OpenShift SDN objects egress relies on (networkType OpenShiftSDN): a NetNamespace per
 * namespace (`netname`, `netid`, `egressIPs`) and a HostSubnet per node (`host`, `hostIP`,
 * `subnet` carved from the cluster network by hostPrefix, `egressIPs`, `egressCIDRs`), as the SDN
 * master creates them. Egress IPs patched onto them are kept as written and reported: which node
 * carries each namespace's egress IP, and the IPs no Ready node hosts (their traffic is dropped,
 * or fails over to the namespace's next IP, as the procedure shows when compute3 reboots).
 *
 * Egress router pods themselves are ordinary ReplicationController pods (./pods.ts): their
 * nodeSelector, ServiceAccount and privileged init container decide whether they run.
 */
import type { KubeObject } from '../apiserver/store.js';
import type { Controller, SimContext } from '../context.js';
import { R } from '../openshift-objects.js';
import { startLoop } from './loop.js';
import { W } from './pods.js';
import { isNodeReady } from './scheduler.js';

const NETWORK_API = 'network.openshift.io/v1';
/** Namespaces of the global VNID 0 (reachable from every project). */
const GLOBAL_NAMESPACES = new Set(['default', 'kube-system', 'openshift-ingress', 'openshift-monitoring']);

function ipToNumber(ip: string): number {
  return ip.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
}

function numberToIp(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** The `index`-th node subnet of the cluster network (`10.128.0.0/14`, hostPrefix 23 → 10.128.2.0/23 …). */
export function hostSubnetCidr(clusterCidr: string, hostPrefix: number, index: number): string {
  const [base = '10.128.0.0'] = clusterCidr.split('/');
  return `${numberToIp(ipToNumber(base) + index * 2 ** (32 - hostPrefix))}/${hostPrefix}`;
}

function internalIp(node: KubeObject): string {
  const addresses = (node.status as { addresses?: { type: string; address: string }[] } | undefined)?.addresses ?? [];
  return addresses.find((address) => address.type === 'InternalIP')?.address ?? '';
}

/** Where each namespace's egress IPs live: the node hosting each IP, and whether it is Ready. */
export interface EgressAssignment {
  namespace: string;
  ip: string;
  node?: string;
  ready: boolean;
}

export function egressAssignments(ctx: SimContext): EgressAssignment[] {
  const { api } = ctx;
  const hosts = new Map<string, KubeObject>();
  for (const subnet of api.list(W.hostsubnets).items) {
    for (const ip of (subnet.egressIPs as string[] | undefined) ?? []) hosts.set(ip, subnet);
  }
  const assignments: EgressAssignment[] = [];
  for (const netns of api.list(W.netnamespaces).items) {
    for (const ip of (netns.egressIPs as string[] | undefined) ?? []) {
      const subnet = hosts.get(ip);
      const node = subnet ? api.get(R.nodes, undefined, String(subnet.host)) : undefined;
      assignments.push({
        namespace: netns.metadata.name,
        ip,
        ...(subnet ? { node: String(subnet.host) } : {}),
        ready: node !== undefined && isNodeReady(node),
      });
    }
  }
  return assignments;
}

/** The one sentence the SDN would log about a namespace's egress now. */
function describe(assignments: readonly EgressAssignment[], namespace: string): string {
  const mine = assignments.filter((assignment) => assignment.namespace === namespace);
  const active = mine.find((assignment) => assignment.ready);
  if (active) return `egress traffic of namespace ${namespace} leaves through ${active.node} as ${active.ip}`;
  const unhosted = mine.filter((assignment) => !assignment.node).map((assignment) => assignment.ip);
  const why = unhosted.length
    ? `egress IPs ${unhosted.join(', ')} are hosted by no HostSubnet`
    : 'every node hosting its egress IPs is NotReady';
  return `egress traffic of namespace ${namespace} is dropped: ${why}`;
}

async function syncSdn(ctx: SimContext, reported: Map<string, string>): Promise<void> {
  const { api, lab } = ctx;
  // NetNamespaces follow namespaces.
  const namespaces = api.list(R.namespaces).items.filter((ns) => !ns.metadata.deletionTimestamp);
  const netnamespaces = new Map(api.list(W.netnamespaces).items.map((netns) => [netns.metadata.name, netns]));
  let nextNetId = Math.max(0, ...[...netnamespaces.values()].map((netns) => Number(netns.netid ?? 0))) + 1;
  for (const ns of namespaces) {
    if (netnamespaces.has(ns.metadata.name)) continue;
    const netid = GLOBAL_NAMESPACES.has(ns.metadata.name) ? 0 : nextNetId++;
    await api.create(W.netnamespaces, {
      apiVersion: NETWORK_API,
      kind: 'NetNamespace',
      metadata: { name: ns.metadata.name },
      netname: ns.metadata.name,
      netid,
      egressIPs: [],
    });
  }
  const live = new Set(namespaces.map((ns) => ns.metadata.name));
  for (const name of netnamespaces.keys()) if (!live.has(name)) await api.delete(W.netnamespaces, undefined, name);

  // HostSubnets follow nodes.
  const nodes = api.list(R.nodes).items;
  const subnets = new Map(api.list(W.hostsubnets).items.map((subnet) => [subnet.metadata.name, subnet]));
  const used = new Set([...subnets.values()].map((subnet) => String(subnet.subnet)));
  let index = 0;
  for (const node of nodes) {
    if (subnets.has(node.metadata.name)) continue;
    let cidr: string;
    do cidr = hostSubnetCidr(lab.cluster.clusterNetwork.cidr, lab.cluster.clusterNetwork.hostPrefix, index++);
    while (used.has(cidr));
    used.add(cidr);
    await api.create(W.hostsubnets, {
      apiVersion: NETWORK_API,
      kind: 'HostSubnet',
      metadata: {
        name: node.metadata.name,
        annotations: { 'pod.network.openshift.io/node-uid': node.metadata.uid ?? '' },
      },
      host: node.metadata.name,
      hostIP: internalIp(node),
      subnet: cidr,
      egressIPs: [],
      egressCIDRs: [],
    });
  }
  const nodeNames = new Set(nodes.map((node) => node.metadata.name));
  for (const name of subnets.keys()) if (!nodeNames.has(name)) await api.delete(W.hostsubnets, undefined, name);

  // Report egress IP placement when it changes.
  for (const subnet of api.list(W.hostsubnets).items) {
    const ips = ((subnet.egressIPs as string[] | undefined) ?? []).join(', ');
    const line = ips ? `hostsubnet ${subnet.metadata.name} hosts egress IPs ${ips}` : '';
    if ((reported.get(`hostsubnet/${subnet.metadata.name}`) ?? '') !== line) {
      reported.set(`hostsubnet/${subnet.metadata.name}`, line);
      if (line) ctx.log.info(`sdn: ${line}`);
    }
  }
  const assignments = egressAssignments(ctx);
  for (const namespace of new Set(assignments.map((assignment) => assignment.namespace))) {
    const line = describe(assignments, namespace);
    if (reported.get(`netnamespace/${namespace}`) !== line) {
      reported.set(`netnamespace/${namespace}`, line);
      if (line.includes('dropped')) ctx.log.warn(`sdn: ${line}`);
      else ctx.log.info(`sdn: ${line}`);
    }
  }
}

/** Starts the SDN master's NetNamespace/HostSubnet bookkeeping and egress IP reporting (OpenShiftSDN labs only). */
export const startEgressController: Controller = (ctx) => {
  if (ctx.lab.cluster.networkType !== 'OpenShiftSDN') return () => {};
  const reported = new Map<string, string>();
  const loop = startLoop(ctx, 'sdn', {
    resources: [R.namespaces, R.nodes, W.netnamespaces, W.hostsubnets],
    pass: () => syncSdn(ctx, reported),
    faults: false,
  });
  return loop.stop;
};
