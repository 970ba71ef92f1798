/**
 * The one generic runbook workflow: runs a definition's steps in order, keeps the progress tree the
 * `progress` query returns, pauses on a failed step until the `resume` update, waits at gates for the
 * `approve` update, and mirrors its state into search attributes and the UI's current details.
 *
 * History: each step adds about eight events (schedule/start/complete of the activity, a workflow
 * task, a search-attribute upsert); a step input names the lab by reference (about 100 bytes) and
 * carries it whole only on the first step after it changed, so a run of a few hundred steps stays far
 * below the server's limits (50k events / 50 MB). A runbook with thousands of steps
 * would need continue-as-new with the progress tree as input; none comes close.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  TemporalFailure,
  TimeoutFailure,
  allHandlersFinished,
  condition,
  isCancellation,
  patched,
  scheduleActivity,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Lab } from '../../lab/schema.js';
import {
  approveUpdate,
  labTaskQueue,
  progressQuery,
  resumeUpdate,
  searchAttributeKeys,
  searchState,
  type ApproveRequest,
  type ApproveResult,
  type ResumeRequest,
  type ResumeResult,
  type RunbookInput,
  type RunbookProgress,
  type RunbookResult,
  type StepProgress,
  type StepStatus,
} from './api.js';
import {
  applies,
  currentStepPath,
  forEachItems,
  pendingItem,
  pendingProgress,
  skipReason,
  type RunbookDefinition,
} from './definition.js';
import { diagnosisIn, type Finding } from '../../contract/diagnosis.js';
import { StepErrorType } from '../../contract/error-types.js';
import { labDigest } from '../../contract/lab-digest.js';
import type { LabRef, StepRequest, StepResult } from '../../contract/step.js';
import { activityStepsFor, itemPath, type ActivityStep, type ForEachStep, type GateStep, type Step } from './steps.js';
import { afterDeadlineNote, findStep, renderCurrentDetails } from './current-details.js';
import { countStep, recordPause } from './metrics.js';
import { sendNotice, type Notice } from './notices.js';
import { rewindProgress, rewindRefusal, within } from './rewind.js';
import { DeadlineWatch, keepWatchingFor, staysPausedReason } from './soft-deadline.js';

/** Builds the workflow function of a runbook; its workflow type is the runbook name. */
export function runbookWorkflow(definition: RunbookDefinition): (input: RunbookInput) => Promise<RunbookResult> {
  const workflow = async (input: RunbookInput): Promise<RunbookResult> => new RunbookRun(definition, input).run();
  Object.defineProperty(workflow, 'name', { value: definition.name });
  return workflow;
}

/**
 * Patch of runs cancelled while a step's activity finished anyway: stop before the next step instead
 * of entering it (the old code entered it, which upserted its path, and showed it as "cancelled while
 * running" though it never ran).
 */
const STOP_AT_STEP_WHEN_CANCELLED = 'stop-at-step-when-cancelled';

/**
 * Patch id prefix (+ the step's path) of a renamed step: runs started before the rename scheduled it
 * with its old id as activity id and replay with that; new runs use the current path.
 */
const RENAMED_STEP = 'renamed-step:';

const ACTIVITY_SUMMARY_MAX = 200;

/** The first step of a run started with a lab file (a scheduled run): the file read and validated then. */
export const LAB_LOAD_STEP = 'lab.load';

function labLoadStep(file: string): ActivityStep {
  return activityStepsFor<'labReadFile'>().action(LAB_LOAD_STEP, 'Read and validate the lab file', 'labReadFile', {
    description:
      `Reads ${file} as it is when the run starts, so edits apply to the next run; an invalid lab ` +
      `pauses here with every finding.`,
    params: { file },
    retry: { maximumAttempts: 2 },
  });
}

type Waiting = { kind: 'resume'; path: string } | { kind: 'approve'; path: string };

/** The answer of a pause that ended because the paused wait's condition came true (./soft-deadline.ts). */
const RESUMED_BY_ITSELF = 'resumed-by-itself';

/** Thrown out of a wait when `resume --from` rewinds the run; `run` starts over from the target. */
class Rewind extends Error {}

