/**
 * `runbook resume <run> --from <step>`: which steps a rewind may target, and the progress tree after
 * one (the target and every step after it pending again, their earlier outcome kept in `earlier`).
 *
 * Workflow-safe: pure functions of the progress tree.
 */
import type { StepProgress } from './api.js';
import { progressNodes as nodes } from './definition.js';

/** True when `target` is `path` or lies inside it (a sub-step or an item of a for-each). */
export function within(target: string, path: string): boolean {
  return target === path || target.startsWith(`${path}.`) || target.startsWith(`${path}[`);
}

/** `a[x].b[y].c` without its item parts: `a.b.c`, the way a for-each sub-step is defined. */
function withoutItems(path: string): string {
  return path.replace(/\[[^\]]*\]/g, '');
}

/**
 * Why the run cannot be rewound to `target` while it waits at `current`, or undefined when it can:
 * the target must be a step (or for-each item) at or before the current one, named by its path.
 */
export function rewindRefusal(entries: readonly StepProgress[], current: string, target: string): string | undefined {
  const all = nodes(entries);
  const targetIndex = all.findIndex((node) => node.path === target);
  const currentIndex = all.findIndex((node) => node.path === current);
  if (targetIndex < 0) {
    const named = all.filter((node) => node.entry && node.path !== withoutItems(node.path));
    const matches = named.filter((node) => withoutItems(node.path) === target).map((node) => node.path);
    if (matches.length > 0) {
      return `step ${target} runs once per item; name the item to rewind to, e.g. --from ${matches[0]} (one of ${matches.join(', ')})`;
    }
    return (
      `there is no step ${target} in this run; its steps are ` +
      `${entries.map((entry) => entry.id).join(', ')} (see "runbook status" for the paths inside ` +
      `for-each steps)`
    );
  }
  if (targetIndex > currentIndex) {
    return `step ${target} comes after the current step ${current} and has not run yet; rewind only to ${current} or a step before it`;
  }
  return undefined;
}

/**
 * Makes `target` and every step after it pending again, keeping what each had done in `earlier`;
 * the for-each steps and items that contain `target` become pending too (they run again in part).
 */
export function rewindProgress(entries: StepProgress[], target: string): void {
  let reached = false;
  for (const node of nodes(entries)) {
    if (node.path === target) reached = true;
    if (!reached && !within(target, node.path)) continue;
    if (node.item) node.item.status = 'pending';
    if (node.entry) resetEntry(node.entry);
  }
}

function resetEntry(entry: StepProgress) {
  // A running for-each that contains the target has no outcome yet: nothing to keep.
  if (entry.status !== 'pending' && entry.status !== 'running') {
    entry.earlier = [
      ...(entry.earlier ?? []),
      {
        status: entry.status,
        attempts: entry.attempts,
        ...(entry.message !== undefined && { message: entry.message }),
        ...(entry.startedAt !== undefined && { startedAt: entry.startedAt }),
        ...(entry.finishedAt !== undefined && { finishedAt: entry.finishedAt }),
      },
    ];
  }
  entry.status = 'pending';
  entry.attempts = 0;
  delete entry.message;
  delete entry.startedAt;
  delete entry.finishedAt;
  delete entry.afterDeadline;
}
