/**
 * The power step activities, one driver interface underneath (./driver.ts). Each runs for one node:
 * the for-each item (or `params.node`).
 *
 * - `powerOn` (params `pxe`), `powerOff`: converge on the node's power state; a node already there
 *   reports `unchanged` and nothing is sent to it.
 * - `powerReadState`: reads the power state and changes nothing.
 * - `powerSetNextBoot` (params `device: pxe | disk`): one-time boot override where the driver has one.
 * - `powerManualInstructions` (params `to`, `pxe`, `reinstall`): for a manual node, the instruction the
 *   gate after it waits on (see ./manual.ts).
 * - `powerReinstallOnNextBoot`: a node that is off is made to install again when next switched on:
 *   libvirt wipes its boot volume, IPMI and Redfish set PXE as its next boot device.
 */
import path from 'node:path';
import { activityInfo, sleep } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Node } from '../../lab/schema.js';
import { readBmcEndpoints } from '../../transport/bmc-targets.js';
import { quoteCommand } from '../../transport/shell.js';
import { z } from 'zod';
import type { StepContext, StepOutcome } from '../../contract/step.js';
import { defineAction } from '../engine/declare.js';
import { converge } from '../engine/converge.js';
import type { StepPlan } from '../support/plan.js';
import { StepErrorType } from '../../contract/error-types.js';
import { activitySignal } from '../support/activity-signal.js';
import { rehearsalEndpoints } from '../support/lab-access.js';
import { nodeNamed, type BootDevice, type PowerDriver, type PowerState } from './driver.js';
import { ipmiDriver } from './ipmi.js';
import { libvirtDriver } from './libvirt.js';
import { manualPowerInstruction } from './manual.js';
import { redfishDriver } from './redfish.js';
import { bootstrapCompleted } from '../cluster/waits.js';

export type { BootDevice, PowerDriver, PowerOnOptions, PowerState } from './driver.js';
export { ipmiDriver } from './ipmi.js';
export { libvirtDriver } from './libvirt.js';
export { manualPowerInstruction } from './manual.js';
export { redfishDriver } from './redfish.js';

export interface PowerActivityOptions {
  /** ipmitool for real runs; default RUNBOOK_IPMITOOL or `ipmitool` on PATH. */
  ipmitool?: string;
}

/** How long a switched node may take to report its new state before the step re-checks (and retries). */
const SETTLE_MS = 30_000;
const SETTLE_POLL_MS = 1_000;

function nodeOf(context: StepContext): Node {
  const name = context.item ?? (typeof context.params?.node === 'string' ? context.params.node : undefined);
  try {
    return nodeNamed(context.lab.nodes, name, context.lab.name);
  } catch (error) {
    throw ApplicationFailure.nonRetryable((error as Error).message, StepErrorType.UnknownNode);
  }
}

/** The driver for `node`'s power type, pointed at the simulated lab in a rehearsal. */
export async function openDriver(
  context: StepContext,
  node: Node,
  options: PowerActivityOptions = {},
): Promise<PowerDriver> {
  const signal = activitySignal();
  switch (node.power.type) {
    case 'libvirt': {
      const endpoints = await rehearsalEndpoints(context);
      return libvirtDriver({ lab: context.lab, signal, ...(endpoints && { endpoints }) });
    }
    case 'ipmi':
      return ipmiDriver({
        signal,
        ...(options.ipmitool !== undefined && { binary: options.ipmitool }),
        ...(await bmcs(context)),
      });
    case 'redfish':
      return redfishDriver({ signal, ...(await bmcs(context)) });
    case 'manual':
      throw ApplicationFailure.nonRetryable(
        `node ${node.name} has manual power: nothing can switch it remotely; the runbook must gate ` +
          `it (powerSteps in runbooks/power-steps.ts), or give it libvirt, ipmi or redfish power in ` +
          `the lab`,
        StepErrorType.ManualPower,
      );
  }
}

