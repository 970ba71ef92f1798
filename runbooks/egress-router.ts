/**
 * `egress-router`: the procedure's egress routers. The lab's node selectors are checked against the
 * cluster's node labels before anything is created; then, on OpenShift SDN, the project, service
 * account, SCC, the redirect / HTTP-proxy ReplicationControllers and their Services; on
 * OVN-Kubernetes, `EgressRouter` objects (redirect only) and their Services. Then every router is
 * awaited on a matching node with Service endpoints.
 *
 *   runbook start egress-router --lab lab.yaml --follow
 */
import { defineRunbook } from '../workflows/engine/definition.js';
import { action, wait } from '../workflows/engine/steps.js';
import { onLab } from './placement.js';

export const egressRouterRunbook = defineRunbook({
  name: 'egress-router',
  title: 'Egress routers with fixed source addresses',
  description:
    'Checks node selectors against the nodes; creates the routers (ReplicationControllers on OpenShift SDN, EgressRouter objects on OVN-Kubernetes) and their Services; waits for them on matching nodes with endpoints.',
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
    wait('routers.running', 'Wait for the routers on matching nodes, Services with endpoints', 'egressWaitRouters', {
      ...onLab,
      deadline: '10m',
      pollInterval: '5s',
    }),
  ],
});
