/**
 * Runbook runs: list-runbooks, start (with --follow), status, list, resume, approve, cancel.
 * Each run is a Temporal workflow with id `<runbook>/<lab>`; a worker (`runbook worker`) executes it.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { Command, Option } from 'commander';
import pc from 'picocolors';
import { LabValidationError, formatIssue, loadLab } from '../../lab/load.js';
import type { Lab } from '../../lab/schema.js';
import { catalogue, findRunbook } from '../../runbooks/index.js';
import { type TemporalConfig, withClient, workflowUiUrl } from '../../temporal/connection.js';
import {
  type Run,
  cancelRun,
  currentState,
  findRun,
  hasLiveWorker,
  queryProgress,
  runState,
  sendUpdate,
  workerTookRun,
} from '../../temporal/runs.js';
import {
  FINAL_RUNBOOK_STATES,
  FINISHED_STEP_STATUSES,
  type RunbookInput,
  type RunbookProgress,
  type RunbookState,
  type StepProgress,
  TASK_QUEUE,
  approveUpdate,
  resumeUpdate,
  searchAttributeKeys,
  workflowIdFor,
} from '../../workflows/engine/api.js';
import { type RunbookDefinition, outlineRunbook } from '../../workflows/engine/definition.js';
import { itemPath } from '../../workflows/engine/steps.js';
import { ExitCode, UserError } from '../errors.js';
import { formatTable, printJson } from '../output.js';

/** `list --state` choices: the RunbookState search attribute's values (`paused`: every run that waits for a person). */
const RUN_STATES = ['running', 'paused', 'completed', 'failed', 'aborted', 'cancelled'] as const;
const FOLLOW_POLL_MS = 1_000;

// ---- shared with schedule.ts ---------------------------------------------------------------------

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

/**
 * Reads and validates a lab file (schema, cross-field rules, secret references); every issue names
 * its field and line. Relative `file:` references come back absolute.
 */
export async function readLab(file: string): Promise<Lab> {
  try {
    return await loadLab(file);
  } catch (error) {
    if (error instanceof LabValidationError) {
      throw new UserError(error.message, ExitCode.FAILED, [
        ...error.issues.map((issue) => formatIssue(issue, file)),
        'nothing was started or changed; fix the lab file and run again',
      ]);
    }
    throw error;
  }
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

/** `--option key=value` (repeatable): runbook-specific switches; `true`/`false` become booleans. */
export function optionOption(): Option {
  return new Option('--option <key=value>', 'runbook switch, repeatable (e.g. --option gate=true)')
    .argParser(collectOption)
    .default({});
}

function collectOption(value: string, previous: Record<string, string | boolean>): Record<string, string | boolean> {
  const match = /^([A-Za-z][\w-]*)=(.*)$/.exec(value);
  if (!match)
    throw new UserError(`--option takes key=value, not "${value}"`, ExitCode.USAGE, ['e.g. --option gate=true']);
  const [, key, raw] = match as unknown as [string, string, string];
  return { ...previous, [key]: raw === 'true' ? true : raw === 'false' ? false : raw };
}

/** The workflow input of a run: the lab (secret references only) and the switches, if any. */
export function runInput(lab: Lab, options: Record<string, string | boolean>): RunbookInput {
  return Object.keys(options).length === 0 ? { lab } : { lab, options };
}

/** A listing: JSON as is, or a table, or what to do when it is empty. */
export function printRows<T>(
  rows: T[],
  json: boolean | undefined,
  table: { head: string[]; row: (item: T) => Array<string | number>; empty: string },
): void {
  if (json) printJson(rows);
  else if (rows.length === 0) process.stdout.write(`${table.empty}\n`);
  else process.stdout.write(`${formatTable(table.head, rows.map(table.row))}\n`);
}

/**
 * Starts a run of `definition` for `lab`; a run already going under that id is refused with a message
 * that points at it. Returns the run id.
 */
export async function startRun(
  client: Client,
  config: TemporalConfig,
  run: { definition: RunbookDefinition; lab: Lab; input: RunbookInput; workflowId: string; taskQueue: string },
): Promise<string> {
  const { definition, lab, workflowId } = run;
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
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      throw new UserError(
        `runbook ${definition.name} already runs for lab ${lab.name}: ${workflowId}`,
        ExitCode.FAILED,
        [
          `see it with \`runbook status ${workflowId}\`, or stop it with \`runbook cancel ${workflowId}\``,
          ...uiLines(config, workflowId),
        ],
      );
    }
    throw error;
  }
}

