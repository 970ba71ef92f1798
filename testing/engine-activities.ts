/**
 * Activities of the test runbooks. Each execution appends a line to `<dir>/<workflow id>.log`, so a
 * test counts how often each step ran (across worker processes); marker files in the same directory
 * steer the failing and waiting steps.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { activityInfo } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { createActivities } from '../activities/index.js';
import { pollUntil, type StepActivity } from '../activities/engine/index.js';
import { clearLabCache } from '../activities/engine/lab-cache.js';
import type { StepContext } from '../contract/step.js';

export interface ExecutionRecord {
  step: string;
  event: 'run' | 'wait-start' | 'wait-cancelled';
  attempt: number;
  /** Wait steps: the polls done before this attempt (from the heartbeat checkpoint). */
  resumedPolls?: number;
  /** ms since epoch, for the bench. */
  at: number;
  pid: number;
}

function fileStem(dir: string, workflowId: string): string {
  return path.join(dir, workflowId.replace(/[^A-Za-z0-9._-]/g, '_'));
}

export function logFile(dir: string, workflowId: string): string {
  return `${fileStem(dir, workflowId)}.log`;
}

export function markerFile(dir: string, workflowId: string, marker: string): string {
  return `${fileStem(dir, workflowId)}.${marker}`;
}

export function readExecutions(dir: string, workflowId: string): ExecutionRecord[] {
  const file = logFile(dir, workflowId);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ExecutionRecord);
}

export function engineTestActivities(dir: string) {
  const record = (context: StepContext, event: ExecutionRecord['event'], extra: Partial<ExecutionRecord> = {}) => {
    const workflowId = activityInfo().workflowExecution?.workflowId ?? 'standalone';
    const line: ExecutionRecord = {
      step: context.stepId,
      event,
      attempt: activityInfo().attempt,
      at: Date.now(),
      pid: process.pid,
      ...extra,
    };
    appendFileSync(logFile(dir, workflowId), `${JSON.stringify(line)}\n`);
  };
  const marker = (context: StepContext) =>
    markerFile(dir, activityInfo().workflowExecution?.workflowId ?? 'standalone', String(context.params?.marker));

  return {
    async testNoop(context) {
      record(context, 'run');
      return { changed: false, detail: 'nothing to do' };
    },
    async testChanged(context) {
      record(context, 'run');
      return { changed: true, detail: `converged ${context.item ?? 'the state'}` };
    },
    async testFailUntilMarker(context) {
      record(context, 'run');
      if (existsSync(marker(context))) return { changed: true, detail: 'marker found' };
      // In a for-each, `onlyItem` makes only the item at that index fail.
      const only = context.params?.onlyItem;
      if (typeof only === 'number' && context.lab.hosts[only]?.name !== context.item)
        return { changed: false, detail: 'not the failing item' };
      const message = `marker ${String(context.params?.marker)} is missing; create it and resume`;
      throw context.params?.nonRetryable
        ? ApplicationFailure.nonRetryable(message, 'BadInput')
        : ApplicationFailure.retryable(message, 'MarkerMissing');
    },
    async testActUntilMarker(context) {
      // Deaf to cancels: it never looks at the cancel signal, and finishes once the marker exists.
      record(context, 'run');
      while (!existsSync(marker(context))) await new Promise((resolve) => setTimeout(resolve, 50));
      return { changed: true, detail: 'marker found' };
    },
    async testRequireHost(context) {
      record(context, 'run');
      const wanted = String(context.params?.host);
      if (context.lab.hosts.some((host) => host.name === wanted))
        return { changed: false, detail: `host ${wanted} is in the lab` };
      throw ApplicationFailure.nonRetryable(
        `the lab has no host ${wanted}: add it to the lab file and resume with --lab`,
        'BadInput',
      );
    },
    async testForgetLabs(context) {
      // As a worker restarted between two steps: the next step finds its lab in the run's history.
      record(context, 'run');
      clearLabCache();
      return { changed: false, detail: 'the worker forgot its labs' };
    },
    async testWaitForMarker(context) {
      const saved = activityInfo().heartbeatDetails as { polls?: number } | undefined;
      record(context, 'wait-start', { resumedPolls: saved?.polls ?? 0 });
      try {
        return await pollUntil<number>(context, { what: 'the release marker' }, async ({ polls }) =>
          existsSync(marker(context))
            ? { done: true, detail: `released after ${polls + 1} polls` }
            : { done: false, detail: 'no release marker yet', progress: polls + 1 },
        );
      } catch (error) {
        if (error instanceof CancelledFailure) record(context, 'wait-cancelled');
        throw error;
      }
    },
  } satisfies Record<string, StepActivity>;
}

/** The names the test runbooks may give their steps, next to the built-in ones. */
export type EngineTestActivityName = keyof ReturnType<typeof engineTestActivities>;

/** The product activities plus the test ones, as the worker registers them. */
export function createEngineTestActivities(dir: string) {
  return createActivities({ extra: engineTestActivities(dir) });
}
