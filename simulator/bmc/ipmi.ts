/**
 * The simulated IPMI BMCs: real RMCP+ (IPMI v2.0 over LAN) on loopback UDP, one port per IPMI node,
 * answered by python3-pyghmi's BMC server (./pyghmi_bmcs.py, one process for the lab), so that the
 * product's IPMI driver runs the real Debian `ipmitool -I lanplus` against them, unchanged.
 *
 * Why pyghmi and not OpenIPMI's ipmi_sim (both tried with ipmitool 1.8.19): ipmi_sim 2.0.33 does not
 * answer the sessionless Get Channel Cipher Suites request ipmitool sends before every session, so
 * each ipmitool run waits 10 s of retries before falling back (a real BMC answers at once); pyghmi
 * answers it and the whole invocation takes ~40 ms. Both check the password in the RAKP exchange
 * and refuse a wrong one with ipmitool's "Unable to establish IPMI v2 / RMCP+ session".
 *
 * The Python side asks this module what each chassis command does (power status/on/off/cycle/reset,
 * boot device get/set), one JSON line each way; this module acts on the lab's PowerBoard and
 * BootOverrides. The BMCs' passwords come from the lab's secret references and reach Python on its
 * stdin, never on disk or in a log.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Lab } from '../../lab/schema.js';
import { resolveSecret } from '../../lab/secrets.js';
import type { SimLogger } from '../context.js';
import type { Faults } from '../faults.js';
import type { PowerBoard } from '../hosts/power-board.js';
import type { BootOverrides } from './boot-overrides.js';

const SERVER = fileURLToPath(new URL('./pyghmi_bmcs.py', import.meta.url));

/** Debian's python3, where python3-pyghmi is installed (another python3 on PATH may not have it). */
function python(): string {
  return process.env.RUNBOOK_SIM_PYTHON || '/usr/bin/python3';
}

export interface IpmiBmc {
  node: string;
  address: string;
  port: number;
}

/** IPMI completion codes the chassis answers with. */
const NOT_IN_PRESENT_STATE = 0xd5;
const INVALID_DATA_FIELD = 0xcc;
const INSUFFICIENT_PRIVILEGE = 0xd4;

const requestSchema = z.discriminatedUnion('op', [
  z.object({ id: z.number(), node: z.string(), op: z.enum(['status', 'on', 'off', 'soft', 'cycle', 'reset', 'diag']) }),
  z.object({
    id: z.number(),
    node: z.string(),
    op: z.literal('bootdev'),
    device: z.enum(['pxe', 'disk', 'none']),
    persistent: z.boolean(),
    efi: z.boolean(),
  }),
  z.object({ id: z.number(), node: z.string(), op: z.literal('bootdev-get') }),
]);
type ChassisRequest = z.infer<typeof requestSchema>;

export interface IpmiBmcsOptions {
  lab: Lab;
  power: PowerBoard;
  boot: BootOverrides;
  /** `bmc-read-only`: the node's account may read, not switch. */
  faults?: Faults;
  log?: SimLogger;
}

export interface IpmiBmcs {
  bmcs: IpmiBmc[];
  /** The BMC server's process id (undefined: the lab has no IPMI node). */
  pid?: number;
  stop(): Promise<void>;
}

