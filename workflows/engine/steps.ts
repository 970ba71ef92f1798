/**
 * The step model and the definition DSL. A runbook is data: an ordered list of steps that reads top
 * to bottom like the procedure it encodes, interpreted by one generic workflow (./interpreter.ts).
 *
 * Workflow-safe: no I/O, no clocks, type-only imports of the lab.
 */
import type { Duration, RetryPolicy } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time.js';
import type { JsonValue } from '../../contract/step.js';
import type { Lab } from '../../lab/schema.js';
import type { RunbookInput, StepKind } from './api.js';

/** The step contract (../../contract/step.ts), re-exported for runbook definitions. */
export type { JsonValue, StepContext, StepOutcome, StepResult } from '../../contract/step.js';

/**
 * Decides whether a step applies to this run; a step that does not is shown as skipped, with
 * `skipReason` when the condition has one (default: "not applicable to this lab"). Write one with
 * `condition(reason, test)`; a bare `(lab, input) => boolean` skips with the default reason.
 */
export type StepCondition = ((lab: Lab, input: RunbookInput) => boolean) & { skipReason?: SkipReason };

/** Why a step was skipped: fixed, or told from the lab and the input (a combined condition). */
export type SkipReason = string | ((lab: Lab, input: RunbookInput) => string);

/**
 * The one way to write a condition with its skip reason:
 *
 *   when: condition('the lab has no day2.ldap block', (lab) => lab.day2.ldap !== undefined)
 */
export function condition(skipReason: SkipReason, test: (lab: Lab, input: RunbookInput) => boolean): StepCondition {
  return Object.assign((lab: Lab, input: RunbookInput) => test(lab, input), { skipReason });
}

/** Whether the run was started with `--option <name>=true` (options arrive as `true` or `'true'`). */
export function optionOn(input: RunbookInput, name: string): boolean {
  return input.options?.[name] === true || input.options?.[name] === 'true';
}

/** The skip reason of a condition that did not hold for this lab and input. */
export function reasonOf(when: StepCondition, lab: Lab, input: RunbookInput): string {
  const reason = when.skipReason ?? 'not applicable to this lab';
  return typeof reason === 'function' ? reason(lab, input) : reason;
}

/** All of the conditions; skipped with the reason of the first one that does not hold. */
export function allOf(...conditions: StepCondition[]): StepCondition {
  return condition(
    (lab, input) => reasonOf(conditions.find((when) => !when(lab, input)) ?? conditions[0]!, lab, input),
    (lab, input) => conditions.every((when) => when(lab, input)),
  );
}

interface StepBase {
  /** Stable id, unique among its siblings: lower-case words joined by dots or dashes. */
  id: string;
  title: string;
  kind: StepKind;
  /** Longer explanation, shown by `runbook status` and the UI's current details. */
  description?: string;
  when?: StepCondition;
}

export interface ActivityStep extends StepBase {
  kind: 'action' | 'wait';
  /** Name of the registered activity that implements the step (checked by `action` and `wait`). */
  activity: string;
  params?: Record<string, JsonValue>;
  retry: RetryPolicy;
  startToCloseTimeout: Duration;
  heartbeatTimeout?: Duration;
  /** Wait steps only. */
  poll?: { intervalMs: number; deadlineMs: number };
  /** `lab`: runs only on a worker of the lab's own queue (see `StepPlacement`). */
  on?: StepPlacement;
  /**
   * The id this step had before it was renamed. Runs that scheduled it under that id replay with it
   * (the interpreter keeps it as their activity id), and `resume --from` takes it too.
   */
  renamedFrom?: string;
}

/**
 * Where a step's activity runs. Default: on any worker of the run's task queue. `lab`: on a worker
 * started with `runbook worker --lab <lab name>`, for steps that need what one machine keeps (the
 * install folder of `openshift-install`). `any`: on any worker, also in a runbook whose default is
 * `lab` (`defineRunbook({ defaults: { on: 'lab' } })`).
 */
