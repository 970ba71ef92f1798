/** `--follow`: one line per step transition until the run ends (or pauses), then its exit code. */
import { setTimeout as delay } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { diagnosisLines } from '../../contract/diagnosis.js';
import { currentState, findRun, labWorkerMissing, queryProgress, type Run } from '../../temporal/runs.js';
import type { ExitCode } from '../errors.js';
import { formatDuration } from '../../activities/engine/poll-until.js';
import { colorState, colorStatus, exitCodeFor, flattenSteps, oneLine, resumeHints } from './display.js';
import { pendingWaits } from './wait-progress.js';
import type { RunbookProgress } from '../../workflows/engine/api.js';

const FOLLOW_POLL_MS = 1_000;

/** Activities of the run the server retries: each attempt after a failure, with that failure's message. */
export function retryingActivities(
  run: Pick<Run, 'description'>,
): Array<{ activityId: string; activityType: string; attempt: number; message: string }> {
  return (run.description.raw.pendingActivities ?? []).flatMap((activity) =>
    (activity.attempt ?? 0) > 1 && activity.lastFailure?.message
      ? [
          {
            activityId: activity.activityId ?? '',
            activityType: activity.activityType?.name ?? '',
            attempt: activity.attempt ?? 0,
            message: activity.lastFailure.message,
          },
        ]
      : [],
  );
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
  let labNotedAt: string | undefined;
  const retriesSeen = new Set<string>();
  const waitDetailsShown = new Map<string, string>();
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
          `${time}  ${colorStatus(step.status.padEnd(16))} ${step.path}  ` +
            `${oneLine(step.title, 50)}${retry}${step.message ? `: ${oneLine(step.message)}` : ''}`,
        );
      }
    }
    if (progress) {
      // A step's retries happen on the server, between two answers of the workflow: its pending
      // activity carries the attempt and the last failure, so a retrying step says so at once.
      for (const retry of retryingActivities(run)) {
        const key = `${retry.activityId}#${retry.attempt}`;
        if (retriesSeen.has(key)) continue;
        retriesSeen.add(key);
        const step = progress.currentStep ?? retry.activityType;
        const time = new Date().toISOString().slice(11, 19);
        emit(
          { event: 'retry', step, attempt: retry.attempt - 1, message: retry.message },
          `${time}  ${colorStatus('retrying'.padEnd(16))} ${step}  attempt ${retry.attempt - 1} ` +
            `failed: ${oneLine(retry.message, 200)}; retrying`,
        );
      }
    }
    if (progress) {
      // A wait's detail, once per change (its heartbeat carries the last check's), with the time waited.
      for (const wait of pendingWaits(run)) {
        if (waitDetailsShown.get(wait.step) === wait.detail) continue;
        waitDetailsShown.set(wait.step, wait.detail);
        const time = new Date().toISOString().slice(11, 19);
        emit(
          { event: 'wait', step: wait.step, detail: wait.detail, waitedMs: wait.waitedMs },
          `${time}  ${colorStatus('waiting'.padEnd(16))} ${wait.step}  ${formatDuration(wait.waitedMs)}: ${oneLine(wait.detail, 200)}`,
        );
      }
    }
    if (!progress && !waitingNoted && run.open) {
      waitingNoted = true;
      process.stderr.write(
        `waiting for a worker on task queue ${run.description.taskQueue} (start one with \`runbook worker\`)\n`,
      );
    }
    // Once per step: a step placed on the lab that no lab worker serves waits silently otherwise.
    const unserved = progress?.currentStep !== labNotedAt ? await labWorkerMissing(client, run, progress) : undefined;
    if (unserved) {
      labNotedAt = progress?.currentStep;
      process.stderr.write(`note: ${unserved}\n`);
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
          `${workflowId}: ` +
            `${colorState(state)}${progress?.error ? ` at ${progress.error.stepId}: ${oneLine(progress.error.message, 200)}` : ''}`,
        );
        if (!json) for (const line of pauseLines(workflowId, progress)) process.stdout.write(`  ${line}\n`);
      }
    } else if (state !== 'running') {
      emit(
        { event: 'end', workflowId, state, error: progress?.error ?? null },
        `${workflowId}: ${colorState(state)}` +
          (progress?.error && state !== 'completed'
            ? ` at ${progress.error.stepId}: ${oneLine(progress.error.message, 200)}`
            : ''),
      );
      if (!json && waiting) {
        for (const line of pauseLines(workflowId, progress)) process.stdout.write(`  ${line}\n`);
      }
      return exitCodeFor(state);
    } else {
      hintedAt = undefined;
    }
    await delay(FOLLOW_POLL_MS);
  }
}

/** Under a pause: the likely causes its wait's diagnosis found (the rest is in `runbook status`), then what next. */
function pauseLines(workflowId: string, progress: RunbookProgress | undefined): string[] {
  const causes = diagnosisLines(progress?.error?.diagnosis ?? []).filter((line) => !line.startsWith('ok '));
  return [...causes.map((line) => `diagnosis: ${line}`), ...resumeHints(workflowId, progress)];
}
