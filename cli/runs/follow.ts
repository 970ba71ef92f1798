/** `--follow`: one line per step transition until the run ends (or pauses), then its exit code. */
import { setTimeout as delay } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { currentState, findRun, labWorkerMissing, queryProgress } from '../../temporal/runs.js';
import type { ExitCode } from '../errors.js';
import { colorState, colorStatus, exitCodeFor, flattenSteps, oneLine, resumeHints } from './display.js';

const FOLLOW_POLL_MS = 1_000;

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