async function bmcs(context: StepContext) {
  if (!context.rehearsal) return {};
  try {
    return { endpoints: await readBmcEndpoints(context.rehearsal.endpointsFile) };
  } catch (error) {
    throw ApplicationFailure.nonRetryable((error as Error).message, StepErrorType.RehearsalEndpointsMissing);
  }
}

async function withDriver<T>(
  context: StepContext,
  options: PowerActivityOptions,
  use: (driver: PowerDriver, node: Node) => Promise<T>,
): Promise<T> {
  const node = nodeOf(context);
  const driver = await openDriver(context, node, options);
  try {
    return await use(driver, node);
  } finally {
    await driver.close();
  }
}

/** Whether the node reports `wanted` within a bounded wait: BMCs take a moment to show a switched state. */
async function settled(driver: PowerDriver, node: Node, wanted: PowerState): Promise<PowerState> {
  let state = await driver.state(node);
  for (let waited = 0; state !== wanted && waited < SETTLE_MS; waited += SETTLE_POLL_MS) {
    await sleep(SETTLE_POLL_MS);
    state = await driver.state(node);
  }
  return state;
}

function convergePower(driver: PowerDriver, node: Node, wanted: 'on' | 'off', act: () => Promise<string>) {
  return converge({
    check: async () => {
      const state = await driver.state(node);
      return { ok: state === wanted, detail: `${node.name} is ${state} (${driver.where(node)})` };
    },
    // The settling wait is the re-check: one status query fewer per switch (each is a BMC session).
    verify: false,
    apply: async () => {
      const done = await act();
      const state = await settled(driver, node, wanted);
      if (state !== wanted) {
        throw ApplicationFailure.retryable(
          `The change did not take effect: ${node.name} is still ${state} after ${done} (${driver.where(node)})`,
          StepErrorType.ConvergeNotReached,
        );
      }
      return `${node.name}: ${done}`;
    },
  });
}

function bootDevice(context: StepContext): BootDevice {
  const device = context.params?.device;
  if (device === 'pxe' || device === 'disk') return device;
  throw ApplicationFailure.nonRetryable(
    `step ${context.stepId} needs params.device "pxe" or "disk", not ${JSON.stringify(device)}`,
    StepErrorType.InvalidStepParams,
  );
}

/** What switching the node to `wanted` would do, from one state read: nothing is sent to the node. */
function planPower(context: StepContext, options: PowerActivityOptions, wanted: 'on' | 'off'): Promise<StepPlan> {
  return withDriver(context, options, async (driver, node) => {
    const state = await driver.state(node);
    const detail = `${node.name} is ${state} (${driver.where(node)})`;
    const target = `${node.name} (${driver.where(node)})`;
    if (state === wanted) return { changes: [], detail, about: [target] };
    const pxe = wanted === 'on' && context.params?.pxe === true ? ' (PXE boot)' : '';
    return {
      changes: [{ target, action: `power-${wanted}` as const, diff: `power ${state} → ${wanted}${pxe}` }],
      detail,
    };
  });
}

/**
 * The plan halves of the power activities: a state read per node, never a power command. A manual
 * node's state cannot be read; its plan is the instruction the gate after it waits on.
 */
export function powerPlans(options: PowerActivityOptions = {}) {
  return {
    async powerOn(context: StepContext): Promise<StepPlan> {
      if (await bootstrapCompleted(context)) {
        return { changes: [], detail: `the cluster has bootstrapped: ${context.item ?? 'the node'} stays as it is` };
      }
      return planPower(context, options, 'on');
    },
    powerOff: (context: StepContext) => planPower(context, options, 'off'),
    powerReadState: (context: StepContext) =>
      withDriver(context, options, async (driver, node): Promise<StepPlan> => ({
        changes: [],
        detail: `${node.name} is ${await driver.state(node)} (${driver.where(node)})`,
      })),
    async powerManualInstructions(context: StepContext): Promise<StepPlan> {
      const node = nodeOf(context);
      const to = context.params?.to === 'off' ? 'off' : 'on';
      const request = { to, pxe: context.params?.pxe === true, reinstall: context.params?.reinstall === true } as const;
      return { changes: [], detail: manualPowerInstruction(node, request, `${context.runbook}/${context.lab.name}`) };
    },
  } satisfies Partial<Record<keyof ReturnType<typeof powerActivities>, (context: StepContext) => Promise<StepPlan>>>;
}

