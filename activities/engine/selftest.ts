/**
 * Activities of the `selftest` runbook: they touch nothing outside the worker and show that the
 * worker, the server and the engine work together (actions, a resumable wait, a for-each).
 */
import { createHash } from 'node:crypto';
import { access, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { activityInfo } from '@temporalio/activity';
import { defaultStateDir } from '../support/state-dir.js';
import type { StepContext, StepOutcome } from '../../contract/step.js';
import { converge } from './converge.js';
import { pollUntil } from './poll-until.js';

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

export const selftestActivities = {
  async selftestCheckWorker(context: StepContext): Promise<StepOutcome> {
    const info = activityInfo();
    return {
      changed: false,
      detail: `worker on ${os.hostname()} (Node ${process.version}) serves task queue ${info.taskQueue} in namespace ${info.workflowNamespace} and read lab ${context.lab.name}`,
    };
  },

  async selftestConverge(context: StepContext): Promise<StepOutcome> {
    // Steps that name the same marker converge the same state: the second one finds it done.
    const marker = typeof context.params?.marker === 'string' ? context.params.marker : context.stepId;
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

  async selftestWait(context: StepContext): Promise<StepOutcome> {
    const wanted = typeof context.params?.polls === 'number' ? context.params.polls : 3;
    return pollUntil<number>(context, { what: `${wanted} polls` }, async ({ polls }) =>
      polls + 1 >= wanted
        ? { done: true, detail: `condition met after ${polls + 1} polls` }
        : { done: false, detail: `poll ${polls + 1} of ${wanted}`, progress: polls + 1 },
    );
  },

  async selftestHost(context: StepContext): Promise<StepOutcome> {
    const host = context.lab.hosts.find((candidate) => candidate.name === context.item);
    if (!host) return { changed: false, detail: `host ${context.item} is not in lab ${context.lab.name}` };
    const services = (['dns', 'dhcp', 'pxe', 'haproxy', 'hypervisor'] as const).filter(
      (service) => host[service] !== undefined,
    );
    return { changed: false, detail: `host ${host.name} carries ${services.join(', ') || 'no services'}` };
  },
};