class RunbookRun {
  private lab: Lab;
  private readonly progress: RunbookProgress;
  private waiting: Waiting | undefined;
  private decision: ResumeRequest | undefined;
  private approval: ApproveRequest | undefined;
  /** The step a rewind goes back to, until the run reaches it again; the steps before it are kept. */
  private rewindTo: string | undefined;
  private readonly published = new Map<string, string | null>();
  /** Notices sent so far: numbers each notice's child workflow. */
  private notices = 0;
  /** The definition's steps, after `lab.load` when the run reads its lab file. */
  private readonly steps: readonly Step[];
  /** The lab that `labRef` names; another object in `lab` means the lab changed (see `labFields`). */
  private referenced: Lab | undefined;
  private labRef: LabRef | undefined;

  constructor(
    private readonly definition: RunbookDefinition,
    private readonly input: RunbookInput,
  ) {
    if (typeof input?.lab?.name !== 'string') {
      throw ApplicationFailure.nonRetryable(
        `Runbook "${definition.name}" needs { lab } as input, a lab parsed from a lab file; start ` +
          `it with "runbook start ${definition.name} --lab <file>"`,
        StepErrorType.InvalidRunbookInput,
      );
    }
    this.lab = input.lab;
    this.steps =
      typeof input.labFile === 'string' ? [labLoadStep(input.labFile), ...definition.steps] : definition.steps;
    const now = isoNow();
    this.progress = {
      runbook: definition.name,
      lab: input.lab.name,
      state: 'running',
      steps: this.steps.map((step) => pendingProgress(step, input.lab, input)),
      startedAt: now,
      updatedAt: now,
    };
    setHandler(progressQuery, () => this.progress, {
      description: 'Every step with status, attempts and last message',
    });
    setHandler(resumeUpdate, (request) => this.resume(this.currentPaths(request)), {
      validator: (request) => this.validateResume(this.currentPaths(request)),
      description: 'Retry, skip or abort the paused step',
    });
    setHandler(approveUpdate, (request) => this.approve(request), {
      validator: (request) => this.validateApprove(request),
      description: 'Approve the gate the runbook waits at',
    });
  }

  async run(): Promise<RunbookResult> {
    this.publish();
    try {
      for (;;) {
        try {
          await this.runSteps(this.steps, this.progress.steps, '', undefined);
          break;
        } catch (error) {
          if (!(error instanceof Rewind)) throw error;
        }
      }
    } catch (error) {
      if (isCancellation(error)) {
        this.progress.state = 'cancelled';
        closeOpenSteps(this.progress.steps, (status) => `cancelled while ${status}`);
        this.publish();
        await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
      } else {
        const aborted = this.progress.state === 'aborted';
        await this.notify({
          event: aborted ? 'aborted' : 'failed',
          ...(this.progress.error && { step: this.progress.error.stepId }),
          message: aborted && this.progress.error ? this.progress.error.message : String((error as Error)?.message),
        });
      }
      throw error;
    }
    this.progress.state = 'completed';
    delete this.progress.currentStep;
    this.publish();
    const outcomes = countOutcomes(this.progress.steps);
    await this.notify({
      event: 'completed',
      message: `${outcomes.changed} changed, ${outcomes.unchanged} unchanged, ${outcomes.skipped} skipped`,
    });
    await condition(allHandlersFinished);
    return { runbook: this.definition.name, lab: this.progress.lab, state: 'completed', ...outcomes };
  }

  private async runSteps(steps: readonly Step[], entries: StepProgress[], prefix: string, item: string | undefined) {
    for (const [index, step] of steps.entries()) {
      const entry = entries[index]!;
      const path = prefix === '' ? step.id : `${prefix}.${step.id}`;
      // Rewound: the steps before the target keep their outcome; the target runs again.
      if (this.rewindTo !== undefined) {
        if (!within(this.rewindTo, path)) continue;
        if (this.rewindTo === path) this.rewindTo = undefined;
      }
      // A cancel that came while the previous step's activity finished anyway: the steps after it
      // never ran and stay pending.
      const scope = CancellationScope.current();
      if (scope.consideredCancelled && patched(STOP_AT_STEP_WHEN_CANCELLED)) await scope.cancelRequested;
      if (!applies(step, this.lab, this.input)) {
        finish(entry, 'skipped', skipReason(step, this.lab, this.input));
        continue;
      }
      entry.startedAt ??= isoNow();
      if (step.kind === 'gate') await this.runGate(step, entry, path);
      else if (step.kind === 'for-each') await this.runForEach(step, entry, path);
      else await this.runActivity(step, entry, path, item);
      this.publish();
    }
  }

