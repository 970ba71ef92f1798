/**
 * The registry `runbook plan` uses in place of the worker's (./index.ts): for each step activity,
 * its plan half (a read of the state that lists what the step would change) or, explicitly, why it
 * has none, both from the activity's declaration (./catalogue.ts). It holds no apply half, so
 * nothing reached from it writes a file, sends a mutating API request, switches a node or runs
 * `openshift-install`: test/plan proves it by counting the simulated lab's writes.
 */
import { declarations } from './catalogue.js';
import type { PlanEntry } from './engine/declare.js';
import type { PlanHalf } from './support/plan.js';

export type { PlanEntry } from './engine/declare.js';

const entries = new Map<string, PlanEntry>(
  declarations.map((declaration) => [declaration.name, declaration.planEntry]),
);

export function planEntry(activity: string): PlanEntry {
  return entries.get(activity) ?? { cannotPlan: `${activity} is not a registered step activity` };
}

/** The plan half of `activity`; throws when it has none (tests call plan halves directly). */
export function planHalf(activity: string): PlanHalf {
  const entry = planEntry(activity);
  if ('plan' in entry) return entry.plan;
  throw new Error(`${activity} has no plan half: ${entry.cannotPlan}`);
}

/** The activities that have a plan half, and those that have none, with why. */
export function planCoverage(): { planned: string[]; withoutPlan: Record<string, string> } {
  const planned = [...entries].filter(([, entry]) => 'plan' in entry).map(([name]) => name);
  const withoutPlan = Object.fromEntries(
    [...entries].flatMap(([name, entry]) => ('cannotPlan' in entry ? [[name, entry.cannotPlan]] : [])),
  );
  return { planned: planned.sort(), withoutPlan };
}
