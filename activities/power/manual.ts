/**
 * Manual power: a node without remote power (lab `power: { type: manual }`). Nothing can be read or
 * switched, so there is no driver: the runbook stops at a gate until the operator has done it.
 *
 * Why a step before the gate: a gate's prompt is fixed when the runbook is defined, before any lab
 * is known, so it cannot name the node or its MAC. `runbooks/power-steps.ts` therefore puts, per
 * manual node, this activity (whose outcome is the exact instruction, with the node, its MAC and the
 * approve command, shown by `runbook status`) followed by the gate the operator approves. No I/O here.
 */
import type { Node } from '../../lab/schema.js';

export interface ManualPowerRequest {
  to: 'on' | 'off';
  /** Power on into a network (PXE) boot. */
  pxe?: boolean;
  /** Power off and make the next boot a network boot (a reinstall). */
  reinstall?: boolean;
}

/** "Power on compute3 (MAC 52:54:00:ff:37:14) and make it PXE boot, then run `runbook approve install/intra`". */
export function manualPowerInstruction(node: Node, request: ManualPowerRequest, runId: string): string {
  const machine = `${node.name} (MAC ${node.mac})`;
  const what =
    request.to === 'on'
      ? `Power on ${machine}${request.pxe ? ' and make it PXE boot (one-time boot menu or BIOS boot order)' : ''}`
      : `Power off ${machine}${request.reinstall ? ' and set it to PXE boot next time' : ''}`;
  return `${what}, then run \`runbook approve ${runId}\``;
}
