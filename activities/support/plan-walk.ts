/**
 * Plans a runbook: its steps in order, for-each steps expanded per item, each action asked through
 * the plan registry (../plan-registry.ts) what it would change. Nothing here can write: the registry
 * holds plan halves only.
 *
 * A plan reads the state as it is now, while a run changes it step by step. So when a step's plan
 * fails (no manifests yet, no cluster to ask) after an earlier step that would change something or
 * wait, it is `unknown` until that step has run; and a change to something an earlier step changes
 * too says its diff is against what is there now.
 */
import { msToNumber } from '@temporalio/common/lib/time.js';
import type { Lab } from '../../lab/schema.js';
import type { RehearsalInput, RunbookInput, StepKind } from '../../workflows/engine/api.js';
import { applies, skipReason, type RunbookDefinition } from '../../workflows/engine/definition.js';
import type { StepContext } from '../../contract/step.js';
import { itemPath, type ActivityStep, type Step } from '../../workflows/engine/steps.js';
import { planEntry } from '../plan-registry.js';
import type { PlannedChange } from './plan.js';

/**
 * `change`: the step would change what `changes` lists; `unchanged`: it would find everything as
 * wanted; `unknown`: the plan cannot tell (why in `detail`); `wait`: a wait or a gate, with what it
 * waits for; `skipped`: the step does not apply to this lab or run.
 */
export type PlanStatus = 'change' | 'unchanged' | 'unknown' | 'wait' | 'skipped';

export interface PlannedStepReport {
  /** The step's path, as in progress and `resume --from`: `nodes.power-on[worker1].power-on`. */
  path: string;
  title: string;
  kind: StepKind;
  status: PlanStatus;
  /** What was found; for `unknown` why; for `wait` what it waits for. */
  detail: string;
  /** `change` only: each target with its diff (secrets masked). */
  changes?: PlannedChange[];
  /** The earlier step this answer depends on (it would change or wait first). */
  after?: string;
}

export interface RunbookPlanReport {
  runbook: string;
  lab: string;
  /** `simulated` when planned against a rehearsal's simulated lab. */
  against: 'lab' | 'simulated';
  steps: PlannedStepReport[];
  counts: Record<PlanStatus, number>;
}

export interface PlanRunbookOptions {
  definition: RunbookDefinition;
  lab: Lab;
  options?: RunbookInput['options'];
  rehearsal?: RehearsalInput;
  /** Called with each step's report as soon as it is known (progress on a terminal). */
  onStep?: (step: PlannedStepReport) => void;
}

/** The first line of an error, short enough for one line of a plan. */
function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = message.split('\n')[0]!.trim();
  return line.length > 400 ? `${line.slice(0, 400)}…` : line;
}

const duration = (ms: number) =>
  ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`;

export async function planRunbook(options: PlanRunbookOptions): Promise<RunbookPlanReport> {
  const { definition, lab } = options;
  const input: RunbookInput = { lab, ...(options.options && { options: options.options }) };
  const steps: PlannedStepReport[] = [];
  /** The latest step before this one that would change something, wait, or cannot tell. */
  let pending: { path: string; why: string } | undefined;
  /** Which step changes each target first. */
  const changedBy = new Map<string, string>();

  const report = (step: PlannedStepReport) => {
    steps.push(step);
    options.onStep?.(step);
    if (step.status === 'change') pending = { path: step.path, why: 'it would change something' };
    if (step.status === 'wait') pending = { path: step.path, why: 'it would wait' };
    if (step.status === 'unknown') pending = { path: step.path, why: 'it is unknown' };
  };

  const planAction = async (step: ActivityStep, path: string, item: string | undefined) => {
    const base = { path, title: step.title, kind: step.kind };
    const entry = planEntry(step.activity);
    if ('cannotPlan' in entry) {
      report({ ...base, status: 'unknown', detail: `this step cannot plan: ${entry.cannotPlan}` });
      return;
    }
    const context: StepContext = {
      runbook: definition.name,
      stepId: path,
      lab,
      ...(item !== undefined && { item }),
      ...(options.rehearsal && { rehearsal: options.rehearsal }),
      ...(step.params && { params: step.params }),
    };
    try {
      const plan = await entry.plan(context);
      if (plan.changes.length === 0) {
        const earlier = plan.about?.map((target) => changedBy.get(target)).find((found) => found !== undefined);
        report(
          earlier
            ? {
                ...base,
                status: 'unknown',
                detail: `${plan.detail} now, but ${earlier} changes it first`,
                after: earlier,
              }
            : { ...base, status: 'unchanged', detail: plan.detail },
        );
        return;
      }
      // Only what the operator reads: targets, actions, diffs (not the file bodies a push carries).
      const changes = plan.changes.map(({ target, action, diff }) => ({ target, action, ...(diff && { diff }) }));
      const earlier = changes.map((change) => changedBy.get(change.target)).find((found) => found !== undefined);
      for (const change of changes) if (!changedBy.has(change.target)) changedBy.set(change.target, path);
      report({
        ...base,
        status: 'change',
        detail: earlier ? `${plan.detail}; diffs against what is there now: ${earlier} changes it first` : plan.detail,
        changes,
        ...(earlier && { after: earlier }),
      });
    } catch (error) {
      report({
        ...base,
        status: 'unknown',
        detail: pending ? `unknown until ${pending.path} has run (${pending.why}): ${reason(error)}` : reason(error),
        ...(pending && { after: pending.path }),
      });
    }
  };

  const walk = async (list: readonly Step[], prefix: string, item: string | undefined): Promise<void> => {
    for (const step of list) {
      const path = `${prefix}${step.id}`;
      const base = { path, title: step.title, kind: step.kind };
      if (!applies(step, lab, input)) {
        report({ ...base, status: 'skipped', detail: skipReason(step, lab, input) });
        continue;
      }
      switch (step.kind) {
        case 'gate':
          report({ ...base, status: 'wait', detail: `for \`runbook approve\`: ${step.prompt}` });
          break;
        case 'wait':
          report({
            ...base,
            status: 'wait',
            detail: `up to ${duration(msToNumber(step.poll!.deadlineMs))}: ${step.title}${
              step.description ? ` (${step.description})` : ''
            }`,
          });
          break;
        case 'action':
          await planAction(step, path, item);
          break;
        case 'for-each': {
          const items = step.items(lab);
          if (items.length === 0) report({ ...base, status: 'skipped', detail: 'no items in this lab' });
          for (const each of items) await walk(step.steps, `${itemPath(path, each)}.`, each);
          break;
        }
      }
    }
  };

  await walk(definition.steps, '', undefined);
  const counts: Record<PlanStatus, number> = { change: 0, unchanged: 0, unknown: 0, wait: 0, skipped: 0 };
  for (const step of steps) counts[step.status] += 1;
  return { runbook: definition.name, lab: lab.name, against: options.rehearsal ? 'simulated' : 'lab', steps, counts };
}