  /**
   * The lab as a step input carries it: by reference (name and digest), and inline as well on the first
   * step after the lab changed, so that the worker that runs the run has it without asking
   * (activities/engine/lab-cache.ts; a worker without it reads it from this run's history).
   */
  private labFields(): Pick<StepRequest, 'lab' | 'labRef'> {
    if (this.referenced === this.lab && this.labRef !== undefined) return { labRef: this.labRef };
    this.referenced = this.lab;
    this.labRef = { name: this.lab.name, digest: labDigest(this.lab) };
    return { labRef: this.labRef, lab: this.lab };
  }

  private activityIdOf(step: ActivityStep, path: string): string {
    if (step.renamedFrom === undefined || patched(`${RENAMED_STEP}${path}`)) return path;
    return `${path.slice(0, path.length - step.id.length)}${step.renamedFrom}`;
  }

  /** How a step's activity is scheduled: its id, queue, summary, timeouts and retries. */
  private activityOptions(step: ActivityStep, path: string, item: string | undefined) {
    return {
      // The step path names the activity in the UI and in `temporal activity` commands; a run
      // that scheduled a renamed step under its old id replays with that id.
      activityId: this.activityIdOf(step, path),
      // Absent for shared steps: the activity takes the run's queue, as before placements existed.
      ...(step.on === 'lab' && { taskQueue: labTaskQueue(workflowInfo().taskQueue, this.lab.name) }),
      summary: truncate(item === undefined ? step.title : `${step.title} (${item})`, ACTIVITY_SUMMARY_MAX),
      startToCloseTimeout: step.startToCloseTimeout,
      ...(step.heartbeatTimeout !== undefined && { heartbeatTimeout: step.heartbeatTimeout }),
      retry: step.retry,
    };
  }

  private async runActivity(step: ActivityStep, entry: StepProgress, path: string, item: string | undefined) {
    for (;;) {
      this.enter(entry, path);
      const context: StepRequest = {
        runbook: this.definition.name,
        stepId: path,
        ...this.labFields(),
        ...(item !== undefined && { item }),
        ...(this.input.rehearsal && { rehearsal: this.input.rehearsal }),
        ...(step.params && { params: step.params }),
        ...(step.poll && { poll: step.poll }),
      };
      try {
        const result = await scheduleActivity<StepResult>(step.activity, [context], {
          ...this.activityOptions(step, path, item),
          // On cancel, wait for the activity to stop (it sees the cancel at its next heartbeat), so a
          // cancelled run leaves nothing running on the hosts.
          cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        });
        entry.attempts += result.attempt;
        if (path === LAB_LOAD_STEP && result.lab) this.lab = result.lab;
        finish(entry, result.changed ? 'changed' : 'unchanged', result.detail);
        return;
      } catch (error) {
        if (isCancellation(error)) throw error;
        const failure = describeFailure(error);
        entry.attempts += failure.attempts;
        entry.status = 'paused';
        entry.message = failure.message;
        this.progress.error = {
          stepId: path,
          message: failure.message,
          ...(failure.type && { type: failure.type }),
          ...(failure.diagnosis && { diagnosis: failure.diagnosis }),
        };
        const watch = this.watchAfterDeadline(step, context, entry, path, item, error);
        let answer: ResumeRequest | typeof RESUMED_BY_ITSELF;
        try {
          answer = await this.waitFor(
            { kind: 'resume', path },
            () => this.decision ?? (watch?.outcome && RESUMED_BY_ITSELF),
          );
        } finally {
          await watch?.stop();
        }
        if (answer === RESUMED_BY_ITSELF) {
          await this.resumedByItself(entry, path, watch!.outcome!);
          return;
        }
        const decision = answer;
        this.decision = undefined;
        delete entry.afterDeadline;
        const reason = decision.reason ? ` (${decision.reason})` : '';
        if (decision.action === 'retry') {
          if (decision.lab) this.lab = decision.lab;
          delete this.progress.error;
          continue;
        }
        if (decision.action === 'skip') {
          delete this.progress.error;
          finish(entry, 'skipped', `skipped by the operator${reason} after: ${failure.message}`);
          // The reason holds what the step's check said (cli/runs/skip-check.ts): the evidence goes out too.
          // Only when a webhook wants it: every notify call numbers a notice, and a run started before
          // the event existed must replay with the numbers it had.
          if (this.lab.notify?.webhooks.some((webhook) => webhook.on.includes('skipped')))
            await this.notify({ event: 'skipped', step: path, message: entry.message });
          return;
        }
        // Aborted, not failed: the operator ended the run; the step's own failure stays in its message.
        const aborted = `aborted by the operator${reason}`;
        finish(entry, 'failed', `${aborted}; the step had failed: ${failure.message}`);
        closeOpenSteps(this.progress.steps, () => aborted);
        this.progress.state = 'aborted';
        this.progress.error = {
          stepId: path,
          message: `${aborted}; the step had failed: ${failure.message}`,
          type: StepErrorType.RunbookAborted,
        };
        this.publish();
        await condition(allHandlersFinished);
        throw ApplicationFailure.create({
          message: `Runbook ${this.definition.name} aborted by the operator at step ${path}${reason}: ${failure.message}`,
          type: StepErrorType.RunbookAborted,
          nonRetryable: true,
        });
      }
    }
  }

