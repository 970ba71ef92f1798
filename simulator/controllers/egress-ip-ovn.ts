/**
 * OVN-Kubernetes' cluster manager for namespace egress IPs (networkType OVNKubernetes): each
 * `EgressIP` (k8s.ovn.org/v1, the vendored CRD of ovn-org/ovn-kubernetes) gets its addresses
 * assigned to nodes in `status.items` ({ node, egressIP }), as OVN does:
 * - only nodes labelled `k8s.ovn.org/egress-assignable` that are Ready, and only when the address
 *   lies in the node network (the lab's subnet);
 * - never two addresses of one EgressIP on the same node; among the nodes left, the one holding
 *   the fewest egress IPs so far (then by name), so addresses spread one per node where they can;
 * - an assignment stays where it is while its node stays eligible, and moves when that node goes
 *   NotReady or loses the label; an address no node can take is left out of the status.
 */
import type { KubeObject } from '../apiserver/store.js';
import type { Controller, SimContext } from '../context.js';
import { contains, parseNetwork } from '../../lab/ip.js';
import { R } from '../openshift-objects.js';
import { startLoop } from './loop.js';
import { isNodeReady } from './scheduler.js';

export const EGRESS_IPS = 'egressips.k8s.ovn.org';
export const EGRESS_ASSIGNABLE = 'k8s.ovn.org/egress-assignable';

export interface EgressIpStatusItem {
  node: string;
  egressIP: string;
}

function specIps(egressIp: KubeObject): string[] {
  return ((egressIp.spec as { egressIPs?: string[] } | undefined)?.egressIPs ?? []).map(String);
}

function statusItems(egressIp: KubeObject): EgressIpStatusItem[] {
  return ((egressIp.status as { items?: EgressIpStatusItem[] } | undefined)?.items ?? []).map((item) => ({
    node: item.node,
    egressIP: item.egressIP,
  }));
}

function assignable(node: KubeObject): boolean {
  return EGRESS_ASSIGNABLE in (node.metadata.labels ?? {}) && isNodeReady(node) && !node.metadata.deletionTimestamp;
}

/** The assignments OVN would make now, for every EgressIP by name, given what each holds already. */
export function assignEgressIps(
  egressIps: readonly KubeObject[],
  nodes: readonly KubeObject[],
  inNodeNetwork: (ip: string) => boolean,
): Map<string, EgressIpStatusItem[]> {
  const eligible = nodes
    .filter(assignable)
    .map((node) => node.metadata.name)
    .sort();
  const load = new Map(eligible.map((name) => [name, 0]));
  const sorted = [...egressIps].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  const result = new Map<string, EgressIpStatusItem[]>();
  // First keep every assignment still valid, so that nothing moves without a reason.
  const kept = new Map<string, EgressIpStatusItem[]>();
  for (const egressIp of sorted) {
    const wanted = new Set(specIps(egressIp).filter(inNodeNetwork));
    const mine: EgressIpStatusItem[] = [];
    for (const item of statusItems(egressIp)) {
      if (!wanted.has(item.egressIP) || !load.has(item.node)) continue;
      if (mine.some((other) => other.node === item.node || other.egressIP === item.egressIP)) continue;
      mine.push(item);
      load.set(item.node, (load.get(item.node) ?? 0) + 1);
    }
    kept.set(egressIp.metadata.name, mine);
  }
  // Then place the addresses left, on the least loaded eligible node holding none of this object's.
  for (const egressIp of sorted) {
    const mine = kept.get(egressIp.metadata.name) ?? [];
    for (const ip of specIps(egressIp).filter(inNodeNetwork)) {
      if (mine.some((item) => item.egressIP === ip)) continue;
      const free = eligible.filter((name) => !mine.some((item) => item.node === name));
      const node = free.sort((a, b) => (load.get(a) ?? 0) - (load.get(b) ?? 0) || a.localeCompare(b))[0];
      if (node === undefined) continue;
      mine.push({ node, egressIP: ip });
      load.set(node, (load.get(node) ?? 0) + 1);
    }
    const order = specIps(egressIp);
    result.set(
      egressIp.metadata.name,
      mine.sort((a, b) => order.indexOf(a.egressIP) - order.indexOf(b.egressIP)),
    );
  }
  return result;
}

function describeMove(
  name: string,
  before: EgressIpStatusItem[],
  after: EgressIpStatusItem[],
  ips: string[],
): string[] {
  return ips.flatMap((ip) => {
    const was = before.find((item) => item.egressIP === ip)?.node;
    const now = after.find((item) => item.egressIP === ip)?.node;
    if (was === now) return [];
    if (now === undefined)
      return [`egress IP ${ip} of ${name} is assigned to no node: no Ready egress-assignable node can take it`];
    return [`egress IP ${ip} of ${name} ${was === undefined ? 'assigned to' : `moved from ${was} to`} ${now}`];
  });
}

async function syncEgressIps(ctx: SimContext): Promise<void> {
  const { api, lab } = ctx;
  const subnet = parseNetwork(lab.network.cidr);
  const egressIps = api.list(EGRESS_IPS).items;
  const assignments = assignEgressIps(egressIps, api.list(R.nodes).items, (ip) => contains(subnet, ip));
  for (const egressIp of egressIps) {
    const name = egressIp.metadata.name;
    const before = statusItems(egressIp);
    const after = assignments.get(name) ?? [];
    if (JSON.stringify(before) === JSON.stringify(after) && egressIp.status !== undefined) continue;
    for (const line of describeMove(name, before, after, specIps(egressIp))) {
      if (line.includes('no node')) ctx.log.warn(`ovn: ${line}`);
      else ctx.log.info(`ovn: ${line}`);
    }
    await api.mutate(EGRESS_IPS, undefined, name, (draft) => {
      draft.status = { items: after };
    });
  }
}

/** Starts the EgressIP assignment of OVN-Kubernetes labs. */
export const startEgressIpOvnController: Controller = (ctx) => {
  if (ctx.lab.cluster.networkType !== 'OVNKubernetes') return () => {};
  const loop = startLoop(ctx, 'ovn-egress-ip', {
    resources: [EGRESS_IPS, R.nodes],
    pass: () => syncEgressIps(ctx),
    faults: false,
  });
  return loop.stop;
};
