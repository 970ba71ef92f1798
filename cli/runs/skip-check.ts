/**
 * Skip with evidence: before `runbook resume --skip` marks a paused step skipped, the CLI runs that
 * step's check half (its plan half, activities/plan-registry.ts: read-only) against the lab the run
 * targets, so the run records whether the state the step makes is there now ("check passes now",
 * after a fix by hand) or not ("check still fails: …"). Like `runbook plan`, it runs here, in the CLI
 * process: run it where the lab is reached, or skip blind with `--no-check`.
 */
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { RunbookInput } from '../../workflows/engine/api.js';
import type { RunbookDefinition } from '../../workflows/engine/definition.js';
import type { ActivityStep, Step, StepContext } from '../../workflows/engine/steps.js';

/** The step at `path` (`preflight.hosts[pxe].ssh`: for-each `preflight.hosts`, item `pxe`, sub-step `ssh`). */
function stepAt(steps: readonly Step[], path: string, prefix = ''): { step: ActivityStep; item?: string } | undefined {
  for (const step of steps) {
    const id = `${prefix}${step.id}`;
    if (step.kind === 'for-each' && path.startsWith(`${id}[`)) {
      const close = path.indexOf('].', id.length);
      if (close < 0) return undefined;
      const item = path.slice(id.length + 1, close);
      const found = stepAt(step.steps, path.slice(close + 2));
      return found && { step: found.step, item };
    }
    if (id === path && step.kind !== 'gate' && step.kind !== 'for-each') return { step };
  }
  return undefined;
}

/** What the run was started with: its lab and, in a rehearsal, the simulated lab it targets. */
async function runInputOf(client: Client, workflowId: string): Promise<RunbookInput | undefined> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return payload ? defaultPayloadConverter.fromPayload<RunbookInput>(payload) : undefined;
}

/** One line of a check's failure, short enough for a step message. */
function firstLine(error: unknown): string {
  const line = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** The evidence a skip records: `check passes now: …`, `check still fails: …`, or why there is no check. */
export async function skipEvidence(
  client: Client,
  options: { workflowId: string; definition: RunbookDefinition; stepPath: string },
): Promise<string> {
  const found = stepAt(options.definition.steps, options.stepPath);
  if (!found) return `no check: ${options.stepPath} is not a step of ${options.definition.name} on this machine`;
  const input = await runInputOf(client, options.workflowId);
  if (!input) return 'no check: the run’s input could not be read';
  // Loaded only for a skip: the check halves bring every activity module with them.
  const { planEntry } = await import('../../activities/plan-registry.js');
  const { describeChanges } = await import('../../activities/support/plan.js');
  const entry = planEntry(found.step.activity);
  if ('cannotPlan' in entry) return `the step has no check (${entry.cannotPlan})`;
  const context: StepContext = {
    runbook: options.definition.name,
    stepId: options.stepPath,
    lab: input.lab,
    ...(found.item !== undefined && { item: found.item }),
    ...(input.rehearsal && { rehearsal: input.rehearsal }),
    ...(found.step.params && { params: found.step.params }),
  };
  try {
    const plan = await entry.plan(context);
    return plan.changes.length === 0
      ? `check passes now: ${plan.detail}`
      : `check still fails: the step would still ${describeChanges(plan.changes)}`;
  } catch (error) {
    return `check still fails: ${firstLine(error)}`;
  }
}
