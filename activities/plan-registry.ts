/**
 * The registry `runbook plan` uses in place of the worker's (./index.ts): for each step activity,
 * its plan half (a read of the state that lists what the step would change) or, explicitly, why it
 * has none. It holds no apply half, so nothing reached from it writes a file, sends a mutating API
 * request, switches a node or runs `openshift-install`: test/plan proves it by counting the simulated
 * lab's writes.
 *
 * A step written as a planned converge (`convergePlanned`, support/plan.ts) gets its plan half with
 * the group's plans (`hostPlans`, `clusterPlans`, `day2Plans`, …). An activity with neither a plan
 * half nor a line in `withoutPlan` is a type error, so a new step cannot be left out silently.
 */
import type { StepActivityName } from './index.js';
import { clusterPlans } from './cluster/index.js';
import { day2Plans, type Day2PlannedName } from './day2/index.js';
import { hostPlans } from './hosts/index.js';
import { installPlans } from './install/plan.js';
import { powerPlans } from './power/index.js';
import { preflightActivities } from './preflight.js';
import { rebuildActivities } from './rebuild.js';
import { readOnlyCheck, type PlanHalf } from './support/plan.js';

const preflightPlans = Object.fromEntries(
  Object.entries(preflightActivities).map(([name, check]) => [name, readOnlyCheck(check)]),
) as Record<keyof typeof preflightActivities, PlanHalf>;

const plans = {
  ...preflightPlans,
  ...hostPlans,
  ...clusterPlans,
  ...(day2Plans as Record<Day2PlannedName, PlanHalf>),
  ...installPlans,
  ...powerPlans(),
  rebuildTeardownAllowed: readOnlyCheck(rebuildActivities.rebuildTeardownAllowed),
};

const WAITS = 'a wait: it changes nothing, the plan shows what it would wait for';

/** Why each activity without a plan half has none. */
const withoutPlan = {
  hostsWaitDns: WAITS,
  clusterWaitCondition: WAITS,
  clusterWaitBootstrapComplete: WAITS,
  clusterWaitNodesReady: WAITS,
  clusterWaitOperatorsSettled: WAITS,
  clusterWaitVersionAvailable: WAITS,
  clusterApproveCsrs: 'it approves the CSRs the nodes file while it waits; which ones is known only then',
  infraWaitRendered: WAITS,
  infraWaitNodeUpdated: WAITS,
  infraWaitRouters: WAITS,
  cephWaitDriver: WAITS,
  registryWaitClaimBound: WAITS,
  registryWaitRollout: WAITS,
  egressWaitRouters: WAITS,
  egressWaitNetNamespaces: WAITS,
  egressWaitEgressIps: WAITS,
  powerSetNextBoot: 'the boot override is not read back by every driver (IPMI cannot tell it)',
  selftestCheckWorker: 'it reports on the worker that runs it; a plan runs on no worker',
  selftestConverge: 'its marker is keyed by the run, which a plan does not have',
  selftestWait: WAITS,
  selftestHost: 'a demonstration step of the selftest runbook',
  rebuildClearInstallFolder: 'what it removes is what the install stage writes again; the plan of that stage shows it',
  powerReinstallOnNextBoot: 'a wiped boot volume or a PXE next boot is not read back by every driver',
  labReadFile: 'a scheduled run reads its lab file when it starts; a plan is given the lab file itself',
} satisfies Record<Exclude<StepActivityName, keyof typeof plans>, string>;

/** What the plan can do for an activity: its plan half, or why it has none. */
export type PlanEntry = { plan: PlanHalf } | { cannotPlan: string };

export function planEntry(activity: string): PlanEntry {
  if (Object.hasOwn(plans, activity)) return { plan: plans[activity as keyof typeof plans] };
  if (Object.hasOwn(withoutPlan, activity)) return { cannotPlan: withoutPlan[activity as keyof typeof withoutPlan] };
  return { cannotPlan: `${activity} is not a registered step activity` };
}

/** The activities that have a plan half, and those that have none, with why. */
export function planCoverage(): { planned: string[]; withoutPlan: Record<string, string> } {
  return { planned: Object.keys(plans).sort(), withoutPlan: { ...withoutPlan } };
}