export function jsonOption(): Option {
  return new Option('--json', 'print JSON instead of text');
}

// ---- commands ------------------------------------------------------------------------------------

export function registerRunbookCommands(program: Command): void {
  program
    .command('list-runbooks')
    .description('list the runbooks this version knows, with their steps')
    .addOption(jsonOption())
    .addHelpText('after', '\nExamples:\n  runbook list-runbooks\n  runbook list-runbooks --json')
    .action((options: { json?: boolean }) => {
      const definitions = Object.values(catalogue);
      if (options.json) {
        printJson(definitions.map(outlineRunbook));
        return;
      }
      process.stdout.write(
        `${formatTable(
          ['RUNBOOK', 'STEPS', 'TITLE'],
          definitions.map((d) => [d.name, d.steps.length, d.title]),
        )}\n`,
      );
    });

  program
    .command('start')
    .description('start a runbook for a lab (the lab file is validated first)')
    .argument('<runbook>', 'runbook name (see `runbook list-runbooks`)')
    .requiredOption('--lab <file>', 'lab file (YAML)')
    .option('--follow', 'show progress until the run ends or pauses')
    .option('--id <workflowId>', 'workflow id (default <runbook>/<lab name>)')
    .option('--task-queue <name>', 'task queue of the workers', TASK_QUEUE)
    .addOption(optionOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
Examples:
  runbook start preflight --lab runbooks/labs/example.yaml
  runbook start selftest --lab runbooks/labs/example.yaml --follow
  runbook start selftest --lab runbooks/labs/example.yaml --option gate=true

With --follow the command ends with exit 0 when the run completes, ${ExitCode.PAUSED} when it pauses for an
operator (see \`runbook status\`), ${ExitCode.FAILED} when it fails or is cancelled; with --json it prints one JSON
object per line (step transitions, then the end).
Starting a runbook for a lab while one runs is refused (exit ${ExitCode.FAILED}) and names the running one.`,
    )
    .action(
      async (
        name: string,
        options: {
          lab: string;
          follow?: boolean;
          id?: string;
          taskQueue: string;
          option: Record<string, string | boolean>;
          json?: boolean;
        },
      ) => {
        const definition = requireRunbook(name);
        const lab = await readLab(options.lab);
        const workflowId = options.id ?? workflowIdFor(definition.name, lab.name);
        await withClient(async (client, config) => {
          const input = runInput(lab, options.option);
          const runId = await startRun(client, config, {
            definition,
            lab,
            input,
            workflowId,
            taskQueue: options.taskQueue,
          });
          const workerUp = await workerTookRun(client, options.taskQueue, client.workflow.getHandle(workflowId, runId));
          if (options.json && !options.follow) {
            printJson({
              workflowId,
              runId,
              runbook: definition.name,
              lab: lab.name,
              taskQueue: options.taskQueue,
              workerRunning: workerUp,
              uiUrl: workflowUiUrl(config, workflowId) ?? null,
            });
            return;
          }
          if (!options.json) {
            process.stdout.write(`started ${workflowId} (${definition.title}, lab ${lab.name})\n`);
            for (const line of uiLines(config, workflowId)) process.stdout.write(`  ${line}\n`);
            if (!workerUp) {
              process.stderr.write(
                `warning: no worker is running for task queue ${options.taskQueue}; the run waits until you start one with \`runbook worker\`\n`,
              );
            }
            if (!options.follow) process.stdout.write(`  follow it with \`runbook status ${workflowId}\`\n`);
          }
          if (options.follow) process.exitCode = await follow(client, workflowId, Boolean(options.json));
        });
      },
    );

  program
    .command('status')
    .description('show the steps of a run, its state, and what to do when it is paused')
    .argument('<id>', 'workflow id, e.g. preflight/intra')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
Examples:
  runbook status preflight/intra
  runbook status preflight/intra --json

Exit code: 0 running or completed, ${ExitCode.PAUSED} paused or waiting for approval, ${ExitCode.FAILED} failed, aborted or
cancelled, ${ExitCode.UNAVAILABLE} no worker answers for the open run, ${ExitCode.NOT_FOUND} no such run.`,
    )
    .action(async (id: string, options: { json?: boolean }) => {
      await withClient(async (client, config) => {
        const run = await findRun(client, id);
        const progress = await queryProgress(client, run);
        const state = currentState(run, progress);
        if (options.json) {
          printJson({
            workflowId: id,
            runId: run.description.runId,
            status: run.status,
            state,
            runbook: run.runbook ?? null,
            lab: run.lab ?? null,
            currentStep: progress?.currentStep ?? run.step ?? null,
            progress: progress ?? null,
            uiUrl: workflowUiUrl(config, id) ?? null,
          });
        } else {
          process.stdout.write(renderStatus(run, state, progress, config));
        }
        // An open run that no worker answers for is stuck until one starts, whatever its last state.
        process.exitCode = run.open && !progress ? ExitCode.UNAVAILABLE : exitCodeFor(state);
      });
    });

  program
    .command('list')
    .description('list runs, newest first, filtered by state, runbook or lab')
    .addOption(new Option('--state <state>', 'only runs in this state').choices(RUN_STATES))
    .option('--runbook <name>', 'only runs of this runbook')
    .option('--lab <name>', 'only runs for this lab (the lab name, not the file)')
    .option('--limit <n>', 'at most this many runs', parsePositive, 50)
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nExamples:\n  runbook list\n  runbook list --state paused\n  runbook list --runbook install --lab intra --json',
    )
    .action(async (options: { state?: string; runbook?: string; lab?: string; limit: number; json?: boolean }) => {
      await withClient(async (client) => {
        printRows(await listRuns(client, options), options.json, {
          head: ['ID', 'RUNBOOK', 'LAB', 'STATE', 'STEP', 'STARTED'],
          row: (r) => [r.workflowId, r.runbook ?? '', r.lab ?? '', colorState(r.state), r.step ?? '', r.startTime],
          empty: 'no runs match (start one with `runbook start <runbook> --lab <file>`)',
        });
      });
    });

  program
    .command('resume')
    .description('resume a paused run: retry the failed step (default), skip it, or abort the run')
    .argument('<id>', 'workflow id, e.g. preflight/intra')
    .addOption(new Option('--skip', 'mark the failed step skipped and go on').conflicts(['abort', 'lab']))
    .addOption(new Option('--abort', 'end the run as failed').conflicts(['skip', 'lab']))
    .option('--lab <file>', 'a corrected lab file, used from the retried step on (validated first)')
    .option('--reason <text>', 'why, recorded in the run')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
Examples:
  runbook resume preflight/intra                          # retry the failed step
  runbook resume preflight/intra --lab fixed-lab.yaml     # retry with a corrected lab
  runbook resume preflight/intra --skip --reason "done by hand"
  runbook resume preflight/intra --abort

Needs a running worker (\`runbook worker\`); without one it exits with ${ExitCode.UNAVAILABLE}.`,
    )
    .action(
      async (
        id: string,
        options: { skip?: boolean; abort?: boolean; lab?: string; reason?: string; json?: boolean },
      ) => {
        const lab = options.lab === undefined ? undefined : await readLab(options.lab);
        await withClient(async (client) => {
          const run = await findRun(client, id);
          if (lab && run.lab !== undefined && lab.name !== run.lab) {
            throw new UserError(
              `the lab file is for lab ${lab.name}, but run ${id} is for lab ${run.lab}`,
              ExitCode.USAGE,
              [`pass the corrected file of lab ${run.lab}`],
            );
          }
          const action = options.skip ? 'skip' : options.abort ? 'abort' : 'retry';
          const result = await sendUpdate(client, run, resumeUpdate, [
            { action, ...(lab && { lab }), ...(options.reason !== undefined && { reason: options.reason }) },
          ]);
          if (options.json) printJson({ workflowId: id, ...result });
          else {
            const verb = { retry: 'resumed at step', skip: 'skipped step', abort: 'aborted at step' }[result.action];
            process.stdout.write(`${verb} ${result.stepId}${result.message ? `: ${result.message}` : ''}\n`);
            if (result.action !== 'abort') process.stdout.write(`  follow it with \`runbook status ${id}\`\n`);
          }
        });
      },
    );

  program
    .command('approve')
    .description('approve the gate a run waits at')
    .argument('<id>', 'workflow id, e.g. preflight/intra')
    .option('--step <path>', 'the gate to approve (refused when the run waits at another one)')
    .option('--note <text>', 'recorded with the approval')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nExamples:\n  runbook approve preflight/intra\n  runbook approve preflight/intra --step cluster.approve-csrs --note "checked the CSRs"',
    )
    .action(async (id: string, options: { step?: string; note?: string; json?: boolean }) => {
      await withClient(async (client) => {
        const run = await findRun(client, id);
        const result = await sendUpdate(client, run, approveUpdate, [
          {
            ...(options.step !== undefined && { stepId: options.step }),
            ...(options.note !== undefined && { note: options.note }),
          },
        ]);
        if (options.json) printJson({ workflowId: id, ...result });
        else process.stdout.write(`approved ${result.stepId}${result.message ? `: ${result.message}` : ''}\n`);
      });
    });

  program
    .command('cancel')
    .description('cancel a run: the current step is stopped and the run ends as cancelled')
    .argument('<id>', 'workflow id, e.g. preflight/intra')
    .addOption(jsonOption())
    .addHelpText('after', '\nExamples:\n  runbook cancel preflight/intra')
    .action(async (id: string, options: { json?: boolean }) => {
      await withClient(async (client) => {
        const run = await findRun(client, id);
        if (!run.open) {
          throw new UserError(
            `run ${id} is not running (${runState(run.status, run.state)}); nothing to cancel`,
            ExitCode.FAILED,
            [`see it with \`runbook status ${id}\``],
          );
        }
        if ((await cancelRun(client, run)) === 'terminated') {
          if (options.json) printJson({ workflowId: id, terminated: true });
          else
            process.stdout.write(
              `terminated ${id}: its runbook changed since it started, so no worker could stop it\n`,
            );
          return;
        }
        const workerUp = await hasLiveWorker(client, run.description.taskQueue);
        if (options.json) printJson({ workflowId: id, cancelRequested: true, workerRunning: workerUp });
        else process.stdout.write(`cancel requested for ${id}; \`runbook status ${id}\` shows when it has stopped\n`);
        if (!workerUp) {
          process.stderr.write(
            `note: no worker is running for task queue ${run.description.taskQueue}; the run stops once one starts (\`runbook worker\`)\n`,
          );
        }
      });
    });
}

