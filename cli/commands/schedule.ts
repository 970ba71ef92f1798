/**
 * `runbook schedule …`: runbooks on a timetable (nightly lab rebuilds) over Temporal Schedules.
 * The lab file is validated when the schedule is created, and read and validated again by each run
 * when it starts (its first step, `lab.load`), so an edit applies to the next night. A run's id is
 * `<runbook>/<lab>/<schedule>-<night>`; `runbook status|resume|cancel <runbook>/<lab>` find it while it
 * is the lab's one open run of that runbook. `schedule list` shows a run still open from an earlier
 * night (paused since when, at which step) and how many nights the schedule skipped for it.
 */
import {
  type Client,
  ScheduleAlreadyRunning,
  type ScheduleDescription,
  type ScheduleHandle,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type ScheduleSummary,
} from '@temporalio/client';
import path from 'node:path';
import { msToTs, tsToMs } from '@temporalio/common/lib/time.js';
import { type Command, Option } from 'commander';
import { withClient } from '../../temporal/connection.js';
import { findRun, queryProgress } from '../../temporal/runs.js';
import { TASK_QUEUE, type RunbookInput, workflowIdFor } from '../../workflows/engine/api.js';
import { ExitCode, UserError } from '../errors.js';
import { readLab } from '../lab-file.js';
import { jsonOption, optionOption } from '../options.js';
import { printJson, printRows } from '../output.js';
import { requireRunbook, runInput, runMetadata, runSearchAttributes } from '../runs/start.js';

/** `--overlap` spellings → Temporal's policies: what happens when a run is due while the last one still runs. */
const OVERLAP = {
  skip: ScheduleOverlapPolicy.SKIP,
  'buffer-one': ScheduleOverlapPolicy.BUFFER_ONE,
  'buffer-all': ScheduleOverlapPolicy.BUFFER_ALL,
  'cancel-other': ScheduleOverlapPolicy.CANCEL_OTHER,
  'terminate-other': ScheduleOverlapPolicy.TERMINATE_OTHER,
  'allow-all': ScheduleOverlapPolicy.ALLOW_ALL,
} as const;
type OverlapName = keyof typeof OVERLAP;

/** What the schedule remembers for `schedule list` (the server keeps cron specs as calendars). */
interface ScheduleMemo {
  runbook: string;
  lab: string;
  cron: string;
  timezone?: string;
}

interface CreateOptions {
  runbook: string;
  lab: string;
  cron: string;
  timezone?: string;
  overlap: OverlapName;
  catchupWindow: string;
  pauseOnFailure?: boolean;
  paused?: boolean;
  note?: string;
  taskQueue: string;
  option: Record<string, string | boolean>;
  json?: boolean;
}

function notFound(name: string): UserError {
  return new UserError(`there is no schedule called "${name}"`, ExitCode.NOT_FOUND, [
    'see the schedules with `runbook schedule list`',
  ]);
}

/** Runs `fn` on an existing schedule; a missing one is NOT_FOUND. */
async function onSchedule<T>(name: string, fn: (handle: ScheduleHandle, client: Client) => Promise<T>): Promise<T> {
  return withClient(async (client) => {
    try {
      return await fn(client.schedule.getHandle(name), client);
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) throw notFound(name);
      throw error;
    }
  });
}

