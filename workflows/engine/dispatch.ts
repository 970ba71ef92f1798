/**
 * Workflow functions for a catalogue. Temporal looks a workflow type up among the bundle's named
 * exports and falls back to the default export; names such as `egress-routers` are not valid export
 * names, so the default export dispatches on `workflowInfo().workflowType`.
 */
import { ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import type { RunbookInput, RunbookResult } from './api.js';
import type { RunbookDefinition } from './definition.js';
import { StepErrorType } from '../../contract/error-types.js';
import { runbookWorkflow } from './interpreter.js';

export type RunbookWorkflow = (input: RunbookInput) => Promise<RunbookResult>;

export function workflowsFor(catalogue: Readonly<Record<string, RunbookDefinition>>): Record<string, RunbookWorkflow> {
  return Object.fromEntries(
    Object.values(catalogue).map((definition) => [definition.name, runbookWorkflow(definition)]),
  );
}

export function dispatchByType(workflows: Record<string, RunbookWorkflow>): RunbookWorkflow {
  return async function runbook(input: RunbookInput): Promise<RunbookResult> {
    const type = workflowInfo().workflowType;
    const workflow = Object.hasOwn(workflows, type) ? workflows[type] : undefined;
    if (!workflow) {
      throw ApplicationFailure.nonRetryable(
        `No runbook named "${type}" on this worker; it knows ${Object.keys(workflows).join(', ')}. ` +
          `Upgrade the worker or check the name with "runbook list-runbooks"`,
        StepErrorType.UnknownRunbook,
      );
    }
    return workflow(input);
  };
}
