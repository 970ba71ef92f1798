/**
 * The runbook engine's public contract: what a client (the CLI, tests, the bench) needs to start,
 * watch, resume and approve runbook workflows. Workflow-safe: it imports only the Temporal workflow /
 * common packages and types, so both the workflow bundle and client code import it.
 *
 * Changes here must stay backwards compatible: running workflows and stored histories depend on the
 * names of the query, the updates and the search attributes.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Lab } from '../../lab/schema.js';
import type { Finding } from '../../contract/diagnosis.js';
import type { RehearsalInput } from '../../contract/step.js';

/** The task queue every runbook workflow and step activity runs on. */
export const TASK_QUEUE = 'openshift-runbooks';

/**
 * The task queue of a run's steps placed `on: 'lab'`: served only by workers started with
 * `runbook worker --lab <lab>` (the machine that keeps the lab's install folder), next to the run's
 * own queue that any worker serves.
 */
export function labTaskQueue(taskQueue: string, lab: string): string {
  return `${taskQueue}@${lab}`;
}

/**
 * Workflow id of a runbook run for a lab: `install/intra`. Ids mean something, so starting the same
 * runbook for the same lab while one runs finds the running one instead of starting a second.
 */
export function workflowIdFor(runbook: string, lab: string): string {
  return `${runbook}/${lab}`;
}

export type StepKind = 'action' | 'wait' | 'gate' | 'for-each';

export type StepStatus =
  'pending' | 'running' | 'changed' | 'unchanged' | 'skipped' | 'failed' | 'paused' | 'waiting-approval';

/**
 * `paused`: a failed step waits for `runbook resume`; `waiting-approval`: a gate waits for `runbook
 * approve` (both are "paused" in the RunbookState search attribute: one query finds every run that
 * waits for a person); `aborted`: ended by `runbook resume --abort`.
 */
export type RunbookState = 'running' | 'paused' | 'waiting-approval' | 'completed' | 'failed' | 'aborted' | 'cancelled';

/** Statuses after which a step does not run again. */
export const FINISHED_STEP_STATUSES: readonly StepStatus[] = ['changed', 'unchanged', 'skipped', 'failed'];

/** Run states after which the workflow is closed. */
export const FINAL_RUNBOOK_STATES: readonly RunbookState[] = ['completed', 'failed', 'aborted', 'cancelled'];

/**
 * Values of the RunbookState search attribute: a run state, except that every wait for a person
 * (a paused step or a gate) is `paused`, so `RunbookState = "paused"` lists them all.
 */
export type SearchedRunbookState = Exclude<RunbookState, 'waiting-approval'>;

/** The RunbookState search attribute's value for a run state. */
export function searchState(state: RunbookState): SearchedRunbookState {
  return state === 'waiting-approval' ? 'paused' : state;
}

export interface StepProgress {
  /** Stable dotted id, e.g. `dns.publish-zones`; inside a for-each item the sub-step's own id. */
  id: string;
  title: string;
  kind: StepKind;
  status: StepStatus;
  /** Executions of this step's activity so far (every retry counts), 0 if it has not run. */
  attempts: number;
  /** ISO-8601 times (workflow time). */
  startedAt?: string;
  finishedAt?: string;
  /** Last outcome detail, error message or gate prompt. */
  message?: string;
  /** For-each steps: one entry per item, in order, each with its own sub-steps. */
  items?: Array<{ item: string; status: StepStatus; steps: StepProgress[] }>;
  /** `lab`: the step runs only on a worker of the lab's own queue (`runbook worker --lab`). */
  on?: 'lab';
  /** Outcomes of earlier runs of this step that `runbook resume --from` rewound, oldest first. */
  earlier?: EarlierOutcome[];
  /** A wait that passed its deadline: when it paused, whether it watches on, and how that ended. */
  afterDeadline?: AfterDeadline;
}

/**
 * A wait paused at its deadline (a soft deadline, workflows/engine/soft-deadline.ts). Times are
 * workflow time (ISO-8601); durations as the wait measured them (lab time in a rehearsal).
 */
export interface AfterDeadline {
  pausedAt: string;
  /** How long it keeps checking while paused (the lab's `waits.keepWatching`), when it does. */
  watchFor?: string;
  /** Why it does not go on by itself: its wait needs a person. */
  staysPaused?: string;
  /** It went on by itself: when, and how long after the pause its condition held (`2m of lab time`). */
  resumedAt?: string;
  after?: string;
  /** Why it stopped watching before its condition held (its bound passed, a refusal). */
  ended?: string;
}

