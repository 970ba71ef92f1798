/**
 * Starting a run of a catalogue runbook, shared by `start`, `rehearse` and `schedule`: the definition,
 * the workflow input, and what the Temporal UI shows of the run.
 */
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Lab } from '../../lab/schema.js';
import { catalogue, findRunbook } from '../../runbooks/index.js';
import { type TemporalConfig, workflowUiUrl } from '../../temporal/connection.js';
import { openRunsOf } from '../../activities/support/one-run-per-lab.js';
import { type RunbookInput, searchAttributeKeys } from '../../workflows/engine/api.js';
import type { RunbookDefinition } from '../../workflows/engine/definition.js';
import { ExitCode, UserError } from '../errors.js';

/** A runbook of the catalogue; NOT_FOUND lists the names there are. */
export function requireRunbook(name: string): RunbookDefinition {
  const definition = findRunbook(name);
  if (!definition) {
    throw new UserError(`there is no runbook called "${name}"`, ExitCode.NOT_FOUND, [
      `runbooks: ${Object.keys(catalogue).join(', ')} (see \`runbook list-runbooks\`)`,
    ]);
  }
  return definition;
}

/** Summary and details shown in the Temporal UI; names only, never secrets. */
export function runMetadata(definition: RunbookDefinition, lab: Lab): { staticSummary: string; staticDetails: string } {
  return {
    staticSummary: `${definition.title}: lab ${lab.name}`,
    staticDetails: [
      `**${definition.title}** (runbook \`${definition.name}\`) on lab \`${lab.name}\``,
      '',
      definition.description,
      '',
      `Cluster \`${lab.cluster.name}.${lab.cluster.baseDomain}\`; ${definition.steps.length} steps:`,
      // Markdown starts a list only after a blank line.
      '',
      ...definition.steps.map((step) => `- \`${step.id}\` ${step.title}`),
    ].join('\n'),
  };
}

export function runSearchAttributes(definition: RunbookDefinition, lab: Lab) {
  return [
    { key: searchAttributeKeys.RunbookName, value: definition.name },
    { key: searchAttributeKeys.RunbookLab, value: lab.name },
    { key: searchAttributeKeys.RunbookState, value: 'running' },
  ];
}

/** The workflow input of a run: the lab (secret references only) and the switches, if any. */
export function runInput(lab: Lab, options: Record<string, string | boolean>): RunbookInput {
  return Object.keys(options).length === 0 ? { lab } : { lab, options };
}

/**
 * Starts a run of `definition` for `lab`. One run of a runbook per lab at a time: a run of it already
 * open for the lab on the same task queue (under any id: started by hand, or by a schedule) is refused
 * with a message that names it (exit 1). `exclusive: false` (a run under an id the operator chose with
 * `start --id`) skips that check; a run under the same id is refused all the same. Returns the run id.
 */
export async function startRun(
  client: Client,
  config: TemporalConfig,
  run: {
    definition: RunbookDefinition;
    lab: Lab;
    input: RunbookInput;
    workflowId: string;
    taskQueue: string;
    exclusive?: boolean;
  },
): Promise<string> {
  const { definition, lab, workflowId } = run;
  const [open] = run.exclusive === false ? [] : await openRunsOf(client, definition.name, lab.name, run.taskQueue);
  if (open)
    throw alreadyRuns(config, definition, lab, open.workflowId, `${open.state}${open.step ? ` at ${open.step}` : ''}`);
  try {
    const handle = await client.workflow.start(definition.name, {
      workflowId,
      taskQueue: run.taskQueue,
      args: [run.input],
      ...runMetadata(definition, lab),
      typedSearchAttributes: runSearchAttributes(definition, lab),
    });
    return handle.firstExecutionRunId;
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) throw alreadyRuns(config, definition, lab, workflowId);
    throw error;
  }
}

function alreadyRuns(
  config: TemporalConfig,
  definition: RunbookDefinition,
  lab: Lab,
  workflowId: string,
  state?: string,
): UserError {
  return new UserError(
    `runbook ${definition.name} already runs for lab ${lab.name}: ` +
      `${workflowId}${state ? ` (${state})` : ''}; one run per lab at a time, nothing was started`,
    ExitCode.FAILED,
    [
      `see it with \`runbook status ${workflowId}\`, or stop it with \`runbook cancel ${workflowId}\``,
      ...uiLines(config, workflowId),
    ],
  );
}

/** The Web UI link of a run, as lines to print (none when the UI is unknown). */
export function uiLines(config: TemporalConfig, workflowId: string): string[] {
  const url = workflowUiUrl(config, workflowId);
  return url ? [`Web UI: ${url}`] : [];
}
