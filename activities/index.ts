/**
 * All activities the runbook worker registers, from the one list of declarations (./catalogue.ts),
 * so that shared clients (SSH, Kubernetes, …) are created once per worker and handed to the
 * activities that use them, as in the Temporal dependency-injection sample. Every step activity goes
 * through `wrapStepActivities`, which reports the attempt number with the outcome.
 *
 * Runbook definitions name these activities by string; `StepActivityName` is what they may name
 * (runbooks/steps.ts imports it as a type, which the workflow sandbox allows).
 */
import { declarations, type StepActivityName } from './catalogue.js';
import { wrapStepActivities, type StepActivity } from './engine/index.js';
import { mergeStepActivities, replaceStepActivities } from './engine/registry.js';

export type { StepActivityName } from './catalogue.js';

/** Shared dependencies of the activities; domain modules add theirs here. */
export interface ActivityDeps {
  /** Extra step activities (tests, plugins), registered next to the built-in ones; names must be new. */
  extra?: Record<string, StepActivity>;
  /** Built-in activities replaced on purpose (a test injecting a fault into one step). */
  replace?: Partial<Record<StepActivityName, StepActivity>>;
}

/** The built-in activities by name; a name declared twice fails here, naming it. */
function builtInActivities(): Record<StepActivityName, StepActivity> {
  return mergeStepActivities(...declarations.map((declaration) => ({ [declaration.name]: declaration.run }))) as Record<
    StepActivityName,
    StepActivity
  >;
}

export function createActivities(deps: ActivityDeps = {}) {
  const builtIn = replaceStepActivities(builtInActivities(), deps.replace ?? {});
  // Typed as the built-in registry: extras are looked up by the worker, never by name in code.
  const extra = (deps.extra ?? {}) as Record<never, StepActivity>;
  return wrapStepActivities(mergeStepActivities(builtIn, extra));
}

export type RunbookActivities = ReturnType<typeof createActivities>;
