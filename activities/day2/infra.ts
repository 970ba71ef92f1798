/**
 * Infra nodes, as the procedure moves them: the infra pool renders its config, then each infra
 * node in turn is relabelled (infra added, worker removed) and awaited through the MCO's drain,
 * reboot and return on the rendered infra config; one node out at a time, even after a skip or a
 * resume, because each node first checks that the nodes before it are back. Then the default
 * routers move onto the infra nodes.
 */
import { apiFeatures } from '../../lab/release.js';
import type { KubernetesObject, V1Node } from '@kubernetes/client-node';
import { PatchStrategy } from '../../transport/kube.js';
import { roleLabel, type Lab, type Node } from '../../lab/schema.js';
import { infraMachineConfigPool, workerToInfraMachineConfigs } from '../../render/infra.js';
import { RenderError, infraNodes, routerReplicas } from '../../render/topology.js';
import type { KubeClients } from '../../transport/kube.js';
import type { StepContext, StepOutcome } from '../../contract/step.js';
import { applyStep, FIELD_MANAGER, type ApplyPlan } from '../cluster/apply.js';
import { describeCondition, hasCondition, conditionOf } from '../cluster/conditions.js';
import { readObject, watchedPoll } from '../cluster/watch-wait.js';
import { nodeObjectOf } from '../cluster/waits.js';
import { kubeFor, kubeLater } from '../support/kube-access.js';
import type { PlannedStep, StepPlan } from '../support/plan.js';
import { checkStep, nodeOnConfig, refuse, watchDegraded, type DegradedProgress } from './support.js';
import { describeBlockers, drainBlockers } from './drain-blockers.js';
import { StepErrorType } from '../../contract/error-types.js';

const INFRA = roleLabel('infra');
const WORKER = roleLabel('worker');
const POOL = { apiVersion: 'machineconfiguration.openshift.io/v1', kind: 'MachineConfigPool', name: 'infra' };
const POOL_WATCH = { path: '/apis/machineconfiguration.openshift.io/v1/machineconfigpools' };
const NODES_WATCH = { path: '/api/v1/nodes' };
const ROUTER_NAMESPACE = 'openshift-ingress';
const ROUTER_SELECTOR = 'ingresscontroller.operator.openshift.io/deployment-ingresscontroller=default';

const ROLE_PREFIX = 'node-role.kubernetes.io/';

/** `infra`, `worker`: the roles a node's labels give it, as `oc get nodes` shows them. */
function roleNames(labels: Record<string, string>): string[] {
  return Object.keys(labels)
    .filter((key) => key.startsWith(ROLE_PREFIX))
    .map((key) => key.slice(ROLE_PREFIX.length));
}

/** The lab's infra nodes; a list naming no node of the lab is the lab's mistake, named as such. */
function labInfraNodes(lab: Lab): Node[] {
  if (lab.day2.infra === undefined)
    refuse(
      'the lab has no day2.infra block: add one (nodes, moveRouters) to move nodes to the infra pool',
      StepErrorType.LabSectionMissing,
    );
  try {
    return infraNodes(lab);
  } catch (error) {
    if (error instanceof RenderError)
      refuse(`${error.message}: fix day2.infra.nodes`, StepErrorType.InfraNodesMismatch);
    throw error;
  }
}

/** The field of the lab that lists the infra nodes, for messages. */
function listField(lab: Lab): string {
  return lab.day2.infra?.nodes === undefined ? 'the nodes of role infra (nodes[].role)' : 'day2.infra.nodes';
}

/** The rendered config of the infra pool, once the MCO has made it. */
async function renderedInfra(kube: KubeClients): Promise<string | undefined> {
  const pool = (await readObject(kube, POOL)) as
    { spec?: { configuration?: { name?: string } }; status?: { configuration?: { name?: string } } } | undefined;
  const name = pool?.spec?.configuration?.name ?? pool?.status?.configuration?.name;
  return name?.startsWith('rendered-infra-') ? name : undefined;
}

function nodeOf(lab: Lab, node: Node, items: readonly V1Node[]): V1Node {
  const found = nodeObjectOf(lab, node, items);
  if (!found)
    refuse(
      `the cluster has no Node ${node.name} (nor its FQDN), which ${listField(lab)} lists; fix ` +
        `${listField(lab)}, or let the node join first`,
      StepErrorType.InfraNodesMismatch,
    );
  return found;
}

