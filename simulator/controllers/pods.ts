/**
 * The pod model of the simulated lab: the workload controllers of kube-controller-manager
 * (Deployment → ReplicaSets, ReplicaSet / ReplicationController → pods, DaemonSet → one pod per
 * fitting node), the scheduler, and the kubelets that start pods and report them Ready.
 *
 * Pods are created through the same admission a real API server applies (./pod-admission.ts), so a
 * workload whose ServiceAccount lacks an SCC shows FailedCreate; they are placed by
 * ./scheduler.ts, so a selector no node matches leaves them Pending with the scheduler's message.
 * `drainNode` is what `oc adm drain` and the MCO's drain controller do to a cordoned node.
 */
import { PDB_RESOURCE, budgetStatus } from '../apiserver/eviction.js';
import { ApiError } from '../apiserver/errors.js';
import type { KubeObject } from '../apiserver/store.js';
import type { Controller, SimContext } from '../context.js';
import type { LabApi } from '../lab-api.js';
import { R, conditionOf, now, setCondition, type Condition } from '../openshift-objects.js';
import { recordEvent } from './events.js';
import { templateHash } from './hash.js';
import { inBackground, startLoop } from './loop.js';
import { admitPod } from './pod-admission.js';
import type { PodSpec, PodTemplate, Toleration } from './pod-spec.js';
import {
  NOT_READY_TAINT,
  UNREACHABLE_TAINT,
  UNSCHEDULABLE_TAINT,
  isNodeReady,
  ownerUid,
  placePod,
  unfitReason,
  volumeBlocker,
} from './scheduler.js';

/** Lab time a kubelet takes from a pod's binding to its containers running. */
export const POD_START_MS = 4_000;

/** Store keys of the resource types the day-2 controllers touch, beyond openshift-objects' `R`. */
export const W = {
  pods: 'pods',
  nodes: 'nodes',
  deployments: 'deployments.apps',
  replicasets: 'replicasets.apps',
  replicationcontrollers: 'replicationcontrollers',
  daemonsets: 'daemonsets.apps',
  serviceaccounts: 'serviceaccounts',
  pvcs: 'persistentvolumeclaims',
  pvs: 'persistentvolumes',
  storageclasses: 'storageclasses.storage.k8s.io',
  netnamespaces: 'netnamespaces.network.openshift.io',
  hostsubnets: 'hostsubnets.network.openshift.io',
  pdbs: PDB_RESOURCE,
} as const;

// ---------------------------------------------------------------------------------------------
// Small readers

interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export function controllerRef(owner: KubeObject): OwnerRef {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

function controllerOf(obj: KubeObject): OwnerRef | undefined {
  return ((obj.metadata.ownerReferences ?? []) as OwnerRef[]).find((ref) => ref.controller);
}

function specOf<T>(obj: KubeObject): T {
  return (obj.spec ?? {}) as T;
}

function statusOf<T>(obj: KubeObject): Partial<T> {
  return (obj.status ?? {}) as Partial<T>;
}

export function podPhase(pod: KubeObject): string {
  return statusOf<{ phase: string }>(pod).phase ?? 'Pending';
}

export function isPodReady(pod: KubeObject): boolean {
  return podPhase(pod) === 'Running' && conditionOf(pod, 'Ready')?.status === 'True';
}

function nodeAddress(node: KubeObject | undefined): string | undefined {
  const addresses =
    statusOf<{ addresses: { type: string; address: string }[] }>(node ?? ({} as KubeObject)).addresses ?? [];
  return addresses.find((address) => address.type === 'InternalIP')?.address;
}

/** Percent or absolute rolling-update bound, as intstr.GetScaledValueFromIntOrPercent computes it. */
function scaled(value: number | string | undefined, total: number, fallback: string, roundUp: boolean): number {
  const raw = value ?? fallback;
  if (typeof raw === 'number') return raw;
  const percent = /^(\d+)%$/.exec(raw);
  if (!percent) return Number(raw) || 0;
  const exact = (Number(percent[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** Writes `status` only when it differs, so passes converge. */
async function writeStatus(
  api: LabApi,
  resource: string,
  obj: KubeObject,
  status: Record<string, unknown>,
): Promise<void> {
  if (JSON.stringify(obj.status ?? {}) === JSON.stringify(status)) return;
  await api.mutate(
    resource,
    obj.metadata.namespace,
    obj.metadata.name,
    (draft) => {
      draft.status = status;
    },
    { subresource: 'status' },
  );
}

function withCondition(obj: KubeObject, next: Condition | undefined, type: string): Condition[] {
  const conditions = statusOf<{ conditions: Condition[] }>(obj).conditions ?? [];
  if (next) return setCondition(conditions, next);
  return conditions.filter((condition) => condition.type !== type);
}

/** Tolerations the DaemonSet controller adds to every daemon pod. */
const DAEMON_TOLERATIONS: Toleration[] = [
  { key: NOT_READY_TAINT, operator: 'Exists', effect: 'NoExecute' },
  { key: UNREACHABLE_TAINT, operator: 'Exists', effect: 'NoExecute' },
  { key: NOT_READY_TAINT, operator: 'Exists', effect: 'NoSchedule' },
  { key: UNREACHABLE_TAINT, operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: UNSCHEDULABLE_TAINT, operator: 'Exists', effect: 'NoSchedule' },
];

/** Tolerations the DefaultTolerationSeconds admission plugin adds to every other pod. */
const DEFAULT_TOLERATIONS: Toleration[] = [
  { key: NOT_READY_TAINT, operator: 'Exists', effect: 'NoExecute' },
  { key: UNREACHABLE_TAINT, operator: 'Exists', effect: 'NoExecute' },
];

// ---------------------------------------------------------------------------------------------
// The controller

interface PodOwner {
  resource: string;
  obj: KubeObject;
  template: PodTemplate;
  /** Extra labels the controller puts on its pods (pod-template-hash, controller-revision-hash). */
  labels: Record<string, string>;
}

class WorkloadController {
  /** The last FailedCreate message per workload, so one failure makes one event, not one per pass. */
  private readonly failures = new Map<string, string>();
  private readonly schedulingMessages = new Map<string, string>();
  private readonly starting = new Map<string, () => void>();
  private podIpCounter = 2;

  constructor(private readonly ctx: SimContext) {}

  get api(): LabApi {
    return this.ctx.api;
  }

  /**
   * On the real control plane, kube-controller-manager runs the workload and disruption controllers and
   * kube-scheduler binds the pods: only the kubelets' part is left to the simulation.
   */
  async pass(): Promise<void> {
    const real = this.api.real;
    if (!real) {
      for (const deployment of this.api.list(W.deployments).items) await this.syncDeployment(deployment);
      for (const rs of this.api.list(W.replicasets).items) await this.syncReplicas(W.replicasets, rs);
      for (const rc of this.api.list(W.replicationcontrollers).items)
        await this.syncReplicas(W.replicationcontrollers, rc);
      for (const ds of this.api.list(W.daemonsets).items) await this.syncDaemonSet(ds);
      await this.schedule();
    }
    await this.runKubelets();
    if (!real) for (const pdb of this.api.list(W.pdbs).items) await this.syncBudget(pdb);
  }

  /** The disruption controller: each budget's status from the pods it selects. */
  private async syncBudget(pdb: KubeObject): Promise<void> {
    const status = budgetStatus(this.api, pdb);
    await writeStatus(this.api, W.pdbs, pdb, {
      observedGeneration: pdb.metadata.generation,
      ...status,
      conditions: withCondition(
        pdb,
        status.disruptionsAllowed > 0
          ? { type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '' }
          : { type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '' },
        'DisruptionAllowed',
      ),
    });
  }

  stop(): void {
    for (const cancel of this.starting.values()) cancel();
    this.starting.clear();
  }

  // --- Deployments ---------------------------------------------------------------------------

  private async syncDeployment(deployment: KubeObject): Promise<void> {
    const spec = specOf<{
      replicas?: number;
      template: PodTemplate;
      selector?: unknown;
      paused?: boolean;
      strategy?: { type?: string; rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string } };
    }>(deployment);
    const ns = deployment.metadata.namespace!;
    const replicas = spec.replicas ?? 1;
    const owned = this.api
      .list(W.replicasets, { namespace: ns })
      .items.filter((rs) => controllerOf(rs)?.uid === deployment.metadata.uid);
    const hash = templateHash(spec.template);
    let newRs = owned.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
    const old = owned.filter((rs) => rs !== newRs);
    const revision =
      Math.max(0, ...owned.map((rs) => Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0))) +
      1;
    const rsReplicas = (rs: KubeObject) => specOf<{ replicas?: number }>(rs).replicas ?? 0;
    // Availability is read from the pods themselves, not from replica set status that may lag a pass behind.
    const rsAvailable = (rs: KubeObject) => this.ownedPods(rs).filter(isPodReady).length;

    if (!spec.paused) {
      if (!newRs) {
        const template = structuredClone(spec.template);
        template.metadata = {
          ...template.metadata,
          labels: { ...template.metadata?.labels, 'pod-template-hash': hash },
        };
        newRs = await this.api.create(W.replicasets, {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: {
            name: `${deployment.metadata.name}-${hash}`,
            namespace: ns,
            labels: { ...spec.template.metadata?.labels, 'pod-template-hash': hash },
            annotations: {
              'deployment.kubernetes.io/desired-replicas': String(replicas),
              'deployment.kubernetes.io/revision': String(revision),
            },
            ownerReferences: [controllerRef(deployment)],
          },
          spec: { replicas: 0, selector: withHashSelector(spec.selector, hash), template },
        });
      }
      const recreate = spec.strategy?.type === 'Recreate';
      const surge = recreate ? 0 : scaled(spec.strategy?.rollingUpdate?.maxSurge, replicas, '25%', true);
      let unavailable = recreate
        ? replicas
        : scaled(spec.strategy?.rollingUpdate?.maxUnavailable, replicas, '25%', false);
      if (surge === 0 && unavailable === 0) unavailable = 1;

      // Scale the old replica sets down: unavailable pods always, available ones as far as the
      // deployment stays above replicas - maxUnavailable.
      const minAvailable = replicas - unavailable;
      let availableTotal = owned.reduce((sum, rs) => sum + rsAvailable(rs), 0);
      for (const rs of old) {
        const current = rsReplicas(rs);
        if (current === 0) continue;
        const healthy = Math.min(current, rsAvailable(rs));
        const healthyDrop = Math.min(healthy, Math.max(0, availableTotal - minAvailable));
        availableTotal -= healthyDrop;
        await this.scaleReplicaSet(deployment, rs, healthy - healthyDrop);
      }
      // Then the new one up, within the surge.
      const oldLeft = this.api
        .list(W.replicasets, { namespace: ns })
        .items.filter(
          (rs) => controllerOf(rs)?.uid === deployment.metadata.uid && rs.metadata.name !== newRs!.metadata.name,
        );
      const oldPods = oldLeft.reduce((sum, rs) => sum + rsReplicas(rs), 0);
      const current = rsReplicas(newRs);
      const target = recreate
        ? oldPods === 0
          ? replicas
          : 0
        : Math.min(replicas, Math.max(current, replicas + surge - oldPods));
      if (target !== current) await this.scaleReplicaSet(deployment, newRs, target);
    }
    await this.deploymentStatus(deployment, replicas, hash, spec.strategy?.rollingUpdate?.maxUnavailable);
  }

  private async scaleReplicaSet(deployment: KubeObject, rs: KubeObject, replicas: number): Promise<void> {
    const before = specOf<{ replicas?: number }>(rs).replicas ?? 0;
    if (before === replicas) return;
    await this.api.mutate(W.replicasets, rs.metadata.namespace, rs.metadata.name, (draft) => {
      (draft.spec as { replicas: number }).replicas = replicas;
    });
    const verb = replicas > before ? 'up' : 'down';
    void recordEvent(
      this.api,
      deployment,
      'Normal',
      'ScalingReplicaSet',
      `Scaled ${verb} replica set ${rs.metadata.name} to ${replicas}`,
      'deployment-controller',
    );
  }

  private async deploymentStatus(
    deployment: KubeObject,
    replicas: number,
    hash: string,
    maxUnavailable: number | string | undefined,
  ): Promise<void> {
    const owned = this.api
      .list(W.replicasets, { namespace: deployment.metadata.namespace })
      .items.filter((rs) => controllerOf(rs)?.uid === deployment.metadata.uid);
    const sum = (field: 'replicas' | 'readyReplicas' | 'availableReplicas', list = owned) =>
      list.reduce((total, rs) => total + (statusOf<Record<string, number>>(rs)[field] ?? 0), 0);
    const newRs = owned.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
    const available = sum('availableReplicas');
    const updated = newRs ? sum('replicas', [newRs]) : 0;
    const minAvailable = replicas - scaled(maxUnavailable, replicas, '25%', false);
    const complete =
      newRs !== undefined && sum('availableReplicas', [newRs]) >= replicas && sum('replicas') === replicas;
    let conditions = withCondition(
      deployment,
      {
        type: 'Available',
        status: available >= minAvailable ? 'True' : 'False',
        reason: available >= minAvailable ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
        message:
          available >= minAvailable
            ? 'Deployment has minimum availability.'
            : 'Deployment does not have minimum availability.',
      },
      'Available',
    );
    conditions = setCondition(conditions, {
      type: 'Progressing',
      status: 'True',
      reason: complete ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated',
      message: complete
        ? `ReplicaSet "${newRs!.metadata.name}" has successfully progressed.`
        : `ReplicaSet "${newRs?.metadata.name ?? deployment.metadata.name}" is progressing.`,
    });
    const failure = owned
      .map((rs) => conditionOf(rs, 'ReplicaFailure'))
      .find((condition) => condition?.status === 'True');
    conditions = failure
      ? setCondition(conditions, failure)
      : conditions.filter((condition) => condition.type !== 'ReplicaFailure');
    await writeStatus(this.api, W.deployments, deployment, {
      observedGeneration: deployment.metadata.generation,
      replicas: sum('replicas'),
      updatedReplicas: updated,
      readyReplicas: sum('readyReplicas'),
      availableReplicas: available,
      ...(replicas - available > 0 ? { unavailableReplicas: replicas - available } : {}),
      conditions,
    });
  }

  // --- ReplicaSets and ReplicationControllers ------------------------------------------------

  private async syncReplicas(resource: string, owner: KubeObject): Promise<void> {
    const spec = specOf<{ replicas?: number; template: PodTemplate }>(owner);
    const replicas = spec.replicas ?? 1;
    const pods = this.ownedPods(owner);
    if (pods.length < replicas) {
      for (let i = pods.length; i < replicas; i++) {
        if (!(await this.createPod({ resource, obj: owner, template: spec.template, labels: {} }))) break;
      }
    } else if (pods.length > replicas) {
      const ranked = [...pods].sort((a, b) => deletionRank(a) - deletionRank(b));
      for (const pod of ranked.slice(0, pods.length - replicas)) await this.deletePod(pod);
    }
    const after = this.ownedPods(owner);
    const ready = after.filter(isPodReady).length;
    const failure = this.failures.get(owner.metadata.uid!);
    const conditions = withCondition(
      owner,
      failure ? { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: failure } : undefined,
      'ReplicaFailure',
    );
    await writeStatus(this.api, resource, owner, {
      replicas: after.length,
      fullyLabeledReplicas: after.length,
      readyReplicas: ready,
      availableReplicas: ready,
      observedGeneration: owner.metadata.generation,
      ...(conditions.length ? { conditions } : {}),
    });
  }

  // --- DaemonSets ----------------------------------------------------------------------------

  private async syncDaemonSet(ds: KubeObject): Promise<void> {
    const spec = specOf<{ template: PodTemplate }>(ds);
    const hash = templateHash(spec.template);
    const nodes = this.api.list(W.nodes).items;
    const pods = this.ownedPods(ds);
    const template: PodTemplate = {
      ...spec.template,
      spec: { ...spec.template.spec, tolerations: [...(spec.template.spec.tolerations ?? []), ...DAEMON_TOLERATIONS] },
    };
    // A daemon pod goes on every node its selector and tolerations allow (cordoned and NotReady nodes too).
    const wanted = nodes.filter((node) => unfitReason(template.spec, node, []) === undefined);
    const wantedNames = new Set(wanted.map((node) => node.metadata.name));
    for (const pod of pods) {
      const nodeName = specOf<PodSpec>(pod).nodeName ?? '';
      if (!wantedNames.has(nodeName) || pod.metadata.labels?.['controller-revision-hash'] !== hash)
        await this.deletePod(pod);
    }
    const remaining = this.ownedPods(ds);
    for (const node of wanted) {
      if (remaining.some((pod) => specOf<PodSpec>(pod).nodeName === node.metadata.name)) continue;
      const daemonTemplate = { ...template, spec: { ...template.spec, nodeName: node.metadata.name } };
      if (
        !(await this.createPod({
          resource: W.daemonsets,
          obj: ds,
          template: daemonTemplate,
          labels: { 'controller-revision-hash': hash },
        }))
      )
        break;
    }
    const current = this.ownedPods(ds);
    const ready = current.filter(isPodReady).length;
    await writeStatus(this.api, W.daemonsets, ds, {
      desiredNumberScheduled: wanted.length,
      currentNumberScheduled: current.length,
      updatedNumberScheduled: current.filter((pod) => pod.metadata.labels?.['controller-revision-hash'] === hash)
        .length,
      numberReady: ready,
      numberAvailable: ready,
      ...(wanted.length - ready > 0 ? { numberUnavailable: wanted.length - ready } : {}),
      numberMisscheduled: 0,
      observedGeneration: ds.metadata.generation,
    });
  }

  // --- Pods ----------------------------------------------------------------------------------

  private ownedPods(owner: KubeObject): KubeObject[] {
    return this.api
      .list(W.pods, { namespace: owner.metadata.namespace })
      .items.filter((pod) => ownerUid(pod) === owner.metadata.uid && !pod.metadata.deletionTimestamp);
  }

  /** Creates one pod for `owner`; on an admission refusal records FailedCreate and returns false. */
  private async createPod(owner: PodOwner): Promise<boolean> {
    const ns = owner.obj.metadata.namespace!;
    const generateName = `${owner.obj.metadata.name}-`;
    const spec: PodSpec = {
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
      dnsPolicy: 'ClusterFirst',
      terminationGracePeriodSeconds: 30,
      ...structuredClone(owner.template.spec),
    };
    spec.serviceAccountName = spec.serviceAccountName || spec.serviceAccount || 'default';
    spec.serviceAccount = spec.serviceAccountName;
    const tolerations = spec.tolerations ?? [];
    for (const extra of DEFAULT_TOLERATIONS) {
      if (!tolerations.some((t) => t.key === extra.key && t.effect === extra.effect))
        tolerations.push({ ...extra, tolerationSeconds: 300 } as Toleration);
    }
    spec.tolerations = tolerations;
    const admission = admitPod(this.api, ns, generateName, spec);
    const uid = owner.obj.metadata.uid!;
    if (!admission.allowed) {
      if (this.failures.get(uid) !== admission.message) {
        this.failures.set(uid, admission.message);
        void recordEvent(
          this.api,
          owner.obj,
          'Warning',
          'FailedCreate',
          `Error creating: ${admission.message}`,
          controllerName(owner.obj.kind),
        );
      }
      return false;
    }
    this.failures.delete(uid);
    const pod = await this.api.create(W.pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: '',
        generateName,
        namespace: ns,
        labels: { ...owner.template.metadata?.labels, ...owner.labels },
        annotations: { ...owner.template.metadata?.annotations, 'openshift.io/scc': admission.scc },
        ownerReferences: [controllerRef(owner.obj)],
      },
      spec,
      status: { phase: 'Pending', qosClass: 'BestEffort' },
    });
    void recordEvent(
      this.api,
      owner.obj,
      'Normal',
      'SuccessfulCreate',
      `Created pod: ${pod.metadata.name}`,
      controllerName(owner.obj.kind),
    );
    return true;
  }

  private async deletePod(pod: KubeObject): Promise<void> {
    this.starting.get(pod.metadata.uid!)?.();
    this.starting.delete(pod.metadata.uid!);
    try {
      await this.api.delete(W.pods, pod.metadata.namespace, pod.metadata.name);
    } catch {
      // Already gone.
    }
  }

  /** Binds every unscheduled pod that fits somewhere; the others keep PodScheduled=False with the reason. */
  private async schedule(): Promise<void> {
    const nodes = this.api.list(W.nodes).items;
    const pods = this.api.list(W.pods).items;
    for (const pod of pods) {
      const spec = pod.spec as PodSpec;
      if (
        spec.nodeName ||
        pod.metadata.deletionTimestamp ||
        (spec.schedulerName ?? 'default-scheduler') !== 'default-scheduler'
      )
        continue;
      const placement = placePod(this.api, pod, nodes, pods);
      const key = pod.metadata.uid!;
      if ('message' in placement) {
        if (this.schedulingMessages.get(key) !== placement.message) {
          this.schedulingMessages.set(key, placement.message);
          void recordEvent(this.api, pod, 'Warning', 'FailedScheduling', placement.message, 'default-scheduler');
        }
        await writeStatus(this.api, W.pods, pod, {
          ...statusOf<object>(pod),
          phase: 'Pending',
          conditions: withCondition(
            pod,
            { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: placement.message },
            'PodScheduled',
          ),
        });
        continue;
      }
      this.schedulingMessages.delete(key);
      const nodeName = placement.node.metadata.name;
      const bound = await this.api.mutate(W.pods, pod.metadata.namespace, pod.metadata.name, (draft) => {
        (draft.spec as PodSpec).nodeName = nodeName;
      });
      pods.splice(pods.indexOf(pod), 1, bound);
      void recordEvent(
        this.api,
        pod,
        'Normal',
        'Scheduled',
        `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${nodeName}`,
        'default-scheduler',
      );
    }
  }

  /** The kubelets: bound pods start after a while on a Ready node; pods follow their node's readiness. */
  private async runKubelets(): Promise<void> {
    const nodes = new Map(this.api.list(W.nodes).items.map((node) => [node.metadata.name, node]));
    for (const pod of this.api.list(W.pods).items) {
      const spec = pod.spec as PodSpec;
      if (spec.nodeName && pod.metadata.deletionTimestamp && this.api.real) {
        // The kubelet ends a terminating pod's containers and confirms the deletion (the in-process store
        // deletes at once): at once here, as containers that ran nothing stop at once.
        await this.finishDeletion(pod);
        continue;
      }
      if (!spec.nodeName || pod.metadata.deletionTimestamp) continue;
      const node = nodes.get(spec.nodeName);
      const nodeReady = node !== undefined && isNodeReady(node);
      const phase = podPhase(pod);
      if (phase === 'Pending') {
        if (conditionOf(pod, 'PodScheduled')?.status !== 'True') await this.markCreating(pod, node);
        if (
          nodeReady &&
          !this.starting.has(pod.metadata.uid!) &&
          !volumeBlocker(this.api, pod.metadata.namespace!, spec)
        ) {
          const uid = pod.metadata.uid!;
          this.starting.set(
            uid,
            this.ctx.clock.after(POD_START_MS, () => {
              this.starting.delete(uid);
              inBackground(this.ctx, 'kubelet', this.startPod(pod.metadata.namespace!, pod.metadata.name, uid));
            }),
          );
        }
      } else if (phase === 'Running') {
        const ready = conditionOf(pod, 'Ready')?.status === 'True';
        if (ready !== nodeReady) await this.setPodReady(pod, nodeReady);
      }
    }
  }

  private async finishDeletion(pod: KubeObject): Promise<void> {
    this.starting.get(pod.metadata.uid!)?.();
    this.starting.delete(pod.metadata.uid!);
    try {
      await this.api.delete(W.pods, pod.metadata.namespace, pod.metadata.name, {
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata.uid! },
      });
    } catch (error) {
      // Gone already (404), or a new pod of the same name (409).
      if (!(error instanceof ApiError && (error.code === 404 || error.code === 409))) throw error;
    }
  }

  private async markCreating(pod: KubeObject, node: KubeObject | undefined): Promise<void> {
    const spec = pod.spec as PodSpec;
    const containers = spec.containers.map((container) => ({
      name: container.name,
      image: container.image ?? '',
      imageID: '',
      ready: false,
      restartCount: 0,
      started: false,
      state: { waiting: { reason: 'ContainerCreating' } },
    }));
    let conditions = withCondition(pod, { type: 'PodScheduled', status: 'True' }, 'PodScheduled');
    for (const type of ['Initialized', 'Ready', 'ContainersReady']) {
      conditions = setCondition(conditions, {
        type,
        status: 'False',
        reason: type === 'Initialized' ? 'ContainersNotInitialized' : 'ContainersNotReady',
      });
    }
    await writeStatus(this.api, W.pods, pod, {
      phase: 'Pending',
      conditions,
      hostIP: nodeAddress(node),
      startTime: now(),
      containerStatuses: containers,
      qosClass: statusOf<{ qosClass: string }>(pod).qosClass ?? 'BestEffort',
    });
  }

  private async startPod(namespace: string, name: string, uid: string): Promise<void> {
    const pod = this.api.get(W.pods, namespace, name);
    if (!pod || pod.metadata.uid !== uid) return;
    const spec = pod.spec as PodSpec;
    const node = this.api.get(W.nodes, undefined, spec.nodeName!);
    if (!node || !isNodeReady(node)) return;
    const hostIP = nodeAddress(node);
    const podIP = spec.hostNetwork ? hostIP : this.nextPodIp();
    const started = now();
    const running = (container: { name: string; image?: string }) => ({
      name: container.name,
      image: container.image ?? '',
      imageID: '',
      ready: true,
      restartCount: 0,
      started: true,
      containerID: `cri-o://${templateHash([uid, container.name])}`,
      state: { running: { startedAt: started } },
    });
    let conditions = statusOf<{ conditions: Condition[] }>(pod).conditions ?? [];
    for (const type of ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'])
      conditions = setCondition(conditions, { type, status: 'True' });
    await writeStatus(this.api, W.pods, pod, {
      phase: 'Running',
      conditions,
      hostIP,
      podIP,
      podIPs: podIP ? [{ ip: podIP }] : [],
      startTime: statusOf<{ startTime: string }>(pod).startTime ?? started,
      ...(spec.initContainers?.length
        ? {
            initContainerStatuses: spec.initContainers.map((container) => ({
              name: container.name,
              image: container.image ?? '',
              imageID: '',
              ready: true,
              restartCount: 0,
              state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: started, finishedAt: started } },
            })),
          }
        : {}),
      containerStatuses: spec.containers.map(running),
      qosClass: statusOf<{ qosClass: string }>(pod).qosClass ?? 'BestEffort',
    });
  }

  private async setPodReady(pod: KubeObject, ready: boolean): Promise<void> {
    let conditions = statusOf<{ conditions: Condition[] }>(pod).conditions ?? [];
    for (const type of ['Ready', 'ContainersReady']) {
      conditions = setCondition(
        conditions,
        ready ? { type, status: 'True' } : { type, status: 'False', reason: 'NodeNotReady' },
      );
    }
    await writeStatus(this.api, W.pods, pod, { ...statusOf<object>(pod), conditions });
  }

  private nextPodIp(): string {
    const [a, b] = (this.ctx.lab.cluster.clusterNetwork.cidr.split('/')[0] ?? '10.128.0.0').split('.');
    const n = this.podIpCounter++;
    return `${a}.${b}.${Math.floor(n / 250) % 256}.${(n % 250) + 2}`;
  }
}

