/**
 * `converge`: the shape of every action step. Check the current state; act only when it differs from
 * the wanted state; check again to prove the action worked. Running a step twice is therefore safe:
 * the second run finds nothing to do and reports `unchanged`.
 */
import { ApplicationFailure } from '@temporalio/common';
import { StepErrorType } from '../../contract/error-types.js';
import type { StepOutcome } from '../../contract/step.js';

export interface ConvergeCheck {
  /** Whether the state is already as wanted. */
  ok: boolean;
  /** What was found, for the operator ("zone intra.example.com serial 2024010101"). */
  detail: string;
}

export interface ConvergeSpec {
  check: () => Promise<ConvergeCheck>;
  /** Brings the state to the wanted one; may return a line describing what it did. */
  apply: () => Promise<string | void>;
  /** Check again after `apply` (default true); a state still wrong fails the attempt. */
  verify?: boolean;
}

export async function converge(spec: ConvergeSpec): Promise<StepOutcome> {
  const before = await spec.check();
  if (before.ok) return { changed: false, detail: before.detail };
  const applied = await spec.apply();
  if (spec.verify === false) return { changed: true, detail: applied || before.detail };
  const after = await spec.check();
  if (!after.ok) {
    // Retryable: the state may need a moment to settle (a daemon reloading).
    throw ApplicationFailure.retryable(
      `The change did not take effect: ${after.detail}`,
      StepErrorType.ConvergeNotReached,
    );
  }
  return { changed: true, detail: applied || after.detail };
}
