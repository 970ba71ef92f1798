/**
 * The ClusterOperators and the ClusterVersion, as the cluster-version operator and each operator
 * report them. Control-plane operators settle once the masters are Ready; those whose operands run
 * on workers (ingress, console, monitoring, registry, authentication) also wait for enough workers.
 * image-registry stays Degraded until its storage is configured (emptyDir, or a PVC the registry
 * Deployment has rolled onto). The ClusterVersion completes once every operator is Available and
 * not Degraded. Fault `operator-degraded` pins an operator Degraded.
 */
import type { Lab } from '../../lab/schema.js';
import type { KubeObject } from '../apiserver/store.js';
import type { Controller, SimContext } from '../context.js';
import type { LabReader } from '../lab-api.js';
import {
  CLUSTER_OPERATORS,
  R,
  WORKLOAD_OPERATORS,
  clusterOperatorObject,
  conditionOf,
  isTrue,
  now,
  operatorConditions,
  setCondition,
  type Condition,
} from '../openshift-objects.js';
import { mastersReady, type InstallProgress } from './install.js';
import { inBackground, startLoop } from './loop.js';
import { REGISTRY_DEPLOYMENT, REGISTRY_NAMESPACE } from './registry.js';

/** Lab time an operator takes to roll out its operands once what it needs is there. */
export const OPERATOR_SETTLE_MS = 2 * 60_000;

export interface OperatorState {
  available: boolean;
  progressing: boolean;
  degraded: boolean;
  message: string;
}

/** Workers (any Ready node that is not a master) the workload operators need: two, or all the lab has. */
export function workersNeeded(lab: Lab): number {
  return Math.min(2, lab.nodes.filter((node) => node.role === 'worker' || node.role === 'infra').length);
}

export function readyWorkers(api: LabReader): number {
  return api
    .list(R.nodes, { labelSelector: 'node-role.kubernetes.io/worker' })
    .items.filter((node) => isTrue(node, 'Ready')).length;
}

/** What an operator needs from the nodes before it can be Available; undefined when it has it. */
export function nodesWaitReason(api: LabReader, lab: Lab, operator: string): string | undefined {
  if (!mastersReady(api, lab)) return 'Waiting for the control plane nodes to be Ready';
  if (!WORKLOAD_OPERATORS.includes(operator)) return undefined;
  const needed = workersNeeded(lab);
  const ready = readyWorkers(api);
  return ready >= needed ? undefined : `Waiting for worker nodes: ${ready} of ${needed} needed are Ready`;
}

/** image-registry's state from its operator config (and, for a PVC, the registry Deployment). */
export function registryState(api: LabReader): OperatorState {
  const config = api.get(R.registryConfigs, undefined, 'cluster');
  const spec = (config?.spec ?? {}) as { managementState?: string; storage?: Record<string, unknown> };
  if (spec.managementState === 'Removed') {
    return { available: true, progressing: false, degraded: false, message: 'The registry is removed' };
  }
  const storage = Object.keys(spec.storage ?? {}).filter((key) => key !== 'managementState');
  if (storage.length === 0) {
    return {
      available: false,
      progressing: true,
      degraded: true,
      message:
        'Degraded: The registry is degraded: storage backend not configured; set spec.storage in ' +
        'configs.imageregistry.operator.openshift.io/cluster',
    };
  }
  if (storage.includes('pvc')) {
    const deployment = api.get(R.deployments, REGISTRY_NAMESPACE, REGISTRY_DEPLOYMENT);
    const available = Number(
      (deployment?.status as { availableReplicas?: number } | undefined)?.availableReplicas ?? 0,
    );
    if (available < 1) {
      return {
        available: false,
        progressing: true,
        degraded: false,
        message: 'Progressing: The deployment has not completed',
      };
    }
  }
  return { available: true, progressing: false, degraded: false, message: 'The registry is ready' };
}

/** The state an operator should report now (authentication excepted: see ./oauth.ts). */
export function desiredOperatorState(ctx: SimContext, operator: string): OperatorState {
  const waiting = nodesWaitReason(ctx.api, ctx.lab, operator);
  let state: OperatorState = waiting
    ? { available: false, progressing: true, degraded: false, message: waiting }
    : operator === 'image-registry'
      ? registryState(ctx.api)
      : { available: true, progressing: false, degraded: false, message: '' };
  if (ctx.faults.find('operator-degraded', (fault) => fault.operator === operator)) {
    state = { ...state, degraded: true, message: `${operator} is stuck Degraded (operator-degraded fault)` };
  }
  return state;
}

export function currentOperatorState(co: KubeObject | undefined): OperatorState | undefined {
  if (!co) return undefined;
  const message =
    ['Degraded', 'Available', 'Progressing']
      .map((type) => conditionOf(co, type))
      .find((condition) => condition?.message)?.message ?? '';
  return {
    available: isTrue(co, 'Available'),
    progressing: isTrue(co, 'Progressing'),
    degraded: isTrue(co, 'Degraded'),
    message,
  };
}

/** The message the conditions show: only a condition that is not as expected carries one. */
function shownMessage(state: OperatorState): string {
  return !state.available || state.progressing || state.degraded ? state.message : '';
}

