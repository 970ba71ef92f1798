/**
 * Runbook runs: list-runbooks, start (with --follow), status, list, resume, approve, cancel.
 * Each run is a Temporal workflow with id `<runbook>/<lab>`; a worker (`runbook worker`) executes it.
 */
import { Option, type Command } from 'commander';
import { catalogue } from '../../runbooks/index.js';
import { withClient, workflowUiUrl } from '../../temporal/connection.js';
import {
  cancelRun,
  currentState,
  findRun,
  hasLiveWorker,
  labWorkerMissing,
  queryProgress,
  runState,
  sendUpdate,
  workerTookRun,
} from '../../temporal/runs.js';
import { TASK_QUEUE, approveUpdate, resumeUpdate, workflowIdFor } from '../../workflows/engine/api.js';
import { outlineRunbook } from '../../workflows/engine/definition.js';
import { formatOutline } from '../runs/outline.js';
import { ExitCode, UserError } from '../errors.js';
import { readLab } from '../lab-file.js';
import { jsonOption, optionOption } from '../options.js';
import { printJson, printRows } from '../output.js';
import { colorState, exitCodeFor, renderStatus } from '../runs/display.js';
import { follow } from '../runs/follow.js';
import { listRuns, RUN_STATES } from '../runs/list.js';
import { requireRunbook, runInput, startRun, uiLines } from '../runs/start.js';
import { skipEvidence } from '../runs/skip-check.js';

export function registerRunbookCommands(program: Command): void {
  program
    .command('list-runbooks')
    .description('list the runbooks this version knows, with their steps')
    .argument('[runbook]', 'only this runbook')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nExamples:\n  runbook list-runbooks\n  runbook list-runbooks install\n  runbook list-runbooks --json',
    )
    .action((name: string | undefined, options: { json?: boolean }) => {
      const definitions = name === undefined ? Object.values(catalogue) : [requireRunbook(name)];
      const outlines = definitions.map(outlineRunbook);
      if (options.json) printJson(outlines);
      else process.stdout.write(outlines.map(formatOutline).join('\n'));
    });

  program
    .command('start')
    .description('start a runbook for a lab (the lab file is validated first)')
    .argument('<runbook>', 'runbook name (see `runbook list-runbooks`)')
    .requiredOption('--lab <file>', 'lab file (YAML)')
    .option('--follow', 'show progress until the run ends or pauses')
    .option(
      '--id <workflowId>',
      'workflow id (default <runbook>/<lab name>); a run under an id of your own is not held to one run per lab',
    )
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
One run of a runbook per lab at a time: starting a runbook for a lab while a run of it is open for that lab (started
by hand or by a schedule, running or paused) is refused (exit ${ExitCode.FAILED}) and names the open run.`,
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
            exclusive: options.id === undefined,
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
                `warning: no worker is running for task queue ${options.taskQueue}; the run waits until you ` +
                  `start one with \`runbook worker\`\n`,
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
        const unserved = await labWorkerMissing(client, run, progress);
        if (unserved) process.stderr.write(`note: ${unserved}\n`);
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
    .description(
      'resume a paused run: retry the failed step (default), skip it, abort the run, or rewind it to an earlier step',
    )
    .argument('<id>', 'workflow id, e.g. preflight/intra')
    .addOption(new Option('--skip', 'mark the failed step skipped and go on').conflicts(['abort', 'lab', 'from']))
    .addOption(new Option('--abort', 'end the run as failed').conflicts(['skip', 'lab', 'from']))
    .option(
      '--from <step>',
      'run this completed earlier step again, and every step after it (a for-each sub-step with ' +
        'its item path, e.g. nodes[master1].power-on); also at a gate',
    )
    .option('--lab <file>', 'a corrected lab file, used from the retried step on (validated first)')
    .option('--reason <text>', 'why, recorded in the run')
    .option('--no-check', "with --skip: skip blind, without running the step's check first (recorded so)")
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
Examples:
  runbook resume preflight/intra                          # retry the failed step
  runbook resume preflight/intra --lab fixed-lab.yaml     # retry with a corrected lab
  runbook resume preflight/intra --skip --reason "done by hand"   # records whether its check passes now
  runbook resume preflight/intra --skip --no-check        # skip blind (no lab reached from here)
  runbook resume preflight/intra --abort
  runbook resume install/intra --from openshift-install.config   # rewind: that step and all after it again

Needs a running worker (\`runbook worker\`); without one it exits with ${ExitCode.UNAVAILABLE}.`,
    )
    .action(
      async (
        id: string,
        options: {
          skip?: boolean;
          abort?: boolean;
          lab?: string;
          reason?: string;
          from?: string;
          check?: boolean;
          json?: boolean;
        },
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
          // Skip with evidence: the step's check half, run here, says whether its state is there now.
          const paused = options.skip ? (await queryProgress(client, run))?.error?.stepId : undefined;
          const evidence =
            !options.skip || paused === undefined || run.runbook === undefined
              ? undefined
              : options.check === false
                ? 'skipped blind (--no-check)'
                : await skipEvidence(client, {
                    workflowId: run.handle.workflowId,
                    definition: requireRunbook(run.runbook),
                    stepPath: paused,
                  });
          const reason = [evidence, options.reason].filter((part) => part !== undefined).join('; ');
          const result = await sendUpdate(client, run, resumeUpdate, [
            {
              action,
              ...(lab && { lab }),
              ...(reason !== '' && { reason }),
              ...(options.from !== undefined && { from: options.from }),
            },
          ]);
          if (options.json) printJson({ workflowId: id, ...result });
          else {
            const verb =
              options.from !== undefined
                ? 'rewound to step'
                : { retry: 'resumed at step', skip: 'skipped step', abort: 'aborted at step' }[result.action];
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
      '\nExamples:\n  runbook approve preflight/intra\n  runbook approve preflight/intra --step ' +
        'cluster.approve-csrs --note "checked the CSRs"',
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

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new UserError(`--limit must be a positive whole number, not "${value}"`, ExitCode.USAGE);
  return n;
}