// ---- helpers -------------------------------------------------------------------------------------

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new UserError(`--limit must be a positive whole number, not "${value}"`, ExitCode.USAGE);
  return n;
}

function uiLines(config: TemporalConfig, workflowId: string): string[] {
  const url = workflowUiUrl(config, workflowId);
  return url ? [`Web UI: ${url}`] : [];
}

function exitCodeFor(state: string): ExitCode {
  if (state === 'paused' || state === 'waiting-approval') return ExitCode.PAUSED;
  if (['failed', 'aborted', 'cancelled', 'terminated', 'timed-out'].includes(state)) return ExitCode.FAILED;
  return ExitCode.OK;
}

function colorState(state: string): string {
  if (state === 'completed') return pc.green(state);
  if (state === 'paused' || state === 'waiting-approval') return pc.yellow(state);
  if (state === 'running') return pc.cyan(state);
  return pc.red(state);
}

function colorStatus(status: string): string {
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
function flattenSteps(
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

function oneLine(text: string | undefined, max = 80): string {
  if (!text) return '';
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The commands an operator types to get a paused run going again. */
function resumeHints(id: string, progress: RunbookProgress | undefined): string[] {
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

function renderStatus(run: Run, state: string, progress: RunbookProgress | undefined, config: TemporalConfig): string {
  const id = run.handle.workflowId;
  const lines: string[] = [];
  lines.push(
    `${pc.bold(id)}  ${run.runbook ?? progress?.runbook ?? ''} on lab ${run.lab ?? progress?.lab ?? '?'}: ${colorState(state)}`,
  );
  const step = progress?.currentStep ?? run.step;
  if (step && run.open) lines.push(`current step: ${step}`);
  if (progress) {
    const rows = flattenSteps(progress.steps).map((s) => [
      s.path,
      oneLine(s.title, 40),
      colorStatus(s.status),
      s.attempts,
      oneLine(s.message),
    ]);
    lines.push('', formatTable(['STEP', 'TITLE', 'STATUS', 'ATTEMPTS', 'LAST MESSAGE'], rows));
  } else {
    lines.push(
      '',
      run.open
        ? `no worker answered for task queue ${run.description.taskQueue} (none runs, or the last one stopped): start one with \`runbook worker\` to see the steps and let the run go on`
        : 'step details need a running worker (it replays the finished run): start one with `runbook worker`',
    );
  }
  if (progress?.error && (state === 'paused' || state === 'failed')) {
    lines.push('', `${pc.red('error')} in ${progress.error.stepId}: ${progress.error.message}`);
  }
  if (state === 'paused' || state === 'waiting-approval') {
    lines.push('', state === 'paused' ? 'The run is paused. Next:' : 'The run waits for an approval. Next:');
    lines.push(...resumeHints(id, progress).map((line) => `  ${line}`));
  }
  const url = workflowUiUrl(config, id);
  lines.push('', url ? `Web UI: ${url}` : 'Web UI: set TEMPORAL_UI_URL to show a link');
  return `${lines.join('\n')}\n`;
}

interface RunRow {
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

async function listRuns(
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

/**
 * Polls a run's progress and prints one line per step transition until the run ends or pauses.
 * Returns the exit code: OK completed, PAUSED paused / waiting for approval, FAILED otherwise.
 */
export async function follow(
  client: Client,
  workflowId: string,
  json: boolean,
  /** Keep following through pauses (printing the resume hints once per pause) until the run ends. */
  throughPauses = false,
): Promise<ExitCode> {
  const seen = new Map<string, string>();
  let hintedAt: string | undefined;
  let waitingNoted = false;
  const emit = (event: Record<string, unknown>, text: string) => {
    if (json) process.stdout.write(`${JSON.stringify(event)}\n`);
    else process.stdout.write(`${text}\n`);
  };
  for (;;) {
    const run = await findRun(client, workflowId);
    const progress = await queryProgress(client, run);
    if (progress) {
      for (const step of flattenSteps(progress.steps, '', true)) {
        const key = `${step.status}/${step.attempts}`;
        if (seen.get(step.path) === key || (step.status === 'pending' && !seen.has(step.path))) continue;
        seen.set(step.path, key);
        const time = new Date().toISOString().slice(11, 19);
        const retry = step.attempts > 1 ? ` (attempt ${step.attempts})` : '';
        emit(
          {
            event: 'step',
            step: step.path,
            status: step.status,
            attempts: step.attempts,
            message: step.message ?? null,
          },
          `${time}  ${colorStatus(step.status.padEnd(16))} ${step.path}  ${oneLine(step.title, 50)}${retry}${step.message ? `: ${oneLine(step.message)}` : ''}`,
        );
      }
    } else if (!waitingNoted && run.open) {
      waitingNoted = true;
      process.stderr.write(
        `waiting for a worker on task queue ${run.description.taskQueue} (start one with \`runbook worker\`)\n`,
      );
    }
    const state = currentState(run, progress);
    const waiting = state === 'paused' || state === 'waiting-approval';
    if (waiting && throughPauses) {
      // One hint per pause: the step that waits names it.
      const at = `${state}@${progress?.currentStep ?? ''}`;
      if (hintedAt !== at) {
        hintedAt = at;
        emit(
          { event: state, workflowId, error: progress?.error ?? null },
          `${workflowId}: ${colorState(state)}${progress?.error ? ` at ${progress.error.stepId}: ${oneLine(progress.error.message, 200)}` : ''}`,
        );
        if (!json) for (const line of resumeHints(workflowId, progress)) process.stdout.write(`  ${line}\n`);
      }
    } else if (state !== 'running') {
      emit(
        { event: 'end', workflowId, state, error: progress?.error ?? null },
        `${workflowId}: ${colorState(state)}${progress?.error && state !== 'completed' ? ` at ${progress.error.stepId}: ${oneLine(progress.error.message, 200)}` : ''}`,
      );
      if (!json && waiting) {
        for (const line of resumeHints(workflowId, progress)) process.stdout.write(`  ${line}\n`);
      }
      return exitCodeFor(state);
    } else {
      hintedAt = undefined;
    }
    await delay(FOLLOW_POLL_MS);
  }
}
