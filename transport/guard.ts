/**
 * The rehearsal fence: a rehearsal talks to the simulated lab only, which listens on loopback. Every
 * connection a rehearsal opens is checked here first, so a lab address that slipped through (a real
 * 10.42.253.x) fails before any packet leaves the machine.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { PermanentError } from './permanent.js';

/** A mistake in the rehearsal's set-up, not a fault of the moment: permanent. */
export class RehearsalTargetError extends PermanentError {
  constructor(
    public readonly host: string,
    public readonly what: string,
  ) {
    super(
      `rehearsal refuses to connect to ${host} (${what}): rehearsals only talk to the simulated lab on loopback`,
      'RehearsalTargetError',
    );
  }
}

/** Whether `host` names this machine's loopback: 127.0.0.0/8, ::1 (also IPv4-mapped) or localhost. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const name = bare.toLowerCase();
  if (name === 'localhost' || name === 'localhost.') return true;
  if (isIPv4(name)) return name.startsWith('127.');
  if (!isIPv6(name)) return false;
  if (name === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(name)) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(name);
  return mapped !== null && isIPv4(mapped[1]!) && mapped[1]!.startsWith('127.');
}

/** Throws unless `host` is loopback; `what` names the connection in the error ("netserv1 ssh"). */
export function assertLoopbackTarget(host: string, what: string): void {
  if (!isLoopbackHost(host)) throw new RehearsalTargetError(host, what);
}
