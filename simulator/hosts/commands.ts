/**
 * What a simulated helper host runs over SSH: its services' `check` and `reload` commands exactly as
 * the lab writes them (the real checkers and daemons, ./services.ts), the real `dig @127.0.0.1` on DNS
 * hosts (toward the host's named) and `virsh` on hypervisors (ipmitool runs on the worker, against
 * the simulated BMCs: simulator/bmc). Anything else exits 127, naming what the host does run, so a runbook that relies on
 * an unlisted command fails in rehearsal instead of on the real host.
 */
import type { Host, Lab } from '../../lab/schema.js';
import type { SimLogger } from '../context.js';
import { parseCommand, quoteCommand, ShellSyntaxError } from '../../transport/shell.js';
import type { PowerBoard } from './power-board.js';
import type { NamedDaemon } from './named-daemon.js';
import type { CommandResult, HostServices } from './services.js';
import { runVirsh, type DomainIds } from './virsh.js';
import { FILE_COMMAND_FORMS, runFileCommand } from './file-commands.js';
import { runRealChecker } from './real-checkers.js';
import type { RootFs } from './root-fs.js';

export interface HostCommandContext {
  lab: Lab;
  host: Host;
  services: HostServices;
  power: PowerBoard;
  ids: DomainIds;
  log?: SimLogger;
  /** The host's `/`: with it, the host also runs curl, sha256sum, mv and rm (./file-commands.ts). */
  fs?: RootFs;
  /** The DNS host's real named, which its `dig @127.0.0.1` asks. */
  named?: NamedDaemon;
}

/** Lab domains on this hypervisor host: domain name → node name. */
function domainsOf(lab: Lab, host: Host): Map<string, string> {
  return new Map(
    lab.nodes.flatMap((node) =>
      node.power.type === 'libvirt' && node.power.hypervisor === host.name
        ? [[node.power.domain, node.name] as const]
        : [],
    ),
  );
}

/** Each lab domain's boot disk on this hypervisor: domain name → its target device (the node's installDisk). */
function bootDisksOf(lab: Lab, host: Host): Map<string, string> {
  return new Map(
    lab.nodes.flatMap((node) =>
      node.power.type === 'libvirt' && node.power.hypervisor === host.name
        ? [[node.power.domain, node.installDisk.replace(/^\/dev\//, '')] as const]
        : [],
    ),
  );
}

/** The accepted command forms, one per line, for refusals. */
export function allowedCommands(ctx: HostCommandContext): string[] {
  const allowed = ctx.services.commands().map((command) => quoteCommand(command.argv));
  if (ctx.host.hypervisor) {
    const connect = `[-c ${ctx.host.hypervisor.uri}]`;
    const domains = [...domainsOf(ctx.lab, ctx.host).keys()].join('|') || '<domain>';
    allowed.push(
      `virsh ${connect} start|destroy|reboot|domstate ${domains}`,
      `virsh ${connect} domblklist [--details] ${domains}`,
      `virsh ${connect} vol-wipe <volume path>`,
      `virsh ${connect} list [--all]`,
    );
  }
  if (ctx.host.dns) allowed.push('dig @127.0.0.1 [options] <name> [type]');
  if (ctx.fs) allowed.push(...FILE_COMMAND_FORMS);
  return allowed;
}

function refuse(ctx: HostCommandContext, what: string): CommandResult {
  const allowed = allowedCommands(ctx);
  const list =
    allowed.length > 0
      ? allowed.map((line) => `  ${line}`).join('\n')
      : '  (nothing: this host has no service blocks in the lab)';
  return { code: 127, stdout: '', stderr: `${what}\nThe simulated host ${ctx.host.name} runs only:\n${list}\n` };
}

export async function runHostCommand(
  commandLine: string,
  env: Readonly<Record<string, string>>,
  ctx: HostCommandContext,
): Promise<CommandResult> {
  let argv: string[];
  try {
    argv = parseCommand(commandLine);
  } catch (error) {
    if (!(error instanceof ShellSyntaxError)) throw error;
    return refuse(ctx, `${ctx.host.name}: refused: ${error.message}`);
  }
  if (argv.length === 0) return refuse(ctx, `${ctx.host.name}: refused: an empty command`);
  const result = await dispatch(argv, env, ctx);
  ctx.log?.info(`${ctx.host.name}: ${loggable(argv)} → exit ${result.code}`);
  return result;
}

/**
 * What the host's sshd calls: the file commands, which take time (a download) and so answer with a
 * promise, then everything `runHostCommand` runs.
 */
export async function runHostCommandAsync(
  commandLine: string,
  env: Readonly<Record<string, string>>,
  ctx: HostCommandContext,
): Promise<CommandResult> {
  let argv: string[] | undefined;
  try {
    argv = parseCommand(commandLine);
  } catch {
    // runHostCommand refuses it with the reason.
  }
  const user = ctx.host.ssh.user;
  const running =
    argv && ctx.fs && runFileCommand(argv, { fs: ctx.fs, home: user === 'root' ? '/root' : `/home/${user}` });
  if (!argv || !running) return runHostCommand(commandLine, env, ctx);
  const result = await running;
  ctx.log?.info(`${ctx.host.name}: ${quoteCommand(argv)} → exit ${result.code}`);
  return result;
}

async function dispatch(
  argv: string[],
  env: Readonly<Record<string, string>>,
  ctx: HostCommandContext,
): Promise<CommandResult> {
  const program = argv[0]!;

  const matching = ctx.services.commands().filter((command) => sameArgv(command.argv, argv));
  if (matching.length > 0) {
    const results: CommandResult[] = [];
    for (const command of matching) results.push(await ctx.services.run(command));
    return results.reduce((all, one) => ({
      code: Math.max(all.code, one.code),
      stdout: all.stdout + one.stdout,
      stderr: all.stderr + one.stderr,
    }));
  }
  let result: CommandResult | undefined;
  if (program === 'virsh' && ctx.host.hypervisor) {
    result = runVirsh(argv, {
      uri: ctx.host.hypervisor.uri,
      domains: domainsOf(ctx.lab, ctx.host),
      bootDisks: bootDisksOf(ctx.lab, ctx.host),
      power: ctx.power,
      ids: ctx.ids,
    });
  } else if (program === 'dig' && ctx.named && argv[1] === '@127.0.0.1') {
    result = await ctx.named.dig(argv.slice(1));
  } else if (ctx.fs && CHECKER_HOSTS[program]?.(ctx.host)) {
    result = await runRealChecker(argv, ctx.fs);
  }
  return (
    result ??
    refuse(ctx, `${program}: command not found (or not in an accepted form) on the simulated host ${ctx.host.name}`)
  );
}

/** The real checkers a host runs in any of their forms, beside its lab `check` commands: by its services. */
const CHECKER_HOSTS: Record<string, (host: Host) => boolean> = {
  'named-checkconf': (host) => host.dns !== undefined,
  dhcpd: (host) => host.dhcp !== undefined,
  haproxy: (host) => host.haproxy !== undefined,
};

function sameArgv(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((arg, i) => arg === b[i]);
}

/** The command line for logs: the value after `-P` is a password and is masked (ipmitool typed on a host). */
function loggable(argv: readonly string[]): string {
  return quoteCommand(argv.map((arg, i) => (argv[i - 1] === '-P' && argv[0] === 'ipmitool' ? '****' : arg)));
}
