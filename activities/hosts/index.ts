/**
 * Step activities on the helper hosts: push a service's rendered files (check before reload, put
 * back on a refused check, reload only on a change), and wait until DNS answers for the cluster.
 * Each host gets one SSH session per step. `hostPlans` gives the read-only half of each push step.
 */
import type { StepContext, StepOutcome } from '../../contract/step.js';
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
  'the cluster has bootstrapped (kube-system/bootstrap is complete): the load balancers keep their configuration without the bootstrap node';

export const hostActivities = {
  hostsPushDns: (context: StepContext) => pushActivity(context, 'dns'),
  hostsPushDhcp: (context: StepContext) => pushActivity(context, 'dhcp'),
  hostsPushPxe: (context: StepContext) => pushActivity(context, 'pxe'),
  hostsPushHaproxyBootstrap: async (context: StepContext): Promise<StepOutcome> =>
    (await bootstrapCompleted(context))
      ? { changed: false, detail: BOOTSTRAPPED_HAPROXY }
      : pushActivity(context, 'haproxy-bootstrap'),
  hostsPushHaproxyFinal: (context: StepContext) => pushActivity(context, 'haproxy-final'),
  hostsWaitDns,
};

/** The plan half of each push activity, by activity name. */
export const hostPlans = {
  hostsPushDns: (context) => pushPlan(context, 'dns'),
  hostsPushDhcp: (context) => pushPlan(context, 'dhcp'),
  hostsPushPxe: (context) => pushPlan(context, 'pxe'),
  hostsPushHaproxyBootstrap: async (context) =>
    (await bootstrapCompleted(context))
      ? { changes: [], detail: BOOTSTRAPPED_HAPROXY }
      : pushPlan(context, 'haproxy-bootstrap'),
  hostsPushHaproxyFinal: (context) => pushPlan(context, 'haproxy-final'),
} satisfies Partial<Record<keyof typeof hostActivities, (context: StepContext) => Promise<StepPlan>>>;