/** What a step had done before a rewind made it pending again. */
export interface EarlierOutcome {
  status: StepStatus;
  attempts: number;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface RunbookProgress {
  runbook: string;
  lab: string;
  state: RunbookState;
  /** Path of the step that runs, waits or is paused: `nodes.boot` or `nodes.boot[master1].power-on`. */
  currentStep?: string;
  steps: StepProgress[];
  /**
   * The failure that paused (or, after abort, failed) the run; a wait's `diagnosis` is what its probes
   * found when it paused (contract/diagnosis.ts).
   */
  error?: { stepId: string; message: string; type?: string; diagnosis?: Finding[] };
  startedAt: string;
  updatedAt: string;
}

export interface ResumeRequest {
  action: 'retry' | 'skip' | 'abort';
  /** Path of the paused step the operator means; when given, a different paused step is rejected. */
  stepId?: string;
  /** A corrected lab (validated by the client) used from the retried step on. Only with `retry`. */
  lab?: Lab;
  /** Why, recorded in the step message and the history. */
  reason?: string;
  /**
   * Rewind (only with `retry`): run this completed earlier step again, and every step after it. A
   * for-each sub-step is named with its item path (`nodes[master1].power-on`); a for-each or an item
   * path rewinds all of it. Accepted while the run is paused or waits at a gate.
   */
  from?: string;
}

export interface ResumeResult {
  /** Path of the step the action applied to. */
  stepId: string;
  action: ResumeRequest['action'];
  message: string;
}

export interface ApproveRequest {
  /** Path of the gate to approve; when given it must be the gate that waits. */
  stepId?: string;
  note?: string;
}

export interface ApproveResult {
  stepId: string;
  message: string;
}

/** Settings of a rehearsal against the simulated lab: where the simulated endpoints are. */
export type { RehearsalInput } from '../../contract/step.js';

/**
 * The argument of every runbook workflow. The lab holds secret references only; new optional fields
 * may be added (old histories carry objects without them).
 */
export interface RunbookInput {
  lab: Lab;
  rehearsal?: RehearsalInput;
  /** Runbook-specific switches (`runbook start selftest --option gate=true`); steps read them in `when`. */
  options?: Record<string, string | number | boolean>;
  /**
   * Scheduled runs: the lab file (absolute path on the workers) that the run's first step, `lab.load`,
   * reads and validates when the run starts; from then on that lab is in force. `lab` is the one the
   * schedule was created with (the run's names until the file is read).
   */
  labFile?: string;
}

/** What a runbook workflow returns when it completes. */
export interface RunbookResult {
  runbook: string;
  lab: string;
  state: 'completed';
  changed: number;
  unchanged: number;
  skipped: number;
}

export const progressQuery = defineQuery<RunbookProgress>('progress');
export const resumeUpdate = defineUpdate<ResumeResult, [ResumeRequest]>('resume');
export const approveUpdate = defineUpdate<ApproveResult, [ApproveRequest]>('approve');

/** Custom search attributes the workflows upsert; all Keyword, all free of secrets. */
export const searchAttributeKeys = {
  RunbookName: defineSearchAttributeKey('RunbookName', SearchAttributeType.KEYWORD),
  RunbookLab: defineSearchAttributeKey('RunbookLab', SearchAttributeType.KEYWORD),
  RunbookStep: defineSearchAttributeKey('RunbookStep', SearchAttributeType.KEYWORD),
  RunbookState: defineSearchAttributeKey('RunbookState', SearchAttributeType.KEYWORD),
} as const;

/**
 * The same attributes as a list, to register them: `type` is the SDK type (`KEYWORD`, for
 * `operatorService.addSearchAttributes` via `encodeSearchAttributeIndexedValueType`), `cliType` the
 * spelling of `temporal server start-dev --search-attribute Name=Type`.
 */
export const searchAttributeList: ReadonlyArray<{ name: string; type: SearchAttributeType; cliType: string }> =
  Object.values(searchAttributeKeys).map((key) => ({ name: key.name, type: key.type, cliType: 'Keyword' }));

/** `--search-attribute Name=Type` flags for `temporal server start-dev`. */
export function devServerSearchAttributeFlags(): string[] {
  return searchAttributeList.flatMap((attribute) => ['--search-attribute', `${attribute.name}=${attribute.cliType}`]);
}