  /**
   * A wait paused at its deadline watches on while the run is paused (./soft-deadline.ts), unless the
   * lab says `waits.keepWatching: 0s` or the wait needs a person; records which in the step's progress.
   */
  private watchAfterDeadline(
    step: ActivityStep,
    context: StepRequest,
    entry: StepProgress,
    path: string,
    item: string | undefined,
    error: unknown,
  ): DeadlineWatch | undefined {
    if (step.kind !== 'wait' || describeFailure(error).type !== StepErrorType.WaitDeadlineExceeded) return undefined;
    const staysPaused = staysPausedReason(error);
    const watchFor = keepWatchingFor(this.lab, error);
    entry.afterDeadline = {
      pausedAt: isoNow(),
      ...(watchFor !== undefined && { watchFor }),
      ...(staysPaused !== undefined && { staysPaused }),
    };
    if (watchFor === undefined) return undefined;
    return new DeadlineWatch(step.activity, context, this.activityOptions(step, path, item), watchFor, (why) => {
      if (entry.afterDeadline) entry.afterDeadline.ended = why;
      this.publish();
    });
  }

  /** The paused wait's condition came true while it watched: the step is done and the run goes on. */
  private async resumedByItself(entry: StepProgress, path: string, outcome: StepResult) {
    const at = isoNow();
    const pause = entry.afterDeadline!;
    const after = outcome.watched ?? `${Math.round((Date.parse(at) - Date.parse(pause.pausedAt)) / 1000)}s`;
    entry.afterDeadline = { ...pause, resumedAt: at, after };
    entry.attempts += outcome.attempt;
    delete this.progress.error;
    const message = `resumed by itself at ${at} after ${after}: ${outcome.detail}`;
    finish(entry, outcome.changed ? 'changed' : 'unchanged', message);
    this.publish();
    await this.notify({ event: 'resumed', step: path, message: `${path} ${message}` });
  }

  private async runGate(step: GateStep, entry: StepProgress, path: string) {
    entry.status = 'waiting-approval';
    entry.message = step.prompt;
    const approval = await this.waitFor({ kind: 'approve', path }, () => this.approval);
    this.approval = undefined;
    finish(entry, 'unchanged', approval.note ? `approved: ${approval.note}` : 'approved');
  }

  private async runForEach(step: ForEachStep, entry: StepProgress, path: string) {
    // Items come from the lab in force now: a lab corrected on resume may add or drop items.
    const previous = new Map((entry.items ?? []).map((item) => [item.item, item]));
    entry.items = forEachItems(step, this.lab).map(
      (item) => previous.get(item) ?? pendingItem(step, item, this.lab, this.input),
    );
    this.enter(entry, path);
    for (const item of entry.items) {
      const at = itemPath(path, item.item);
      if (this.rewindTo !== undefined) {
        if (!within(this.rewindTo, at)) continue;
        if (this.rewindTo === at) this.rewindTo = undefined;
      }
      item.status = 'running';
      await this.runSteps(step.steps, item.steps, at, item.item);
      item.status = aggregate(item.steps.map((sub) => sub.status));
    }
    // A rewind to an item the corrected lab no longer has: the steps after this for-each run again.
    if (this.rewindTo !== undefined && within(this.rewindTo, path)) this.rewindTo = undefined;
    const count = entry.items.length;
    finish(
      entry,
      count === 0 ? 'unchanged' : aggregate(entry.items.map((item) => item.status)),
      `${count} item${count === 1 ? '' : 's'}`,
    );
  }

