/**
 * What each service's step pushes to a helper host: the files the renderers give for that host and
 * service, the host's own check and reload commands, and (DNS) how to tell named serves older files.
 */
import { ApplicationFailure } from '@temporalio/common';
import { hostsWith, type Host, type Lab } from '../../lab/schema.js';
import { renderArtifact } from '../../render/index.js';
import type { HostFile } from './files.js';
import { dnsStaleReason, zoneSerials } from './dns.js';
import type { HostService, ServicePush } from './push.js';
import { StepErrorType } from '../../contract/error-types.js';

/** Every pushed file is world-readable and owned by the SSH user: the daemons read them, none is secret. */
const FILE_MODE = 0o644;

/** The pushes a step makes, by name: which service and which rendered artifacts. */
export const hostPushes = {
  dns: { service: 'dns', artifact: 'dns', what: 'the zones and the named.conf zone statements' },
  dhcp: { service: 'dhcp', artifact: 'dhcp', what: 'dhcpd.conf' },
  pxe: { service: 'pxe', artifact: 'pxe', what: 'the per-MAC PXELINUX and GRUB configs and the menus' },
  'haproxy-bootstrap': {
    service: 'haproxy',
    artifact: 'haproxy.bootstrap',
    what: 'haproxy.cfg with the bootstrap node',
  },
  'haproxy-final': { service: 'haproxy', artifact: 'haproxy.final', what: 'haproxy.cfg without the bootstrap node' },
} as const satisfies Record<string, { service: HostService; artifact: string; what: string }>;
export type HostPushName = keyof typeof hostPushes;

/**
 * The hosts a step works on: the for-each item when the step runs per host, else every host with
 * the service. Bad input (an item that is not such a host, no such host at all) pauses the run.
 */
export function hostsForStep(lab: Lab, service: HostService, item: string | undefined): Host[] {
  const candidates = hostsWith(lab, service);
  if (item === undefined) {
    if (candidates.length === 0) {
      throw ApplicationFailure.nonRetryable(
        `lab ${lab.name} has no helper host with a ${service} block: add one to hosts[] (or skip this step with when:)`,
        StepErrorType.NoServiceHost,
      );
    }
    return candidates;
  }
  const host = candidates.find((candidate) => candidate.name === item);
  if (!host) {
    throw ApplicationFailure.nonRetryable(
      `"${item}" is not a helper host with a ${service} block in lab ${lab.name} (those are: ${
        candidates.map((candidate) => candidate.name).join(', ') || 'none'
      }): run this step for one of them`,
      StepErrorType.UnknownHost,
    );
  }
  return [host];
}

export function servicePush(lab: Lab, host: Host, name: HostPushName): ServicePush {
  const { service, artifact } = hostPushes[name];
  const files: HostFile[] = renderArtifact(lab, artifact)
    .filter((file) => file.host === host.name && file.target !== undefined)
    .map((file) => {
      // These files carry no secret; one that did would need its slots filled, never its placeholders pushed.
      if (file.secrets?.length) throw new Error(`${file.path} holds secrets: it cannot be pushed as a plain file`);
      return { path: file.target!, content: file.content, mode: FILE_MODE };
    });
  const block = host[service]!;
  const push: ServicePush = { host, service, files, check: block.check, reload: block.reload };
  if (service === 'dns') {
    const zones = zoneSerials(lab, files, host);
    push.stale = (reader) => dnsStaleReason(reader, zones);
  }
  return push;
}
