/**
 * A runbook made only of power steps, for the end-to-end test: the computes of a lab switched on for
 * a PXE boot, whatever powers each one. Workflow-safe (bundled into the workflow sandbox).
 */
import { powerSteps } from '../../../runbooks/power-steps.js';
import { defineRunbook } from '../../../workflows/engine/definition.js';

export const powerOnComputesRunbook = defineRunbook({
  name: 'power-on-computes',
  title: 'Power on the computes',
  description: 'Each compute node switched on for a PXE boot by its own driver, or by hand at a gate.',
  steps: [
    ...powerSteps('computes.power-on', 'Power on the computes', {
      nodes: (lab) => lab.nodes.filter((node) => node.role === 'worker').map((node) => node.name),
      to: 'on',
      pxe: true,
    }),
  ],
});