function isTimezone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export function registerScheduleCommands(program: Command): void {
  const schedule = program
    .command('schedule')
    .description('run runbooks on a timetable (Temporal Schedules): create, list, pause, unpause, trigger, delete')
    .addHelpText(
      'after',
      `
Examples:
  runbook schedule create nightly-selftest --runbook selftest --lab runbooks/labs/example.yaml --cron "0 2 * * *" --timezone Europe/Paris
  runbook schedule list
  runbook schedule trigger nightly-selftest
  runbook schedule pause nightly-selftest --note "lab maintenance"`,
    );

  schedule
    .command('create')
    .description('create a schedule that starts a runbook for a lab (the lab file is validated and embedded now)')
    .argument('<name>', 'schedule name, e.g. nightly-install')
    .requiredOption('--runbook <name>', 'runbook to start (see `runbook list-runbooks`)')
    .requiredOption('--lab <file>', 'lab file (YAML)')
    .requiredOption('--cron <expression>', 'cron expression: minute hour day-of-month month day-of-week')
    .option('--timezone <zone>', 'IANA time zone of the cron expression (default UTC)')
    .addOption(
      new Option('--overlap <policy>', 'when a run is due while the previous one still runs')
        .choices(Object.keys(OVERLAP))
        .default('skip'),
    )
    .option('--catchup-window <duration>', 'after a server outage, still start runs missed by at most this long', '1h')
    .option('--pause-on-failure', 'pause the schedule when a run fails')
    .option('--paused', 'create it paused (start it with `schedule unpause`)')
    .option('--note <text>', 'note shown with the schedule')
    .option('--task-queue <name>', 'task queue of the workers', TASK_QUEUE)
    .addOption(optionOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
Examples:
  runbook schedule create nightly-selftest --runbook selftest --lab runbooks/labs/example.yaml --cron "0 2 * * *"
  runbook schedule create weekly-preflight --runbook preflight --lab lab.yaml --cron "30 6 * * 1" \\
    --timezone America/New_York --pause-on-failure

Overlap "skip" (default) starts nothing while the previous run still runs (a paused run counts as running);
\`schedule list\` shows the open run and the nights skipped. Whatever the policy, one run of a runbook per lab
runs at a time: a run that finds another one open for its lab (started by hand, or by another schedule) stops
at its first step, lab.load, having touched nothing.
The lab file is validated now, and read again by each run when it starts (on the worker, at this absolute path):
edits apply to the next run; an invalid lab pauses that run's first step with every finding.`,
    )
    .action(async (name: string, options: CreateOptions) => {
      const definition = requireRunbook(options.runbook);
      if (options.timezone !== undefined && !isTimezone(options.timezone)) {
        throw new UserError(`--timezone "${options.timezone}" is not an IANA time zone`, ExitCode.USAGE, [
          'e.g. --timezone Europe/Paris or --timezone UTC',
        ]);
      }
      const lab = await readLab(options.lab);
      const memo: ScheduleMemo = {
        runbook: definition.name,
        lab: lab.name,
        cron: options.cron,
        ...(options.timezone && { timezone: options.timezone }),
      };
      await withClient(async (client) => {
        try {
          await client.schedule.create({
            scheduleId: name,
            spec: { cronExpressions: [options.cron], ...(options.timezone && { timezone: options.timezone }) },
            action: {
              type: 'startWorkflow',
              workflowType: definition.name,
              // The server appends the scheduled time to this id, so every run of the schedule has its own.
              workflowId: `${workflowIdFor(definition.name, lab.name)}/${name}`,
              taskQueue: options.taskQueue,
              args: [{ ...runInput(lab, options.option), labFile: path.resolve(options.lab) } satisfies RunbookInput],
              ...runMetadata(definition, lab),
              typedSearchAttributes: runSearchAttributes(definition, lab),
            },
            policies: {
              overlap: OVERLAP[options.overlap],
              catchupWindow: options.catchupWindow,
              pauseOnFailure: Boolean(options.pauseOnFailure),
            },
            state: { paused: Boolean(options.paused), ...(options.note !== undefined && { note: options.note }) },
            memo: memo as unknown as Record<string, unknown>,
          });
        } catch (error) {
          if (error instanceof ScheduleAlreadyRunning) {
            throw new UserError(`a schedule called "${name}" already exists`, ExitCode.FAILED, [
              `pick another name, or replace it: runbook schedule delete ${name}, then create it again`,
            ]);
          }
          const message = (error as Error).message;
          if (/cron|spec|invalid/i.test(message)) {
            throw new UserError(`the server refused the schedule: ${message}`, ExitCode.USAGE, [
              'check --cron (five fields: minute hour day-of-month month day-of-week, e.g. "0 2 * * *") and --catchup-window (e.g. 1h)',
            ]);
          }
          throw error;
        }
        const description = await client.schedule.getHandle(name).describe();
        const next = description.info.nextActionTimes[0]?.toISOString() ?? null;
        if (options.json)
          printJson({ name, ...memo, overlap: options.overlap, paused: Boolean(options.paused), nextRun: next });
        else {
          process.stdout.write(
            `created schedule ${name}: ${definition.name} for lab ${lab.name}, ` +
              `"${options.cron}"${options.timezone ? ` (${options.timezone})` : ' (UTC)'}\n`,
          );
          process.stdout.write(
            `  next run: ${options.paused ? 'none while paused' : (next ?? 'none')}; start one now with ` +
              `\`runbook schedule trigger ${name}\`\n`,
          );
        }
      });
    });

  schedule
    .command('list')
    .description('list the schedules with their runbook, lab, timetable and next run')
    .addOption(jsonOption())
    .addHelpText('after', '\nExamples:\n  runbook schedule list\n  runbook schedule list --json')
    .action(async (options: { json?: boolean }) => {
      await withClient(async (client) => {
        const rows: ScheduleRow[] = [];
        for await (const summary of client.schedule.list()) {
          const description = await client.schedule
            .getHandle(summary.scheduleId)
            .describe()
            .catch((error: unknown) => {
              if (error instanceof ScheduleNotFoundError) return undefined; // deleted meanwhile
              throw error;
            });
          if (description) rows.push({ ...scheduleRow(summary), ...(await openRunOf(client, description)) });
        }
        rows.sort((a, b) => a.name.localeCompare(b.name));
        printRows(rows, options.json, {
          head: ['NAME', 'RUNBOOK', 'LAB', 'CRON', 'STATE', 'NEXT RUN', 'OPEN RUN', 'SKIPPED'],
          row: (r) => [
            r.name,
            r.runbook ?? '',
            r.lab ?? '',
            `${r.cron ?? ''}${r.timezone ? ` ${r.timezone}` : ''}`,
            r.paused ? 'paused' : 'active',
            r.nextRun ?? '',
            r.openRun ? describeOpenRun(r.openRun) : r.lastRun ? `none (last ${r.lastRun.workflowId})` : 'none',
            String(r.skipped),
          ],
          empty: 'no schedules (create one with `runbook schedule create`)',
        });
      });
    });

  for (const paused of [true, false]) {
    const verb = paused ? 'pause' : 'unpause';
    schedule
      .command(verb)
      .description(paused ? 'pause a schedule: it starts no runs until unpaused' : 'unpause a schedule')
      .argument('<name>', 'schedule name')
      .option('--note <text>', 'why, shown with the schedule')
      .addOption(jsonOption())
      .addHelpText(
        'after',
        `\nExamples:\n  runbook schedule ${verb} nightly-install${paused ? ' --note "lab maintenance"' : ''}`,
      )
      .action(async (name: string, options: { note?: string; json?: boolean }) => {
        await onSchedule(name, (handle) => (paused ? handle.pause(options.note) : handle.unpause(options.note)));
        if (options.json) printJson({ name, paused });
        else
          process.stdout.write(
            `${verb}d schedule ${name}${paused ? `; \`runbook schedule unpause ${name}\` starts it again` : ''}\n`,
          );
      });
  }

  schedule
    .command('trigger')
    .description("start the schedule's runbook now (its overlap policy applies)")
    .argument('<name>', 'schedule name')
    .addOption(jsonOption())
    .addHelpText('after', '\nExamples:\n  runbook schedule trigger nightly-install')
    .action(async (name: string, options: { json?: boolean }) => {
      const { memo, outcome } = await onSchedule(name, async (handle, client) => {
        const before = await handle.describe();
        await handle.trigger(before.policies.overlap);
        return {
          memo: before.memo as Partial<ScheduleMemo> | undefined,
          outcome: await triggerOutcome(client, handle, before),
        };
      });
      const filter = memo?.runbook ? ` --runbook ${memo.runbook}${memo.lab ? ` --lab ${memo.lab}` : ''}` : '';
      if (options.json)
        printJson({ name, triggered: true, runbook: memo?.runbook ?? null, lab: memo?.lab ?? null, ...outcome });
      else if (outcome.skipped)
        process.stdout.write(
          `triggered schedule ${name}: skipped, ` +
            `${outcome.openRun ? describeOpenRun(outcome.openRun) : 'its previous run is still open'}; ` +
            `\`runbook schedule list\` counts the skipped runs\n`,
        );
      else
        process.stdout.write(
          `triggered schedule ${name}${outcome.workflowId ? `: ${outcome.workflowId}` : ''}; see the run with \`runbook list${filter}\`\n`,
        );
    });

  schedule
    .command('delete')
    .description('delete a schedule (runs it started go on)')
    .argument('<name>', 'schedule name')
    .addOption(jsonOption())
    .addHelpText('after', '\nExamples:\n  runbook schedule delete nightly-install')
    .action(async (name: string, options: { json?: boolean }) => {
      await onSchedule(name, (handle) => handle.delete());
      if (options.json) printJson({ name, deleted: true });
      else process.stdout.write(`deleted schedule ${name}\n`);
    });
}

