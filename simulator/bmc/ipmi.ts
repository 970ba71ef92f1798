/**
 * The simulated IPMI BMCs. Real ipmitool speaks RMCP+ over UDP; the simulator does not: its stand-in
 * ipmitool (./ipmitool-cli.ts) parses the same command line and hands the session request (BMC
 * address and port, user, password, command) to this module through the lab's admin endpoint. The
 * answer is what ipmitool prints and its exit status, including the refusal a real BMC gives to a
 * wrong user or password.
 *
 * Each IPMI node's BMC gets its own loopback port (a bound UDP socket keeps it reserved), so that
 * `-H 127.0.0.1 -p <port>` names one BMC as `-H <address>` does in the real lab.
 */
import { createSocket, type Socket } from 'node:dgram';
import { z } from 'zod';
import type { Lab, Node } from '../../lab/schema.js';
import type { SimLogger } from '../context.js';
import type { PowerBoard } from '../hosts/power-board.js';
import type { BootOverrides } from './boot-overrides.js';
import { credentialsMatch } from './credentials.js';
import { NO_SESSION_MESSAGE, type IpmiSessionRequest, type IpmitoolOutput } from './ipmi-wire.js';

export const ipmiSessionRequestSchema = z.strictObject({
  address: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(623),
  username: z.string(),
  password: z.string(),
  command: z.array(z.string()).min(1),
});

export interface IpmiBmc {
  node: string;
  address: string;
  port: number;
}

const ok = (stdout: string): IpmitoolOutput => ({ exitCode: 0, stdout, stderr: '' });
const fail = (stderr: string): IpmitoolOutput => ({ exitCode: 1, stdout: '', stderr });

const BOOT_DEVICES = new Set(['pxe', 'disk', 'none']);
const BOOT_OPTIONS = new Set(['persistent', 'efiboot', 'clear-cmos', 'lockkbd', 'screenblank']);

/** Reserves a loopback UDP port per IPMI node. */
export async function startIpmiBmcs(lab: Lab): Promise<{ bmcs: IpmiBmc[]; stop: () => Promise<void> }> {
  const sockets: Socket[] = [];
  const bmcs: IpmiBmc[] = [];
  const stop = () =>
    Promise.all(sockets.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve())))).then(() => {});
  try {
    for (const node of lab.nodes.filter((candidate) => candidate.power.type === 'ipmi')) {
      const socket = createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(0, '127.0.0.1', () => resolve());
      });
      sockets.push(socket);
      bmcs.push({ node: node.name, address: '127.0.0.1', port: socket.address().port });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { bmcs, stop };
}

export interface IpmiContext {
  lab: Lab;
  bmcs: readonly IpmiBmc[];
  power: PowerBoard;
  boot: BootOverrides;
  log?: SimLogger;
}

/** One ipmitool invocation against the simulated BMCs. */
export async function runIpmiSession(request: IpmiSessionRequest, ctx: IpmiContext): Promise<IpmitoolOutput> {
  const { address, port, username, password, command } = ipmiSessionRequestSchema.parse(request);
  const bmc = ctx.bmcs.find((candidate) => candidate.address === address && candidate.port === port);
  const node: Node | undefined = bmc && ctx.lab.nodes.find((candidate) => candidate.name === bmc.node);
  if (!node || !(await credentialsMatch(node, username, password, ctx.log))) {
    ctx.log?.warn(`IPMI: no session for user ${username} at ${address}:${port}`);
    return fail(`${NO_SESSION_MESSAGE}\n`);
  }
  const words = command[0] === 'power' ? ['chassis', ...command] : command;
  const result = chassis(node.name, words, ctx);
  ctx.log?.info(`IPMI ${node.name}: ${words.join(' ')} → exit ${result.exitCode}`);
  return result;
}

function chassis(node: string, words: readonly string[], ctx: IpmiContext): IpmitoolOutput {
  const [group, sub, arg, ...rest] = words;
  if (group !== 'chassis') return fail(`Invalid command: ${group}\n`);
  if (sub === 'power' && rest.length === 0) {
    const on = ctx.power.state(node) === 'on';
    switch (arg) {
      case 'status':
        return ok(`Chassis Power is ${on ? 'on' : 'off'}\n`);
      case 'on':
        ctx.power.set(node, 'on');
        return ok('Chassis Power Control: Up/On\n');
      case 'off':
        ctx.power.set(node, 'off');
        return ok('Chassis Power Control: Down/Off\n');
      case 'soft':
        ctx.power.set(node, 'off');
        return ok('Chassis Power Control: Soft\n');
      case 'cycle':
      case 'reset':
        if (!on)
          return fail(
            `Set Chassis Power Control to ${arg === 'cycle' ? 'Cycle' : 'Reset'} failed: Command not supported in present state\n`,
          );
        ctx.power.cycle(node, arg === 'reset' ? 0 : undefined);
        return ok(`Chassis Power Control: ${arg === 'cycle' ? 'Cycle' : 'Reset'}\n`);
      default:
        return fail('chassis power Commands: status, on, off, cycle, reset, diag, soft\n');
    }
  }
  if (sub === 'bootdev' && arg !== undefined && rest.length <= 1) {
    if (!BOOT_DEVICES.has(arg)) return fail(`Invalid argument: ${arg}\n`);
    // `options=persistent,efiboot`: any of the flags ipmitool knows for boot parameters.
    const flags = rest.length === 0 ? [] : rest[0]!.replace(/^options=/, '').split(',');
    const unknown =
      rest.length === 1 && !rest[0]!.startsWith('options=') ? rest[0] : flags.find((flag) => !BOOT_OPTIONS.has(flag));
    if (unknown !== undefined) return fail(`Invalid option: ${unknown}\n`);
    ctx.boot.set(node, arg as 'pxe' | 'disk' | 'none', flags.includes('persistent') ? 'Continuous' : 'Once');
    return ok(`Set Boot Device to ${arg}\n`);
  }
  return fail(`Invalid chassis command: ${words.slice(1).join(' ')}\n`);
}