/** Fails early when the lab's infra nodes and the cluster's nodes disagree. */
export function infraCheckNodesStep(context: StepContext): PlannedStep<StepPlan> {
  return checkStep(async () => {
    const kube = await kubeFor(context);
    const wanted = labInfraNodes(context.lab);
    const items = (await kube.core.listNode()).items;
    const missing = wanted.filter((node) => !nodeObjectOf(context.lab, node, items));
    if (missing.length)
      refuse(
        `${listField(context.lab)} names ${missing.map((node) => node.name).join(', ')}, which the cluster has no Node for (it has ${items
          .map((item) => item.metadata?.name)
          .join(', ')}); fix ${listField(context.lab)} in the lab file`,
        StepErrorType.InfraNodesMismatch,
      );
    const masters = wanted.filter(
      (node) => nodeOf(context.lab, node, items).metadata?.labels?.[roleLabel('master')] !== undefined,
    );
    if (masters.length)
      refuse(
        `${masters.map((node) => node.name).join(', ')} in ${listField(context.lab)} ` +
          `${masters.length === 1 ? 'is a master' : 'are masters'} in the cluster; only workers move ` +
          `to the infra pool: fix ${listField(context.lab)}`,
        StepErrorType.InfraNodesMismatch,
      );
    const moved = wanted.filter((node) => nodeOf(context.lab, node, items).metadata?.labels?.[INFRA] !== undefined);
    return (
      `${wanted.length} infra nodes found in the cluster ` +
      `(${wanted.map((node) => node.name).join(', ')}); ${moved.length} labelled infra already`
    );
  });
}

/**
 * The procedure's infra pool: it selects role infra only, and the worker MachineConfigs are copied
 * as infra ones (`oc get machineconfig` edited as the procedure says, render/infra.ts), so the infra
 * nodes' kubelet registers them as infra. The copies come first, so the pool renders at once.
 */
export function infraPoolStep(context: StepContext): PlannedStep<ApplyPlan> {
  const kube = kubeLater(context);
  const wanted = async () => {
    labInfraNodes(context.lab);
    const { items } = (await (
      await kube
    ).custom.listClusterCustomObject({
      group: 'machineconfiguration.openshift.io',
      version: 'v1',
      plural: 'machineconfigs',
    })) as { items: object[] };
    const copies = workerToInfraMachineConfigs(items);
    if (copies.length === 0)
      refuse(
        'the cluster has no worker MachineConfigs to copy for the infra pool: is the install complete?',
        StepErrorType.NoWorkerConfigs,
      );
    return {
      objects: [...copies, infraMachineConfigPool('copy')],
      serverSideApply: apiFeatures(context.lab.cluster.version).serverSideApply,
    };
  };
  return {
    plan: async () => applyStep(await kube, await wanted()).plan(),
    apply: async (plan) => applyStep(await kube, await wanted()).apply(plan),
  };
}

/** Waits for `rendered-infra-*`, the config the infra nodes will boot into. */
export async function infraWaitRendered(context: StepContext): Promise<StepOutcome> {
  const kube = await kubeFor(context);
  return watchedPoll(
    context,
    kube,
    { what: 'the infra pool to render its config', watches: [POOL_WATCH] },
    async () => {
      const rendered = await renderedInfra(kube);
      return rendered
        ? { done: true, detail: `the infra pool renders ${rendered}` }
        : { done: false, detail: 'the infra pool has no rendered-infra-* config yet' };
    },
  );
}

function currentNode(context: StepContext): { node: Node; before: Node[] } {
  const all = labInfraNodes(context.lab);
  const index = all.findIndex((node) => node.name === context.item);
  if (index < 0)
    refuse(
      `step ${context.stepId} runs for ${context.item ?? 'no item'}, which ${listField(context.lab)} does not list`,
      StepErrorType.InfraNodesMismatch,
    );
  return { node: all[index]!, before: all.slice(0, index) };
}

