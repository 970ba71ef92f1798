/**
 * The worker's side of the lab by reference (contract/step.ts `StepRequest`): steps name their run's lab by
 * name and content digest, and the worker keeps the labs it has seen in a small cache keyed by digest.
 *
 * Where a lab comes from, in order:
 * 1. the step's input: the workflow carries the lab inline on the first step after its lab changed (the
 *    run's start, `lab.load`, a corrected lab on resume), so a worker that runs a whole run has it at once;
 * 2. the cache, filled by (1) or (3), shared by every run of the same lab on this worker;
 * 3. the run's own history, read through the worker's client: a worker that restarted, or another worker
 *    of the queue (a lab queue's worker on its own machine), finds the lab there in the start input, a
 *    `lab.load` result or an accepted `resume` with a corrected lab, whichever has the digest. The
 *    digest makes the answer exact whichever way the lab arrives, and the history read keeps the
 *    activity's own retries (and a wait's heartbeat checkpoint) intact, which an "I lack it" failure
 *    that the workflow answers with a new activity would not.
 *
 * The labs hold secret references only (lab/load.ts), so the cache holds no secret.
 */
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow/index.js';
import type { temporal } from '@temporalio/proto';
import { StepErrorType } from '../../contract/error-types.js';
import type { LabRef, StepContext, StepRequest } from '../../contract/step.js';
import type { Lab } from '../../lab/schema.js';

/** Labs kept per worker: a few labs, several versions each (a lab corrected on resume is a new digest). */
const CACHE_SIZE = 32;

const cache = new Map<string, Lab>();
/** History reads under way, by digest: concurrent steps of a restarted worker read once. */
const reading = new Map<string, Promise<Lab>>();
/** Labs this worker has read from histories (for the tests and the bench). */
let historyReads = 0;

/** How many labs this worker process has read from the runs' histories so far. */
export function labHistoryReads(): number {
  return historyReads;
}

/** The step's context with its lab, from the request's inline lab or its reference. */
export async function stepContextOf(request: StepRequest): Promise<StepContext> {
  const { labRef, lab, ...rest } = request;
  if (lab !== undefined) {
    if (labRef !== undefined) remember(labRef, lab);
    return { ...rest, lab };
  }
  if (labRef === undefined) {
    throw ApplicationFailure.nonRetryable(
      `Step ${request.stepId} came with neither a lab nor a lab reference; the workflow that scheduled it ` +
        `is older or newer than this worker: run workers of the same version as the workflow code`,
      StepErrorType.LabNotFound,
    );
  }
  return { ...rest, lab: await labOf(labRef) };
}

/** The lab a reference names: from the cache, else from the run's history. */
async function labOf(ref: LabRef): Promise<Lab> {
  const cached = cache.get(ref.digest);
  if (cached !== undefined) {
    // Most recently used last: the oldest entry is the first the cache drops.
    cache.delete(ref.digest);
    cache.set(ref.digest, cached);
    return cached;
  }
  let pending = reading.get(ref.digest);
  if (pending === undefined) {
    pending = labFromHistory(ref).finally(() => reading.delete(ref.digest));
    reading.set(ref.digest, pending);
  }
  return pending;
}

/** Stores a lab under its reference, after checking the digest really is the lab's. */
function remember(ref: LabRef, lab: Lab): void {
  if (cache.has(ref.digest)) return;
  const actual = digestOf(lab);
  if (actual !== ref.digest) {
    throw ApplicationFailure.nonRetryable(
      `The lab "${ref.name}" in the step's input has digest ${actual}, not ${ref.digest} as its reference says; ` +
        `the workflow and the worker hash labs differently: run workers of the same version as the workflow code`,
      StepErrorType.LabNotFound,
    );
  }
  cache.set(ref.digest, lab);
  while (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
}

/** The same digest as the workflow's (contract/lab-digest.ts), by node:crypto. */
export function digestOf(lab: Lab): string {
  return createHash('sha256').update(JSON.stringify(lab)).digest('hex');
}

/** Reads the run's history for the lab with the reference's digest (start input, lab.load, resume). */
async function labFromHistory(ref: LabRef): Promise<Lab> {
  const context = Context.current();
  const { workflowExecution } = context.info;
  if (workflowExecution === undefined) {
    throw ApplicationFailure.nonRetryable(
      `Step ${context.info.activityId} names lab "${ref.name}" by reference but runs outside a workflow; ` +
        `hand it the lab itself`,
      StepErrorType.LabNotFound,
    );
  }
  const client = context.client;
  const history = await client.workflow.getHandle(workflowExecution.workflowId, workflowExecution.runId).fetchHistory();
  historyReads += 1;
  const converter = client.options.loadedDataConverter;
  for (const payloads of labPayloads(history.events ?? [])) {
    const holder = await decodeFromPayloadsAtIndex<{ lab?: unknown } | null>(converter, 0, payloads).catch(() => null);
    const lab = holder?.lab as Lab | undefined;
    if (typeof lab?.name !== 'string' || lab.name !== ref.name) continue;
    if (digestOf(lab) === ref.digest) {
      remember(ref, lab);
      return lab;
    }
  }
  throw ApplicationFailure.nonRetryable(
    `Step ${context.info.activityId} names lab "${ref.name}" with digest ${ref.digest}, which the history of ` +
      `${workflowExecution.workflowId} does not hold; this is a bug of the engine: report it with the run's ` +
      `history (temporal workflow show --workflow-id ${workflowExecution.workflowId} --output json)`,
    StepErrorType.LabNotFound,
  );
}

/** The payloads of a history that may hold a lab (as `{ lab }`), newest first: labs corrected later win. */
function labPayloads(events: temporal.api.history.v1.IHistoryEvent[]): temporal.api.common.v1.IPayload[][] {
  const found: temporal.api.common.v1.IPayload[][] = [];
  for (const event of events) {
    const payloads =
      event.workflowExecutionStartedEventAttributes?.input?.payloads ??
      event.activityTaskCompletedEventAttributes?.result?.payloads ??
      event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.args?.payloads;
    if (payloads?.length) found.push(payloads);
  }
  return found.reverse();
}

/** Forgets every lab (tests of a worker restart). */
export function clearLabCache(): void {
  cache.clear();
}