/** A run of the schedule still open, as `schedule list` shows it. */
interface OpenScheduledRun {
  workflowId: string;
  state: string;
  step?: string;
  /** When it entered that state (its last transition), for a paused run: paused since. */
  since?: string;
  /** Times the timetable came due since the run started (each skipped while it stays open). */
  nightsMissed: string[];
}

type ScheduleRow = ReturnType<typeof scheduleRow> & {
  openRun?: OpenScheduledRun;
  /** Runs the overlap policy skipped: nights that came due, and triggers, while a run was open. */
  skipped: number;
};

function describeOpenRun(run: OpenScheduledRun): string {
  const at = run.step ? ` at ${run.step}` : '';
  const missed = run.nightsMissed.length;
  return (
    `${run.workflowId} ${run.state}${at}${run.since && run.state !== 'running' ? ` since ${run.since}` : ''}` +
    (missed > 0
      ? `; ${missed} scheduled run${missed === 1 ? '' : 's'} missed meanwhile, the last due ${run.nightsMissed.at(-1)}`
      : '')
  );
}

/** The times the schedule's timetable matched between `from` and now (the server computes them). */
async function matchingTimes(client: Client, scheduleId: string, from: Date): Promise<string[]> {
  const response = await client.workflowService.listScheduleMatchingTimes({
    namespace: client.options.namespace,
    scheduleId,
    startTime: msToTs(from.getTime() + 1000),
    endTime: msToTs(Date.now()),
  });
  return (response.startTime ?? []).map((time) => new Date(tsToMs(time)).toISOString());
}

