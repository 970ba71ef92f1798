/**
 * Activities of the `preflight` runbook: read-only checks that the lab is ready for the install.
 * None of them changes anything; each reports what it found.
 */
import { ApplicationFailure } from '@temporalio/common';
import { formatPath } from '../lab/issues.js';
import { serviceFolders, type Host } from '../lab/schema.js';
import { secretRefsOf } from '../lab/secret-refs.js';
import { checkSecretRef } from '../lab/secrets.js';
import { StepErrorType } from '../contract/error-types.js';
import type { StepContext, StepOutcome } from '../contract/step.js';
import { actionWithoutParams } from './engine/declare.js';
import { withSsh } from './support/lab-access.js';
import { readOnlyCheck } from './support/plan.js';

function hostOf(context: StepContext): Host {
  const host = context.lab.hosts.find((candidate) => candidate.name === context.item);
  if (!host) {
    throw ApplicationFailure.nonRetryable(
      `host "${context.item}" is not in lab ${context.lab.name}`,
      StepErrorType.UnknownHost,
    );
  }
  return host;
}

/** The service checks of a host, with the file each one validates (run only once that file exists). */
function serviceChecks(host: Host): Array<{ service: string; file: string; check: string[] }> {
  const checks: Array<{ service: string; file: string; check: string[] }> = [];
  if (host.dns) checks.push({ service: 'dns', file: host.dns.zonesConf, check: host.dns.check });
  if (host.dhcp) checks.push({ service: 'dhcp', file: host.dhcp.configPath, check: host.dhcp.check });
  if (host.haproxy) checks.push({ service: 'haproxy', file: host.haproxy.configPath, check: host.haproxy.check });
  return checks;
}

export const preflightActivities = {
  async preflightSecrets(context: StepContext): Promise<StepOutcome> {
    const refs = secretRefsOf(context.lab);
    const problems: string[] = [];
    for (const { path, ref, kind } of refs) {
      const problem = await checkSecretRef(ref, kind);
      if (problem) problems.push(`${formatPath(path)}: ${problem}`);
    }
    if (problems.length) {
      // The worker reads the secrets: a reference that does not resolve here will not resolve later.
      throw ApplicationFailure.nonRetryable(
        `secret references do not resolve on this worker: ${problems.join('; ')}`,
        StepErrorType.SecretUnresolved,
      );
    }
    return { changed: false, detail: `${refs.length} secret references resolve on this worker` };
  },

  async preflightSsh(context: StepContext): Promise<StepOutcome> {
    const host = hostOf(context);
    return withSsh(context, host.name, async () => ({
      changed: false,
      detail: `reached ${host.name} over SSH as ${host.ssh.user}, host key verified`,
    }));
  },

  async preflightFolders(context: StepContext): Promise<StepOutcome> {
    const host = hostOf(context);
    const folders = serviceFolders(host);
    if (folders.length === 0) return { changed: false, detail: `${host.name} has no service folders to check` };
    const missing = await withSsh(context, host.name, async (session) => {
      const absent: string[] = [];
      for (const folder of folders) {
        const stat = await session.stat(folder);
        if (stat?.type !== 'directory') absent.push(folder);
      }
      return absent;
    });
    if (missing.length) {
      throw ApplicationFailure.nonRetryable(
        `${host.name} lacks ${missing.join(', ')}: create them (or fix the paths in the lab file) and resume`,
        StepErrorType.FolderMissing,
      );
    }
    return { changed: false, detail: `${host.name} has ${folders.join(', ')}` };
  },

  async preflightServiceCheck(context: StepContext): Promise<StepOutcome> {
    const host = hostOf(context);
    const checks = serviceChecks(host);
    if (checks.length === 0)
      return { changed: false, detail: `${host.name} runs no service with a configuration check` };
    const found = await withSsh(context, host.name, async (session) => {
      const lines: string[] = [];
      for (const { service, file, check } of checks) {
        if (!(await session.stat(file))) {
          lines.push(`${service}: no ${file} yet, nothing to check`);
          continue;
        }
        const result = await session.exec(check);
        if (result.code !== 0) {
          const output = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' / ');
          throw ApplicationFailure.nonRetryable(
            `${service} configuration check \`${check.join(' ')}\` failed on ${host.name} (exit ${result.code}): ${output}`,
            StepErrorType.ServiceCheckFailed,
          );
        }
        lines.push(`${service}: \`${check.join(' ')}\` passed`);
      }
      return lines;
    });
    return { changed: false, detail: found.join('; ') };
  },

  async preflightPowerState(context: StepContext): Promise<StepOutcome> {
    const node = context.lab.nodes.find((candidate) => candidate.name === context.item);
    if (node?.power.type !== 'libvirt') {
      throw ApplicationFailure.nonRetryable(
        `node "${context.item}" has no libvirt power in lab ${context.lab.name}`,
        StepErrorType.UnknownNode,
      );
    }
    const { hypervisor, domain } = node.power;
    const uri = context.lab.hosts.find((host) => host.name === hypervisor)?.hypervisor?.uri ?? 'qemu:///system';
    const result = await withSsh(context, hypervisor, (session) =>
      session.exec(['virsh', '-c', uri, 'domstate', domain]),
    );
    if (result.code !== 0) {
      throw ApplicationFailure.nonRetryable(
        `virsh on ${hypervisor} does not know domain ${domain} of node ${node.name}: ` +
          `${result.stderr.trim()}; define the domain or fix nodes[].power.domain`,
        StepErrorType.DomainMissing,
      );
    }
    return { changed: false, detail: `${node.name}: domain ${domain} on ${hypervisor} is ${result.stdout.trim()}` };
  },
};

/** A preflight check: it only reads, so it is its own plan half. */
const check = <const Name extends keyof typeof preflightActivities>(
  name: Name,
  summary: string,
  errors: readonly StepErrorType[],
) => actionWithoutParams(name, summary, errors, preflightActivities[name], readOnlyCheck(preflightActivities[name]));

export const preflightDeclarations = [
  check('preflightSecrets', 'every secret reference of the lab resolves on the worker', [
    StepErrorType.SecretUnresolved,
  ]),
  check('preflightSsh', 'the helper host answers over SSH with the host key the lab pins', [StepErrorType.UnknownHost]),
  check('preflightFolders', 'the folders the install writes into exist on the host', [StepErrorType.FolderMissing]),
  check('preflightServiceCheck', 'the host’s services pass their own configuration checks', [
    StepErrorType.ServiceCheckFailed,
  ]),
  check('preflightPowerState', 'the hypervisor knows the node’s libvirt domain', [
    StepErrorType.UnknownNode,
    StepErrorType.DomainMissing,
  ]),
] as const;