export function powerActivities(options: PowerActivityOptions = {}) {
  return {
    async powerOn(context: StepContext): Promise<StepOutcome> {
      const pxe = context.params?.pxe === true;
      if (await bootstrapCompleted(context)) {
        return {
          changed: false,
          detail: `the cluster has bootstrapped (kube-system/bootstrap is complete): ${context.item ?? 'the node'} stays as it is`,
        };
      }
      return withDriver(context, options, (driver, node) =>
        convergePower(driver, node, 'on', () => driver.powerOn(node, { pxe })),
      );
    },

    powerOff(context: StepContext): Promise<StepOutcome> {
      return withDriver(context, options, (driver, node) =>
        convergePower(driver, node, 'off', () => driver.powerOff(node)),
      );
    },

    /** Read-only: what the node's power reports (a preflight proves the BMC answers and takes the credentials). */
    powerReadState(context: StepContext): Promise<StepOutcome> {
      return withDriver(context, options, async (driver, node) => ({
        changed: false,
        detail: `${node.name} is ${await driver.state(node)} (${driver.where(node)})`,
      }));
    },

    powerSetNextBoot(context: StepContext): Promise<StepOutcome> {
      const device = bootDevice(context);
      return withDriver(context, options, async (driver, node) => {
        const { setNextBoot, nextBoot } = driver;
        if (!setNextBoot) {
          throw ApplicationFailure.nonRetryable(
            `${node.name} (${driver.where(node)}) has no one-time boot device: ${node.power.type} boots in the order its definition gives`,
            StepErrorType.NextBootUnsupported,
          );
        }
        // Where the BMC tells its override, converge; elsewhere (IPMI) setting it again is harmless.
        if (!nextBoot) return { changed: true, detail: await setNextBoot(node, device) };
        return converge({
          check: async () => {
            const current = await nextBoot(node);
            return { ok: current === device, detail: `${node.name} next boot: ${current} (${driver.where(node)})` };
          },
          apply: () => setNextBoot(node, device),
        });
      });
    },

    /** Destructive (a rebuild's teardown): refuses a node that is on, so that no running system is wiped. */
    powerReinstallOnNextBoot(context: StepContext): Promise<StepOutcome> {
      return withDriver(context, options, async (driver, node) => {
        const state = await driver.state(node);
        if (state !== 'off') {
          throw ApplicationFailure.retryable(
            `${node.name} is ${state} (${driver.where(node)}): it must be off before it is made to reinstall; power it off, then resume`,
            StepErrorType.ConvergeNotReached,
          );
        }
        if (driver.wipeBootDisk) return { changed: true, detail: await driver.wipeBootDisk(node) };
        if (driver.setNextBoot) return { changed: true, detail: await driver.setNextBoot(node, 'pxe') };
        throw ApplicationFailure.nonRetryable(
          `${node.name} (${driver.where(node)}) can neither wipe its boot disk nor boot from the ` +
            `network once: ${node.power.type} power cannot make it reinstall`,
          StepErrorType.ReinstallUnsupported,
        );
      });
    },

    async powerManualInstructions(context: StepContext): Promise<StepOutcome> {
      const node = nodeOf(context);
      const to = context.params?.to === 'off' ? 'off' : 'on';
      const runId = activityInfo().workflowExecution?.workflowId ?? `${context.runbook}/${context.lab.name}`;
      const request = { to, pxe: context.params?.pxe === true, reinstall: context.params?.reinstall === true } as const;
      const instruction = manualPowerInstruction(node, request, runId);
      if (!context.rehearsal) return { changed: false, detail: instruction };
      // In a rehearsal the machine is simulated: its power button is a command.
      const button = quoteCommand([
        'runbook',
        'sim',
        'power',
        node.name,
        to,
        '--state-dir',
        path.dirname(context.rehearsal.endpointsFile),
      ]);
      return { changed: false, detail: `${instruction} (rehearsal: \`${button}\` is its power button)` };
    },
  };
}

