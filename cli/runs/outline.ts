/** A runbook's steps as `list-runbooks` prints them: ids and titles, for-each sub-steps indented. */
import type { RunbookOutline, StepOutline } from '../../workflows/engine/definition.js';
import { formatTable } from '../output.js';

const INDENT = '  ';

/** What sets a step apart from a plain action, in words an operator reads. */
function note(step: StepOutline): string {
  const notes = [
    step.kind === 'gate' ? 'waits for an approval' : undefined,
    step.kind === 'for-each' ? 'for each item:' : undefined,
    step.conditional ? 'only when its option is set' : undefined,
  ].filter((text) => text !== undefined);
  return notes.join(', ');
}

function rows(steps: readonly StepOutline[], depth: number): string[][] {
  return steps.flatMap((step) => [
    [`${INDENT.repeat(depth)}${step.id}`, step.title, note(step)],
    ...rows(step.steps ?? [], depth + 1),
  ]);
}

/** `name  title`, then one indented row per step, and a blank line after. */
export function formatOutline(outline: RunbookOutline): string {
  const table = formatTable(['STEP', 'TITLE', ''], rows(outline.steps, 0))
    .split('\n')
    .map((line) => `${INDENT}${line}`.trimEnd());
  return `${outline.name}  ${outline.title}\n${table.join('\n')}\n`;
}
