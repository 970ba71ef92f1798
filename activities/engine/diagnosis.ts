/**
 * Diagnosis of a wait that pauses: when a declared wait (./declare.ts, its `diagnose`) ends in a failure
 * that pauses the run (its deadline reached, an operator Degraded, a CSR flood), its probes run once, in
 * parallel, each bounded in time, and what they found goes with the failure (its details, redacted of
 * the lab's secrets), so that `runbook status`, the UI and the notice say why, not only "timed out".
 * A probe never fails the pause: one that throws or runs out of time is reported as such.
 */
import { cancellationSignal, heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Finding } from '../../contract/diagnosis.js';
import { StepErrorType } from '../../contract/error-types.js';
import type { StepContext } from '../../contract/step.js';
import { redactSecrets } from './redact.js';

export type ProbeFinding = Omit<Finding, 'probe'>;

export interface DiagnosisProbe {
  /** Short name shown before each finding: `dns`, `haproxy`, `gather`. */
  name: string;
  /** Longest the probe may take; it is aborted then, and reported as having given no answer. */
  timeoutMs?: number;
  run: (signal: AbortSignal) => Promise<ProbeFinding[]>;
}

/** A wait's probes, from its context and parsed parameters (`diagnose` of defineWait). */
export type Diagnose<Params> = (context: StepContext, params: Params) => DiagnosisProbe[];

export const DEFAULT_PROBE_MS = 15_000;
/** Longest line kept per finding, and most findings kept: the history and a notice stay small. */
const MAX_TEXT = 600;
const MAX_FINDINGS = 40;
const HEARTBEAT_MS = 1_000;

/** Failures that pause the run (not retried by the server): those are worth a diagnosis. */
export function pausesTheRun(error: unknown): error is ApplicationFailure {
  return (
    error instanceof ApplicationFailure &&
    error.nonRetryable === true &&
    error.type !== StepErrorType.InvalidStepParams &&
    error.type !== StepErrorType.WorkerStopping
  );
}

/** Runs `probe` until it answers, `timeoutMs` passes or `outer` aborts; never throws. */
async function runBounded(probe: DiagnosisProbe, outer: AbortSignal): Promise<Finding[]> {
  const timeoutMs = probe.timeoutMs ?? DEFAULT_PROBE_MS;
  const local = new AbortController();
  const signal = AbortSignal.any([outer, local.signal]);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<ProbeFinding[]>((resolve) => {
    timer = setTimeout(() => {
      local.abort();
      const within = timeoutMs < 1_000 ? `${timeoutMs}ms` : `${Math.round(timeoutMs / 1000)}s`;
      resolve([{ verdict: 'error', text: `gave no answer within ${within} (stopped)` }]);
    }, timeoutMs);
  });
  try {
    const found = await Promise.race([
      probe
        .run(signal)
        .catch((error: unknown): ProbeFinding[] => [
          { verdict: 'error', text: `the probe failed: ${error instanceof Error ? error.message : String(error)}` },
        ]),
      expired,
    ]);
    return found.map((finding) => ({ probe: probe.name, ...finding }));
  } finally {
    clearTimeout(timer);
    local.abort();
  }
}

/**
 * Every probe's findings, redacted and trimmed. Heartbeats `checkpoint` meanwhile (the wait's last one,
 * so a worker lost during the diagnosis hands the wait on where it was).
 */
export async function runDiagnosis(
  context: StepContext,
  probes: readonly DiagnosisProbe[],
  checkpoint?: unknown,
): Promise<Finding[]> {
  const keepAlive = setInterval(() => heartbeat(checkpoint), HEARTBEAT_MS);
  try {
    const found = (await Promise.all(probes.map((probe) => runBounded(probe, cancellationSignal())))).flat();
    const trimmed = found.slice(0, MAX_FINDINGS).map((finding) => ({
      ...finding,
      text: finding.text.length > MAX_TEXT ? `${finding.text.slice(0, MAX_TEXT - 1)}…` : finding.text,
    }));
    if (found.length > MAX_FINDINGS)
      trimmed.push({
        probe: 'diagnosis',
        verdict: 'error',
        text: `${found.length - MAX_FINDINGS} more findings left out`,
      });
    return await Promise.all(
      trimmed.map(async (finding) => ({ ...finding, text: await redactSecrets(finding.text, context.lab) })),
    );
  } finally {
    clearInterval(keepAlive);
  }
}

/** `failure` again, with the diagnosis in its details (`[{ diagnosis }]`, read by the step wrapper). */
export async function diagnosedFailure(
  failure: ApplicationFailure,
  context: StepContext,
  probes: readonly DiagnosisProbe[],
): Promise<ApplicationFailure> {
  if (probes.length === 0) return failure;
  // The deadline failure carries the wait's checkpoint (./poll-until.ts); other failures none.
  const first = failure.details?.[0] as { startedAtMs?: unknown } | undefined;
  const checkpoint = typeof first?.startedAtMs === 'number' ? first : undefined;
  const diagnosis = await runDiagnosis(context, probes, checkpoint);
  return ApplicationFailure.create({
    message: failure.message,
    type: failure.type ?? 'Error',
    nonRetryable: true,
    details: [{ diagnosis }],
  });
}
