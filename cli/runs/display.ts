/** How a run looks in the terminal: its steps, its state, what to type next, and the exit code. */
import pc from 'picocolors';
import { diagnosisLines } from '../../contract/diagnosis.js';
import { type TemporalConfig, workflowUiUrl } from '../../temporal/connection.js';
import type { Run } from '../../temporal/runs.js';
import { FINISHED_STEP_STATUSES, type RunbookProgress, type StepProgress } from '../../workflows/engine/api.js';
import { afterDeadlineNote } from '../../workflows/engine/current-details.js';
import { itemPath } from '../../workflows/engine/steps.js';
import { ExitCode } from '../errors.js';
import { formatTable } from '../output.js';

/** The exit code of a command that reports a run in this state. */
export function exitCodeFor(state: string): ExitCode {
  if (state === 'paused' || state === 'waiting-approval') return ExitCode.PAUSED;
  if (['failed', 'aborted', 'cancelled', 'terminated', 'timed-out'].includes(state)) return ExitCode.FAILED;
  return ExitCode.OK;
}

export function colorState(state: string): string {
  if (state === 'completed') return pc.green(state);
  if (state === 'paused' || state === 'waiting-approval') return pc.yellow(state);
  if (state === 'running') return pc.cyan(state);
  return pc.red(state);
}

export function colorStatus(status: string): string {
  if (status === 'changed' || status === 'unchanged') return pc.green(status);
  if (status === 'running') return pc.cyan(status);
  if (status === 'paused' || status === 'waiting-approval') return pc.yellow(status);
  if (status === 'failed') return pc.red(status);
  return pc.dim(status);
}

/**
 * Every step and for-each sub-step with its full path, in order. With `finishedLast`, a finished
 * for-each comes after its items, so transitions print in the order they happened.
 */
export function flattenSteps(
  steps: readonly StepProgress[],
  prefix = '',
  finishedLast = false,
): Array<StepProgress & { path: string }> {
  return steps.flatMap((step) => {
    const path = prefix === '' ? step.id : `${prefix}.${step.id}`;
    const self = { ...step, path };
    const items = (step.items ?? []).flatMap((item) =>
      flattenSteps(item.steps, itemPath(path, item.item), finishedLast),
    );
    return finishedLast && FINISHED_STEP_STATUSES.includes(step.status) ? [...items, self] : [self, ...items];
  });
}

