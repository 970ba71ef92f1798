/**
 * Building the registry of step activities from groups (one per runbook family). Names are global on a
 * worker: the runbook definitions call activities by name, so two groups that both define a name would
 * make one silently replace the other. Merging refuses that, naming the duplicate.
 */
import type { StepActivity } from './step-activity.js';

type StepActivities = Record<string, StepActivity>;

/** The intersection of a tuple of groups: every name of every group, with its own signature. */
export type MergedGroups<Groups extends readonly StepActivities[]> = Groups extends readonly [
  infer First extends StepActivities,
  ...infer Rest extends readonly StepActivities[],
]
  ? First & MergedGroups<Rest>
  : unknown;

/** One record of all groups' activities; throws when a name is defined twice. */
export function mergeStepActivities<const Groups extends readonly StepActivities[]>(
  ...groups: Groups
): MergedGroups<Groups> {
  const merged: StepActivities = {};
  for (const group of groups) {
    for (const [name, activity] of Object.entries(group)) {
      if (Object.hasOwn(merged, name)) {
        throw new Error(
          `step activity "${name}" is defined twice; activity names are global on a worker, so rename ` +
            `one of them (and the runbook steps that name it)`,
        );
      }
      merged[name] = activity;
    }
  }
  return merged as MergedGroups<Groups>;
}

/**
 * Replaces registered activities on purpose (a test that injects a fault into one step); each name
 * must already be registered, so a typo does not quietly add an activity nobody calls.
 */
export function replaceStepActivities<Registry extends StepActivities>(
  registry: Registry,
  replacements: Partial<Record<keyof Registry, StepActivity>>,
): Registry {
  const unknown = Object.keys(replacements).filter((name) => !Object.hasOwn(registry, name));
  if (unknown.length > 0) {
    throw new Error(`cannot replace step activities that are not registered: ${unknown.join(', ')}`);
  }
  return { ...registry, ...replacements };
}
