/**
 * Converge steps that can also say what they WOULD change. A step is split into `plan`, a
 * read-only look at the current state that lists the changes (a unified diff per file, a field-level
 * diff per object), and `apply`, which makes exactly those changes. `convergePlanned` runs them as a
 * converge (plan, apply when the plan is not empty, plan again to prove it worked); `runbook plan`
 * can call `plan` alone.
 */
import { converge } from '../engine/converge.js';
import type { StepContext, StepOutcome } from '../../contract/step.js';

export interface PlannedChange {
  /** What changes: `netserv1:/etc/bind/zones/db.intra.example.com`, `Secret openshift-config/ldap-secret`. */
  target: string;
  action: 'create' | 'update' | 'mode' | 'reload' | 'approve' | 'power-on' | 'power-off' | 'run';
  /** A unified diff for a file, `path: old → new` lines for an object; secrets are masked. */
  diff?: string;
}

export interface StepPlan {
  /** Empty when the state is already as wanted. */
  changes: PlannedChange[];
  /** One line for the operator: what was found. */
  detail: string;
  /**
   * The targets an empty plan looked at (a node's power), so that `runbook plan` can tell when an
   * earlier step changes them first: then "unchanged" would only be true of the state as it is now.
   */
  about?: string[];
}

export interface PlannedStep<P extends StepPlan = StepPlan> {
  /** Reads the state and lists the changes; never writes. */
  plan(): Promise<P>;
  /** Makes the changes of `plan`; returns a line saying what it did. */
  apply(plan: P): Promise<string>;
}

/** A one-line summary of the changes: `update netserv1:/etc/dhcp/dhcpd.conf, reload netserv1 dhcp`. */
export function describeChanges(changes: readonly PlannedChange[]): string {
  return changes.map((change) => `${change.action} ${change.target}`).join(', ');
}

export async function convergePlanned<P extends StepPlan>(step: PlannedStep<P>): Promise<StepOutcome> {
  let latest: P | undefined;
  return converge({
    check: async () => {
      latest = await step.plan();
      const ok = latest.changes.length === 0;
      return { ok, detail: ok ? latest.detail : `${latest.detail}; still to do: ${describeChanges(latest.changes)}` };
    },
    apply: () => step.apply(latest!),
  });
}

/** The plan half of a step: reads the state and lists what the step would change, never writes. */
export type PlanHalf = (context: StepContext) => Promise<StepPlan>;

/**
 * The plan half of an activity that only reads (a preflight check): the activity itself, which
 * never reports a change; a refusal (a host that does not answer) is the plan's answer too.
 */
export function readOnlyCheck(activity: (context: StepContext) => Promise<StepOutcome>): PlanHalf {
  return async (context) => {
    const outcome = await activity(context);
    if (outcome.changed) throw new Error(`${context.stepId} changed something although it is a read-only check`);
    return { changes: [], detail: outcome.detail };
  };
}

/**
 * A check as a planned step: it reads, refuses (throws) or reports what it found; its plan never
 * lists a change (so `runbook plan` shows what it found) and it has nothing to apply.
 */
export function checkStep(check: () => Promise<string>): PlannedStep<StepPlan> {
  return {
    plan: async () => ({ changes: [], detail: await check() }),
    apply: () => Promise.resolve('nothing to do'),
  };
}
