/**
 * Errors the CLI reports to the user. Each carries the exit code the command ends with, so
 * scripts can tell "you asked for something wrong" from "the runbook failed" from "no server".
 * The layers below have their own error types; `asUserError` maps them here, once.
 */
import { LabFileError } from '../lab/load.js';
import { TemporalError, TemporalErrorKind } from '../temporal/errors.js';

/** Exit codes of the `runbook` command. */
export const ExitCode = {
  OK: 0,
  /** The runbook (or the checked thing) failed: a failed step, an invalid lab, a failed check. */
  FAILED: 1,
  /** The command line itself is wrong: unknown option, missing argument, bad value. */
  USAGE: 2,
  /** Temporal, a worker or another service the command needs cannot be reached. */
  UNAVAILABLE: 3,
  /** What the command addresses does not exist (workflow id, schedule, runbook name). */
  NOT_FOUND: 4,
  /** The runbook is paused, waiting for an operator (`status` and `start --follow` report it). */
  PAUSED: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error whose message is written for the user: what went wrong and what to do next. */
export class UserError extends Error {
  constructor(
    message: string,
    public readonly exitCode: ExitCode = ExitCode.FAILED,
    /** Extra lines printed under the message (e.g. every validation issue). */
    public readonly details: readonly string[] = [],
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** The exit code of each kind of Temporal failure. */
const TEMPORAL_EXIT_CODES: Record<TemporalErrorKind, ExitCode> = {
  [TemporalErrorKind.Unavailable]: ExitCode.UNAVAILABLE,
  [TemporalErrorKind.Settings]: ExitCode.USAGE,
  [TemporalErrorKind.NotFound]: ExitCode.NOT_FOUND,
  [TemporalErrorKind.Refused]: ExitCode.FAILED,
};

/** The error as the user sees it, with its exit code; undefined for an error nobody wrote for the user. */
export function asUserError(error: unknown): UserError | undefined {
  if (error instanceof UserError) return error;
  if (error instanceof TemporalError)
    return new UserError(error.message, TEMPORAL_EXIT_CODES[error.kind], error.details);
  // A lab file that is not there is a wrong command line, whichever command read it.
  if (error instanceof LabFileError)
    return new UserError(error.message, ExitCode.USAGE, [...error.hints(), 'nothing was started or changed']);
  return undefined;
}