/** Order in which surplus pods go: unscheduled, then not ready, then the rest. */
function deletionRank(pod: KubeObject): number {
  if (!(pod.spec as PodSpec).nodeName) return 0;
  if (!isPodReady(pod)) return 1;
  return 2;
}

function controllerName(kind: string): string {
  return (
    (
      {
        ReplicaSet: 'replicaset-controller',
        ReplicationController: 'replication-controller',
        DaemonSet: 'daemonset-controller',
      } as Record<string, string>
    )[kind] ?? 'controller-manager'
  );
}

/** Starts the workload controllers, the scheduler and the kubelets. */
export const startWorkloadController: Controller = (ctx) => {
  const controller = new WorkloadController(ctx);
  const loop = startLoop(ctx, 'workloads', {
    resources: [
      W.pods,
      W.nodes,
      W.deployments,
      W.replicasets,
      W.replicationcontrollers,
      W.daemonsets,
      R.sccs,
      W.serviceaccounts,
      W.pvcs,
      W.pdbs,
    ],
    pass: () => controller.pass(),
    faults: false,
  });
  return () => {
    loop.stop();
    controller.stop();
  };
};

export interface DrainResult {
  /** `namespace/name` of each pod evicted (or deleted, when it had finished). */
  evicted: string[];
  /** Pods a budget kept on the node, and the API server's refusal. */
  blocked: { namespace: string; name: string; message: string }[];
}

