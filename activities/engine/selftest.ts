/**
 * Activities of the `selftest` runbook: they touch nothing outside the worker and show that the
 * worker, the server and the engine work together (actions, a resumable wait, a for-each).
 */
import { createHash } from 'node:crypto';
import { access, mkdir, statfs, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { activityInfo } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { StepErrorType } from '../../contract/error-types.js';
import { defaultStateDir } from '../support/state-dir.js';
import { z } from 'zod';
import { converge } from './converge.js';
import { defineAction, defineWait, noParams } from './declare.js';
import { pollUntil } from './poll-until.js';
import { checkStep } from '../support/plan.js';

/**
 * The converge demonstration's marker: a file under the worker's state folder, keyed by run and
 * marker name, so a worker restarted mid-run still finds it (the second converge stays unchanged).
 */
function markerFile(run: string): string {
  const key = createHash('sha256').update(run).digest('hex').slice(0, 32);
  return path.join(defaultStateDir(), 'selftest-markers', key);
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

const SELFTEST = 'a demonstration step of the selftest runbook';

/** The free space of the state folder, or of the nearest folder above it that exists yet. */
async function stateFolderSpace(folder: string): Promise<string> {
  let at = folder;
  while (!(await exists(at)) && path.dirname(at) !== at) at = path.dirname(at);
  const space = await statfs(at).catch((error: Error) => {
    throw ApplicationFailure.nonRetryable(
      `the worker cannot read its state folder ${folder} (${error.message}): ` +
        'give the worker’s user a readable XDG_STATE_HOME (or home), then resume',
      StepErrorType.FolderMissing,
    );
  });
  const free = (space.bavail * space.bsize) / 2 ** 30;
  return `${folder}${at === folder ? '' : ` (not created yet; ${at})`}: ${free.toFixed(1)} GiB free`;
}

export const selftestDeclarations = [
  defineAction({
    name: 'selftestCheckWorker',
    summary: 'names the worker, its task queue and namespace, and the lab it read',
    params: noParams,
    errors: [],
    apply: async (context) => {
      const info = activityInfo();
      return {
        changed: false,
        detail:
          `worker on ${os.hostname()} (Node ${process.version}) serves task queue ${info.taskQueue} ` +
          `in namespace ${info.workflowNamespace} and read lab ${context.lab.name}`,
      };
    },
    plan: { none: 'it reports on the worker that runs it; a plan runs on no worker' },
  }),

  defineAction({
    name: 'selftestConverge',
    summary: 'converges a marker file under the worker’s state folder, keyed by the run',
    // Steps that name the same marker converge the same state: the second one finds it done.
    params: z.object({ marker: z.string().optional() }).strict().optional(),
    errors: [],
    apply: async (context, params) => {
      const marker = params?.marker ?? context.stepId;
      const execution = activityInfo().workflowExecution;
      const run = `${execution?.workflowId}/${execution?.runId}/${marker}`;
      const file = markerFile(run);
      return converge({
        check: async () => {
          const present = await exists(file);
          return { ok: present, detail: present ? 'marker present' : 'no marker for this run' };
        },
        apply: async () => {
          await mkdir(path.dirname(file), { recursive: true });
          await writeFile(file, `${run}\n`);
          return `set a marker for this run in ${path.dirname(file)}`;
        },
      });
    },
    plan: { none: 'its marker is keyed by the run, which a plan does not have' },
  }),

  defineAction({
    name: 'selftestStateFolder',
    summary: 'the free space where the worker keeps its state (the markers above); changes nothing',
    params: noParams,
    errors: [StepErrorType.FolderMissing],
    planned: () => checkStep(() => stateFolderSpace(defaultStateDir())),
  }),

  defineWait({
    name: 'selftestWait',
    summary: 'a resumable wait that holds after `polls` polls (default 3)',
    params: z.object({ polls: z.number().int().positive().optional() }).strict().optional(),
    errors: [],
    deadline: 'step',
    probe: (context, params) => {
      const wanted = params?.polls ?? 3;
      return pollUntil<number>(context, { what: `${wanted} polls` }, async ({ polls }) =>
        polls + 1 >= wanted
          ? { done: true, detail: `condition met after ${polls + 1} polls` }
          : { done: false, detail: `poll ${polls + 1} of ${wanted}`, progress: polls + 1 },
      );
    },
  }),

  defineAction({
    name: 'selftestHost',
    summary: 'names the services of the helper host of its for-each item',
    params: noParams,
    errors: [],
    apply: async (context) => {
      const host = context.lab.hosts.find((candidate) => candidate.name === context.item);
      if (!host) return { changed: false, detail: `host ${context.item} is not in lab ${context.lab.name}` };
      const services = (['dns', 'dhcp', 'pxe', 'haproxy', 'hypervisor'] as const).filter(
        (service) => host[service] !== undefined,
      );
      return { changed: false, detail: `host ${host.name} carries ${services.join(', ') || 'no services'}` };
    },
    plan: { none: SELFTEST },
  }),
] as const;
