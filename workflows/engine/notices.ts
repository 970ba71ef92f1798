/**
 * Notices: when a run waits for a person (a failed step, a gate) or ends, the lab's webhooks get a
 * JSON notice. Workflow code (deterministic).
 *
 * How the notice leaves without ever holding the run up: the run starts a small child workflow,
 * `runbookNotice`, with the parent-close policy ABANDON, and waits only until the server has started
 * it (one round trip, no I/O of the worker). The child posts to each webhook in its own activity with
 * its own retry policy; a notice that is never delivered is logged and listed in the child's result,
 * and the run has long gone on. Why not a bare activity the run does not await: a run that completes
 * leaves its pending activities behind unfinished, so the "completed" notice (and its retries) would be
 * lost; an abandoned child outlives its parent. Both are plain commands in the history, so replay is
 * deterministic.
 *
 * Replay of older runs: a run whose lab has no `notify` block (every run before notices existed; the
 * lab schema refused the key) issues no command at all here.
 *
 * The webhook URL is a secret: the child's input carries its reference (`env:…`/`file:…`) only, and the
 * activity resolves it on the worker (activities/notify/).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  log,
  ParentClosePolicy,
  scheduleActivity,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { Finding } from '../../contract/diagnosis.js';
import type { Lab, NoticeEvent, Webhook } from '../../lab/schema.js';

/** Workflow type of the child that delivers one notice; a named export of every workflow bundle. */
export const NOTICE_WORKFLOW = 'runbookNotice';
/** The activity that posts a notice to one webhook (activities/notify/). */
export const NOTICE_ACTIVITY = 'sendNotice';

/** What a webhook receives (JSON). Free of secrets: step messages are redacted by the step wrapper. */
export interface Notice {
  event: NoticeEvent;
  runbook: string;
  lab: string;
  /** The run's workflow id, e.g. `install/intra`. */
  workflowId: string;
  /** The step that waits or failed, when there is one. */
  step?: string;
  message: string;
  /** What to type next (`runbook resume install/intra`), for events that wait for a person. */
  command?: string;
  /** A paused wait's diagnosis: what its probes found (contract/diagnosis.ts), redacted on the worker. */
  diagnosis?: Finding[];
  /** Workflow time of the event (ISO-8601). */
  at: string;
}

/** The child's input: the notice and the webhooks that want it, by secret reference. */
export interface NoticeDelivery {
  notice: Notice;
  webhooks: Array<Pick<Webhook, 'name' | 'url'>>;
  /** A rehearsal: the worker refuses a webhook that is not on loopback, before any connection. */
  rehearsal: boolean;
}

/** One webhook's notice, as the activity gets it. */
export interface NoticeRequest {
  notice: Notice;
  webhook: Pick<Webhook, 'name' | 'url'>;
  rehearsal: boolean;
}

export interface NoticeResult {
  delivered: string[];
  undelivered: string[];
}

/**
 * Retries of one delivery: quick at first (a receiver restarting), then once a minute, for about ten
 * minutes in all; refusals that no retry cures (a 4xx answer, a rehearsal aimed off loopback, a bad
 * URL) are non-retryable in the activity.
 */
const DELIVERY_RETRY = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 15 };

/** The child workflow: one activity per webhook, in parallel; failures are logged, never thrown. */
export async function runbookNotice(delivery: NoticeDelivery): Promise<NoticeResult> {
  const outcomes = await Promise.allSettled(
    delivery.webhooks.map((webhook) =>
      scheduleActivity<void>(
        NOTICE_ACTIVITY,
        [{ notice: delivery.notice, webhook, rehearsal: delivery.rehearsal } satisfies NoticeRequest],
        {
          activityId: `webhook:${webhook.name}`,
          summary: `Notice "${delivery.notice.event}" to webhook ${webhook.name}`,
          startToCloseTimeout: '1m',
          retry: DELIVERY_RETRY,
        },
      ),
    ),
  );
  const result: NoticeResult = { delivered: [], undelivered: [] };
  outcomes.forEach((outcome, index) => {
    const name = delivery.webhooks[index]!.name;
    if (outcome.status === 'fulfilled') result.delivered.push(name);
    else {
      result.undelivered.push(name);
      const cause = outcome.reason instanceof ActivityFailure ? outcome.reason.cause : outcome.reason;
      log.warn(
        `notice "${delivery.notice.event}" of ${delivery.notice.workflowId} not delivered to ` +
          `webhook ${name}: ${cause instanceof Error ? cause.message : String(cause)}`,
      );
    }
  });
  return result;
}

/**
 * Sends `notice` to the lab's webhooks that want its event, through a detached child; resolves once
 * the child has started (or at once when no webhook wants it). A child that cannot start is logged:
 * a notice never stops a run. Cancellation passes through.
 */
export async function sendNotice(
  lab: Lab,
  notice: Omit<Notice, 'lab' | 'workflowId' | 'at'>,
  options: { rehearsal: boolean; sequence: number },
): Promise<void> {
  const webhooks = (lab.notify?.webhooks ?? []).filter((webhook) => webhook.on.includes(notice.event));
  if (webhooks.length === 0) return;
  const info = workflowInfo();
  const full: Notice = { ...notice, lab: lab.name, workflowId: info.workflowId, at: new Date().toISOString() };
  try {
    await startChild(NOTICE_WORKFLOW, {
      // Unique per run and notice: a later run of the same id never collides with a notice still retrying.
      workflowId: `${info.workflowId}/notice/${info.runId}/${options.sequence}`,
      args: [
        {
          notice: full,
          webhooks: webhooks.map(({ name, url }) => ({ name, url })),
          rehearsal: options.rehearsal,
        } satisfies NoticeDelivery,
      ],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `Notice "${notice.event}" of ${info.workflowId}`,
    });
  } catch (error) {
    if (isCancellation(error)) throw error;
    log.warn(
      `notice "${notice.event}" of ${info.workflowId} not sent: ` +
        `${error instanceof ApplicationFailure || error instanceof Error ? error.message : String(error)}`,
    );
  }
}