  private enter(entry: StepProgress, path: string) {
    entry.status = 'running';
    this.progress.state = 'running';
    this.progress.currentStep = path;
    this.publish();
  }

  /** Parks the run until a handler hands over the operator's answer. */
  private async waitFor<T>(waiting: Waiting, answer: () => T | undefined): Promise<T> {
    this.waiting = waiting;
    this.progress.state = waiting.kind === 'resume' ? 'paused' : 'waiting-approval';
    this.progress.currentStep = waiting.path;
    this.publish();
    const state = this.progress.state;
    const since = Date.now();
    countStep(state);
    const id = workflowInfo().workflowId;
    await this.notify({
      event: state,
      step: waiting.path,
      message: this.pauseMessage(waiting),
      command: waiting.kind === 'resume' ? `runbook resume ${id}` : `runbook approve ${id}`,
      ...(waiting.kind === 'resume' && this.progress.error?.diagnosis && { diagnosis: this.progress.error.diagnosis }),
    });
    await condition(() => answer() !== undefined || this.rewindTo !== undefined);
    recordPause(state, since);
    this.waiting = undefined;
    if (this.rewindTo !== undefined) throw new Rewind(`rewound to ${this.rewindTo}`);
    this.progress.state = 'running';
    return answer()!;
  }

  /** What a pause's notice says: the failure or the gate's prompt, and what a paused wait does after its deadline. */
  private pauseMessage(waiting: Waiting): string {
    const entry = findStep(this.progress.steps, waiting.path);
    const message = (waiting.kind === 'resume' ? this.progress.error?.message : undefined) ?? entry?.message ?? '';
    const after = waiting.kind === 'resume' && entry?.afterDeadline ? afterDeadlineNote(entry.afterDeadline) : '';
    return after ? `${message}. ${after}` : message;
  }

  private validateResume(request: ResumeRequest): void {
    if (!request || !['retry', 'skip', 'abort'].includes(request.action)) {
      throw new Error('The resume action must be "retry", "skip" or "abort"');
    }
    if (request.from !== undefined) return this.validateRewind(request);
    const waiting = this.waiting;
    if (waiting?.kind !== 'resume' || this.decision !== undefined || this.rewindTo !== undefined) {
      throw new Error(
        waiting?.kind === 'approve'
          ? `Runbook ${workflowInfo().workflowId} is not paused: it waits for approval at ` +
              `${waiting.path}; approve it with "runbook approve"`
          : `Runbook ${workflowInfo().workflowId} is not paused (it is ` +
              `${this.progress.state}${this.progress.currentStep ? ` at ${this.progress.currentStep}` : ''}); ` +
              `only a paused runbook can be resumed`,
      );
    }
    if (request.stepId !== undefined && request.stepId !== waiting.path) {
      throw new Error(
        `Runbook ${workflowInfo().workflowId} is paused at ${waiting.path}, not at ` +
          `${request.stepId}; check "runbook status" and resume that step`,
      );
    }
    this.validateLab(request);
  }

  /** `--from`: the run waits (paused or at a gate) and the target is at or before the current step. */
  private validateRewind(request: ResumeRequest): void {
    const id = workflowInfo().workflowId;
    if (request.action !== 'retry')
      throw new Error('--from rewinds and runs the steps again: it goes with retry, not with skip or abort');
    if (typeof request.from !== 'string' || request.from === '') {
      throw new Error('--from needs the path of a step, e.g. --from dns.publish or --from nodes[master1].power-on');
    }
    const waiting = this.waiting;
    if (
      waiting === undefined ||
      this.decision !== undefined ||
      this.approval !== undefined ||
      this.rewindTo !== undefined
    ) {
      throw new Error(
        `Runbook ${id} is ` +
          `${this.progress.state}${this.progress.currentStep ? ` at ${this.progress.currentStep}` : ''}; ` +
          `it can be rewound only while it is paused or waits at a gate`,
      );
    }
    if (request.stepId !== undefined && request.stepId !== waiting.path) {
      throw new Error(`Runbook ${id} waits at ${waiting.path}, not at ${request.stepId}; check "runbook status"`);
    }
    const refusal = rewindRefusal(this.progress.steps, waiting.path, request.from);
    if (refusal) throw new Error(`Cannot rewind runbook ${id}: ${refusal}`);
    this.validateLab(request);
  }