export type StepPlacement = 'lab' | 'any';

export interface GateStep extends StepBase {
  kind: 'gate';
  /** What the operator must check before approving. */
  prompt: string;
}

export interface ForEachStep extends StepBase {
  kind: 'for-each';
  /** The items, from the lab (evaluated when the step starts, with the lab in force then). */
  items: (lab: Lab) => string[];
  steps: Step[];
}

export type Step = ActivityStep | GateStep | ForEachStep;

interface CommonOptions {
  description?: string;
  when?: StepCondition;
  params?: Record<string, JsonValue>;
  /** Overrides of the default retry policy (merged). */
  retry?: RetryPolicy;
  heartbeatTimeout?: Duration;
  /** `lab`: run the step only on a worker started with `runbook worker --lab <lab name>`. */
  on?: StepPlacement;
  /** The step's former id, when it was renamed (see `ActivityStep.renamedFrom`). */
  renamedFrom?: string;
}

export interface ActionOptions extends CommonOptions {
  /** How long one attempt may run. Default 5 minutes. */
  timeout?: Duration;
}

export interface WaitOptions extends CommonOptions {
  /** How long to wait in total before the step fails (and the runbook pauses). */
  deadline: Duration;
  /** Time between two polls. Default 10 seconds. */
  pollInterval?: Duration;
}

/**
 * Action defaults: a few attempts with backoff for transient faults (a host rebooting, an API
 * server restarting); then the runbook pauses for the operator rather than retrying forever.
 */
export const ACTION_RETRY: RetryPolicy = {
  maximumAttempts: 4,
  initialInterval: '2s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
};

/**
 * Wait defaults. A wait retries only when its attempt is lost (worker killed: heartbeat timeout) or
 * hits an unexpected error; the poll loop itself resumes from the heartbeat checkpoint.
 */
export const WAIT_RETRY: RetryPolicy = {
  maximumAttempts: 10,
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '10s',
};

/**
 * Heartbeat timeout of waits: the time the server needs to notice a killed worker and hand the wait
 * to another one, well under 15 s after a crash. Waits heartbeat about once a second whatever the
 * poll interval (pollUntil), so that a cancel reaches them at once.
 */
export const WAIT_HEARTBEAT_TIMEOUT = '10s';

/**
 * Heartbeat timeout of actions: the worker's step wrapper heartbeats every action every few seconds
 * (activities/engine/step-activity.ts), so an action whose worker was killed is retried on another
 * worker about this long after the crash, not when its attempt timeout (5 minutes by default) ends.
 */
export const ACTION_HEARTBEAT_TIMEOUT = '30s';

const DEFAULT_ACTION_TIMEOUT = '5m';
const DEFAULT_POLL_INTERVAL = '10s';

const ID_PATTERN = /^[a-z0-9]+([.-][a-z0-9]+)*$/;

/**
 * `action` and `wait` for a registry's names. A step that converges one piece of state (check, act
 * only if needed, report changed/unchanged), and a long wait: one heartbeating activity that polls
 * until a condition holds or the deadline passes (see `pollUntil` in activities/engine). The attempt's
 * own timeout is the deadline plus a margin, so the poll loop's clear "timed out waiting for …"
 * message wins over a bare server timeout. The runbooks take theirs, typed by the activities'
 * declarations, from runbooks/steps.ts; the engine tests' runbooks name test activities too.
 */
export function activityStepsFor<Name extends string>(): {
  action: (id: string, title: string, activity: Name, options?: ActionOptions) => ActivityStep;
  wait: (id: string, title: string, activity: Name, options: WaitOptions) => ActivityStep;
} {
  return { action: actionStep, wait: waitStep };
}

