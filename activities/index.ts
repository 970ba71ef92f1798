/**
 * All activities the runbook worker registers, built by one factory so that shared clients (SSH,
 * Kubernetes, …) are created once per worker and handed to the activities that use them, as in the
 * Temporal dependency-injection sample. Every step activity goes through `wrapStepActivities`, which
 * reports the attempt number with the outcome.
 */
import { selftestActivities, wrapStepActivities, type StepActivity } from './engine/index.js';
import { clusterActivities } from './cluster/index.js';
import { day2Activities } from './day2/index.js';
import { hostActivities } from './hosts/index.js';
import { installActivities } from './install/index.js';
import { preflightActivities } from './preflight.js';

/** Shared dependencies of the activities; domain modules add theirs here. */
export interface ActivityDeps {
  /** Extra step activities (tests, plugins), registered next to the built-in ones. */
  extra?: Record<string, StepActivity>;
}

export function createActivities(deps: ActivityDeps = {}) {
  return wrapStepActivities({
    ...selftestActivities,
    ...preflightActivities,
    ...hostActivities,
    ...clusterActivities,
    ...installActivities,
    ...day2Activities,
    ...deps.extra,
  });
}

export type RunbookActivities = ReturnType<typeof createActivities>;