  private validateLab(request: ResumeRequest): void {
    if (request.lab !== undefined) {
      if (request.action !== 'retry')
        throw new Error('A corrected lab can only come with a retry, not with skip or abort');
      if (request.lab?.name !== this.progress.lab) {
        throw new Error(
          `The corrected lab is named "${String(request.lab?.name)}" but this run is for lab ` +
            `"${this.progress.lab}"; the lab name is part of the run's id and cannot change`,
        );
      }
    }
  }

  /** The request with a renamed step's old id (`renamedFrom`) read as its current path. */
  private currentPaths(request: ResumeRequest): ResumeRequest {
    if (typeof request !== 'object' || request === null) return request;
    const current = (path: unknown) => (typeof path === 'string' ? currentStepPath(this.steps, path) : path);
    return {
      ...request,
      ...(request.from !== undefined && { from: current(request.from) as string }),
      ...(request.stepId !== undefined && { stepId: current(request.stepId) as string }),
    };
  }

  private resume(request: ResumeRequest): ResumeResult {
    if (request.from !== undefined) return this.rewind(request.from, request);
    const path = this.waiting!.path;
    this.decision = request;
    // Show the decision at once, so a second resume is rejected and `status` is current.
    this.progress.state = request.action === 'abort' ? 'aborted' : 'running';
    this.publish();
    const message = {
      retry: `Retrying step ${path}${request.lab ? ' with the corrected lab' : ''}`,
      skip: `Skipped step ${path}; the runbook goes on with the next step`,
      abort: `Aborted at step ${path}${request.reason ? ` (${request.reason})` : ''}; the runbook ends as aborted by the operator`,
    }[request.action];
    return { stepId: path, action: request.action, message };
  }

  private rewind(target: string, request: ResumeRequest): ResumeResult {
    const from = this.waiting!.path;
    if (request.lab) this.lab = request.lab;
    rewindProgress(this.progress.steps, target);
    delete this.progress.error;
    this.rewindTo = target;
    this.progress.state = 'running';
    this.progress.currentStep = target;
    this.publish();
    const reason = request.reason ? ` (${request.reason})` : '';
    return {
      stepId: target,
      action: 'retry',
      message:
        `Rewound from ${from} to step ` +
        `${target}${reason}${request.lab ? ' with the corrected lab' : ''}; it and every step after ` +
        `it run again`,
    };
  }

  private validateApprove(request: ApproveRequest): void {
    const waiting = this.waiting;
    if (waiting?.kind !== 'approve' || this.approval !== undefined || this.rewindTo !== undefined) {
      throw new Error(
        `Runbook ${workflowInfo().workflowId} does not wait for an approval (it is ` +
          `${this.progress.state}${this.progress.currentStep ? ` at ${this.progress.currentStep}` : ''})`,
      );
    }
    if (request?.stepId !== undefined && request.stepId !== waiting.path) {
      throw new Error(
        `Runbook ${workflowInfo().workflowId} waits for approval at ${waiting.path}, not at ${request.stepId}`,
      );
    }
  }

  private approve(request: ApproveRequest): ApproveResult {
    const path = this.waiting!.path;
    this.approval = request ?? {};
    this.progress.state = 'running';
    this.publish();
    return { stepId: path, message: `Approved ${path}; the runbook goes on` };
  }

  /** Tells the lab's webhooks (if any want this event); never waits for the delivery (see notices.ts). */
  private notify(notice: Omit<Notice, 'runbook' | 'lab' | 'workflowId' | 'at'>): Promise<void> {
    return sendNotice(
      this.lab,
      { ...notice, runbook: this.definition.name },
      { rehearsal: this.input.rehearsal !== undefined, sequence: ++this.notices },
    );
  }

