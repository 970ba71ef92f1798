/**
 * Pieces the day-2 steps share: read-only checks as planned steps (`checkStep`, from
 * ../support/plan.ts), refusals that pause the run at once, and the
 * MachineConfig annotations of a node.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { V1Node } from '@kubernetes/client-node';
export { checkStep } from '../support/plan.js';
import { conditionOf, hasCondition } from '../cluster/conditions.js';
import { StepErrorType } from '../../contract/error-types.js';

/** Bad input or a state the run must not go past: the run pauses at once with this message. */
export function refuse(message: string, type: StepErrorType): never {
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

/**
 * How long an operator may stay Degraded while a wait watches it. Operators set Degraded only after
 * their own retries failed (it means "needs attention", not "still working"), so the wait pauses
 * after this short grace, which covers a flap, instead of sitting out its whole deadline.
 */
export const DEGRADED_GRACE_MS = 20_000;

/** Checkpointed by the wait, so a new worker keeps counting from when Degraded was first seen. */
export type DegradedProgress = { degradedSinceMs?: number };

/**
 * Pauses the run (OperatorDegraded) once `operator` has been Degraded for the grace; returns the
 * progress to checkpoint. `elapsedMs` is the wait's time so far, over all its attempts.
 */
export function watchDegraded(
  operator: string,
  object: unknown,
  elapsedMs: number,
  progress: DegradedProgress | undefined,
): DegradedProgress {
  const degraded = conditionOf(object, 'Degraded');
  if (degraded?.status !== 'True') return {};
  const since = progress?.degradedSinceMs ?? elapsedMs;
  if (elapsedMs - since >= DEGRADED_GRACE_MS)
    refuse(
      `the ${operator} ClusterOperator has stayed Degraded for ${Math.round((elapsedMs - since) / 1000)} s: ` +
        `${degraded.message || degraded.reason || 'no message'}. See \`oc describe clusteroperator ${operator}\`, ` +
        'fix what it reports, then resume the run to wait again',
      StepErrorType.OperatorDegraded,
    );
  return { degradedSinceMs: since };
}
