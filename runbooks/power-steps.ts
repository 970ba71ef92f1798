/**
 * Power steps for runbook definitions: switch a set of nodes on or off, whatever powers each one.
 *
 *   ...powerSteps('bootstrap.power-on', 'Power on the bootstrap node', {
 *     nodes: (lab) => lab.nodes.filter((node) => node.role === 'bootstrap').map((node) => node.name),
 *     to: 'on',
 *     pxe: true,
 *   }),
 *
 * gives two for-each steps: `<id>` converges every node with remote power (libvirt, IPMI, Redfish:
 * activities `powerOn` / `powerOff`), then `<id>.manual` stops at a gate for each node with manual power.
 * A gate's prompt is fixed when the runbook is defined and cannot name a node, so each manual item first
 * runs `powerManualInstructions`, whose outcome is the instruction with the node, its MAC and the
 * approve command; the item's path names the node too. Either step is skipped when it has no node.
 *
 * Workflow-safe: pure functions of the lab.
 */
import type { Lab } from '../lab/schema.js';
import type { Step, StepPlacement } from '../workflows/engine/steps.js';
import { action, forEach, gate } from './steps.js';

export interface PowerStepsOptions {
  /** The nodes, by name, in the order to switch them (evaluated in the workflow: pure, no I/O). */
  nodes: (lab: Lab) => string[];
  to: 'on' | 'off';
  /** Power on into a network (PXE) boot, where the driver can choose the boot device. */
  pxe?: boolean;
  /** More parameters of the power activities (`unlessBootstrapped`, see activities/cluster/waits.ts; `reinstall`). */
  params?: { unlessBootstrapped?: boolean; reinstall?: boolean };
  /**
   * Where the remote power action runs (`lab`: on the lab's own worker, for params such as
   * `unlessBootstrapped` that read the install folder's kubeconfig). The manual instructions run anywhere.
   */
  on?: StepPlacement;
  description?: string;
}

function isManual(lab: Lab, name: string): boolean {
  return lab.nodes.find((node) => node.name === name)?.power.type === 'manual';
}

export function powerSteps(id: string, title: string, options: PowerStepsOptions): Step[] {
  const remote = (lab: Lab) => options.nodes(lab).filter((name) => !isManual(lab, name));
  const manual = (lab: Lab) => options.nodes(lab).filter((name) => isManual(lab, name));
  const on = options.to === 'on';
  const params = { ...options.params, ...(on && options.pxe && { pxe: true }) };
  const described = options.description !== undefined ? { description: options.description } : {};
  return [
    forEach(id, title, {
      ...described,
      items: remote,
      when: (lab) => remote(lab).length > 0,
      steps: [
        action(on ? 'power-on' : 'power-off', on ? 'Switch it on' : 'Switch it off', on ? 'powerOn' : 'powerOff', {
          params,
          ...(options.on && { on: options.on }),
        }),
      ],
    }),
    forEach(`${id}.manual`, `${title} (nodes without remote power)`, {
      ...described,
      items: manual,
      when: (lab) => manual(lab).length > 0,
      steps: [
        action('instructions', 'Say what to do by hand', 'powerManualInstructions', {
          params: { to: options.to, ...params },
          on: 'any',
        }),
        gate('done', on ? 'Switched on by hand' : 'Switched off by hand', {
          prompt: `${on ? 'Power on' : 'Power off'} the node this step is for, as the step before says${
            on && options.pxe ? ' (PXE boot)' : ''
          }, then approve.`,
        }),
      ],
    }),
  ];
}
