/** `runbook list`: runs found by the project's search attributes. */
import type { Client } from '@temporalio/client';
import { runState } from '../../temporal/runs.js';
import { FINAL_RUNBOOK_STATES, type RunbookState, searchAttributeKeys } from '../../workflows/engine/api.js';

/** The states `runbook list --state` accepts. */
/** `list --state` choices: the RunbookState search attribute's values (`paused`: every run that waits for a person). */
export const RUN_STATES = ['running', 'paused', 'completed', 'failed', 'aborted', 'cancelled'] as const;

export interface RunRow {
  workflowId: string;
  runId: string;
  runbook?: string;
  lab?: string;
  state: string;
  step?: string;
  status: string;
  startTime: string;
  closeTime?: string;
}

/** Visibility query over the project's search attributes. */
export function listQuery(filters: { state?: string; runbook?: string; lab?: string }): string {
  const clauses = [`${searchAttributeKeys.RunbookName.name} IS NOT NULL`];
  const quote = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  if (filters.runbook) clauses.push(`${searchAttributeKeys.RunbookName.name} = ${quote(filters.runbook)}`);
  if (filters.lab) clauses.push(`${searchAttributeKeys.RunbookLab.name} = ${quote(filters.lab)}`);
  if (filters.state) {
    clauses.push(`${searchAttributeKeys.RunbookState.name} = ${quote(filters.state)}`);
    // A run that is still marked running or paused but has closed (terminated) is not in that state any more.
    if (!FINAL_RUNBOOK_STATES.includes(filters.state as RunbookState)) clauses.push(`ExecutionStatus = "Running"`);
  }
  return clauses.join(' AND ');
}

/** The runs that match, newest first, at most `limit`. */
export async function listRuns(
  client: Client,
  filters: { state?: string; runbook?: string; lab?: string; limit: number },
): Promise<RunRow[]> {
  const rows: RunRow[] = [];
  for await (const execution of client.workflow.list({
    query: listQuery(filters),
    pageSize: Math.min(filters.limit, 100),
  })) {
    const attributes = execution.typedSearchAttributes;
    const runbook = attributes.get(searchAttributeKeys.RunbookName);
    const lab = attributes.get(searchAttributeKeys.RunbookLab);
    const step = attributes.get(searchAttributeKeys.RunbookStep);
    rows.push({
      workflowId: execution.workflowId,
      runId: execution.runId,
      ...(runbook !== undefined && { runbook }),
      ...(lab !== undefined && { lab }),
      state: runState(execution.status.name, attributes.get(searchAttributeKeys.RunbookState)),
      ...(step !== undefined && execution.status.name === 'RUNNING' && { step }),
      status: execution.status.name,
      startTime: execution.startTime.toISOString(),
      ...(execution.closeTime && { closeTime: execution.closeTime.toISOString() }),
    });
    if (rows.length >= filters.limit) break;
  }
  return rows;
}
