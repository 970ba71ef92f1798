/**
 * Waits that react at once: `watchedPoll` runs a `pollUntil` whose probe reads the state, and when
 * it is not there yet, waits for the next event of one or more watches (client-node `Watch`) before
 * reading again, for at most the step's poll interval (and half the heartbeat timeout). A watch
 * that drops (API restarting, proxy timeout) is started again on the next probe; until then the
 * bounded poll carries the wait. The state is always read with a GET: a watch event only says when.
 */
import { activityInfo } from '@temporalio/activity';
import type { KubernetesObject } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import type { JsonValue, StepContext, StepOutcome } from '../../contract/step.js';
import { pollUntil, type PollResult, type PollState } from '../engine/poll-until.js';
import type { KubeClients } from '../../transport/kube.js';
import { briefApiError } from '../support/kube-errors.js';

/** Longest wait for an event when the activity has no heartbeat timeout; else half of it. */
const DEFAULT_WINDOW_MS = 5_000;

export interface WatchTarget {
  /** Collection path: `/api/v1/nodes`, `/api/v1/namespaces/kube-system/configmaps`. */
  path: string;
  query?: Record<string, string>;
}

/** client-node's object API with its (protected) URL builder in sight: the watch path of any kind. */
interface ObjectPaths {
  specUriPath(spec: KubernetesObject, action: 'list'): Promise<string>;
}

/** The watch of one object of any kind, resolved through API discovery. */
export async function watchTargetOf(
  kube: KubeClients,
  object: { apiVersion: string; kind: string; name: string; namespace?: string },
): Promise<WatchTarget> {
  const paths = kube.objects as unknown as ObjectPaths;
  const spec = {
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: object.namespace ? { namespace: object.namespace } : {},
  };
  return {
    path: await paths.specUriPath(spec, 'list'),
    query: { fieldSelector: `metadata.name=${object.name}` },
  };
}

/** One watch: remembers that an event came, wakes whoever waits, and starts again when it ends. */
export class WatchWaker {
  private controller: AbortController | undefined;
  private starting: Promise<void> | undefined;
  private pending = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly kube: KubeClients,
    private readonly target: WatchTarget,
  ) {}

  /** Starts the watch when it is not running; a failure to start leaves the bounded poll in charge. */
  ensure(): Promise<void> {
    if (this.controller || this.starting) return this.starting ?? Promise.resolve();
    this.starting = this.kube.watch
      .watch(
        this.target.path,
        this.target.query ?? {},
        () => {
          this.pending = true;
          this.wake?.();
        },
        () => {
          // Ended (error or closed by the server): poll on, restart at the next probe.
          this.controller = undefined;
          this.pending = true;
          this.wake?.();
        },
      )
      .then(
        (controller) => {
          this.controller = controller;
        },
        () => {
          this.controller = undefined;
        },
      )
      .finally(() => (this.starting = undefined));
    return this.starting;
  }

  /** Resolves at the next event (at once if one came since the last call), after `ms`, or on abort. */
  next(ms: number, signal: AbortSignal): Promise<void> {
    if (this.pending || signal.aborted) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        this.pending = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }

  stop(): void {
    this.controller?.abort();
    this.controller = undefined;
  }
}

/** Resolves when any of `wakers` has an event, after `ms`, or on abort. */
async function nextEvent(wakers: readonly WatchWaker[], ms: number, signal: AbortSignal): Promise<void> {
  const local = new AbortController();
  const either = AbortSignal.any([signal, local.signal]);
  // Without a watch this is a plain poll: the window elapses (or the wait is cancelled).
  const timeout = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    either.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
  await Promise.race([timeout, ...wakers.map((waker) => waker.next(ms, either))]);
  local.abort();
}

export interface WatchedPollOptions {
  /** What is awaited, for the timeout message. */
  what: string;
  watches: WatchTarget[];
  /** Overrides the step's deadline (a per-item deadline from the lab). */
  deadlineMs?: number;
}

export async function watchedPoll<P extends JsonValue = JsonValue>(
  context: StepContext,
  kube: KubeClients,
  options: WatchedPollOptions,
  probe: (state: PollState<P>) => Promise<PollResult<P>>,
): Promise<StepOutcome> {
  const wakers = options.watches.map((target) => new WatchWaker(kube, target));
  // A probe that waits must still end in time for the next heartbeat.
  const heartbeatMs = activityInfo().heartbeatTimeoutMs;
  const windowMs = Math.min(
    context.poll?.intervalMs ?? DEFAULT_WINDOW_MS,
    heartbeatMs ? heartbeatMs / 2 : DEFAULT_WINDOW_MS,
  );
  try {
    // The probe does the waiting (for an event or the window), so pollUntil does not sleep on top.
    const deadline = options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs };
    return await pollUntil<P>(context, { what: options.what, intervalMs: 0, ...deadline }, async (state) => {
      await Promise.all(wakers.map((waker) => waker.ensure()));
      const result = await probe(state).catch((error: unknown) => {
        // An API server that is down or restarting is part of what a wait waits through.
        if (!isTransient(error)) throw error;
        return { done: false as const, detail: `the API server did not answer: ${briefApiError(error)}` };
      });
      if (!result.done) await nextEvent(wakers, windowMs, state.signal);
      return result;
    });
  } finally {
    for (const waker of wakers) waker.stop();
  }
}

/** A failure a later poll may not meet: no answer, 5xx, 429 (client-node's ApiException has `code`). */
export function isTransient(error: unknown): boolean {
  // A probe's own refusal (the lab does not match, an operator stays Degraded) pauses the run.
  if (error instanceof ApplicationFailure && error.nonRetryable) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'number') return code >= 500 || code === 429;
  return error instanceof Error && error.name !== 'RehearsalTargetError';
}

/** Reads an object; undefined when it does not exist (yet). */
export async function readObject(
  kube: KubeClients,
  object: { apiVersion: string; kind: string; name: string; namespace?: string },
): Promise<KubernetesObject | undefined> {
  try {
    return await kube.objects.read({
      apiVersion: object.apiVersion,
      kind: object.kind,
      metadata: { name: object.name, ...(object.namespace ? { namespace: object.namespace } : {}) },
    });
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  }
}
