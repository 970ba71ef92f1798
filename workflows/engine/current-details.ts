/**
 * The Markdown the Temporal UI shows as a run's "current details": where the run is and what the
 * operator can do next. Workflow-safe; kept short (the UI shows it at the top of the run's page).
 */
import { diagnosisLines } from '../../contract/diagnosis.js';
import type { AfterDeadline, RunbookProgress, StepProgress } from './api.js';
import type { RunbookDefinition } from './definition.js';
import { itemPath } from './steps.js';

export function renderCurrentDetails(
  definition: RunbookDefinition,
  progress: RunbookProgress,
  workflowId: string,
): string {
  const done = progress.steps.filter((step) => ['changed', 'unchanged', 'skipped'].includes(step.status)).length;
  const current = progress.currentStep;
  const entry = current === undefined ? undefined : findStep(progress.steps, current);
  // What the operator types next comes first: the UI shows only the top of the current details.
  const lines: string[] = [];
  if (progress.state === 'paused' && progress.error) {
    lines.push(
      `**Next:** fix the cause, then \`runbook resume ${workflowId}\` (or \`--skip\`, \`--abort\`).`,
      '',
      `Failed: ${progress.error.message}`,
      '',
    );
    const note = entry?.afterDeadline && afterDeadlineNote(entry.afterDeadline);
    if (note) lines.push(note, '');
    // What the wait's probes found: the likely cause first (contract/diagnosis.ts).
    const diagnosis = diagnosisLines(progress.error.diagnosis ?? []);
    if (diagnosis.length) lines.push('Diagnosis:', '', ...diagnosis.map((line) => `- ${line}`), '');
  }
  const resumed = lastResumedByItself(progress.steps);
  if (progress.state !== 'paused' && resumed)
    lines.push(`\`${resumed.path}\` ${afterDeadlineNote(resumed.afterDeadline)}`, '');
  if (progress.state === 'waiting-approval') {
    lines.push(`**Next:** \`runbook approve ${workflowId}\``, '');
    if (entry?.message) lines.push(entry.message, '');
  }
  if (progress.state === 'aborted' && progress.error)
    lines.push(`Aborted at \`${progress.error.stepId}\`: ${progress.error.message}`, '');
  lines.push(
    `**${definition.title}** on lab \`${progress.lab}\`: ${progress.state}, ${done} of ${progress.steps.length} steps done`,
  );
  if (current !== undefined && entry) lines.push('', `Step \`${current}\`: ${entry.title}`);
  return lines.join('\n');
}

/** What a wait paused at its deadline does about it, in one sentence (also `runbook status`). */
export function afterDeadlineNote(after: AfterDeadline): string {
  if (after.resumedAt)
    return `paused at its deadline at ${after.pausedAt}, resumed by itself at ${after.resumedAt} after ${after.after}`;
  if (after.staysPaused) return `Does not go on by itself: ${after.staysPaused}.`;
  if (after.ended) return `Stopped watching its condition: ${after.ended}.`;
  if (after.watchFor)
    return (
      `Still watching its condition, for up to ${after.watchFor} after its deadline: the run goes on by ` +
      'itself once it holds.'
    );
  return '';
}

/** The step that last went on by itself after its deadline, with its path. */
function lastResumedByItself(
  steps: readonly StepProgress[],
  prefix = '',
): { path: string; afterDeadline: AfterDeadline } | undefined {
  let last: { path: string; afterDeadline: AfterDeadline } | undefined;
  for (const step of steps) {
    const path = prefix === '' ? step.id : `${prefix}.${step.id}`;
    const candidates = [
      ...(step.afterDeadline?.resumedAt ? [{ path, afterDeadline: step.afterDeadline }] : []),
      ...(step.items ?? []).flatMap((item) => lastResumedByItself(item.steps, itemPath(path, item.item)) ?? []),
    ];
    for (const found of candidates)
      if (!last || found.afterDeadline.resumedAt! >= last.afterDeadline.resumedAt!) last = found;
  }
  return last;
}

/** The progress entry at a step path (`nodes.boot[master1].power-on`). */
export function findStep(steps: readonly StepProgress[], path: string): StepProgress | undefined {
  for (const step of steps) {
    if (path === step.id) return step;
    for (const item of step.items ?? []) {
      const prefix = `${itemPath(step.id, item.item)}.`;
      if (path.startsWith(prefix)) {
        const found = findStep(item.steps, path.slice(prefix.length));
        if (found) return found;
      }
    }
  }
  return undefined;
}