  /** Records a transition: timestamp, search attributes (only those that changed), current details. */
  private publish() {
    const progress = this.progress;
    progress.updatedAt = isoNow();
    const wanted: Array<[keyof typeof searchAttributeKeys, string | null]> = [
      ['RunbookName', progress.runbook],
      ['RunbookLab', progress.lab],
      ['RunbookStep', progress.currentStep ?? null],
      ['RunbookState', searchState(progress.state)],
    ];
    const changed = wanted.filter(([name, value]) => this.published.get(name) !== value);
    if (changed.length > 0) {
      upsertSearchAttributes(changed.map(([name, value]) => ({ key: searchAttributeKeys[name], value })));
      for (const [name, value] of changed) this.published.set(name, value);
    }
    setCurrentDetails(renderCurrentDetails(this.definition, progress, workflowInfo().workflowId));
  }
}

function finish(entry: StepProgress, status: StepStatus, message: string) {
  countStep(status);
  entry.status = status;
  entry.message = message;
  entry.finishedAt = isoNow();
}

/** A group's status: changed if anything changed, skipped if everything was skipped. */
function aggregate(statuses: StepStatus[]): StepStatus {
  if (statuses.includes('changed')) return 'changed';
  if (statuses.length > 0 && statuses.every((status) => status === 'skipped')) return 'skipped';
  return 'unchanged';
}

/**
 * Closes the steps a cancel or an abort leaves open (running, paused, waiting): each becomes failed with
 * the message `why` gives for its status; pending steps never ran and stay pending.
 */
function closeOpenSteps(entries: StepProgress[], why: (status: StepStatus) => string) {
  for (const entry of entries) {
    if (['running', 'paused', 'waiting-approval'].includes(entry.status)) finish(entry, 'failed', why(entry.status));
    for (const item of entry.items ?? []) {
      closeOpenSteps(item.steps, why);
      if (item.status === 'running') item.status = 'failed';
    }
  }
}

function countOutcomes(entries: StepProgress[]): Pick<RunbookResult, 'changed' | 'unchanged' | 'skipped'> {
  const counts = { changed: 0, unchanged: 0, skipped: 0 };
  const visit = (list: StepProgress[]) => {
    for (const entry of list) {
      if (entry.items) entry.items.forEach((item) => visit(item.steps));
      else if (entry.status === 'changed' || entry.status === 'unchanged' || entry.status === 'skipped')
        counts[entry.status] += 1;
    }
  };
  visit(entries);
  return counts;
}

/**
 * Message, type and attempt count of a failed step. The worker's step wrapper puts the attempt
 * number into the failure's details (see activities/engine/step-activity.ts); timeouts come from
 * the server and count as one attempt each.
 */
function describeFailure(error: unknown): { message: string; type?: string; attempts: number; diagnosis?: Finding[] } {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof TimeoutFailure) {
    // A wait's last checkpoint says what it last saw (see pollUntil); a plain timeout says which one.
    const last = (cause.lastHeartbeatDetails as { detail?: unknown } | undefined)?.detail;
    const kind = String(cause.timeoutType ?? 'timeout')
      .toLowerCase()
      .replace(/_/g, '-');
    return {
      message: `the step timed out (${kind})${typeof last === 'string' ? `; last check: ${last}` : ''}`,
      type: 'TimeoutFailure',
      attempts: 1,
    };
  }
  const attempt =
    cause instanceof ApplicationFailure
      ? (cause.details?.[0] as { attempt?: unknown } | undefined)?.attempt
      : undefined;
  const message = cause instanceof Error ? cause.message : String(cause);
  const type =
    cause instanceof ApplicationFailure
      ? (cause.type ?? undefined)
      : cause instanceof TemporalFailure
        ? cause.name
        : undefined;
  const diagnosis = cause instanceof ApplicationFailure ? diagnosisIn(cause.details ?? undefined) : undefined;
  return {
    message: message || 'the step failed without a message',
    ...(type && { type }),
    attempts: typeof attempt === 'number' ? attempt : 1,
    ...(diagnosis && { diagnosis }),
  };
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Workflow time (deterministic: the time of the current workflow task). */
function isoNow(): string {
  return new Date().toISOString();
}