export function sameState(a: OperatorState | undefined, b: OperatorState): boolean {
  return (
    !!a &&
    a.available === b.available &&
    a.progressing === b.progressing &&
    a.degraded === b.degraded &&
    shownMessage(a) === shownMessage(b)
  );
}

/** Writes an operator's conditions (creating the ClusterOperator if needed), keeping transition times. */
export async function writeOperatorState(ctx: SimContext, operator: string, state: OperatorState): Promise<void> {
  const { api, lab } = ctx;
  const fresh = operatorConditions(state, state.message);
  if (!api.get(R.clusteroperators, undefined, operator)) {
    await api.create(R.clusteroperators, clusterOperatorObject(operator, lab.cluster.version, []));
  }
  await api.mutate(
    R.clusteroperators,
    undefined,
    operator,
    (co) => {
      const status = (co.status ?? {}) as { conditions?: Condition[]; versions?: unknown[] };
      let conditions = status.conditions ?? [];
      for (const condition of fresh) conditions = setCondition(conditions, { ...condition, lastTransitionTime: now() });
      status.conditions = conditions;
      status.versions = [{ name: 'operator', version: lab.cluster.version }];
      co.status = status;
    },
    { subresource: 'status' },
  );
}

async function updateClusterVersion(ctx: SimContext): Promise<void> {
  const { api, lab } = ctx;
  const cv = api.get(R.clusterversions, undefined, 'version');
  if (!cv) return;
  const operators = api.list(R.clusteroperators).items;
  const unfinished = CLUSTER_OPERATORS.filter((name) => {
    const co = operators.find((candidate) => candidate.metadata.name === name);
    return !co || !isTrue(co, 'Available') || isTrue(co, 'Degraded');
  });
  const version = lab.cluster.version;
  const status = structuredClone(
    (cv.status ?? {}) as {
      conditions?: Condition[];
      history?: Array<{ state: string; completionTime?: string | null; version: string }>;
    },
  );
  const completed = status.history?.[0]?.state === 'Completed';
  let conditions = status.conditions ?? [];
  if (unfinished.length === 0) {
    conditions = setCondition(conditions, { type: 'Available', status: 'True', message: `Done applying ${version}` });
    conditions = setCondition(conditions, { type: 'Failing', status: 'False' });
    conditions = setCondition(conditions, {
      type: 'Progressing',
      status: 'False',
      message: `Cluster version is ${version}`,
    });
    if (!completed && status.history?.[0])
      status.history[0] = { ...status.history[0], state: 'Completed', completionTime: now() };
  } else if (completed) {
    conditions = setCondition(conditions, {
      type: 'Failing',
      status: 'True',
      reason: 'ClusterOperatorDegraded',
      message: `Cluster operator ${unfinished[0]} is not available or degraded`,
    });
  } else {
    const done = CLUSTER_OPERATORS.length - unfinished.length;
    const percent = Math.floor((100 * done) / CLUSTER_OPERATORS.length);
    const message =
      unfinished.length <= 2
        ? `Unable to apply ${version}: the cluster operator ${unfinished[0]} has not yet successfully rolled out`
        : `Working towards ${version}: ${percent}% complete`;
    conditions = setCondition(conditions, { type: 'Progressing', status: 'True', message });
  }
  status.conditions = conditions;
  if (JSON.stringify(status) === JSON.stringify(cv.status)) return;
  await api.mutate(
    R.clusterversions,
    undefined,
    'version',
    (draft) => {
      draft.status = status;
    },
    { subresource: 'status' },
  );
}

export function operatorsController(deps: { progress: InstallProgress }): Controller {
  return (ctx) => {
    const { api, clock } = ctx;
    const scheduled = new Map<string, () => void>();
    const managed = CLUSTER_OPERATORS.filter((name) => name !== 'authentication');

    const apply = async (operator: string) => {
      const state = desiredOperatorState(ctx, operator);
      if (!sameState(currentOperatorState(api.get(R.clusteroperators, undefined, operator)), state)) {
        await writeOperatorState(ctx, operator, state);
      }
    };

    const loop = startLoop(ctx, 'cluster operators', {
      resources: [R.nodes, R.registryConfigs, R.deployments, R.clusteroperators],
      pass: async () => {
        if (!deps.progress.apiUp) return;
        for (const operator of managed) {
          const current = currentOperatorState(api.get(R.clusteroperators, undefined, operator));
          const desired = desiredOperatorState(ctx, operator);
          if (sameState(current, desired) || scheduled.has(operator)) continue;
          // A fault shows at once; everything else takes the operator a while to roll out.
          const immediate = !current || (desired.degraded && !current.degraded);
          if (immediate) {
            await apply(operator);
            continue;
          }
          scheduled.set(
            operator,
            clock.after(OPERATOR_SETTLE_MS, () => {
              scheduled.delete(operator);
              inBackground(ctx, 'cluster operators', apply(operator));
            }),
          );
        }
        await updateClusterVersion(ctx);
      },
    });
    deps.progress.on('api-up', loop.kick);
    return () => {
      deps.progress.off('api-up', loop.kick);
      loop.stop();
      for (const cancel of scheduled.values()) cancel();
    };
  };
}
