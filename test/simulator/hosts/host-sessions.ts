/** SSH sessions to simulated hosts, one per host, opened on first use through the rehearsal target. */
import type { Lab } from '../../../lab/schema.js';
import type { HostEndpoint } from '../../../simulator/hosts/index.js';
import { SshSession } from '../../../transport/ssh.js';
import { sshTargetFor } from '../../../transport/targets.js';

export interface HostSessions {
  ssh(host: string): Promise<SshSession>;
  close(): Promise<void>;
}

/** `endpoints` is read at each first connection, so a restarted set of hosts is reached at its new ports. */
export function hostSessions(lab: () => Lab, endpoints: () => readonly HostEndpoint[]): HostSessions {
  const sessions = new Map<string, SshSession>();
  return {
    async ssh(host) {
      let session = sessions.get(host);
      if (!session) {
        session = await SshSession.connect(sshTargetFor(lab(), host, { endpoints: [...endpoints()] }));
        sessions.set(host, session);
      }
      return session;
    },
    async close() {
      await Promise.all([...sessions.values()].map((session) => session.close()));
      sessions.clear();
    },
  };
}
