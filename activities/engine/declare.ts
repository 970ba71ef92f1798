/**
 * One declaration per step activity: `defineAction` and `defineWait`. A declaration carries the
 * activity's name, its parameters as a zod schema (the runbook builders take them typed, so a wrong
 * object set is a compile error, and the worker parses them before the activity runs), the error
 * types it fails with, its apply half and its plan half (or the written reason it has none), and for
 * a wait where its deadline comes from: the step's `deadline`, or a field of the lab. The worker's
 * registry (../index.ts), the plan registry (../plan-registry.ts) and the README catalogue
 * (../README.md, checked by test/activities/catalogue.test.ts) derive from the list of them
 * (../catalogue.ts).
 *
 *   export const clusterApply = defineAction({
 *     name: 'clusterApply',
 *     summary: 'server-side apply of a rendered object set',
 *     params: z.object({ objects: z.enum(OBJECT_SET_NAMES) }),
 *     errors: [StepErrorType.UnknownObjectSet],
 *     planned: (context, { objects }) => applyStep(await kubeFor(context), …),
 *   });
 */
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { StepErrorType } from '../../contract/error-types.js';
import type { JsonValue, StepContext, StepOutcome } from '../../contract/step.js';
import { durationMs } from '../../lab/install-settings.js';
import type { Lab } from '../../lab/schema.js';
import { convergePlanned, type PlanHalf, type PlannedStep, type StepPlan } from '../support/plan.js';
import { diagnosedFailure, pausesTheRun, type Diagnose } from './diagnosis.js';

/** The schema of parameters: an object whose fields are JSON (what a step definition can hold). */
export type ParamsSchema = z.ZodType<Record<string, JsonValue> | undefined>;

/** What the plan can do for an activity: its plan half, or why it has none. */
export type PlanEntry = { plan: PlanHalf } | { cannotPlan: string };

interface DeclarationBase<Name extends string, Params extends ParamsSchema> {
  name: Name;
  /** One line for the README catalogue: what the step does. */
  summary: string;
  params: Params;
  /** The failure types the activity names (beyond the engine's own and the transports'). */
  errors: readonly StepErrorType[];
}

export interface ActionDeclaration<
  Name extends string = string,
  Params extends ParamsSchema = ParamsSchema,
> extends DeclarationBase<Name, Params> {
  kind: 'action';
  /** Runs the step (on the worker), its parameters parsed. */
  run: (context: StepContext) => Promise<StepOutcome>;
  planEntry: PlanEntry;
}

/** Where a wait's deadline comes from: the step's `deadline`, or the lab (the step says `'lab'`). */
export type DeadlineSource = 'step' | { lab: (lab: Lab) => string; field: string };

export interface WaitDeclaration<
  Name extends string = string,
  Params extends ParamsSchema = ParamsSchema,
  Deadline extends DeadlineSource = DeadlineSource,
> extends DeclarationBase<Name, Params> {
  kind: 'wait';
  deadline: Deadline;
  run: (context: StepContext) => Promise<StepOutcome>;
  planEntry: PlanEntry;
  /** What its diagnosis looks at when it pauses, for the catalogue; undefined when it has none. */
  diagnoses?: string;
}

/** A wait's diagnosis: what it looks at (one line for the catalogue) and its probes (./diagnosis.ts). */
export interface WaitDiagnosis<Params> {
  what: string;
  probes: Diagnose<Params>;
}

export type Declaration = ActionDeclaration | WaitDeclaration;

/** Parameters of a step that takes none (a step may still hand it `{}`). */
export const noParams = z.object({}).strict().optional();

/**
 * Parameters of a cluster step that takes none but `kubeconfig`, a kubeconfig other than the install
 * folder's (../support/kube-access.ts).
 */
export const KUBECONFIG_PARAM = { kubeconfig: z.string().optional() };
export const kubeParams = z.object(KUBECONFIG_PARAM).strict().optional();

type Apply<Params extends ParamsSchema> = (context: StepContext, params: z.output<Params>) => Promise<StepOutcome>;

type ActionHalves<Params extends ParamsSchema> =
  /** A planned converge: plan → apply when the plan is not empty → plan again. */
  | { planned: (context: StepContext, params: z.output<Params>) => PlannedStep }
  /** An apply half with its plan half, or the reason it has no plan half. */
  | {
      apply: Apply<Params>;
      plan: ((context: StepContext, params: z.output<Params>) => Promise<StepPlan>) | { none: string };
    };

