/**
 * Runs `ipmitool -I lanplus` on the worker toward one BMC: an argument array (no shell), the
 * password handed over in the environment (`-E` reads IPMI_PASSWORD) so that it never shows in argv,
 * `ps` or an error message, and in a rehearsal the BMC address fenced to loopback before anything is
 * spawned or resolved.
 */
import { execa } from 'execa';
import type { SecretRef } from '../lab/schema.js';
import { resolveSecret as defaultResolveSecret } from '../lab/secrets.js';
import type { IpmiTarget } from './bmc-targets.js';
import { assertLoopbackTarget } from './guard.js';

export interface IpmitoolResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface IpmitoolOptions {
  signal?: AbortSignal;
  /** One invocation, session included (default 60 s: ipmitool itself retries a lost session). */
  timeoutMs?: number;
  resolveSecret?: (ref: SecretRef) => Promise<string>;
}

export class IpmitoolError extends Error {
  constructor(
    message: string,
    public readonly code: 'NOT_FOUND' | 'TIMEOUT' | 'FAILED',
  ) {
    super(message);
    this.name = 'IpmitoolError';
  }
}

/** The argument vector for `command` (e.g. `['chassis', 'power', 'status']`); holds no secret. */
export function ipmitoolArgv(target: IpmiTarget, command: readonly string[]): string[] {
  return [
    '-I',
    'lanplus',
    '-H',
    target.host,
    ...(target.port !== undefined ? ['-p', String(target.port)] : []),
    '-U',
    target.username,
    '-E',
    ...command,
  ];
}

/** Runs one ipmitool command; a non-zero exit is a result (the caller knows what it means). */
export async function runIpmitool(
  target: IpmiTarget,
  command: readonly string[],
  options: IpmitoolOptions = {},
): Promise<IpmitoolResult> {
  if (target.rehearsal) assertLoopbackTarget(target.host, `the BMC of ${target.label} (ipmitool -H)`);
  options.signal?.throwIfAborted();
  const password = await (options.resolveSecret ?? defaultResolveSecret)(target.password);
  const argv = ipmitoolArgv(target, command);
  const result = await execa(target.binary, argv, {
    env: { IPMI_PASSWORD: password },
    reject: false,
    stdin: 'ignore',
    timeout: options.timeoutMs ?? 60_000,
    ...(options.signal && { cancelSignal: options.signal }),
  });
  const line = `\`${target.binary} ${argv.join(' ')}\``;
  if (result.isCanceled) throw options.signal?.reason ?? new Error(`${line} was cancelled`);
  if (result.timedOut)
    throw new IpmitoolError(`${line} toward ${target.label}'s BMC did not finish in time`, 'TIMEOUT');
  if ((result as { code?: string }).code === 'ENOENT') {
    throw new IpmitoolError(
      `ipmitool not found as ${target.binary}: install it on the worker (apt-get install ipmitool) or point RUNBOOK_IPMITOOL at it`,
      'NOT_FOUND',
    );
  }
  if (result.exitCode === undefined) {
    throw new IpmitoolError(`${line} ended without an exit status (${result.signal ?? 'unknown reason'})`, 'FAILED');
  }
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}
