/**
 * A rehearsal's last notices. A run reports its end (the progress its `--follow` reads) before it sends
 * its last notice, and the notice goes out in a child workflow that outlives the run
 * (workflows/engine/notices.ts), served by the rehearsal's own worker. Stopping that worker as soon as
 * the run says "completed" left the "completed" notice undelivered, to be picked up by whichever
 * rehearsal's worker came next. So, before its worker stops, a rehearsal waits for the run to close and
 * for the notice children it started to finish, for at most a grace period: a receiver that is down
 * longer is left to the child's own retries, and the rehearsal says so.
 */
import type { Client } from '@temporalio/client';
import { NOTICE_WORKFLOW, type NoticeResult } from '../../workflows/engine/notices.js';

/** How long a rehearsal waits, at its end, for its notices to be delivered. */
export const NOTICE_GRACE_MS = 30_000;

const TIMED_OUT = Symbol('timed out');

/** The ids of the notice children the run's history started. */
async function noticeChildren(client: Client, workflowId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    const started = event.startChildWorkflowExecutionInitiatedEventAttributes;
    return started?.workflowType?.name === NOTICE_WORKFLOW && started.workflowId ? [started.workflowId] : [];
  });
}

/**
 * Waits until the run has closed and every notice child of it has finished, or the grace period is
 * over; says which notices were not delivered, or are still being delivered.
 */
export async function awaitLastNotices(
  client: Client,
  workflowId: string,
  say: (line: string) => void,
  graceMs = NOTICE_GRACE_MS,
): Promise<void> {
  const abort = new AbortController();
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    const timer = setTimeout(resolve, graceMs, TIMED_OUT);
    abort.signal.addEventListener('abort', () => clearTimeout(timer));
  });
  const within = <T>(promise: Promise<T>) => Promise.race([promise, timeout]);
  try {
    // Failed, cancelled or aborted runs close too; only whether it closed matters here.
    const closed = await within(
      client.workflow
        .getHandle(workflowId)
        .result()
        .catch(() => undefined),
    );
    if (closed === TIMED_OUT) return;
    const children = await noticeChildren(client, workflowId);
    const results = await within(
      Promise.all(
        children.map((id) =>
          client.workflow
            .getHandle(id)
            .result()
            .then((result: NoticeResult) => result)
            .catch(() => undefined),
        ),
      ),
    );
    if (results === TIMED_OUT) {
      say(
        `the notices of ${workflowId} are still being delivered after ${graceMs / 1000} s (a webhook does not ` +
          'answer yet); their retries go on when a worker serves the rehearsal task queue again',
      );
      return;
    }
    const undelivered = [...new Set(results.flatMap((result) => result?.undelivered ?? []))];
    if (undelivered.length > 0)
      say(`notices of ${workflowId} not delivered to webhook ${undelivered.join(', ')}: see the worker's warnings`);
  } finally {
    abort.abort();
  }
}
