/**
 * `runbook plan <runbook> --lab lab.yaml`: what a run would change, step by step, before it changes
 * anything; `runbook rehearse <runbook> --lab lab.yaml --plan` does the same against a simulated lab.
 *
 * A plan runs here, in the CLI process, not as a workflow: it writes nothing, so it has nothing to
 * resume, retry or keep in a history, and it needs neither a Temporal server nor a worker. Running it
 * here also keeps it read-only by construction: this process never builds the worker's registry
 * (activities/index.ts, with the apply halves), only the plan registry (activities/plan-registry.ts).
 * Like a worker started with `--lab`, it must run where the lab is reached: the helper hosts over SSH,
 * the BMCs or hypervisors, the install folder (and its kubeconfig) and the secret references.
 */
import { createWriteStream } from 'node:fs';
import type { Command } from 'commander';
import type { Lab } from '../../lab/schema.js';
import type { Fault } from '../../simulator/faults.js';
import type { RehearsalInput } from '../../workflows/engine/api.js';
import type { RunbookDefinition } from '../../workflows/engine/definition.js';
import { planRunbook, type PlannedStepReport, type RunbookPlanReport } from '../../activities/support/plan-walk.js';
import { readLab } from '../lab-file.js';
import { jsonOption, optionOption } from '../options.js';
import { printJson } from '../output.js';
import { requireRunbook } from '../runs/start.js';

interface PlanOptions {
  lab: string;
  option: Record<string, string | boolean>;
  json?: boolean;
}

const STATUS_WIDTH = 'unchanged'.length;

const indent = (text: string, by: string) =>
  text
    .split('\n')
    .map((line) => `${by}${line}`)
    .join('\n');

/** One step of a plan as the terminal shows it: status, path, detail, then each change and its diff. */
export function formatPlannedStep(step: PlannedStepReport): string {
  const lines = [`${step.status.padEnd(STATUS_WIDTH)}  ${step.path}: ${step.detail}`];
  for (const change of step.changes ?? []) {
    lines.push(`    ${change.action} ${change.target}`);
    if (change.diff) lines.push(indent(change.diff.replace(/\n$/, ''), '      '));
  }
  return lines.join('\n');
}

export function formatPlanSummary(plan: RunbookPlanReport): string {
  const { change, unchanged, unknown, wait, skipped } = plan.counts;
  return (
    `plan of ${plan.runbook} on ${plan.against === 'simulated' ? 'the simulated ' : ''}lab ${plan.lab}: ` +
    `${change} to change, ${unchanged} unchanged, ${unknown} unknown, ${wait} waits, ${skipped} skipped; nothing was changed`
  );
}

/** Plans `definition` and prints it: each step as it is known, or the whole plan as JSON at the end. */
export async function printPlan(run: {
  definition: RunbookDefinition;
  lab: Lab;
  options: Record<string, string | boolean>;
  rehearsal?: RehearsalInput;
  json: boolean;
}): Promise<RunbookPlanReport> {
  const plan = await planRunbook({
    definition: run.definition,
    lab: run.lab,
    ...(Object.keys(run.options).length > 0 && { options: run.options }),
    ...(run.rehearsal && { rehearsal: run.rehearsal }),
    ...(!run.json && { onStep: (step: PlannedStepReport) => process.stdout.write(`${formatPlannedStep(step)}\n`) }),
  });
  if (run.json) printJson(plan);
  else process.stdout.write(`${formatPlanSummary(plan)}\n`);
  return plan;
}

/**
 * `rehearse --plan`: starts the simulated lab in the state the rehearsal would, plans against it,
 * and stops it. No Temporal server and no worker are started.
 */
export async function rehearsePlan(run: {
  definition: RunbookDefinition;
  lab: Lab;
  from: 'bare' | 'installed';
  simDir: string;
  logFile: string;
  timeScale: number;
  faults: readonly Fault[];
  options: Record<string, string | boolean>;
  json: boolean;
}): Promise<void> {
  const { startSimulatedLab, streamLog } = await import('../../simulator/lab-sim.js');
  const log = createWriteStream(run.logFile, { flags: 'a' });
  try {
    if (!run.json) process.stderr.write(`starting the simulated lab ${run.lab.name} (${run.from}) in ${run.simDir}\n`);
    const sim = await startSimulatedLab({
      lab: run.lab,
      stateDir: run.simDir,
      from: run.from,
      timeScale: run.timeScale,
      faults: run.faults,
      log: streamLog(log),
    });
    try {
      await printPlan({ ...run, rehearsal: { endpointsFile: sim.endpointsPath, kubeconfig: sim.kubeconfigPath } });
    } finally {
      await sim.stop();
    }
  } finally {
    await new Promise((resolve) => log.end(resolve));
  }
}

export function registerPlanCommands(program: Command): void {
  program
    .command('plan')
    .description('say what a run of a runbook would change, step by step, without changing anything')
    .argument('<runbook>', 'runbook name (see `runbook list-runbooks`)')
    .requiredOption('--lab <file>', 'lab file (YAML)')
    .addOption(optionOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
Examples:
  runbook plan install --lab lab.yaml
  runbook plan infra-nodes --lab lab.yaml --json
  runbook rehearse install --lab runbooks/labs/example.yaml --plan     # against a simulated lab

Each step is one of: change (with a unified diff per file, a field-level diff per object, secrets masked,
or the power action), unchanged, unknown (with why: an earlier step has to run first, or the step cannot
plan), wait (a wait or gate, with what it waits for) or skipped. For-each steps are planned per item.
The plan only reads: no file is written, no API object changed, no node switched, no openshift-install run.
It runs here, not on a worker: run it where the lab is reached (SSH, BMCs, the install folder, secrets).`,
    )
    .action(async (name: string, options: PlanOptions) => {
      const definition = requireRunbook(name);
      const lab = await readLab(options.lab);
      await printPlan({ definition, lab, options: options.option, json: Boolean(options.json) });
    });
}
