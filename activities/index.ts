/**
 * All activities the runbook worker registers, built by one factory so that shared clients (SSH,
 * Kubernetes, …) are created once per worker and handed to the activities that use them, as in the
 * Temporal dependency-injection sample. Every step activity goes through `wrapStepActivities`, which
 * reports the attempt number with the outcome.
 *
 * Runbook definitions name these activities by string; `StepActivityName` is what they may name
 * (workflows/engine/steps.ts imports it as a type, which the workflow sandbox allows).
 */
import { selftestActivities, wrapStepActivities, type StepActivity } from './engine/index.js';
import { mergeStepActivities, replaceStepActivities, type MergedGroups } from './engine/registry.js';
import { clusterActivities } from './cluster/index.js';
import { day2Activities } from './day2/index.js';
import { hostActivities } from './hosts/index.js';
import { installActivities } from './install/index.js';
import { powerActivities } from './power/index.js';
import { preflightActivities } from './preflight.js';
import { rebuildActivities } from './rebuild.js';
import { labFileActivities } from './lab-file.js';
import { bootAssetActivities } from './install/boot-assets.js';

/** One group per runbook family; a name defined by two groups fails when the registry is built. */
const groups = [
  selftestActivities,
  preflightActivities,
  hostActivities,
  clusterActivities,
  installActivities,
  bootAssetActivities,
  powerActivities(),
  day2Activities,
  rebuildActivities,
  labFileActivities,
] as const;

/** The name of a built-in step activity: what a runbook step may name. */
export type StepActivityName = keyof MergedGroups<typeof groups> & string;

/** Shared dependencies of the activities; domain modules add theirs here. */
export interface ActivityDeps {
  /** Extra step activities (tests, plugins), registered next to the built-in ones; names must be new. */
  extra?: Record<string, StepActivity>;
  /** Built-in activities replaced on purpose (a test injecting a fault into one step). */
  replace?: Partial<Record<StepActivityName, StepActivity>>;
}

export function createActivities(deps: ActivityDeps = {}) {
  const builtIn = replaceStepActivities(mergeStepActivities(...groups), deps.replace ?? {});
  // Typed as the built-in registry: extras are looked up by the worker, never by name in code.
  const extra = (deps.extra ?? {}) as Record<never, StepActivity>;
  return wrapStepActivities(mergeStepActivities(builtIn, extra));
}

export type RunbookActivities = ReturnType<typeof createActivities>;
