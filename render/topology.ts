/**
 * Questions every renderer asks of a lab: which nodes play which part, which helper hosts carry a
 * service. Answered once here so that DNS, DHCP, PXE and HAProxy agree on names and addresses.
 */
import { clusterDomain, hostsWith, roleLabel } from '../lab/schema.js';
import type { Host, Lab, Node, NodeRole } from '../lab/schema.js';
import { contains, parseNetwork } from '../lab/ip.js';

/** A lab that cannot produce an artifact (a service block or node group it needs is missing). */
export class RenderError extends Error {
  override name = 'RenderError';
}

export function nodesWithRole(lab: Lab, role: NodeRole): Node[] {
  return lab.nodes.filter((node) => node.role === role);
}

export function masters(lab: Lab): Node[] {
  return nodesWithRole(lab, 'master');
}

/** The ignition config a node boots with: infra nodes join as workers and move to the infra pool on day 2. */
export function ignitionRole(node: Node): 'bootstrap' | 'master' | 'worker' {
  return node.role === 'infra' ? 'worker' : node.role;
}

/** Nodes moved to the infra MachineConfigPool: `day2.infra.nodes`, else every node of role infra. */
export function infraNodes(lab: Lab): Node[] {
  const names = lab.day2.infra?.nodes;
  if (names === undefined) return nodesWithRole(lab, 'infra');
  return names.map((name) => {
    const node = lab.nodes.find((candidate) => candidate.name === name);
    if (node === undefined) throw new RenderError(`day2.infra.nodes names "${name}", which is not a node of the lab`);
    return node;
  });
}

/** Whether the routers run on the infra nodes (day2.infra.moveRouters and infra nodes to move to). */
export function routersOnInfra(lab: Lab): boolean {
  return lab.day2.infra !== undefined && lab.day2.infra.moveRouters && infraNodes(lab).length > 0;
}

/**
 * Nodes that run the default routers, the backends of ports 443 and 80: the infra nodes when the
 * routers move there; otherwise every node that joins as a worker (workers and infra nodes still
 * labelled worker); in a cluster without compute nodes, the masters.
 */
export function routerNodes(lab: Lab): Node[] {
  if (routersOnInfra(lab)) return infraNodes(lab);
  const computes = lab.nodes.filter((node) => node.role === 'worker' || node.role === 'infra');
  return computes.length > 0 ? computes : masters(lab);
}

/** Router replicas after the move: `day2.infra.routerReplicas`, else one per infra node. */
export function routerReplicas(lab: Lab): number {
  return lab.day2.infra?.routerReplicas ?? infraNodes(lab).length;
}

/** Helper hosts of a service, failing with what to add when there are none. */
export function requireHosts<K extends 'dns' | 'dhcp' | 'pxe' | 'haproxy'>(lab: Lab, service: K) {
  const hosts = hostsWith(lab, service);
  if (hosts.length === 0) {
    throw new RenderError(`no helper host has a "${service}" block: add one under hosts[] (e.g. ${service}: {})`);
  }
  return hosts;
}

/** Helper hosts published in the nodes zone: those on the node subnet, and the DNS servers (NS targets). */
export function publishedHosts(lab: Lab): Host[] {
  const subnet = parseNetwork(lab.network.cidr);
  return lab.hosts.filter((host) => host.dns !== undefined || contains(subnet, host.address));
}

/** DHCP search domains: `network.searchDomains`, else the nodes domain and the cluster domain. */
export function searchDomains(lab: Lab): string[] {
  return lab.network.searchDomains ?? [...new Set([lab.cluster.nodesDomain, clusterDomain(lab)])];
}

export const infraRoleLabel = roleLabel('infra');
