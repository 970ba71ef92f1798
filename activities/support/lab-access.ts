/**
 * How step activities reach the lab: SSH sessions to helper hosts, to the real host or, in a
 * rehearsal, to the simulated one on loopback (the guard in transport/ refuses anything else).
 */
import { ApplicationFailure } from '@temporalio/common';
import { readHostEndpoints, sshTargetFor, type HostEndpoint } from '../../transport/targets.js';
import { SshSession } from '../../transport/ssh.js';
import { StepErrorType } from '../../contract/error-types.js';
import type { StepContext } from '../../contract/step.js';
import { activitySignal } from './activity-signal.js';

/** The simulated hosts of a rehearsal, from the simulator's endpoints.json; undefined for a real run. */
export async function rehearsalEndpoints(context: StepContext): Promise<HostEndpoint[] | undefined> {
  if (!context.rehearsal) return undefined;
  try {
    return await readHostEndpoints(context.rehearsal.endpointsFile);
  } catch (error) {
    // Retrying will not bring the simulated lab back: pause so the operator restarts it.
    throw ApplicationFailure.nonRetryable((error as Error).message, StepErrorType.RehearsalEndpointsMissing);
  }
}

/** Runs `use` with an SSH session to the lab host `hostName`, closed afterwards whatever happens. */
export async function withSsh<T>(
  context: StepContext,
  hostName: string,
  use: (session: SshSession) => Promise<T>,
  /** Closes the session when aborted; the activity's own signal by default. */
  signal: AbortSignal | undefined = activitySignal(),
): Promise<T> {
  const endpoints = await rehearsalEndpoints(context);
  const target = sshTargetFor(context.lab, hostName, endpoints ? { endpoints } : undefined);
  const session = await SshSession.connect(target, signal ? { signal } : {});
  try {
    return await use(session);
  } finally {
    await session.close();
  }
}
