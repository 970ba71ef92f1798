/**
 * The Markdown the Temporal UI shows as a run's "current details": where the run is and what the
 * operator can do next. Workflow-safe; kept short (the UI shows it at the top of the run's page).
 */
import { diagnosisLines } from '../../contract/diagnosis.js';
import type { RunbookProgress, StepProgress } from './api.js';
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
    // What the wait's probes found: the likely cause first (contract/diagnosis.ts).
    const diagnosis = diagnosisLines(progress.error.diagnosis ?? []);
    if (diagnosis.length) lines.push('Diagnosis:', '', ...diagnosis.map((line) => `- ${line}`), '');
  }
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