export function defineAction<const Name extends string, Params extends ParamsSchema>(
  spec: DeclarationBase<Name, Params> & ActionHalves<Params>,
): ActionDeclaration<Name, Params> {
  const parse = paramsParser(spec.name, spec.params);
  const base = {
    kind: 'action' as const,
    name: spec.name,
    summary: spec.summary,
    params: spec.params,
    errors: spec.errors,
  };
  if ('planned' in spec) {
    return {
      ...base,
      run: (context) => convergePlanned(spec.planned(context, parse(context))),
      planEntry: { plan: (context) => spec.planned(context, parse(context)).plan() },
    };
  }
  const { plan } = spec;
  return {
    ...base,
    run: (context) => spec.apply(context, parse(context)),
    planEntry:
      typeof plan === 'function' ? { plan: (context) => plan(context, parse(context)) } : { cannotPlan: plan.none },
  };
}

/** An action that takes no parameters, from its apply half and its plan half (or why it has none). */
export function actionWithoutParams<const Name extends string>(
  name: Name,
  summary: string,
  errors: readonly StepErrorType[],
  apply: (context: StepContext) => Promise<StepOutcome>,
  plan: PlanHalf | { none: string },
): ActionDeclaration<Name, typeof noParams> {
  return defineAction({
    name,
    summary,
    params: noParams,
    errors,
    apply: (context) => apply(context),
    plan: typeof plan === 'function' ? (context) => plan(context) : plan,
  });
}

const WAITS = 'a wait: it changes nothing, the plan shows what it would wait for';

/**
 * A wait: `probe` polls (pollUntil or watchedPoll) until its condition holds; `context.poll.deadlineMs`
 * is the deadline, the step's or the lab's as `deadline` says. A wait has no plan half unless
 * `noPlan` says otherwise (it changes nothing).
 */
export function defineWait<
  const Name extends string,
  Params extends ParamsSchema,
  const Deadline extends DeadlineSource,
>(
  spec: DeclarationBase<Name, Params> & {
    deadline: Deadline;
    probe: Apply<Params>;
    /** Why it has no plan half, when there is more to say than that it is a wait. */
    noPlan?: string;
    /**
     * Why the run must not go on by itself once this wait has passed its deadline ("a degraded
     * operator needs a fix"): it pauses and waits for `runbook resume`, instead of watching on.
     */
    staysPaused?: string;
    /** Probes that explain a pause of this wait, run when it pauses (./diagnosis.ts). */
    diagnose?: WaitDiagnosis<z.output<Params>>;
  },
): WaitDeclaration<Name, Params, Deadline> {
  const parse = paramsParser(spec.name, spec.params);
  const { deadline, diagnose } = spec;
  const run = async (context: StepContext): Promise<StepOutcome> => {
    const bounded = deadline === 'step' ? context : withLabDeadline(context, deadline);
    const params = parse(context);
    try {
      return await spec.probe(bounded, params);
    } catch (error) {
      if (!diagnose || !pausesTheRun(error)) throw error;
      throw await diagnosedFailure(error, bounded, diagnose.probes(bounded, params));
    }
  };
  return {
    kind: 'wait',
    name: spec.name,
    summary: spec.summary,
    params: spec.params,
    errors: spec.errors,
    deadline,
    run: (context) => staysPausedAfter(spec.staysPaused, run(context)),
    planEntry: { cannotPlan: spec.noPlan ?? WAITS },
    ...(diagnose && { diagnoses: diagnose.what }),
  };
}

/**
 * A deadline failure of a wait that must not go on by itself carries the reason (`staysPaused`): the
 * step wrapper puts it into the failure's details, and the workflow then keeps the run paused for the
 * operator without watching on.
 */
async function staysPausedAfter(reason: string | undefined, running: Promise<StepOutcome>): Promise<StepOutcome> {
  if (reason === undefined) return running;
  try {
    return await running;
  } catch (error) {
    if (error instanceof ApplicationFailure && error.type === StepErrorType.WaitDeadlineExceeded)
      Object.assign(error, { staysPaused: reason });
    throw error;
  }
}

/** The step's context with the lab's deadline in place of the step's bound (`deadline: 'lab'`). */
function withLabDeadline(context: StepContext, source: Exclude<DeadlineSource, 'step'>): StepContext {
  const deadlineMs = durationMs(source.lab(context.lab));
  return { ...context, poll: { intervalMs: context.poll?.intervalMs ?? 10_000, deadlineMs } };
}

/** Parses a step's params with the declaration's schema; a mismatch pauses the run naming the field. */
function paramsParser<Params extends ParamsSchema>(name: string, schema: Params) {
  return (context: StepContext): z.output<Params> => {
    const parsed = schema.safeParse(context.params);
    if (parsed.success) return parsed.data;
    const issues = parsed.error.issues.map((issue) => {
      const at = issue.path.length > 0 ? `params.${issue.path.join('.')}` : 'params';
      return `${at}: ${issue.message}`;
    });
    throw ApplicationFailure.nonRetryable(
      `step ${context.stepId} (${name}) has wrong parameters: ${issues.join('; ')}. ` +
        'Correct the step in its runbook file (npm run typecheck names it there too)',
      StepErrorType.InvalidStepParams,
    );
  };
}
