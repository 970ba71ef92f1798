/**
 * The runs of one `runbook rehearse`: the runbooks it was given (one, or several in order on the same
 * simulated lab), a run an earlier rehearsal left open under the same id, and the summary at the end.
 *
 * An interrupted rehearsal (its process killed, the terminal closed) leaves its run open on the
 * Temporal server with nothing to serve it. Such a run is terminated here without asking when the
 * simulated lab it targeted is gone (its endpoints file removed, or its API server no longer
 * answering): nothing can make it progress, and keeping it would only block the next rehearsal.
 * A run whose simulated lab still answers belongs to a rehearsal that is still going, in another
 * terminal: it is left alone unless `--restart` asks to terminate it.
 */
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { RunbookDefinition } from '../../workflows/engine/definition.js';
import type { RunbookInput } from '../../workflows/engine/api.js';
import { ExitCode, UserError } from '../errors.js';
import { requireRunbook } from '../runs/start.js';

/** `infra-nodes,ceph-csi`: the runbooks in order, each known and named once. */
export function rehearsedRunbooks(list: string): RunbookDefinition[] {
  const names = list
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0)
    throw new UserError('give a runbook to rehearse, or several separated by commas', ExitCode.USAGE);
  const twice = names.find((name, index) => names.indexOf(name) !== index);
  if (twice !== undefined)
    throw new UserError(
      `${twice} is listed twice; each runbook runs once per rehearsal (a second rehearsal shows a second run)`,
      ExitCode.USAGE,
    );
  return names.map((name) => requireRunbook(name));
}

/** The simulated lab a rehearsal run targeted, from the run's input; undefined when it has none. */
async function rehearsalTargetOf(client: Client, workflowId: string): Promise<string | undefined> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) return undefined;
  const input = defaultPayloadConverter.fromPayload<RunbookInput>(payload);
  return input?.rehearsal?.endpointsFile;
}

/** Whether the simulated API server of an endpoints file still accepts connections (loopback only). */
async function simulatedLabAnswers(endpointsFile: string): Promise<boolean> {
  const text = await readFile(endpointsFile, 'utf8').catch(() => undefined);
  if (text === undefined) return false;
  let url: URL;
  try {
    url = new URL((JSON.parse(text) as { apiServer?: { url?: string } }).apiServer?.url ?? '');
  } catch {
    return false;
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // A simulated lab listens on loopback only; anything else is not one (and is never connected to).
  if (host !== '127.0.0.1' && host !== '::1') return false;
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: Number(url.port) });
    const done = (answers: boolean) => {
      socket.destroy();
      resolve(answers);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Makes way for a new rehearsal under `workflowId`: an open run there is terminated when its simulated
 * lab is gone or `restart` is set; otherwise the rehearsal is refused with what to do.
 */
export async function clearOpenRehearsal(
  client: Client,
  workflowId: string,
  options: { restart: boolean; say: (line: string) => void },
): Promise<void> {
  const handle = client.workflow.getHandle(workflowId);
  let open: boolean;
  try {
    open = (await handle.describe()).status.name === 'RUNNING';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return;
    throw error;
  }
  if (!open) return;
  const endpointsFile = await rehearsalTargetOf(client, workflowId);
  const alive = endpointsFile !== undefined && (await simulatedLabAnswers(endpointsFile));
  if (alive && !options.restart)
    throw new UserError(
      `an earlier rehearsal of ${workflowId} is still open, and its simulated lab answers`,
      ExitCode.FAILED,
      [
        `another \`runbook rehearse\` is running it (simulated lab of ${endpointsFile}): let it finish, or stop it with Ctrl-C there`,
        'or start again here with --restart, which terminates that run (its own rehearsal then ends)',
      ],
    );
  const why = alive ? 'asked to restart (--restart)' : 'the simulated lab it ran on is gone (an interrupted rehearsal)';
  await handle.terminate(`runbook rehearse: ${why}`);
  options.say(`terminated the open run ${workflowId}: ${why}`);
}

/** How each run of a rehearsal ended, for the summary. */
export interface RehearsedRun {
  runbook: string;
  workflowId: string;
  /** completed, failed, cancelled, terminated…; `not run` when an earlier runbook stopped the rehearsal. */
  state: string;
}

/** The final state of a closed run, as `runbook status` words it. */
export async function finalState(client: Client, workflowId: string): Promise<string> {
  const status = (await client.workflow.getHandle(workflowId).describe()).status.name;
  return status.toLowerCase().replace(/_/g, ' ');
}

/** The summary of a rehearsal of several runbooks: one line per runbook, in order. */
export function summaryLines(labName: string, runs: readonly RehearsedRun[]): string[] {
  const done = runs.filter((run) => run.state === 'completed').length;
  const stopped = runs.find((run) => run.state !== 'completed' && run.state !== 'not run');
  const width = Math.max(...runs.map((run) => run.runbook.length));
  return [
    `rehearsal of lab ${labName}: ${done} of ${runs.length} runbooks ` +
      `completed${stopped ? `; stopped at ${stopped.runbook} (${stopped.state})` : ''}`,
    ...runs.map(
      (run) =>
        `  ${run.state.padEnd(10)} ${run.runbook.padEnd(width)}${run.state === 'not run' ? '' : `  ${run.workflowId}`}`,
    ),
  ];
}