/**
 * One pass of what `oc adm drain --ignore-daemonsets --delete-emptydir-data --force` does (the MCO's
 * drain helper has these settings): every pod on the node but DaemonSet and mirror (static) pods goes
 * through the Eviction API, so a PodDisruptionBudget that allows no disruption keeps its pod there;
 * finished pods are deleted. Evicted pods' controllers recreate them on other nodes.
 */
export async function drainNode(api: LabApi, nodeName: string): Promise<DrainResult> {
  const result: DrainResult = { evicted: [], blocked: [] };
  for (const pod of api.list(W.pods, { fieldSelector: `spec.nodeName=${nodeName}` }).items) {
    if (controllerOf(pod)?.kind === 'DaemonSet') continue;
    if (pod.metadata.annotations?.['kubernetes.io/config.mirror']) continue;
    if (pod.metadata.deletionTimestamp) continue;
    const finished = ['Succeeded', 'Failed'].includes(podPhase(pod));
    try {
      if (finished) await api.delete(W.pods, pod.metadata.namespace, pod.metadata.name);
      else await api.evict(pod.metadata.namespace!, pod.metadata.name);
      result.evicted.push(`${pod.metadata.namespace}/${pod.metadata.name}`);
    } catch (error) {
      // 429: a budget keeps it; 404: gone already.
      if (error instanceof ApiError && error.code === 429) {
        result.blocked.push({ namespace: pod.metadata.namespace!, name: pod.metadata.name, message: error.message });
      }
    }
  }
  return result;
}

/** A ReplicaSet's selector: the Deployment's, narrowed to one pod-template-hash. */
function withHashSelector(selector: unknown, hash: string): unknown {
  const base = (selector ?? {}) as { matchLabels?: Record<string, string> };
  return { ...base, matchLabels: { ...base.matchLabels, 'pod-template-hash': hash } };
}
