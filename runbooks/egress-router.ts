/**
 * `egress-router`: the procedure's egress routers. The lab's node selectors are checked against the
 * cluster's node labels before anything is created; then, on OpenShift SDN, the project, service
 * account, SCC, the redirect / HTTP-proxy ReplicationControllers and their Services; on
 * OVN-Kubernetes, `EgressRouter` objects (redirect only) and their Services. The namespaces the lab
 * gives egress IPs get them: on OpenShift SDN on their NetNamespace and on the nodes' HostSubnets; on
 * OVN-Kubernetes as an `EgressIP` each, the nodes listed labelled egress-assignable, awaited until
 * OVN has assigned every address (the step reports which node holds which). Then every router is
 * awaited on a matching node with Service endpoints.
 *
 *   runbook start egress-router --lab lab.yaml --follow
 */
import type { Lab } from '../lab/schema.js';
import { defineRunbook } from '../workflows/engine/definition.js';
import { action, wait } from './steps.js';
import { onLab } from './placement.js';

const hasEgressIps = (lab: Lab) => (lab.day2.egress?.egressIPs?.length ?? 0) > 0;
const sdnEgressIps = (lab: Lab) => lab.cluster.networkType === 'OpenShiftSDN' && hasEgressIps(lab);
const ovnEgressIps = (lab: Lab) => lab.cluster.networkType === 'OVNKubernetes' && hasEgressIps(lab);

export const egressRouterRunbook = defineRunbook({
  name: 'egress-router',
  title: 'Egress routers with fixed source addresses',
  description:
    'Checks node selectors against the nodes; creates the routers (ReplicationControllers on OpenShift SDN, ' +
    'EgressRouter objects on OVN-Kubernetes) and their Services; ' +
    "sets the namespaces' egress IPs the lab lists (NetNamespace and HostSubnet on OpenShift SDN; " +
    'EgressIP objects and egress-assignable nodes on OVN-Kubernetes, awaited until every address is on a node); ' +
    'waits for the routers on matching nodes with endpoints.',
  steps: [
    action('selectors.check', 'Check each router selects nodes of the cluster', 'egressCheckSelectors', onLab),
    action('sdn.apply', 'Create the project, account, SCC, routers and Services (SDN)', 'clusterApply', {
      ...onLab,
      params: { objects: 'egress' },
      when: (lab) => lab.cluster.networkType === 'OpenShiftSDN',
    }),
    action('ovn.apply', 'Create the project, EgressRouter objects and Services (OVN)', 'clusterApply', {
      ...onLab,
      params: { objects: 'egress-ovn' },
      when: (lab) => lab.cluster.networkType === 'OVNKubernetes',
    }),
    action('egress-ips.namespaces', 'Create the namespaces given egress IPs (SDN)', 'clusterApply', {
      params: { objects: 'egress-ip-namespaces' },
      when: sdnEgressIps,
    }),
    wait('egress-ips.netnamespaces', 'Wait for their NetNamespaces and the HostSubnets', 'egressWaitNetNamespaces', {
      deadline: '5m',
      pollInterval: '5s',
      when: sdnEgressIps,
    }),
    action('egress-ips.apply', 'Set the egress IPs on the NetNamespaces and HostSubnets (SDN)', 'clusterApply', {
      params: { objects: 'egress-ips' },
      when: sdnEgressIps,
    }),
    action('egress-ips.ovn', 'Create the EgressIPs, label their nodes egress-assignable (OVN)', 'clusterApply', {
      ...onLab,
      params: { objects: 'egress-ips-ovn' },
      when: ovnEgressIps,
    }),
    wait('egress-ips.assigned', 'Wait until OVN assigns every egress IP to a node', 'egressWaitEgressIps', {
      ...onLab,
      deadline: '5m',
      pollInterval: '5s',
      when: ovnEgressIps,
    }),
    wait('routers.running', 'Wait for the routers on matching nodes, Services with endpoints', 'egressWaitRouters', {
      ...onLab,
      deadline: '10m',
      pollInterval: '5s',
    }),
  ],
});