/** The open run of a schedule (its latest running action) with its state, and the nights it skipped. */
async function openRunOf(
  client: Client,
  description: ScheduleDescription,
): Promise<Pick<ScheduleRow, 'openRun' | 'skipped'>> {
  const running = description.info.runningActions.at(-1);
  const base = { skipped: description.info.numActionsSkippedOverlap };
  if (!running) return base;
  const run = await findRun(client, running.workflow.workflowId);
  const progress = await queryProgress(client, run).catch(() => undefined);
  const step = progress?.currentStep ?? run.step;
  return {
    ...base,
    openRun: {
      workflowId: run.handle.workflowId,
      state: progress?.state ?? run.state ?? 'running',
      ...(step !== undefined && { step }),
      ...(progress?.updatedAt !== undefined && { since: progress.updatedAt }),
      nightsMissed: await matchingTimes(client, description.scheduleId, run.description.startTime),
    },
  };
}

const TRIGGER_SETTLE_MS = 5_000;

/** What a trigger did: started a run, or was skipped by the overlap policy (the server counts it). */
async function triggerOutcome(
  client: Client,
  handle: ScheduleHandle,
  before: ScheduleDescription,
): Promise<{ skipped: boolean; workflowId?: string; openRun?: OpenScheduledRun }> {
  const deadline = Date.now() + TRIGGER_SETTLE_MS;
  for (;;) {
    const now = await handle.describe();
    if (now.info.numActionsSkippedOverlap > before.info.numActionsSkippedOverlap) {
      const { openRun } = await openRunOf(client, now);
      return { skipped: true, ...(openRun && { openRun }) };
    }
    const started =
      now.info.recentActions.length > before.info.recentActions.length ||
      now.info.numActionsTaken > before.info.numActionsTaken;
    if (started) {
      const last = now.info.recentActions.at(-1);
      return { skipped: false, ...(last && { workflowId: last.action.workflow.workflowId }) };
    }
    if (Date.now() > deadline) return { skipped: false };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function scheduleRow(summary: ScheduleSummary) {
  const memo = (summary.memo ?? {}) as Partial<ScheduleMemo>;
  const last = summary.info.recentActions.at(-1);
  return {
    name: summary.scheduleId,
    runbook: memo.runbook ?? (summary.action?.type === 'startWorkflow' ? summary.action.workflowType : undefined),
    lab: memo.lab,
    cron: memo.cron,
    timezone: memo.timezone,
    paused: summary.state.paused,
    note: summary.state.note,
    nextRun: summary.info.nextActionTimes[0]?.toISOString(),
    lastRun: last && { workflowId: last.action.workflow.workflowId, takenAt: last.takenAt.toISOString() },
  };
}