/** Refuses to take a node out while an infra node before it is not back in service. */
export function infraCheckPreviousStep(context: StepContext): PlannedStep<StepPlan> {
  return checkStep(async () => {
    const kube = await kubeFor(context);
    const { node, before } = currentNode(context);
    if (before.length === 0) return `${node.name} is the first infra node`;
    const rendered = await renderedInfra(kube);
    const items = (await kube.core.listNode()).items;
    const out = before.flatMap((previous) => {
      const object = nodeOf(context.lab, previous, items);
      const labelled = object.metadata?.labels?.[INFRA] !== undefined;
      const state = nodeOnConfig(object, rendered);
      return labelled && state.ok ? [] : [`${previous.name} (${labelled ? state.detail : 'not labelled infra'})`];
    });
    if (out.length)
      refuse(
        `${node.name} is not taken out while ${out.join('; ')} ${out.length === 1 ? 'is' : 'are'} ` +
          `not back on ${rendered ?? 'the infra config'}: ` +
          'one infra node is updated at a time. Bring that node back (or finish its step), then resume',
        StepErrorType.PreviousInfraNodeNotReady,
      );
    return `${before.map((previous) => previous.name).join(', ')} back in service on ${rendered}`;
  });
}

/** `oc label node <n> node-role.kubernetes.io/infra=` and `oc label node <n> node-role.kubernetes.io/worker-`. */
export function infraRelabelStep(context: StepContext): PlannedStep<StepPlan> {
  const kube = kubeLater(context);
  const read = async () => {
    const { node } = currentNode(context);
    return nodeOf(context.lab, node, (await (await kube).core.listNode()).items);
  };
  const diffOf = (object: V1Node) => {
    const labels = object.metadata?.labels ?? {};
    return [
      ...(labels[INFRA] === undefined ? [`metadata.labels.${INFRA}: (none) → ""`] : []),
      ...(labels[WORKER] !== undefined
        ? [`metadata.labels.${WORKER}: ${JSON.stringify(labels[WORKER])} → (none)`]
        : []),
    ];
  };
  return {
    plan: async () => {
      const object = await read();
      const labels = object.metadata?.labels ?? {};
      const diff = diffOf(object);
      const target = `Node ${object.metadata?.name}`;
      // The plan names what would hold the drain the relabel starts, as the apply half would refuse it.
      const blockers = diff.length ? await drainBlockers(await kube, object.metadata!.name!) : [];
      return {
        changes: diff.length ? [{ target, action: 'update' as const, diff: diff.join('\n') }] : [],
        detail:
          `${target} has roles ${roleNames(labels).join(', ') || 'none'}` +
          (blockers.length ? `; its drain would be held: ${describeBlockers(blockers)}` : ''),
      };
    },
    apply: async () => {
      const object = await read();
      // Relabelling starts the MCO's drain: a budget that allows no disruption would hold it for an
      // hour before the pool says so, with the node cordoned. Named now, the node untouched.
      const blockers = diffOf(object).length ? await drainBlockers(await kube, object.metadata!.name!) : [];
      if (blockers.length)
        refuse(
          `${object.metadata?.name} is not relabelled: its drain would be held, as the Eviction API would ` +
            `refuse these pods: ${describeBlockers(blockers)}. ` +
            'Delete or relax that budget (oc delete pdb / oc edit pdb -n <namespace>), leave each pod one ' +
            'budget, or move those pods, then `runbook resume` the run',
          StepErrorType.DrainBlocked,
        );
      const body = {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: object.metadata!.name!, labels: { [INFRA]: '', [WORKER]: null } },
      };
      await (
        await kube
      ).objects.patch(
        body as unknown as KubernetesObject,
        undefined,
        undefined,
        FIELD_MANAGER,
        undefined,
        PatchStrategy.MergePatch,
      );
      return `labelled Node ${object.metadata?.name} infra, not worker`;
    },
  };
}

/**
 * The MCO reports a node it cannot update (a drain held for an hour, a config it cannot write) as
 * the pool's NodeDegraded condition and needs someone to act: the wait pauses then, with the MCO's
 * words and the budgets holding the drain, rather than sitting out day2.infra.nodeDeadline. A drain
 * failure whose budgets are gone already (the operator relaxed them and resumed) is left to the
 * MCO's next retry, which clears the condition: returns what the wait shows meanwhile.
 */
