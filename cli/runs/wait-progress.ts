/**
 * A wait's progress as `--follow` (and so `rehearse`) shows it: the detail of the wait's last check,
 * from the checkpoint its activity heartbeats (activities/engine/poll-until.ts), printed only when it
 * changes, with the time the wait has waited. The Agent-based installer logs each validation the same
 * way, only when its message changes: an hour's wait says what it sees a handful of times.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { Run } from '../../temporal/runs.js';
import { WATCH_SUFFIX } from '../../workflows/engine/soft-deadline.js';

export interface WaitProgress {
  /** The step path (the activity id). */
  step: string;
  detail: string;
  waitedMs: number;
}

/** The waits the run has pending, each with its last check's detail; activities that are not waits are left out. */
export function pendingWaits(run: Pick<Run, 'description'>, now = Date.now()): WaitProgress[] {
  return (run.description.raw.pendingActivities ?? []).flatMap((activity) => {
    const payload = activity.heartbeatDetails?.payloads?.[0];
    if (!payload || !activity.activityId) return [];
    let checkpoint: { startedAtMs?: unknown; polls?: unknown; detail?: unknown };
    try {
      checkpoint = defaultPayloadConverter.fromPayload(payload) ?? {};
    } catch {
      return [];
    }
    const { startedAtMs, polls, detail } = checkpoint;
    // Before its first check a wait has nothing to say.
    if (typeof startedAtMs !== 'number' || typeof detail !== 'string' || polls === 0) return [];
    // A paused wait that watches on after its deadline (workflows/engine/soft-deadline.ts).
    const step = activity.activityId.endsWith(WATCH_SUFFIX)
      ? `${activity.activityId.slice(0, -WATCH_SUFFIX.length)} (paused, watching after its deadline)`
      : activity.activityId;
    return [{ step, detail, waitedMs: Math.max(0, now - startedAtMs) }];
  });
}