function actionStep(id: string, title: string, activity: string, options: ActionOptions = {}): ActivityStep {
  return {
    ...base(id, title, 'action', options),
    activity,
    ...(options.params && { params: options.params }),
    retry: { ...ACTION_RETRY, ...options.retry },
    startToCloseTimeout: options.timeout ?? DEFAULT_ACTION_TIMEOUT,
    heartbeatTimeout: options.heartbeatTimeout ?? ACTION_HEARTBEAT_TIMEOUT,
    ...placement(id, options),
  };
}

function waitStep(id: string, title: string, activity: string, options: WaitOptions): ActivityStep {
  const deadlineMs = msToNumber(options.deadline);
  const intervalMs = msToNumber(options.pollInterval ?? DEFAULT_POLL_INTERVAL);
  if (!(deadlineMs > 0 && intervalMs > 0)) {
    throw new Error(`wait step "${id}": deadline and pollInterval must be positive durations such as "30m" and "10s"`);
  }
  return {
    ...base(id, title, 'wait', options),
    activity,
    ...(options.params && { params: options.params }),
    retry: { ...WAIT_RETRY, ...options.retry },
    startToCloseTimeout: deadlineMs + Math.max(2 * intervalMs, 30_000),
    heartbeatTimeout: options.heartbeatTimeout ?? WAIT_HEARTBEAT_TIMEOUT,
    poll: { intervalMs, deadlineMs },
    ...placement(id, options),
  };
}

function placement(id: string, options: CommonOptions): { on?: StepPlacement; renamedFrom?: string } {
  if (options.renamedFrom !== undefined && !ID_PATTERN.test(options.renamedFrom)) {
    throw new Error(`step "${id}": renamedFrom must be a step id, not ${JSON.stringify(options.renamedFrom)}`);
  }
  const renamed = options.renamedFrom !== undefined ? { renamedFrom: options.renamedFrom } : {};
  if (options.on === undefined) return renamed;
  if (options.on !== 'lab' && options.on !== 'any')
    throw new Error(`step "${id}": on must be 'lab' or 'any' (or left out), not ${JSON.stringify(options.on)}`);
  return { on: options.on, ...renamed };
}

/** An operator gate: the runbook waits (state `waiting-approval`) until `runbook approve`. */
export function gate(
  id: string,
  title: string,
  options: { prompt: string; description?: string; when?: StepCondition },
): GateStep {
  return { ...base(id, title, 'gate', options), prompt: options.prompt };
}

/** The same sub-steps for each item, strictly one item at a time, each item's progress visible. */
export function forEach(
  id: string,
  title: string,
  options: { items: (lab: Lab) => string[]; steps: Step[]; description?: string; when?: StepCondition },
): ForEachStep {
  checkUniqueIds(options.steps, `for-each step "${id}"`);
  return { ...base(id, title, 'for-each', options), items: options.items, steps: options.steps };
}

function base<K extends StepKind>(
  id: string,
  title: string,
  kind: K,
  options: { description?: string; when?: StepCondition },
): StepBase & { kind: K } {
  if (!ID_PATTERN.test(id)) {
    throw new Error(`step id "${id}" must be lower-case words joined by dots or dashes, e.g. "dns.publish-zones"`);
  }
  if (title.trim() === '') throw new Error(`step "${id}" needs a title`);
  return {
    id,
    title,
    kind,
    ...(options.description !== undefined && { description: options.description }),
    ...(options.when && { when: options.when }),
  };
}

/** Throws when two sibling steps share an id (ids address steps in progress, resume and history). */
export function checkUniqueIds(steps: readonly Step[], where: string): void {
  const seen = new Set<string>();
  for (const step of steps) {
    if (seen.has(step.id)) throw new Error(`${where}: step id "${step.id}" is used twice; ids must be unique`);
    seen.add(step.id);
  }
}

/** Path of a for-each item (`nodes.boot[master1]`); its sub-steps are `nodes.boot[master1].power-on`. */
export function itemPath(forEachPath: string, item: string): string {
  return `${forEachPath}[${item}]`;
}
