/**
 * The step builders of the runbook definitions: the engine's (workflows/engine/steps.ts), typed by
 * the activities' declarations (activities/catalogue.ts, a type-only import that is erased before
 * the workflow bundle is built). A step names a declared activity, gives the parameters its zod
 * schema takes (a wrong object set or a misspelt field fails `npm run typecheck`), and a wait whose
 * deadline is the lab's says `deadline: 'lab'` instead of repeating a duration.
 */
import type { Duration } from '@temporalio/common';
import type { ActionName, DeadlineOf, ParamsOf, WaitName } from '../activities/catalogue.js';
import {
  activityStepsFor,
  type ActionOptions,
  type ActivityStep,
  type WaitOptions,
} from '../workflows/engine/steps.js';

export { allOf, condition, forEach, gate, optionOn } from '../workflows/engine/steps.js';

/**
 * The attempt bound of a wait whose deadline is the lab's: every lab deadline a wait reads is at
 * most 6h (lab/rules), and the activity stops at the lab's own deadline, well before this.
 */
export const LAB_DEADLINE_BOUND = '6h';

/** `params` as the activity's schema takes them: required when it needs some, else optional. */
type ParamsOption<Name extends ActionName | WaitName> =
  undefined extends ParamsOf<Name> ? { params?: ParamsOf<Name> } : { params: ParamsOf<Name> };

type Typed<Options, Name extends ActionName | WaitName> = Omit<Options, 'params'> & ParamsOption<Name>;

/** The options argument: optional when the activity takes no required params. */
type OptionsArgument<Options, Name extends ActionName | WaitName> =
  undefined extends ParamsOf<Name> ? [options?: Typed<Options, Name>] : [options: Typed<Options, Name>];

type TypedWaitOptions<Name extends WaitName> = Omit<Typed<WaitOptions, Name>, 'deadline'> & {
  /** The step's deadline, or `'lab'` for a wait whose declaration takes it from the lab. */
  deadline: DeadlineOf<Name> extends 'lab' ? 'lab' : Duration;
};

const engine = activityStepsFor<ActionName | WaitName>();

/** A step that converges one piece of state (see the engine's `activityStepsFor`). */
export function action<Name extends ActionName>(
  id: string,
  title: string,
  activity: Name,
  ...[options]: OptionsArgument<ActionOptions, Name>
): ActivityStep {
  return engine.action(id, title, activity, options as ActionOptions | undefined);
}

/** A long wait, polling until its condition holds or its deadline (the step's or the lab's) passes. */
export function wait<Name extends WaitName>(
  id: string,
  title: string,
  activity: Name,
  options: TypedWaitOptions<Name>,
): ActivityStep {
  const { deadline, ...rest } = options as Omit<WaitOptions, 'deadline'> & { deadline: Duration | 'lab' };
  return engine.wait(id, title, activity, { ...rest, deadline: deadline === 'lab' ? LAB_DEADLINE_BOUND : deadline });
}