async function watchPoolDegraded(kube: KubeClients, nodeName: string): Promise<string | undefined> {
  const pool = await readObject(kube, POOL);
  const degraded = conditionOf(pool, 'NodeDegraded') ?? conditionOf(pool, 'Degraded');
  if (degraded?.status !== 'True') return undefined;
  const reason = degraded.message || degraded.reason || 'no message';
  const blockers = await drainBlockers(kube, nodeName);
  if (blockers.length === 0 && /drain/i.test(reason))
    return `the infra pool is Degraded (${reason}); nothing holds the drain now: waiting for the MCO's next retry`;
  refuse(
    `the infra pool is Degraded while ${nodeName} updates: ${reason}` +
      (blockers.length ? `. Its drain is held: ${describeBlockers(blockers)}` : '') +
      '. See `oc describe mcp infra` and the machine-config-controller log; fix what holds the node ' +
      '(a drain: delete or relax the PodDisruptionBudget), then `runbook resume` the run to wait again',
    StepErrorType.InfraPoolDegraded,
  );
}

/** Waits for the node's drain, reboot and return: Ready, schedulable, on rendered-infra-*, Done. */
export async function infraWaitNodeUpdated(context: StepContext): Promise<StepOutcome> {
  const kube = await kubeFor(context);
  const { node } = currentNode(context);
  // The deadline is the lab's day2.infra.nodeDeadline, set by the declaration (./index.ts).
  return watchedPoll(
    context,
    kube,
    {
      what: `${node.name} to come back Ready on the infra config (day2.infra.nodeDeadline)`,
      watches: [NODES_WATCH, POOL_WATCH],
    },
    async () => {
      const rendered = await renderedInfra(kube);
      const object = nodeOf(context.lab, node, (await kube.core.listNode()).items);
      const state = nodeOnConfig(object, rendered);
      const degraded = state.ok ? undefined : await watchPoolDegraded(kube, object.metadata!.name!);
      return { done: state.ok, detail: `${node.name}: ${state.detail}${degraded ? `; ${degraded}` : ''}` };
    },
  );
}

/** Every default router pod Running on an infra node, as many as wanted, and the ingress operator Available. */
export async function infraWaitRouters(context: StepContext): Promise<StepOutcome> {
  const kube = await kubeFor(context);
  const wanted = routerReplicas(context.lab);
  const operator = { apiVersion: 'config.openshift.io/v1', kind: 'ClusterOperator', name: 'ingress' };
  return watchedPoll<DegradedProgress>(
    context,
    kube,
    {
      what: `${wanted} routers on infra nodes and the ingress operator Available`,
      watches: [
        { path: `/api/v1/namespaces/${ROUTER_NAMESPACE}/pods` },
        { path: '/apis/config.openshift.io/v1/clusteroperators', query: { fieldSelector: 'metadata.name=ingress' } },
      ],
    },
    async ({ elapsedMs, progress }) => {
      const infra = new Set(
        (await kube.core.listNode({ labelSelector: INFRA })).items.map((item) => item.metadata?.name ?? ''),
      );
      const pods = (await kube.core.listNamespacedPod({ namespace: ROUTER_NAMESPACE, labelSelector: ROUTER_SELECTOR }))
        .items;
      const elsewhere = pods.filter((pod) => !infra.has(pod.spec?.nodeName ?? ''));
      const running = pods.filter(
        (pod) =>
          infra.has(pod.spec?.nodeName ?? '') && pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp,
      );
      const co = await readObject(kube, operator);
      const available = hasCondition(co, 'Available') && conditionOf(co, 'Degraded')?.status !== 'True';
      const done = elsewhere.length === 0 && running.length >= wanted && available;
      return {
        done,
        ...(!done && { progress: watchDegraded('ingress', co, elapsedMs, progress) }),
        detail: `${running.length} of ${wanted} routers running on infra nodes${
          elsewhere.length
            ? `; ${elsewhere.length} still elsewhere (${elsewhere.map((pod) => pod.spec?.nodeName ?? 'unscheduled').join(', ')})`
            : ''
        }; ingress ${describeCondition(co, 'Available')}`,
      };
    },
  );
}
