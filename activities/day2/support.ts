/**
 * Pieces the day-2 steps share: read-only checks as planned steps (a plan that never lists a
 * change, so `runbook plan` shows what they found), refusals that pause the run at once, and the
 * MachineConfig annotations of a node.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { V1Node } from '@kubernetes/client-node';
import type { PlannedStep, StepPlan } from '../support/plan.js';
import { hasCondition } from '../cluster/conditions.js';

/** A check: reads, refuses (throws) or reports what it found; it has nothing to apply. */
export function checkStep(check: () => Promise<string>): PlannedStep<StepPlan> {
  return {
    plan: async () => ({ changes: [], detail: await check() }),
    apply: () => Promise.resolve('nothing to do'),
  };
}

/** Bad input or a state the run must not go past: the run pauses at once with this message. */
export function refuse(message: string, type: string): never {
  throw ApplicationFailure.nonRetryable(message, type);
}

export const MCD_CURRENT = 'machineconfiguration.openshift.io/currentConfig';
export const MCD_DESIRED = 'machineconfiguration.openshift.io/desiredConfig';
export const MCD_STATE = 'machineconfiguration.openshift.io/state';

/** Whether a node is back in service on `rendered`: Ready, schedulable, current = desired = rendered, Done. */
export function nodeOnConfig(node: V1Node, rendered: string | undefined): { ok: boolean; detail: string } {
  const annotations = node.metadata?.annotations ?? {};
  const current = annotations[MCD_CURRENT];
  const desired = annotations[MCD_DESIRED];
  const state = annotations[MCD_STATE];
  const ready = hasCondition(node, 'Ready');
  const schedulable = node.spec?.unschedulable !== true;
  const ok =
    rendered !== undefined && ready && schedulable && current === rendered && desired === rendered && state === 'Done';
  const detail = `${ready ? 'Ready' : 'NotReady'}, ${schedulable ? 'schedulable' : 'cordoned'}, config ${current ?? '?'}${
    desired !== current ? ` → ${desired ?? '?'}` : ''
  }, state ${state ?? '?'}`;
  return { ok, detail };
}
