/**
 * One run of a runbook per lab at a time, whoever starts it: `runbook start`, a schedule, another
 * schedule. Workflow ids alone cannot hold it (a schedule's runs carry the night in theirs), so the
 * open runs are found by their search attributes. Rehearsals run on their own task queue against a
 * simulated lab, so only runs on the same task queue count.
 */
import type { Client } from '@temporalio/client';
import { searchAttributeKeys } from '../../workflows/engine/api.js';

export interface OpenRun {
  workflowId: string;
  /** The state the run last recorded (running, paused). */
  state: string;
  step?: string;
  startTime: string;
}

const quote = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** The open runs of `runbook` for `lab` on `taskQueue`, oldest first. */
export async function openRunsOf(client: Client, runbook: string, lab: string, taskQueue: string): Promise<OpenRun[]> {
  const query = [
    `${searchAttributeKeys.RunbookName.name} = ${quote(runbook)}`,
    `${searchAttributeKeys.RunbookLab.name} = ${quote(lab)}`,
    `TaskQueue = ${quote(taskQueue)}`,
    'ExecutionStatus = "Running"',
  ].join(' AND ');
  const runs: OpenRun[] = [];
  for await (const execution of client.workflow.list({ query })) {
    const step = execution.typedSearchAttributes.get(searchAttributeKeys.RunbookStep);
    runs.push({
      workflowId: execution.workflowId,
      state: execution.typedSearchAttributes.get(searchAttributeKeys.RunbookState) ?? 'running',
      ...(step !== undefined && { step }),
      startTime: execution.startTime.toISOString(),
    });
  }
  return runs.sort((a, b) => a.startTime.localeCompare(b.startTime));
}