/** `node`: the node when the step is not in a for-each over nodes. */
const NODE = { node: z.string().optional() };
/** `unlessBootstrapped`: leave the node as it is once the cluster has bootstrapped (../cluster/waits.ts). */
const UNLESS_BOOTSTRAPPED = { unlessBootstrapped: z.boolean().optional() };
const SWITCH = { ...NODE, ...UNLESS_BOOTSTRAPPED, reinstall: z.boolean().optional() };
const POWER_ERRORS = [
  StepErrorType.UnknownNode,
  StepErrorType.ManualPower,
  StepErrorType.RehearsalEndpointsMissing,
  StepErrorType.DomainMissing,
  StepErrorType.BmcAuthRefused,
  StepErrorType.BmcCertificateRejected,
  StepErrorType.BmcSessionRefused,
  StepErrorType.IpmitoolMissing,
  StepErrorType.RedfishNotFound,
  StepErrorType.RedfishRejected,
];

/** The power activities, declared: libvirt, IPMI and Redfish drivers behind one set of steps. */
export function powerDeclarations(options: PowerActivityOptions = {}) {
  const run = powerActivities(options);
  const plan = powerPlans(options);
  return [
    defineAction({
      name: 'powerOn',
      summary: 'switches the node on (`pxe`: into a network boot where the driver can choose)',
      params: z
        .object({ ...SWITCH, pxe: z.boolean().optional() })
        .strict()
        .optional(),
      errors: POWER_ERRORS,
      apply: (context) => run.powerOn(context),
      plan: (context) => plan.powerOn(context),
    }),
    defineAction({
      name: 'powerOff',
      summary: 'switches the node off',
      params: z.object(SWITCH).strict().optional(),
      errors: POWER_ERRORS,
      apply: (context) => run.powerOff(context),
      plan: (context) => plan.powerOff(context),
    }),
    defineAction({
      name: 'powerReadState',
      summary: 'reports whether the node is on or off; changes nothing',
      params: z.object(NODE).strict().optional(),
      errors: POWER_ERRORS,
      apply: (context) => run.powerReadState(context),
      plan: (context) => plan.powerReadState(context),
    }),
    defineAction({
      name: 'powerSetNextBoot',
      summary: 'the boot device of the next boot (`device`: pxe or disk), where the driver can set it',
      params: z.object({ ...NODE, device: z.enum(['pxe', 'disk']) }).strict(),
      errors: [...POWER_ERRORS, StepErrorType.NextBootUnsupported, StepErrorType.InvalidStepParams],
      apply: (context) => run.powerSetNextBoot(context),
      plan: { none: 'the boot override is not read back by every driver (IPMI cannot tell it)' },
    }),
    defineAction({
      name: 'powerReinstallOnNextBoot',
      summary: 'makes the node install again at its next boot: libvirt wipes its boot volume, IPMI and Redfish PXE',
      params: z.object(NODE).strict().optional(),
      errors: [...POWER_ERRORS, StepErrorType.BootDiskMissing, StepErrorType.ReinstallUnsupported],
      apply: (context) => run.powerReinstallOnNextBoot(context),
      plan: { none: 'a wiped boot volume or a PXE next boot is not read back by every driver' },
    }),
    defineAction({
      name: 'powerManualInstructions',
      summary: 'says what to do by hand for a node without remote power (the gate after it waits)',
      params: z.object({ ...SWITCH, to: z.enum(['on', 'off']), pxe: z.boolean().optional() }).strict(),
      errors: [StepErrorType.UnknownNode],
      apply: (context) => run.powerManualInstructions(context),
      plan: (context) => plan.powerManualInstructions(context),
    }),
  ] as const;
}
