/**
 * The runbooks' own metrics, next to the SDK's on the worker's Prometheus endpoint (`runbook worker
 * --metrics`). Emitted through the workflow metric meter: the SDK drops them while a history is
 * replayed, so each transition counts once, whichever worker ran it. Workflow code (no I/O).
 *
 * - `runbook_steps` (counter): steps reaching a state, by `runbook` and `state` (changed, unchanged,
 *   skipped, failed, paused, waiting-approval).
 * - `runbook_paused_seconds` (histogram): how long a run waited for a person, by `runbook` and `state`
 *   (paused: a failed step until `resume`; waiting-approval: a gate until `approve`), in workflow time.
 */
import { metricMeter, workflowInfo } from '@temporalio/workflow';
import type { StepStatus } from './api.js';

export function countStep(state: StepStatus): void {
  metricMeter
    .createCounter('runbook_steps', 'steps', 'Steps that reached a state')
    .add(1, { runbook: workflowInfo().workflowType, state });
}

/** Records a wait for a person that began at `startedMs` (workflow time) and ends now. */
export function recordPause(state: 'paused' | 'waiting-approval', startedMs: number): void {
  metricMeter
    .createHistogram(
      'runbook_paused_seconds',
      'float',
      's',
      'Time a run waited for a person (a failed step until resume, a gate until approve)',
    )
    .record((Date.now() - startedMs) / 1000, { runbook: workflowInfo().workflowType, state });
}
