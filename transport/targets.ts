/**
 * Where an SSH connection to a lab host goes: the host's own address for real runs, the simulated
 * host's loopback endpoint for rehearsals (read from the simulator's `endpoints.json`).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Lab, SecretRef } from '../lab/schema.js';
import { StepErrorType } from '../contract/error-types.js';
import { PermanentError } from './permanent.js';

/** One simulated helper host as the simulator publishes it. */
export const hostEndpointSchema = z.strictObject({
  /** Lab `hosts[].name`. */
  name: z.string().min(1),
  /** Loopback address it listens on. */
  address: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  /** Its public host key (`ssh-ed25519 AAAA…`), to pin. */
  hostKey: z.string().min(1),
  /** Local folder that holds the host's files (its `/`). */
  root: z.string().min(1),
});
export type HostEndpoint = z.infer<typeof hostEndpointSchema>;

/** The helper hosts listed in the simulator's `endpoints.json` (`{ hosts: [...], … }`). */
export async function readHostEndpoints(file: string): Promise<HostEndpoint[]> {
  return (await readEndpointsFile(file, z.object({ hosts: z.array(hostEndpointSchema) }))).hosts;
}

/** The simulator's `endpoints.json`, or the part of it that `schema` reads; errors say how to fix it. */
export async function readEndpointsFile<T>(file: string, schema: z.ZodType<T>): Promise<T> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(
      `cannot read the simulated lab's endpoints from ${file} (${(error as Error).message}): start it with \`runbook sim start\``,
      { cause: error },
    );
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    throw new Error(
      `${file} is not an endpoints file written by \`runbook sim start\`:\n${z.prettifyError(parsed.error)}`,
    );
  }
  return parsed.data;
}

export interface SshTarget {
  /** Lab host name, used in messages. */
  label: string;
  host: string;
  port: number;
  user: string;
  /** Pinned public host key (`ssh-ed25519 AAAA…`); checked before knownHostsFile. */
  hostKey?: string;
  /** known_hosts file to verify the host key against (a leading `~/` is the home folder). */
  knownHostsFile?: string;
  /** Client private key, resolved only when connecting. */
  identity: SecretRef;
  /** A rehearsal target: only loopback is allowed (see ./guard.ts). */
  rehearsal: boolean;
}

/** known_hosts used when the lab pins neither a key nor a file, as OpenSSH does. */
export const DEFAULT_KNOWN_HOSTS = '~/.ssh/known_hosts';

export function sshTargetFor(
  lab: Lab,
  hostName: string,
  rehearsal?: { endpoints: readonly HostEndpoint[] },
): SshTarget {
  const host = lab.hosts.find((candidate) => candidate.name === hostName);
  if (!host) {
    const known = lab.hosts.map((candidate) => candidate.name).join(', ');
    throw new PermanentError(
      `the lab has no helper host named "${hostName}" (hosts: ${known}): use a name from hosts[].name`,
      StepErrorType.UnknownHost,
    );
  }
  const identity = host.ssh.identity ?? lab.secrets.sshPrivateKey;
  if (rehearsal) {
    const endpoint = rehearsal.endpoints.find((candidate) => candidate.name === hostName);
    if (!endpoint) {
      throw new PermanentError(
        `the simulated lab publishes no SSH endpoint for host "${hostName}": restart it with \`runbook sim start\` for this lab`,
        StepErrorType.RehearsalEndpointsMissing,
      );
    }
    return {
      label: hostName,
      host: endpoint.address,
      port: endpoint.port,
      user: host.ssh.user,
      hostKey: endpoint.hostKey,
      identity,
      rehearsal: true,
    };
  }
  const target: SshTarget = {
    label: hostName,
    host: host.ssh.host ?? host.address,
    port: host.ssh.port,
    user: host.ssh.user,
    identity,
    rehearsal: false,
  };
  if (host.ssh.hostKey) target.hostKey = host.ssh.hostKey;
  if (host.ssh.knownHosts || !host.ssh.hostKey) target.knownHostsFile = host.ssh.knownHosts ?? DEFAULT_KNOWN_HOSTS;
  return target;
}
