/**
 * Step activities on the helper hosts: push a service's rendered files (check before reload, put
 * back on a refused check, reload only on a change), and wait until DNS answers for the cluster.
 * Each host gets one SSH session per step. Each push is declared with its apply and plan halves.
 */
import { z } from 'zod';
import { StepErrorType } from '../../contract/error-types.js';
import type { StepContext, StepOutcome } from '../../contract/step.js';
import { defineAction, defineWait, noParams } from '../engine/declare.js';
import { bootstrapCompleted } from '../cluster/waits.js';
import { withSsh } from '../support/lab-access.js';
import { convergePlanned, type StepPlan } from '../support/plan.js';
import { hostsWaitDns } from './dns-wait.js';
import { hostPushStep, planHostPush } from './push.js';
import { hostPushes, hostsForStep, servicePush, type HostPushName } from './services.js';

/** Runs the push `name` on each host of the step, one SSH session per host. */
async function pushActivity(context: StepContext, name: HostPushName): Promise<StepOutcome> {
  const hosts = hostsForStep(context.lab, hostPushes[name].service, context.item);
  const outcomes: StepOutcome[] = [];
  for (const host of hosts) {
    const push = servicePush(context.lab, host, name);
    outcomes.push(await withSsh(context, host.name, (session) => convergePlanned(hostPushStep(session, push))));
  }
  return { changed: outcomes.some((outcome) => outcome.changed), detail: outcomes.map((o) => o.detail).join('; ') };
}

/** What the push `name` would change on each host of the step, read over SSH without writing. */
async function pushPlan(context: StepContext, name: HostPushName): Promise<StepPlan> {
  const hosts = hostsForStep(context.lab, hostPushes[name].service, context.item);
  const plans: StepPlan[] = [];
  for (const host of hosts) {
    const push = servicePush(context.lab, host, name);
    plans.push(await withSsh(context, host.name, (session) => planHostPush(session, push)));
  }
  return { changes: plans.flatMap((plan) => plan.changes), detail: plans.map((plan) => plan.detail).join('; ') };
}

const BOOTSTRAPPED_HAPROXY =
  'the cluster has bootstrapped (kube-system/bootstrap is complete): the load balancers keep ' +
  'their configuration without the bootstrap node';

/** `unlessBootstrapped`: change nothing once the cluster has bootstrapped (a second install run). */
const pushParams = z.object({ unlessBootstrapped: z.boolean().optional() }).strict().optional();
const PUSH_ERRORS = [StepErrorType.ServiceCheckFailed, StepErrorType.ServiceReloadFailed, StepErrorType.NoServiceHost];

/** A push of `name` as a declared action: the apply half writes, the plan half reads. */
const push = <const Name extends string>(activity: Name, name: HostPushName, summary: string) =>
  defineAction({
    name: activity,
    summary,
    params: pushParams,
    errors: PUSH_ERRORS,
    apply: (context) => pushActivity(context, name),
    plan: (context) => pushPlan(context, name),
  });

export const hostDeclarations = [
  push(
    'hostsPushDns',
    'dns',
    'zones and named.conf zone statements on every DNS host; `named-checkconf -z` before the reload',
  ),
  push('hostsPushDhcp', 'dhcp', 'dhcpd.conf; `dhcpd -t` before the restart'),
  push('hostsPushPxe', 'pxe', 'per-MAC PXELINUX and GRUB configs and both menus'),
  defineAction({
    name: 'hostsPushHaproxyBootstrap',
    summary: 'haproxy.cfg with the bootstrap node; left as it is once the cluster has bootstrapped',
    params: pushParams,
    errors: PUSH_ERRORS,
    apply: async (context) =>
      (await bootstrapCompleted(context))
        ? { changed: false, detail: BOOTSTRAPPED_HAPROXY }
        : pushActivity(context, 'haproxy-bootstrap'),
    plan: async (context) =>
      (await bootstrapCompleted(context))
        ? { changes: [], detail: BOOTSTRAPPED_HAPROXY }
        : pushPlan(context, 'haproxy-bootstrap'),
  }),
  push(
    'hostsPushHaproxyFinal',
    'haproxy-final',
    'haproxy.cfg without the bootstrap node; `haproxy -c` before the reload',
  ),
  defineWait({
    name: 'hostsWaitDns',
    summary: '`dig @127.0.0.1` on each DNS host until the cluster names and every node answer with the lab’s addresses',
    params: noParams,
    errors: [],
    deadline: 'step',
    probe: (context) => hostsWaitDns(context),
  }),
] as const;