/** Starts one BMC per IPMI node of the lab; resolves once every one listens. */
export async function startIpmiBmcs(options: IpmiBmcsOptions): Promise<IpmiBmcs> {
  const { lab, log } = options;
  const nodes = lab.nodes.filter((node) => node.power.type === 'ipmi');
  if (nodes.length === 0) return { bmcs: [], stop: async () => {} };
  const accounts = await Promise.all(
    nodes.map(async (node) => {
      const power = node.power as Extract<Lab['nodes'][number]['power'], { type: 'ipmi' }>;
      const password = await resolveSecret(power.password).catch((error: unknown) => {
        // A BMC whose password the lab cannot give refuses everyone, as one with an unknown password does.
        log?.warn(`BMC of ${node.name}: ${(error as Error).message}; refusing every login`);
        return randomBytes(18).toString('base64');
      });
      return { node: node.name, username: power.username, password };
    }),
  );

  // -B: no __pycache__ beside the sources.
  const child: ChildProcessByStdio<Writable, Readable, Readable> = spawn(python(), ['-B', SERVER], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = once(child, 'exit').then(() => undefined);
  const spawned = once(child, 'spawn').then(
    () => undefined,
    (error: NodeJS.ErrnoException) => {
      throw new Error(
        error.code === 'ENOENT'
          ? `${python()} not found: the simulated IPMI BMCs need Debian's python3 with python3-pyghmi ` +
              '(scripts/install-deps.sh installs both), or RUNBOOK_SIM_PYTHON naming a python3 that has pyghmi'
          : `the simulated IPMI BMCs did not start: ${error.message}`,
      );
    },
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin.end();
      child.kill('SIGTERM');
      await exited;
    }
  };

  const lines = createInterface({ input: child.stdout });
  const answer = (body: Record<string, unknown>) => {
    if (!child.stdin.destroyed) child.stdin.write(`${JSON.stringify(body)}\n`);
  };
  let ready: (bmcs: IpmiBmc[]) => void;
  const listening = new Promise<IpmiBmc[]>((resolve) => (ready = resolve));
  lines.on('line', (line) => {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      log?.warn(`IPMI BMCs: ${line}`);
      return;
    }
    if (message && typeof message === 'object' && 'ready' in message) {
      const listed = (message as { ready: Array<{ node: string; port: number }> }).ready;
      ready(listed.map(({ node, port }) => ({ node, address: '127.0.0.1', port })));
      return;
    }
    const parsed = requestSchema.safeParse(message);
    if (!parsed.success) {
      log?.warn(`IPMI BMCs: not a chassis request: ${line}`);
      return;
    }
    let result: Record<string, unknown>;
    try {
      result = chassis(parsed.data, options);
    } catch (error) {
      // Unspecified error: the BMC answers, ipmitool reports it; the Python side never waits forever.
      log?.warn(`IPMI ${parsed.data.node}: ${(error as Error).message}`);
      result = { code: 0xff };
    }
    answer({ id: parsed.data.id, ...result });
  });

  try {
    await spawned;
    child.stdin.write(`${JSON.stringify({ bmcs: accounts })}\n`);
    const bmcs = await Promise.race([
      listening,
      exited.then(() => {
        throw new Error(
          `the simulated IPMI BMCs (${python()} ${SERVER}) exited at start` +
            `${stderr ? `: ${stderr.trim().split('\n').slice(-3).join(' / ')}` : ''}. ` +
            'If pyghmi is missing, install python3-pyghmi (scripts/install-deps.sh)',
        );
      }),
    ]);
    log?.info(`IPMI BMCs: ${bmcs.map((bmc) => `${bmc.node} on udp 127.0.0.1:${bmc.port}`).join(', ')}`);
    return { bmcs, ...(child.pid !== undefined && { pid: child.pid }), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** What one chassis command does to the node; `code` 0 is done, else the IPMI completion code. */
function chassis(request: ChassisRequest, { power, boot, faults, log }: IpmiBmcsOptions): Record<string, unknown> {
  const { node } = request;
  const on = power.state(node) === 'on';
  const done = (what: string, code = 0) => {
    log?.info(`IPMI ${node}: ${what}${code ? ` refused (completion code 0x${code.toString(16)})` : ''}`);
    return { code };
  };
  const readOnly = faults?.find('bmc-read-only', (fault) => fault.node === node) !== undefined;
  if (readOnly && request.op !== 'status' && request.op !== 'bootdev-get') {
    return done(`${request.op} by a user-privilege account`, INSUFFICIENT_PRIVILEGE);
  }
  switch (request.op) {
    case 'status':
      return { code: 0, power: on ? 'on' : 'off' };
    case 'on':
      power.set(node, 'on');
      return done('chassis power on');
    case 'off':
    case 'soft':
      power.set(node, 'off');
      return done(`chassis power ${request.op}`);
    case 'cycle':
    case 'reset':
      // A BMC cannot cycle or reset a machine that is off: "Command not supported in present state".
      if (!on) return done(`chassis power ${request.op}`, NOT_IN_PRESENT_STATE);
      power.cycle(node, request.op === 'reset' ? 0 : undefined);
      return done(`chassis power ${request.op}`);
    case 'diag':
      return done('chassis power diag', INVALID_DATA_FIELD);
    case 'bootdev':
      boot.set(node, request.device, request.persistent ? 'Continuous' : 'Once');
      return done(`chassis bootdev ${request.device}${request.persistent ? ' persistent' : ''}`);
    case 'bootdev-get': {
      const override = boot.get(node);
      return { code: 0, device: override.target, persistent: override.mode === 'Continuous' };
    }
  }
}