export function oneLine(text: string | undefined, max = 80): string {
  if (!text) return '';
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The commands an operator types to get a paused run going again. */
export function resumeHints(id: string, progress: RunbookProgress | undefined): string[] {
  if (progress?.state === 'waiting-approval') {
    return [`approve it:  runbook approve ${id}${progress.currentStep ? ` --step ${progress.currentStep}` : ''}`];
  }
  return [
    `retry the step:             runbook resume ${id}`,
    `retry with a corrected lab: runbook resume ${id} --lab <file>`,
    `skip it and go on:          runbook resume ${id} --skip --reason "<why>"`,
    `end the run as failed:      runbook resume ${id} --abort`,
  ];
}

/** The terminal's width; undefined when the output goes to a file or a pipe (nothing is cut there). */
export function terminalWidth(): number | undefined {
  if (!process.stdout.isTTY) return undefined;
  return process.stdout.columns || DEFAULT_TERMINAL_WIDTH;
}

const DEFAULT_TERMINAL_WIDTH = 100;
/** Titles and messages keep at least this much, even in a narrow terminal (the row then wraps). */
const MIN_TEXT_WIDTH = 10;
const COLUMN_GAP = 2;

/** A duration as an operator reads it: `850ms`, `42s`, `3m05s`, `1h02m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** How long a step took, or has taken so far (running, paused, waiting); undefined if it never started. */
export function stepDuration(step: StepProgress, now: Date): number | undefined {
  if (!step.startedAt) return undefined;
  const end = step.finishedAt ? Date.parse(step.finishedAt) : now.getTime();
  return end - Date.parse(step.startedAt);
}

/**
 * Every step with its title, status, attempts, time taken and last message. In a terminal, titles and
 * messages share what the other columns leave of its width (titles up to 40%); without a width, nothing
 * is cut. Steps not finished yet count their time up to `now`.
 */
export function formatStepTable(steps: readonly StepProgress[], width: number | undefined, now = new Date()): string {
  const head = ['STEP', 'TITLE', 'STATUS', 'ATTEMPTS', 'TIME', 'LAST MESSAGE'];
  const flat = flattenSteps(steps);
  const durations = flat.map((s) => {
    const ms = stepDuration(s, now);
    return ms === undefined ? '' : formatDuration(ms);
  });
  let titleMax = Infinity;
  let messageMax = Infinity;
  if (width !== undefined) {
    const widest = (values: string[]) => Math.max(...values.map((value) => value.length));
    const fixed =
      widest([head[0]!, ...flat.map((s) => s.path)]) +
      widest([head[2]!, ...flat.map((s) => s.status)]) +
      widest([head[3]!, ...flat.map((s) => String(s.attempts))]) +
      widest([head[4]!, ...durations]) +
      COLUMN_GAP * (head.length - 1);
    const room = Math.max(2 * MIN_TEXT_WIDTH, width - fixed);
    const longestTitle = widest([head[1]!, ...flat.map((s) => oneLine(s.title, Infinity))]);
    titleMax = Math.max(MIN_TEXT_WIDTH, Math.min(longestTitle, Math.floor(room * 0.4)));
    messageMax = Math.max(MIN_TEXT_WIDTH, room - titleMax);
  }
  const rows = flat.map((s, index) => [
    s.path,
    oneLine(s.title, titleMax),
    colorStatus(s.status),
    s.attempts,
    durations[index]!,
    oneLine(s.message, messageMax),
  ]);
  return formatTable(head, rows);
}

/**
 * Where the time goes: the run's total (to its end, or to `now` while it is open) and its longest
 * steps (leaf steps: a for-each's time is its items').
 */
export function timeSummary(progress: RunbookProgress, end: Date, count = 3): string {
  const total = formatDuration(end.getTime() - Date.parse(progress.startedAt));
  const longest = flattenSteps(progress.steps)
    .filter((s) => !s.items)
    .map((s) => ({ path: s.path, ms: stepDuration(s, end) }))
    .filter((s): s is { path: string; ms: number } => s.ms !== undefined && s.ms > 0)
    .sort((a, b) => b.ms - a.ms)
    .slice(0, count);
  const where = longest.map((s) => `${s.path} ${formatDuration(s.ms)}`).join(', ');
  return `time: ${total} in total${where ? `; longest steps: ${where}` : ''}`;
}

export function renderStatus(
  run: Run,
  state: string,
  progress: RunbookProgress | undefined,
  config: TemporalConfig,
  /** Columns to fit; `undefined` (piped output) prints every title and message whole. */
  width: number | undefined = terminalWidth(),
  now = new Date(),
): string {
  const id = run.handle.workflowId;
  // A closed run's clock stopped when it closed; an open one's runs on (paused time included).
  const end = run.open ? now : (run.description.closeTime ?? now);
  const lines: string[] = [];
  lines.push(
    `${pc.bold(id)}  ${run.runbook ?? progress?.runbook ?? ''} on lab ${run.lab ?? progress?.lab ?? '?'}: ${colorState(state)}`,
  );
  const step = progress?.currentStep ?? run.step;
  if (step && run.open) lines.push(`current step: ${step}`);
  if (progress) lines.push('', formatStepTable(progress.steps, width, end), '', timeSummary(progress, end));
  // Waits that passed their deadline: whether they watch on, and when one went on by itself.
  const afterDeadline = progress ? flattenSteps(progress.steps).filter((s) => s.afterDeadline) : [];
  if (afterDeadline.length > 0)
    lines.push('', ...afterDeadline.map((s) => `${s.path}: ${afterDeadlineNote(s.afterDeadline!)}`));
  else {
    lines.push(
      '',
      run.open
        ? `no worker answered for task queue ${run.description.taskQueue} (none runs, or the last one ` +
            `stopped): start one with \`runbook worker\` to see the steps and let the run go on`
        : 'step details need a running worker (it replays the finished run): start one with `runbook worker`',
    );
  }
  if (progress?.error && (state === 'paused' || state === 'failed')) {
    lines.push('', `${pc.red('error')} in ${progress.error.stepId}: ${progress.error.message}`);
    const diagnosis = diagnosisLines(progress.error.diagnosis ?? []);
    if (diagnosis.length)
      lines.push('', 'diagnosis (what the wait’s probes found when it paused):', ...diagnosis.map((l) => `  ${l}`));
  }
  if (state === 'paused' || state === 'waiting-approval') {
    lines.push('', state === 'paused' ? 'The run is paused. Next:' : 'The run waits for an approval. Next:');
    lines.push(...resumeHints(id, progress).map((line) => `  ${line}`));
  }
  const url = workflowUiUrl(config, id);
  lines.push('', url ? `Web UI: ${url}` : 'Web UI: set TEMPORAL_UI_URL to show a link');
  return `${lines.join('\n')}\n`;
}
