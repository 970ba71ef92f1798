/**
 * The Machine Config Operator of the simulated lab, following openshift/machine-config-operator:
 * - operator + template controller: the master and worker pools and their install configs exist;
 * - render controller: each pool gets `rendered-<pool>-<hash>` from the MachineConfigs its
 *   machineConfigSelector matches (owned by the pool), written to `spec.configuration` even when
 *   paused; a pool that matches no config is RenderDegraded;
 * - node controller: nodes matching a pool's nodeSelector (worker + one custom pool → the custom
 *   pool; master + anything → master) get `desiredConfig` set, at most maxUnavailable at a time,
 *   never in a paused pool; pool status counts and Updated/Updating/Degraded conditions are
 *   computed from the node annotations as status.go does;
 * - daemon + drain controller, per node: state Working, cordon, evict through the Eviction API
 *   (./pods.ts drainNode; a PodDisruptionBudget holds the drain, retried as the drain controller
 *   does, and after an hour the node is Degraded), reboot (NotReady), boot into the new config
 *   (role labels untouched: the kubelet applies --node-labels only when it registers),
 *   currentConfig = desired, state Done, uncordon.
 * Fault `node-never-returns` keeps a rebooting node NotReady until the fault is cleared.
 */
import type { KubeObject } from '../apiserver/store.js';
import { matchesSelectorObject, selectorObjectToString, type LabelSelectorObject } from '../apiserver/selectors.js';
import type { Controller, SimContext } from '../context.js';
import type { LabApi } from '../lab-api.js';
import { R, now, setCondition, type Condition } from '../openshift-objects.js';
import { recordEvent } from './events.js';
import { MCO_ANNOTATIONS } from './kubelet.js';
import { inBackground, startLoop } from './loop.js';
import {
  GENERATED_BY,
  MC,
  MCP,
  MC_API_VERSION,
  controllerVersion,
  ignitionVersion,
  installMachineConfigs,
  installPools,
  mergeMachineConfigs,
  renderedConfigName,
} from './machine-configs.js';
import { drainNode } from './pods.js';
import { UNREACHABLE_TAINT, UNSCHEDULABLE_TAINT, isNodeReady, isUnschedulable } from './scheduler.js';
import type { Taint } from './pod-spec.js';

export {
  MC,
  MCP,
  installMachineConfigs,
  installPools,
  kubeletNodeLabels,
  mergeMachineConfigs,
  renderedConfigName,
} from './machine-configs.js';

/** Node annotations of the machine-config daemon and drain controller. */
export const MCD = {
  ...MCO_ANNOTATIONS,
  reason: 'machineconfiguration.openshift.io/reason',
  desiredDrain: 'machineconfiguration.openshift.io/desiredDrain',
  lastAppliedDrain: 'machineconfiguration.openshift.io/lastAppliedDrain',
} as const;

export const NodeState = {
  done: 'Done',
  working: 'Working',
  degraded: 'Degraded',
  unreconcilable: 'Unreconcilable',
} as const;

/** Lab time of each step of a node update. */
export const MCO_TIMING = {
  /** desiredConfig seen → cordoned and drained. */
  drainMs: 5_000,
  /** drained → files written, node rebooting (NotReady). */
  rebootMs: 10_000,
  /** rebooting → kubelet back, node Ready. */
  bootMs: 90_000,
} as const;

/** The drain controller's retry rhythm (drain_controller.go DefaultConfig) and the MCD's patience (drain.go). */
export const DRAIN_TIMING = {
  /** One drain attempt: the drain helper's timeout while an eviction keeps being refused. */
  helperTimeoutMs: 90_000,
  /** Wait before the next attempt… */
  requeueMs: 60_000,
  /** …and, once the drain has failed for this long, the longer wait. */
  failingThresholdMs: 10 * 60_000,
  failingRequeueMs: 5 * 60_000,
  /** The MCD gives up waiting (node Degraded) after this; the controller keeps retrying. */
  timeoutMs: 60 * 60_000,
} as const;

