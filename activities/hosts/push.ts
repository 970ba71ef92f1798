/**
 * One service's files on one helper host, as a planned converge step: compare what is there with the
 * rendered files, write only what differs, run the host's own check (`named-checkconf -z`,
 * `dhcpd -t`, `haproxy -c`) BEFORE anything is reloaded, put the previous files back when the check
 * refuses the new ones (so bad input changes nothing), and reload only when something changed or the
 * daemon does not serve the files that are there.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Host } from '../../lab/schema.js';
import { quoteCommand } from '../../transport/shell.js';
import type { ExecResult, SshSession } from '../../transport/ssh.js';
import { describeChanges, type PlannedChange, type PlannedStep, type StepPlan } from '../support/plan.js';
import { planFiles, restoreFiles, writeFiles, type FileChange, type HostFile, type HostReader } from './files.js';
import { StepErrorType } from '../../contract/error-types.js';

export type HostService = 'dns' | 'dhcp' | 'pxe' | 'haproxy';

export interface ServicePush {
  host: Host;
  service: HostService;
  files: HostFile[];
  check?: readonly string[] | undefined;
  reload?: readonly string[] | undefined;
  /**
   * Why the daemon must reload although its files are as wanted (it serves older ones); undefined
   * when it serves them or when that cannot be told from the host.
   */
  stale?: (reader: HostReader) => Promise<string | undefined>;
}

export interface HostPushPlan extends StepPlan {
  files: FileChange[];
  /** Set when the files are right but the daemon must reload: why. */
  staleReason?: string;
}

/** Error type of a service check that refused the new files (they were put back). */
export const SERVICE_CHECK_FAILED = StepErrorType.ServiceCheckFailed;
/** Error type of a reload that failed after the check passed (the previous files were put back). */
export const SERVICE_RELOAD_FAILED = StepErrorType.ServiceReloadFailed;

/** Lines a checker or a daemon prints about a problem (not its banner, not its advice on filing bugs). */
const PROBLEM_LINE = /error|fail|unexpected|expected|bad|not found|unable|cannot|can't|\[ALERT\]|line \d+|:\d+:/i;
const BOILERPLATE = /submitting|bug|web page|README|^exiting\.?$|Fatal errors found in configuration/i;

/**
 * What to quote of a refused check or a failed reload: the lines about the problem (named-checkconf
 * prints them on stdout, its summary on stderr; dhcpd ends with advice), else the last lines.
 */
function outputTail(result: ExecResult): string {
  const lines = `${result.stdout}\n${result.stderr}`
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const problems = lines.filter((line) => PROBLEM_LINE.test(line) && !BOILERPLATE.test(line));
  return (problems.length > 0 ? problems.slice(0, 5) : lines.slice(-5)).join(' / ');
}

export async function planHostPush(reader: HostReader, push: ServicePush): Promise<HostPushPlan> {
  const { host, service } = push;
  const files = await planFiles(host.name, reader, push.files);
  const changes: PlannedChange[] = [...files];
  let staleReason: string | undefined;
  if (files.length === 0 && push.reload && push.stale) {
    staleReason = await push.stale(reader);
    if (staleReason) changes.push({ target: `${host.name} ${service}`, action: 'reload', diff: staleReason });
  } else if (files.length > 0 && push.reload) {
    changes.push({ target: `${host.name} ${service}`, action: 'reload' });
  }
  const detail = `${host.name} ${service}: ${push.files.length - files.length} of ${push.files.length} files as wanted`;
  return { changes, files, detail, ...(staleReason !== undefined && { staleReason }) };
}

export async function applyHostPush(session: SshSession, push: ServicePush, plan: HostPushPlan): Promise<string> {
  const { host, service } = push;
  const done: string[] = [];
  await writeFiles(session, plan.files);
  if (plan.files.length > 0) done.push(`wrote ${plan.files.map((change) => change.file.path).join(', ')}`);
  if (push.check) {
    const checked = await session.exec(push.check);
    if (checked.code !== 0) {
      const problems = await restoreFiles(session, plan.files);
      const restored =
        plan.files.length === 0
          ? 'nothing was written or reloaded'
          : problems.length
            ? `putting the previous files back FAILED (${problems.join('; ')}): check them on ${host.name} by hand`
            : 'the previous files are back and nothing was reloaded';
      throw ApplicationFailure.nonRetryable(
        `${service} configuration check \`${quoteCommand(push.check)}\` refused the ` +
          `${plan.files.length ? 'new ' : ''}files on ${host.name} (exit ${checked.code}): ` +
          `${outputTail(checked)}; ${restored}. Fix the lab file (or the files it renders) and resume`,
        SERVICE_CHECK_FAILED,
      );
    }
    done.push(`\`${quoteCommand(push.check)}\` passed`);
  }
  if (push.reload && (plan.files.length > 0 || plan.staleReason)) {
    const reloaded = await session.exec(push.reload);
    if (reloaded.code !== 0) {
      // Keep the files the daemon still serves (or serves again after the retry below) on disk.
      const problems = await restoreFiles(session, plan.files);
      if (plan.files.length > 0) await session.exec(push.reload);
      throw ApplicationFailure.retryable(
        `\`${quoteCommand(push.reload)}\` failed on ${host.name} (exit ${reloaded.code}): ${outputTail(reloaded)}; ${
          problems.length
            ? `putting the previous files back failed: ${problems.join('; ')}`
            : 'the previous files are back'
        }. Look at the ${service} service on ${host.name}`,
        SERVICE_RELOAD_FAILED,
      );
    }
    done.push(plan.staleReason ? `reloaded (${plan.staleReason})` : `reloaded with \`${quoteCommand(push.reload)}\``);
  }
  return `${host.name} ${service}: ${done.join('; ') || describeChanges(plan.changes)}`;
}

/** The push of `push` over `session` as a planned step (plan reads, apply writes). */
export function hostPushStep(session: SshSession, push: ServicePush): PlannedStep<HostPushPlan> {
  return {
    plan: () => planHostPush(session, push),
    apply: (plan) => applyHostPush(session, push, plan),
  };
}
