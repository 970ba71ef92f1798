/**
 * Delivers a run's notice to one webhook (the child workflow in workflows/engine/notices.ts calls it,
 * once per webhook, with its own retries). The URL is resolved here from its secret reference and
 * never leaves this function: errors name the webhook, the status or the network error code, never
 * the URL, and nothing is heartbeated or returned.
 */
import { activityInfo } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { resolveSecret, SecretError } from '../../lab/secrets.js';
import { assertLoopbackTarget, RehearsalTargetError } from '../../transport/guard.js';
import type { NoticeRequest } from '../../workflows/engine/notices.js';

/** The notice as posted: the workflow's notice plus the run's Web UI link, when the UI is known. */
export type PostedNotice = NoticeRequest['notice'] & { ui: string | null };

export interface NoticeDeps {
  /** Base URL of the Temporal Web UI (for the link in the notice); default TEMPORAL_UI_URL. */
  uiUrl?: string;
  /** How long one POST may take (default 10 s). */
  timeoutMs?: number;
}

export const NoticeErrorType = {
  /** The reference does not resolve, or not to an http(s) URL: the lab must be fixed. */
  BadWebhook: 'NoticeWebhookInvalid',
  /** The receiver refused the notice for good (4xx other than 408/429). */
  Refused: 'NoticeRefused',
  /** A network error or a 5xx / 408 / 429 answer: retried. */
  Unreachable: 'NoticeUndelivered',
} as const;

export function noticeActivities(deps: NoticeDeps = {}) {
  return {
    async sendNotice(request: NoticeRequest): Promise<void> {
      const { notice, webhook } = request;
      const what = `webhook ${webhook.name}`;
      const target = await webhookUrl(webhook.url, what);
      try {
        if (request.rehearsal) assertLoopbackTarget(target.hostname, what);
      } catch (error) {
        // The guard's message names the host; for a webhook even that is part of the secret.
        if (error instanceof RehearsalTargetError) {
          throw ApplicationFailure.nonRetryable(
            `rehearsal refuses to post to ${what}: its URL is not on loopback (rehearsals only talk to this machine)`,
            error.name,
          );
        }
        throw error;
      }
      const base = (deps.uiUrl ?? process.env.TEMPORAL_UI_URL)?.replace(/\/+$/, '');
      const body: PostedNotice = {
        ...notice,
        ui: base
          ? `${base}/namespaces/${encodeURIComponent(activityInfo().workflowNamespace ?? 'default')}` +
            `/workflows/${encodeURIComponent(notice.workflowId)}`
          : null,
      };
      let status: number;
      try {
        const response = await fetch(target, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'User-Agent': 'openshift-runbooks' },
          body: JSON.stringify(body),
          // A redirect could lead off loopback in a rehearsal, and a webhook has no reason to send one.
          redirect: 'manual',
          signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000),
        });
        status = response.status;
        await response.body?.cancel();
      } catch (error) {
        throw ApplicationFailure.retryable(`cannot reach ${what}: ${networkCode(error)}`, NoticeErrorType.Unreachable);
      }
      if (status >= 200 && status < 300) return;
      const message = `${what} answered HTTP ${status}`;
      if (status >= 500 || status === 408 || status === 429)
        throw ApplicationFailure.retryable(message, NoticeErrorType.Unreachable);
      throw ApplicationFailure.nonRetryable(
        `${message}: check the webhook's URL (its secret ${webhook.url}) and what the receiver expects`,
        NoticeErrorType.Refused,
      );
    },
  };
}

/** The webhook's URL from its reference; errors name the reference and never quote the value. */
async function webhookUrl(ref: string, what: string): Promise<URL> {
  let value: string;
  try {
    value = await resolveSecret(ref);
  } catch (error) {
    if (error instanceof SecretError)
      throw ApplicationFailure.nonRetryable(`${what}: ${error.message}`, NoticeErrorType.BadWebhook);
    throw error;
  }
  let url: URL | undefined;
  try {
    url = new URL(value.trim());
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw ApplicationFailure.nonRetryable(
      `${what}: secret ${ref} is not an http:// or https:// URL; put the webhook's URL in it`,
      NoticeErrorType.BadWebhook,
    );
  }
  return url;
}

/** The network error's code (ECONNREFUSED, a timeout), never its text: undici's text may quote the URL. */
function networkCode(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return 'no answer in time';
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' ? cause.code : 'network error';
}