/** Go's time.Duration formatting of the durations above (1m30s, 1h0m0s). */
function goDuration(ms: number): string {
  const total = Math.round(ms / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

interface PoolSpec {
  machineConfigSelector?: LabelSelectorObject;
  nodeSelector?: LabelSelectorObject;
  paused?: boolean;
  maxUnavailable?: number | string;
  configuration?: { name?: string; source?: unknown[] };
}

const annotation = (obj: KubeObject, key: string): string | undefined => obj.metadata.annotations?.[key];
const poolSpec = (pool: KubeObject): PoolSpec => (pool.spec ?? {}) as PoolSpec;

// ---------------------------------------------------------------------------------------------
// Operator and render controller

/**
 * Creates the master and worker pools and the install MachineConfigs when missing, as the MCO does
 * on start; the install seeding may call it directly (with the install's SSH public keys for
 * `99-<role>-ssh`). Idempotent; rendering and node annotations follow from the controller.
 */
export async function ensureInstallMachineConfiguration(
  api: LabApi,
  lab: SimContext['lab'],
  sshAuthorizedKeys: readonly string[] = [],
): Promise<void> {
  for (const pool of installPools()) {
    const existing = api.get(MCP, undefined, pool.metadata.name) ?? (await api.create(MCP, pool));
    const role = existing.metadata.name as 'master' | 'worker';
    for (const mc of installMachineConfigs(lab, role, existing.metadata.uid!, sshAuthorizedKeys)) {
      if (!api.get(MC, undefined, mc.metadata.name)) await api.create(MC, mc);
    }
  }
}

/** The render controller's delay (render_controller.go renderDelay) before it renders a changed pool. */
export const RENDER_DELAY_MS = 5_000;

/** The sorted names of a set of MachineConfigs (or `source` references), to compare sets. */
function sourceNames(configs: readonly { name?: string; metadata?: { name: string } }[]): string {
  return configs
    .map((config) => config.metadata?.name ?? config.name ?? '')
    .sort()
    .join(',');
}

const poolSource = (pool: KubeObject): { name?: string }[] =>
  (poolSpec(pool).configuration?.source ?? []) as { name?: string }[];

/** MachineConfigs a pool's selector matches (rendered configs carry no role label and never match). */
export function selectedMachineConfigs(pool: KubeObject, machineConfigs: readonly KubeObject[]): KubeObject[] {
  const selector = poolSpec(pool).machineConfigSelector;
  return machineConfigs.filter(
    (mc) => !mc.metadata.name.startsWith('rendered-') && matchesSelectorObject(selector, mc.metadata.labels),
  );
}

/** Renders one pool; returns the RenderDegraded message when it cannot. */
async function renderPool(
  ctx: SimContext,
  pool: KubeObject,
  machineConfigs: readonly KubeObject[],
): Promise<string | undefined> {
  const { api, lab } = ctx;
  const selected = selectedMachineConfigs(pool, machineConfigs);
  if (selected.length === 0) {
    const selector = selectorObjectToString(poolSpec(pool).machineConfigSelector ?? {});
    return `Failed to render configuration for pool ${pool.metadata.name}: no MachineConfigs found matching selector ${selector}`;
  }
  const name = renderedConfigName(pool.metadata.name, selected);
  if (!api.get(MC, undefined, name)) {
    await api.create(MC, {
      apiVersion: MC_API_VERSION,
      kind: 'MachineConfig',
      metadata: {
        name,
        annotations: { [GENERATED_BY]: controllerVersion(lab) },
        ownerReferences: [
          {
            apiVersion: MC_API_VERSION,
            kind: 'MachineConfigPool',
            name: pool.metadata.name,
            uid: pool.metadata.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: mergeMachineConfigs(selected, ignitionVersion(lab)),
    });
    ctx.log.info(
      `machine-config: rendered ${name} for pool ${pool.metadata.name} from ${selected.length} MachineConfigs`,
    );
  }
  const source = [...selected]
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
    .map((mc) => ({ apiVersion: MC_API_VERSION, kind: 'MachineConfig', name: mc.metadata.name }));
  const current = poolSpec(pool).configuration;
  if (current?.name !== name || JSON.stringify(current.source ?? []) !== JSON.stringify(source)) {
    await api.mutate(MCP, undefined, pool.metadata.name, (draft) => {
      (draft.spec as PoolSpec).configuration = { name, source };
    });
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Node controller

/**
 * Whether a pool's nodeSelector takes a node. Unlike a plain label selector, an empty one matches
 * no node: "If a pool with a nil or empty selector creeps in, it should match nothing, not
 * everything" (machine-config-operator, node controller getPoolsForNode).
 */
function selectsNode(selector: LabelSelectorObject | undefined, labels: Record<string, string> | undefined): boolean {
  const empty =
    Object.keys(selector?.matchLabels ?? {}).length === 0 && (selector?.matchExpressions ?? []).length === 0;
  return !empty && matchesSelectorObject(selector, labels);
}

/** The pool that manages each node, with MCO's rules for nodes that several pools select. */
export function poolsOfNodes(
  pools: readonly KubeObject[],
  nodes: readonly KubeObject[],
  warn?: (message: string) => void,
): Map<string, KubeObject> {
  const result = new Map<string, KubeObject>();
  for (const node of nodes) {
    const matching = pools.filter((pool) => selectsNode(poolSpec(pool).nodeSelector, node.metadata.labels));
    let chosen: KubeObject | undefined;
    if (matching.length === 1) chosen = matching[0];
    else if (matching.length > 1) {
      const master = matching.find((pool) => pool.metadata.name === 'master');
      const custom = matching.filter((pool) => pool.metadata.name !== 'worker');
      if (master) chosen = master;
      else if (custom.length === 1) chosen = custom[0];
      else warn?.(`node ${node.metadata.name} belongs to ${custom.length} custom roles, cannot proceed with this Node`);
    }
    if (chosen) result.set(node.metadata.name, chosen);
  }
  return result;
}

interface NodeView {
  node: KubeObject;
  done: boolean;
  updated: boolean;
  ready: boolean;
  unavailable: boolean;
  degraded: boolean;
}

function viewNode(node: KubeObject, target: string | undefined): NodeView {
  const current = annotation(node, MCD.currentConfig);
  const desired = annotation(node, MCD.desiredConfig);
  const state = annotation(node, MCD.state);
  const done = !!current && current === desired && state === NodeState.done;
  const updated = done && desired === target;
  const nodeReady = isNodeReady(node) && !isUnschedulable(node);
  const degraded = state === NodeState.degraded || state === NodeState.unreconcilable;
  return {
    node,
    done,
    updated,
    ready: updated && nodeReady,
    unavailable: !nodeReady || (!done && !degraded),
    degraded,
  };
}

/** maxUnavailable as node_controller.go scales it: percent rounds down, and 0 means 1. */
function maxUnavailable(pool: KubeObject, nodeCount: number): number {
  const raw = poolSpec(pool).maxUnavailable ?? 1;
  let value =
    typeof raw === 'number'
      ? raw
      : /^(\d+)%$/.test(raw)
        ? Math.floor((Number(raw.slice(0, -1)) * nodeCount) / 100)
        : Number(raw) || 0;
  if (value <= 0) value = 1;
  return value;
}

function poolStatus(
  pool: KubeObject,
  views: readonly NodeView[],
  renderError: string | undefined,
): Record<string, unknown> {
  const spec = poolSpec(pool);
  const target = spec.configuration?.name;
  const previous = (pool.status ?? {}) as { configuration?: unknown; conditions?: Condition[] };
  const machineCount = views.length;
  const updatedCount = views.filter((view) => view.updated).length;
  const readyCount = views.filter((view) => view.ready).length;
  const unavailableCount = views.filter((view) => view.unavailable).length;
  const degradedCount = views.filter((view) => view.degraded).length;
  const allUpdated =
    target !== undefined && updatedCount === machineCount && readyCount === machineCount && unavailableCount === 0;

  let conditions = previous.conditions ?? [];
  const set = (type: string, status: boolean, message = '', reason = '') => {
    conditions = setCondition(conditions, { type, status: status ? 'True' : 'False', reason, message });
  };
  set('RenderDegraded', renderError !== undefined, renderError ?? '');
  // status.go: the count is the reason, each degraded node's MCD reason annotation the message.
  const degradedReasons = views
    .filter((view) => view.degraded && annotation(view.node, MCD.reason))
    .map(
      (view) => `Node ${view.node.metadata.name} is reporting: ${JSON.stringify(annotation(view.node, MCD.reason))}`,
    );
  set(
    'NodeDegraded',
    degradedCount > 0,
    degradedReasons.join(', '),
    degradedCount > 0 ? `${degradedCount} nodes are reporting degraded status on sync` : '',
  );
  set('Degraded', degradedCount > 0 || renderError !== undefined);
  if (allUpdated) {
    set('Updated', true, `All nodes are updated with ${target}`);
    set('Updating', false);
  } else {
    set('Updated', false);
    if (spec.paused) set('Updating', false, `Pool is paused; will not update to ${target ?? ''}`);
    else set('Updating', target !== undefined, target ? `All nodes are updating to ${target}` : '');
  }
  return {
    observedGeneration: pool.metadata.generation,
    configuration: allUpdated
      ? spec.configuration
      : (previous.configuration ?? spec.configuration ?? { name: '', source: [] }),
    machineCount,
    updatedMachineCount: updatedCount,
    readyMachineCount: readyCount,
    unavailableMachineCount: unavailableCount,
    degradedMachineCount: degradedCount,
    conditions,
  };
}

/** Status equal but for condition timestamps: nothing to write. */
function sameStatus(a: unknown, b: unknown): boolean {
  const strip = (value: unknown) =>
    JSON.stringify(value, (key, inner) => (key === 'lastTransitionTime' ? undefined : inner));
  return strip(a) === strip(b);
}

// ---------------------------------------------------------------------------------------------
// Daemon and drain controller

class MachineConfigDaemons {
  /** Nodes with an update in flight, and the config they are going to. */
  private readonly updating = new Map<string, string>();
  /** Rebooting nodes held down by the node-never-returns fault. */
  private readonly heldDown = new Set<string>();
  private readonly cancels = new Set<() => void>();

  constructor(private readonly ctx: SimContext) {}

  stop(): void {
    for (const cancel of this.cancels) cancel();
    this.cancels.clear();
  }

  private after(ms: number, fn: () => Promise<void>): void {
    const cancel = this.ctx.clock.after(ms, () => {
      this.cancels.delete(cancel);
      inBackground(this.ctx, 'machine-config daemon', fn());
    });
    this.cancels.add(cancel);
  }

  /** Acts on one node's annotations: first boot, or an update to a new desiredConfig. */
  async sync(node: KubeObject, pool: KubeObject | undefined): Promise<void> {
    const name = node.metadata.name;
    const current = annotation(node, MCD.currentConfig);
    const desired = annotation(node, MCD.desiredConfig);
    if (!current) {
      // First boot: the node runs the config the machine-config server handed it.
      const served = pool && poolSpec(pool).configuration?.name;
      if (served)
        await this.annotate(name, {
          [MCD.currentConfig]: served,
          [MCD.desiredConfig]: served,
          [MCD.state]: NodeState.done,
        });
      return;
    }
    if (this.heldDown.has(name)) {
      if (!this.neverReturns(name)) {
        this.heldDown.delete(name);
        await this.boot(name, this.updating.get(name)!);
      }
      return;
    }
    if (!desired || desired === current || this.updating.has(name)) return;
    if (annotation(node, MCD.state) === NodeState.degraded) return;
    await this.update(name, desired);
  }

  private neverReturns(nodeName: string): boolean {
    return (
      this.ctx.faults.find(
        'node-never-returns',
        (fault) => fault.node === nodeName || nodeName.startsWith(`${fault.node}.`),
      ) !== undefined
    );
  }

  private annotate(
    nodeName: string,
    annotations: Record<string, string>,
    spec?: (spec: { unschedulable?: boolean; taints?: Taint[] }) => void,
  ): Promise<KubeObject> {
    return this.ctx.api.mutate(R.nodes, undefined, nodeName, (draft) => {
      draft.metadata.annotations = { ...draft.metadata.annotations, ...annotations };
      if (spec) {
        const nodeSpec = (draft.spec ??= {}) as { unschedulable?: boolean; taints?: Taint[] };
        spec(nodeSpec);
        if (!nodeSpec.unschedulable) delete nodeSpec.unschedulable;
        if (nodeSpec.taints?.length === 0) delete nodeSpec.taints;
      }
    });
  }

  private async setReady(nodeName: string, ready: boolean): Promise<void> {
    await this.ctx.api.mutate(
      R.nodes,
      undefined,
      nodeName,
      (draft) => {
        const status = (draft.status ??= {}) as { conditions?: Condition[] };
        const condition: Condition = ready
          ? {
              type: 'Ready',
              status: 'True',
              reason: 'KubeletReady',
              message: 'kubelet is posting ready status',
              lastHeartbeatTime: now(),
            }
          : {
              type: 'Ready',
              status: 'Unknown',
              reason: 'NodeStatusUnknown',
              message: 'Kubelet stopped posting node status.',
              lastHeartbeatTime: now(),
            };
        status.conditions = setCondition(status.conditions, condition);
      },
      { subresource: 'status' },
    );
  }

  private async update(nodeName: string, target: string): Promise<void> {
    const { api, log } = this.ctx;
    this.updating.set(nodeName, target);
    await this.annotate(nodeName, {
      [MCD.state]: NodeState.working,
      [MCD.desiredDrain]: `drain-${target}`,
      [MCD.reason]: '',
    });
    log.info(`machine-config: ${nodeName} updating to ${target}`);
    this.after(MCO_TIMING.drainMs, async () => {
      if (!api.get(R.nodes, undefined, nodeName)) return this.forget(nodeName);
      // Drain controller: cordon (the node lifecycle controller adds the unschedulable taint), then evict.
      await this.annotate(nodeName, {}, (spec) => {
        spec.unschedulable = true;
        spec.taints = [
          ...(spec.taints ?? []).filter((taint) => taint.key !== UNSCHEDULABLE_TAINT),
          { key: UNSCHEDULABLE_TAINT, effect: 'NoSchedule', timeAdded: now() } as Taint,
        ];
      });
      const node = api.get(R.nodes, undefined, nodeName)!;
      void recordEvent(api, node, 'Normal', 'Cordon', 'Cordoned node to apply update', 'machineconfigdaemon');
      void recordEvent(api, node, 'Normal', 'Drain', 'Draining node to update config.', 'machineconfigdaemon');
      await this.drain(nodeName, target, 0);
    });
  }

  /**
   * One attempt of the drain controller, `elapsedMs` (lab time) after the first. Evictions a
   * PodDisruptionBudget refuses are retried by the drain helper until its timeout, then the whole
   * drain is requeued (1 minute, 5 minutes once failing for 10); after an hour the MCD stops
   * waiting and reports the node Degraded, while the controller keeps retrying.
   */
  private async drain(nodeName: string, target: string, elapsedMs: number): Promise<void> {
    const { api, log } = this.ctx;
    const node = api.get(R.nodes, undefined, nodeName);
    if (!node) return this.forget(nodeName);
    if (elapsedMs > DRAIN_TIMING.timeoutMs) {
      const message = `node ${nodeName}: drain exceeded timeout: ${goDuration(DRAIN_TIMING.timeoutMs)}. Will continue to retry.`;
      log.warn(`machine-config-controller: ${message}`);
      void recordEvent(api, node, 'Warning', 'DrainFailed', message, 'machineconfigcontroller-nodecontroller');
    }
    const result = await drainNode(api, nodeName);
    for (const pod of result.evicted) log.info(`machine-config-controller: node ${nodeName}: Evicted pod ${pod}`);
    if (result.blocked.length === 0) return this.drained(nodeName, target, result.evicted.length);

    for (const pod of result.blocked) {
      log.warn(
        `machine-config-controller: error when evicting pods/"${pod.name}" -n "${pod.namespace}" (will retry after 5s): ${pod.message}`,
      );
    }
    this.after(DRAIN_TIMING.helperTimeoutMs, async () => {
      const current = api.get(R.nodes, undefined, nodeName);
      if (!current) return this.forget(nodeName);
      // The helper retried until its timeout; what is still refused fails this attempt.
      const retried = await drainNode(api, nodeName);
      for (const pod of retried.evicted) log.info(`machine-config-controller: node ${nodeName}: Evicted pod ${pod}`);
      const evicted = result.evicted.length + retried.evicted.length;
      if (retried.blocked.length === 0) return this.drained(nodeName, target, evicted);
      const errors = retried.blocked.map(
        (pod) =>
          `error when evicting pods/"${pod.name}" -n "${pod.namespace}": global timeout reached: ` +
          `${goDuration(DRAIN_TIMING.helperTimeoutMs)}`,
      );
      const error = errors.length === 1 ? errors[0]! : `[${errors.join(', ')}]`;
      const failedFor = elapsedMs + DRAIN_TIMING.helperTimeoutMs;
      let requeue: number = DRAIN_TIMING.requeueMs;
      if (elapsedMs > DRAIN_TIMING.failingThresholdMs) {
        requeue = DRAIN_TIMING.failingRequeueMs;
        const message =
          `Drain failed. Drain has been failing for more than ${DRAIN_TIMING.failingThresholdMs / 60_000} minutes. ` +
          `Waiting ${requeue / 60_000} minutes then retrying. Error message from drain: ${error}`;
        log.warn(`machine-config-controller: node ${nodeName}: ${message}`);
        void recordEvent(
          api,
          current,
          'Warning',
          'DrainThresholdExceeded',
          message,
          'machineconfigcontroller-nodecontroller',
        );
      } else {
        log.warn(
          `machine-config-controller: node ${nodeName}: Drain failed. Waiting 1 minute then retrying. Error message from drain: ${error}`,
        );
      }
      if (failedFor >= DRAIN_TIMING.timeoutMs && annotation(current, MCD.state) !== NodeState.degraded) {
        const reason = `failed to drain node: ${nodeName} after 1 hour. Please see machine-config-controller logs for more information`;
        await this.annotate(nodeName, { [MCD.state]: NodeState.degraded, [MCD.reason]: reason });
        void recordEvent(api, current, 'Warning', 'FailedToDrain', reason, 'machineconfigdaemon');
        log.warn(`machine-config: ${nodeName} is Degraded: ${reason}`);
      }
      this.after(requeue, () => this.drain(nodeName, target, failedFor + requeue));
    });
  }

  /** Drain done: the controller records it; the MCD (working again if it had given up) writes the files and reboots. */
  private async drained(nodeName: string, target: string, evicted: number): Promise<void> {
    const { api, log } = this.ctx;
    const node = api.get(R.nodes, undefined, nodeName)!;
    void recordEvent(api, node, 'Normal', 'Drain', `Drain complete: evicted ${evicted} pods`, 'machineconfigdaemon');
    await this.annotate(nodeName, {
      [MCD.lastAppliedDrain]: `drain-${target}`,
      ...(annotation(node, MCD.state) === NodeState.degraded
        ? { [MCD.state]: NodeState.working, [MCD.reason]: '' }
        : {}),
    });
    this.after(MCO_TIMING.rebootMs, async () => {
      if (!api.get(R.nodes, undefined, nodeName)) return this.forget(nodeName);
      void recordEvent(
        api,
        api.get(R.nodes, undefined, nodeName)!,
        'Normal',
        'Reboot',
        `Node will reboot into config ${target}`,
        'machineconfigdaemon',
      );
      await this.setReady(nodeName, false);
      await this.annotate(nodeName, {}, (spec) => {
        spec.taints = [
          ...(spec.taints ?? []).filter((taint) => taint.key !== UNREACHABLE_TAINT),
          { key: UNREACHABLE_TAINT, effect: 'NoSchedule', timeAdded: now() } as Taint,
        ];
      });
      log.info(`machine-config: ${nodeName} rebooting into ${target}`);
      this.after(MCO_TIMING.bootMs, () => this.boot(nodeName, target));
    });
  }

  private forget(nodeName: string): void {
    this.updating.delete(nodeName);
    this.heldDown.delete(nodeName);
  }

  /** The node comes back: Ready, currentConfig, Done, uncordoned. */
  private async boot(nodeName: string, target: string): Promise<void> {
    const { api, log } = this.ctx;
    if (!api.get(R.nodes, undefined, nodeName)) return this.forget(nodeName);
    if (this.neverReturns(nodeName)) {
      if (!this.heldDown.has(nodeName))
        log.warn(`machine-config: ${nodeName} does not come back from its reboot (node-never-returns fault)`);
      this.heldDown.add(nodeName);
      return;
    }
    // The kubelet applies its --node-labels only when it registers the Node, not at every start:
    // labels the user changed stay as they are.
    await api.mutate(R.nodes, undefined, nodeName, (draft) => {
      const spec = (draft.spec ??= {}) as { taints?: Taint[] };
      spec.taints = (spec.taints ?? []).filter((taint) => taint.key !== UNREACHABLE_TAINT);
      if (spec.taints.length === 0) delete spec.taints;
    });
    await this.setReady(nodeName, true);
    await this.annotate(nodeName, {
      [MCD.currentConfig]: target,
      [MCD.state]: NodeState.done,
      [MCD.desiredDrain]: `uncordon-${target}`,
    });
    await this.annotate(nodeName, { [MCD.lastAppliedDrain]: `uncordon-${target}` }, (spec) => {
      spec.unschedulable = false;
      spec.taints = (spec.taints ?? []).filter((taint) => taint.key !== UNSCHEDULABLE_TAINT);
    });
    void recordEvent(
      api,
      api.get(R.nodes, undefined, nodeName)!,
      'Normal',
      'NodeDone',
      `Setting node ${nodeName}, currentConfig ${target} to Done`,
      'machineconfigdaemon',
    );
    log.info(`machine-config: ${nodeName} is back with ${target}`);
    this.updating.delete(nodeName);
  }
}

// ---------------------------------------------------------------------------------------------

/** Starts the MCO: install pools and configs, rendering, node updates one at a time, pool status. */
export const startMcoController: Controller = (ctx) => {
  const { api, lab } = ctx;
  const daemons = new MachineConfigDaemons(ctx);
  const warned = new Set<string>();
  const warnOnce = (message: string) => {
    if (warned.has(message)) return;
    warned.add(message);
    ctx.log.warn(`machine-config: ${message}`);
  };

  // Render controller: the first pass renders what it finds; after that a pool's change of configs
  // waits RENDER_DELAY_MS, so configs created together make one rendered config.
  const renderErrors = new Map<string, string | undefined>();
  const renderDue = new Set<string>();
  const renderTimers = new Map<string, () => void>();
  let firstPass = true;
  const render = async (pool: KubeObject, machineConfigs: readonly KubeObject[]) => {
    const name = pool.metadata.name;
    const settled = sourceNames(selectedMachineConfigs(pool, machineConfigs)) === sourceNames(poolSource(pool));
    if (firstPass || renderDue.has(name) || (settled && renderErrors.has(name))) {
      renderDue.delete(name);
      renderErrors.set(name, await renderPool(ctx, pool, machineConfigs));
      return;
    }
    if (renderTimers.has(name)) return;
    renderTimers.set(
      name,
      ctx.clock.after(RENDER_DELAY_MS, () => {
        renderTimers.delete(name);
        renderDue.add(name);
        loop.kick();
      }),
    );
  };

  const pass = async () => {
    await ensureInstallMachineConfiguration(api, lab);
    const machineConfigs = api.list(MC).items;
    for (const pool of api.list(MCP).items) await render(pool, machineConfigs);
    firstPass = false;

    const pools = api.list(MCP).items;
    const nodes = api.list(R.nodes).items;
    const poolOf = poolsOfNodes(pools, nodes, warnOnce);

    for (const pool of pools) {
      const members = nodes.filter((node) => poolOf.get(node.metadata.name) === pool);
      const target = poolSpec(pool).configuration?.name;
      if (target && !poolSpec(pool).paused) {
        const unavailable = members.filter((node) => viewNode(node, target).unavailable).length;
        let capacity = maxUnavailable(pool, members.length) - unavailable;
        const candidates = members.filter(
          (node) =>
            annotation(node, MCD.currentConfig) && annotation(node, MCD.desiredConfig) !== target && isNodeReady(node),
        );
        for (const node of candidates) {
          if (capacity <= 0) break;
          await api.mutate(R.nodes, undefined, node.metadata.name, (draft) => {
            draft.metadata.annotations = { ...draft.metadata.annotations, [MCD.desiredConfig]: target };
          });
          ctx.log.info(`machine-config: pool ${pool.metadata.name} sets ${node.metadata.name} to ${target}`);
          capacity -= 1;
        }
      }
    }

    for (const node of api.list(R.nodes).items) await daemons.sync(node, poolOf.get(node.metadata.name));

    const fresh = api.list(R.nodes).items;
    for (const pool of api.list(MCP).items) {
      const target = poolSpec(pool).configuration?.name;
      const views = fresh
        .filter((node) => poolOf.get(node.metadata.name)?.metadata.name === pool.metadata.name)
        .map((node) => viewNode(node, target));
      const status = poolStatus(pool, views, renderErrors.get(pool.metadata.name));
      if (!sameStatus(pool.status, status)) {
        await api.mutate(
          MCP,
          undefined,
          pool.metadata.name,
          (draft) => {
            draft.status = status;
          },
          { subresource: 'status' },
        );
      }
    }
  };

  const loop = startLoop(ctx, 'machine-config', { resources: [MC, MCP, R.nodes], pass });
  return () => {
    loop.stop();
    daemons.stop();
    for (const cancel of renderTimers.values()) cancel();
  };
};
