/**
 * `lab.load`, the first step of a run that reads its lab file when it starts (a scheduled run, see
 * workflows/engine/interpreter.ts): the file as it is now, validated like `runbook validate` does, so
 * an edit applies to the next night. It also keeps one run of a runbook per lab: a run of the same
 * runbook for the same lab already open (started by hand or by another schedule) stops this one here,
 * before anything is touched.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { LabFileError, LabValidationError, formatIssue, loadLab } from '../lab/load.js';
import type { StepContext, StepOutcome } from '../contract/step.js';
import { defineAction } from './engine/declare.js';
import { openRunsOf } from './support/one-run-per-lab.js';
import { StepErrorType } from '../contract/error-types.js';

const labFileActivities = {
  async labReadFile(context: StepContext, { file }: { file: string }): Promise<StepOutcome> {
    const { workflowExecution, taskQueue } = Context.current().info;
    const workflowId = workflowExecution?.workflowId ?? `${context.runbook}/${context.lab.name}`;
    let lab;
    try {
      lab = await loadLab(file);
    } catch (error) {
      if (error instanceof LabValidationError) {
        throw ApplicationFailure.nonRetryable(
          `the lab file ${file} is not valid now (${error.issues.length} finding${error.issues.length === 1 ? '' : 's'}): ` +
            `${error.issues.map((issue) => formatIssue(issue, file)).join('; ')}. Nothing was touched; ` +
            `fix the file, then \`runbook resume ${workflowId}\``,
          StepErrorType.InvalidLab,
        );
      }
      if (error instanceof LabFileError) {
        throw ApplicationFailure.nonRetryable(
          `${error.message}; the schedule reads it on the worker when each run starts: put it back, then \`runbook resume ${workflowId}\``,
          StepErrorType.LabFileMissing,
        );
      }
      throw error;
    }
    if (lab.name !== context.lab.name) {
      throw ApplicationFailure.nonRetryable(
        `the lab file ${file} now names lab "${lab.name}", but this run is for lab ` +
          `"${context.lab.name}" (the name is part of the run's id): restore the name, or create a ` +
          `schedule for the new lab`,
        StepErrorType.InvalidLab,
      );
    }
    const others = (await openRunsOf(Context.current().client, context.runbook, lab.name, taskQueue)).filter(
      (run) => run.workflowId !== workflowId,
    );
    if (others.length > 0) {
      throw ApplicationFailure.nonRetryable(
        `runbook ${context.runbook} already runs for lab ${lab.name}: ` +
          `${others.map((run) => `${run.workflowId} (${run.state}${run.step ? ` at ${run.step}` : ''})`).join(', ')}; ` +
          `one run per lab at a time, so this one has touched nothing. End it with \`runbook resume ` +
          `${workflowId} --abort\`, or resume it once that run has ended`,
        StepErrorType.RunbookAlreadyRunning,
      );
    }
    return { changed: false, detail: `read ${file}: lab ${lab.name} is valid`, lab };
  },
};

/** The engine's own `lab.load` step (workflows/engine/interpreter.ts): no runbook names it. */
export const labFileDeclarations = [
  defineAction({
    name: 'labReadFile',
    summary:
      'reads and validates the lab file a scheduled run starts from; stops a second open run of the runbook for the lab',
    params: z.object({ file: z.string() }),
    errors: [StepErrorType.InvalidLab, StepErrorType.LabFileMissing, StepErrorType.RunbookAlreadyRunning],
    apply: labFileActivities.labReadFile,
    plan: { none: 'a scheduled run reads its lab file when it starts; a plan is given the lab file itself' },
  }),
] as const;
