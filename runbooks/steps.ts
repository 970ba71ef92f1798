/**
 * The step builders of the runbook definitions: the engine's (workflows/engine/steps.ts), with the
 * activity names checked against the worker's registry (a type-only import, erased before the
 * workflow bundle is built).
 */
import type { StepActivityName } from '../activities/index.js';
import { activityStepsFor } from '../workflows/engine/steps.js';

export { allOf, condition, forEach, gate, optionOn } from '../workflows/engine/steps.js';

export const { action, wait } = activityStepsFor<StepActivityName>();
