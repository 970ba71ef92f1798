/**
 * `infra-nodes`: the procedure's Infra Nodes part. The infra copies of the worker MachineConfigs and
 * the infra MachineConfigPool; the pool renders its config; then each infra node in turn is labelled
 * infra instead of worker and awaited through drain, reboot and Ready on `rendered-infra-*` (one node out at a time; each node
 * first checks the ones before it are back, so a skip or a resume cannot take out two); then the
 * default routers move onto the infra nodes.
 *
 *   runbook start infra-nodes --lab lab.yaml --follow
 */
import type { Lab } from '../lab/schema.js';
import { defineRunbook } from '../workflows/engine/definition.js';
import { action, forEach, wait } from './steps.js';

/** The nodes moved, in order: `day2.infra.nodes`, else every node of role infra (as render/topology.ts). */
function infraNodeNames(lab: Lab): string[] {
  return lab.day2.infra?.nodes ?? lab.nodes.filter((node) => node.role === 'infra').map((node) => node.name);
}

export const infraNodesRunbook = defineRunbook({
  name: 'infra-nodes',
  title: 'Move the infra nodes to their pool, one at a time, and the routers onto them',
  description:
    'Creates the infra MachineConfigPool, relabels each infra node (infra, not worker) and ' +
    'waits for its drain, reboot and return on the rendered infra config, one node at a time; ' +
    'then places the default routers on the infra nodes.',
  // Every step reads or changes the cluster through the install folder's kubeconfig: the lab's worker.
  defaults: { on: 'lab' },
  steps: [
    action('nodes.check', 'Find every infra node of the lab in the cluster', 'infraCheckNodes'),
    action('pool.apply', 'Create the infra copies of the worker MachineConfigs and the infra pool', 'infraApplyPool'),
    wait('pool.rendered', 'Wait for the rendered-infra config', 'infraWaitRendered', {
      deadline: '10m',
      pollInterval: '5s',
    }),
    forEach('nodes', 'Move each infra node, one at a time', {
      items: infraNodeNames,
      steps: [
        action('previous-back', 'Check the infra nodes before it are back in service', 'infraCheckPrevious'),
        action('relabel', 'Label it infra, remove worker', 'infraRelabel'),
        wait('updated', 'Wait for drain, reboot and Ready on the infra config', 'infraWaitNodeUpdated', {
          deadline: 'lab',
          pollInterval: '5s',
          description: 'Deadline: day2.infra.nodeDeadline of the lab. A node that does not return pauses the run here.',
        }),
      ],
    }),
    action('routers.place', 'Place the default routers on the infra nodes', 'clusterApply', {
      params: { objects: 'ingress-placement' },
      when: (lab) => lab.day2.infra?.moveRouters !== false,
    }),
    wait('routers.running', 'Wait for every router on an infra node, ingress Available', 'infraWaitRouters', {
      deadline: '20m',
      pollInterval: '5s',
      when: (lab) => lab.day2.infra?.moveRouters !== false,
    }),
  ],
});
