/**
 * Errors the CLI reports to the user. Each carries the exit code the command ends with, so
 * scripts can tell "you asked for something wrong" from "the runbook failed" from "no server".
 */

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
