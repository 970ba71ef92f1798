/**
 * IPMI power: `ipmitool -I lanplus -H <bmc> -U <user> -E chassis power status|on|off` and
 * `chassis bootdev pxe|disk [options=efiboot]` on the worker (transport/ipmitool.ts: argument array, password in
 * IPMI_PASSWORD). `bootdev` sets the device for the next boot only, as the runbooks want it.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Node } from '../../lab/schema.js';
import { ipmiTargetFor, type BmcEndpoints, type IpmiTarget } from '../../transport/bmc-targets.js';
import { IpmitoolError, runIpmitool, type IpmitoolResult } from '../../transport/ipmitool.js';
import type { BootDevice, PowerDriver } from './driver.js';
import { StepErrorType } from '../../contract/error-types.js';

export interface IpmiOptions {
  /** The ipmitool to run (default: RUNBOOK_IPMITOOL or `ipmitool` on PATH), in a rehearsal too. */
  binary?: string;
  /** The simulated BMCs of a rehearsal; undefined for a real run. */
  endpoints?: BmcEndpoints;
  signal?: AbortSignal;
}

/** What ipmitool prints when the BMC does not open a session: a wrong user or password, or no BMC there. */
const NO_SESSION = /Unable to establish (IPMI v2 \/ RMCP\+|LAN) session|Activate Session|RAKP/i;
/** Completion code 0xd4: the session opened, but the account may not do this (a User-privilege account). */
const NO_PRIVILEGE = /Insufficient privilege level/i;

export function ipmiDriver(options: IpmiOptions = {}): PowerDriver {
  const targetOf = (node: Node): IpmiTarget =>
    ipmiTargetFor(node, {
      ...(options.binary !== undefined && { binary: options.binary }),
      ...(options.endpoints && { rehearsal: options.endpoints }),
    });

  const run = async (node: Node, command: string[]): Promise<IpmitoolResult> => {
    const target = targetOf(node);
    const result = await runIpmitool(target, command, options.signal ? { signal: options.signal } : {}).catch(
      (error: unknown) => {
        // Installing ipmitool is the operator's move; retrying cannot do it.
        if (error instanceof IpmitoolError && error.code === 'NOT_FOUND')
          throw ApplicationFailure.nonRetryable(error.message, StepErrorType.IpmitoolMissing);
        throw error;
      },
    );
    // ipmitool 1.8.19's `chassis bootdev` exits 0 when the BMC refuses the boot flags, saying so on stderr only.
    if (result.exitCode === 0 && !/ failed: /.test(result.stderr)) return result;
    const said = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-3).join(' / ');
    if (NO_SESSION.test(said)) {
      const power = node.power as Extract<Node['power'], { type: 'ipmi' }>;
      // Not retried: BMCs lock an account after a few failed logins.
      throw ApplicationFailure.nonRetryable(
        `the BMC of ${node.name} (${target.host}) opened no IPMI session for user ${target.username}: ${said}. ` +
          `Check nodes[${node.name}].power.username and the password that ${power.password} holds, and that the BMC ` +
          'answers IPMI over LAN (RMCP+, UDP 623) from this worker; then resume',
        StepErrorType.BmcSessionRefused,
      );
    }
    if (NO_PRIVILEGE.test(said)) {
      // Not retried: the account's privilege changes only when someone changes it on the BMC.
      throw ApplicationFailure.nonRetryable(
        `the BMC of ${node.name} (${target.host}) refused \`ipmitool ${command.join(' ')}\` to user ` +
          `${target.username}: ${said}. Give that account Operator or Administrator privilege on the BMC ` +
          `(or name one that has it in nodes[${node.name}].power.username); then resume`,
        'BmcPrivilegeRefused',
      );
    }
    throw new Error(`\`ipmitool ${command.join(' ')}\` toward the BMC of ${node.name} failed: ${said}`);
  };

  // A UEFI machine boots the device in UEFI mode only when asked (`options=efiboot`); BIOS is the default.
  const bootdev = (node: Node, device: BootDevice) => [
    'chassis',
    'bootdev',
    device,
    ...(node.boot === 'uefi' ? ['options=efiboot'] : []),
  ];

  const where = (node: Node) => `BMC ${targetOf(node).host} (IPMI)`;

  return {
    where,

    async state(node) {
      const { stdout } = await run(node, ['chassis', 'power', 'status']);
      const found = /Chassis Power is (on|off)/i.exec(stdout);
      return found ? (found[1]!.toLowerCase() as 'on' | 'off') : 'unknown';
    },

    async powerOn(node, { pxe } = {}) {
      if (pxe) await run(node, bootdev(node, 'pxe'));
      await run(node, ['chassis', 'power', 'on']);
      return `powered on through ${where(node)}${pxe ? ', PXE as the next boot device' : ''}`;
    },

    async powerOff(node) {
      await run(node, ['chassis', 'power', 'off']);
      return `powered off through ${where(node)}`;
    },

    async setNextBoot(node, device) {
      await run(node, bootdev(node, device));
      return `next boot of ${node.name} from ${device} (${where(node)})`;
    },

    close: async () => {},
  };
}
