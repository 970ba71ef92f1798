/**
 * Errors of the Temporal layer (finding the CLI, the dev server, connections, runs), written for the
 * user: what went wrong and what to do next. `kind` says what sort of failure it is; the `runbook`
 * command maps kinds to its exit codes (cli/errors.ts), so this layer knows nothing of the CLI.
 */
export const TemporalErrorKind = {
  /** Temporal, a worker or the Temporal CLI cannot be reached or started. */
  Unavailable: 'unavailable',
  /** The connection settings (profile, TLS files) cannot be read. */
  Settings: 'settings',
  /** The run addressed does not exist. */
  NotFound: 'not-found',
  /** The server or the run refused the request. */
  Refused: 'refused',
} as const;
export type TemporalErrorKind = (typeof TemporalErrorKind)[keyof typeof TemporalErrorKind];

export class TemporalError extends Error {
  constructor(
    message: string,
    public readonly kind: TemporalErrorKind,
    /** Extra lines for the user under the message: the commands or settings that fix it. */
    public readonly details: readonly string[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'TemporalError';
  }
}
