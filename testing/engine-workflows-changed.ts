/**
 * Workflow bundle entry of a worker whose runbooks changed under running runs: every runbook of the
 * engine test catalogue has one step added at its start, as when a step is added to a runbook while
 * a run of it is paused. Replaying a history recorded before the change fails (non-determinism).
 */
import { defineRunbook } from '../workflows/engine/definition.js';
import { dispatchByType, workflowsFor } from '../workflows/engine/dispatch.js';
import type { StepActivityName } from '../activities/index.js';
import { activityStepsFor } from '../workflows/engine/steps.js';
import type { EngineTestActivityName } from './engine-activities.js';
import { engineTestCatalogue } from './engine-runbooks.js';

const { action } = activityStepsFor<StepActivityName | EngineTestActivityName>();

export const ADDED_STEP_ID = 'added.first';

const changed = Object.fromEntries(
  Object.values(engineTestCatalogue).map((definition) => [
    definition.name,
    defineRunbook({
      ...definition,
      steps: [action(ADDED_STEP_ID, 'A step added while runs were paused', 'testNoop'), ...definition.steps],
    }),
  ]),
);

export default dispatchByType(workflowsFor(changed));
