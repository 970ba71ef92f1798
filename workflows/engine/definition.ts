/**
 * Runbook definitions: `defineRunbook` checks a definition once, at load time, and the helpers below
 * turn it into the initial progress tree (all steps pending), which both the interpreter and the CLI
 * (rendering a run's pending steps, `list-runbooks`) use. Workflow-safe.
 */
import type { Lab } from '../../lab/schema.js';
import type { RunbookInput, StepProgress } from './api.js';
import { checkUniqueIds, itemPath, reasonOf, type ForEachStep, type Step, type StepPlacement } from './steps.js';

export interface RunbookDefinition {
  /** Workflow type and the first part of workflow ids (`install/<lab>`); lower-case words and dashes. */
  name: string;
  title: string;
  description: string;
  steps: Step[];
  /**
   * Defaults of the runbook's action and wait steps (for-each sub-steps too). `on: 'lab'`: every
   * step runs on the lab's own worker unless it says `on: 'any'`.
   */
  defaults?: { on?: StepPlacement };
}

const NAME_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

export function defineRunbook(definition: RunbookDefinition): RunbookDefinition {
  if (!NAME_PATTERN.test(definition.name)) {
    throw new Error(
      `runbook name "${definition.name}" must be lower-case words joined by dashes, e.g. "egress-routers"`,
    );
  }
  if (definition.steps.length === 0) throw new Error(`runbook "${definition.name}" has no steps`);
  checkUniqueIds(definition.steps, `runbook "${definition.name}"`);
  return { ...definition, steps: placed(definition.steps, definition.defaults?.on ?? 'any') };
}

/**
 * Every action and wait with its placement spelled out, so that a runbook composed of another's
 * steps (install's preflight, rebuild's stages) keeps their placement whatever its own default.
 */
function placed(steps: readonly Step[], on: StepPlacement): Step[] {
  return steps.map((step): Step => {
    if (step.kind === 'for-each') return { ...step, steps: placed(step.steps, on) };
    if (step.kind === 'gate' || step.on !== undefined) return step;
    return { ...step, on };
  });
}

/** The progress entry of a step before it runs; for-each items are listed from the lab. */
export function pendingProgress(step: Step, lab: Lab, input: RunbookInput): StepProgress {
  const entry: StepProgress = { id: step.id, title: step.title, kind: step.kind, status: 'pending', attempts: 0 };
  if (step.kind === 'gate') entry.message = step.prompt;
  if ((step.kind === 'action' || step.kind === 'wait') && step.on === 'lab') entry.on = step.on;
  if (step.kind === 'for-each' && applies(step, lab, input)) {
    entry.items = forEachItems(step, lab).map((item) => pendingItem(step, item, lab, input));
  }
  return entry;
}

/** A for-each step's items for a lab, each once (an item names its sub-steps' paths). */
export function forEachItems(step: ForEachStep, lab: Lab): string[] {
  return [...new Set(step.items(lab))];
}

/** The progress entry of one for-each item before it runs. */
export function pendingItem(step: ForEachStep, item: string, lab: Lab, input: RunbookInput): ItemProgress {
  return { item, status: 'pending', steps: step.steps.map((sub) => pendingProgress(sub, lab, input)) };
}

export type ItemProgress = NonNullable<StepProgress['items']>[number];

export function applies(step: Step, lab: Lab, input: RunbookInput): boolean {
  return step.when === undefined || step.when(lab, input);
}

/** Why a step whose `when` is false was skipped: its condition's own reason, or the lab. */
export function skipReason(step: Step, lab: Lab, input: RunbookInput): string {
  return step.when ? reasonOf(step.when, lab, input) : 'not applicable to this lab';
}

/**
 * The current path of a step named by its path or by its path before a rename (`renamedFrom`), so
 * that `resume --from` and `resume --step` take the old id a paused run's operator may still use.
 */
export function currentStepPath(steps: readonly Step[], path: string, prefix = ''): string {
  for (const step of steps) {
    const at = prefix === '' ? step.id : `${prefix}.${step.id}`;
    if ((step.kind === 'action' || step.kind === 'wait') && step.renamedFrom !== undefined) {
      const former = prefix === '' ? step.renamedFrom : `${prefix}.${step.renamedFrom}`;
      if (path === former) return at;
    }
  }
  return path;
}

/** Every step path of a run (for-each sub-steps once per item), in execution order. */
export function stepPaths(steps: readonly StepProgress[], prefix = ''): string[] {
  return steps.flatMap((step) => {
    const path = prefix === '' ? step.id : `${prefix}.${step.id}`;
    return [path, ...(step.items ?? []).flatMap((item) => stepPaths(item.steps, itemPath(path, item.item)))];
  });
}

/** A node of the progress tree: a step, or a for-each item, with its path. */
export interface ProgressNode {
  path: string;
  entry?: StepProgress;
  item?: ItemProgress;
}

/** Every step and for-each item of a progress tree with its path, in execution order. */
export function progressNodes(entries: readonly StepProgress[], prefix = ''): ProgressNode[] {
  return entries.flatMap((entry) => {
    const path = prefix === '' ? entry.id : `${prefix}.${entry.id}`;
    return [
      { path, entry },
      ...(entry.items ?? []).flatMap((item) => {
        const at = itemPath(path, item.item);
        return [{ path: at, item }, ...progressNodes(item.steps, at)];
      }),
    ];
  });
}

/** The progress entry of the step at `path` (`nodes[master1].power-on`), if there is one. */
export function progressAt(entries: readonly StepProgress[], path: string): StepProgress | undefined {
  return progressNodes(entries).find((node) => node.path === path)?.entry;
}

/** A JSON-friendly outline of a definition (for `list-runbooks --json` and documentation). */
export interface RunbookOutline {
  name: string;
  title: string;
  description: string;
  steps: StepOutline[];
}

export interface StepOutline {
  id: string;
  title: string;
  kind: Step['kind'];
  description?: string;
  activity?: string;
  conditional?: true;
  steps?: StepOutline[];
}

export function outlineRunbook(definition: RunbookDefinition): RunbookOutline {
  const outline = (step: Step): StepOutline => ({
    id: step.id,
    title: step.title,
    kind: step.kind,
    ...(step.description !== undefined && { description: step.description }),
    ...(step.kind !== 'gate' && step.kind !== 'for-each' && { activity: step.activity }),
    ...(step.when && { conditional: true as const }),
    ...(step.kind === 'for-each' && { steps: step.steps.map(outline) }),
  });
  return {
    name: definition.name,
    title: definition.title,
    description: definition.description,
    steps: definition.steps.map(outline),
  };
}
