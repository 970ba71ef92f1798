/**
 * Node selection as kube-scheduler's default filters do it, in their order (NodeUnschedulable,
 * TaintToleration, NodeAffinity, NodePorts), with the "0/N nodes are available: …" message a
 * pod shows while it stays Pending. Volume binding is checked first: a claim that is missing or
 * not Bound keeps the pod Pending whatever the nodes.
 */
import type { KubeObject } from '../apiserver/store.js';
import type { LabReader } from '../lab-api.js';
import { matchesSelectorObject } from '../apiserver/selectors.js';
import { conditionOf } from '../openshift-objects.js';
import type { PodSpec, Taint, Toleration } from './pod-spec.js';

export const UNSCHEDULABLE_TAINT = 'node.kubernetes.io/unschedulable';
export const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';
export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';

export function isNodeReady(node: KubeObject): boolean {
  return conditionOf(node, 'Ready')?.status === 'True';
}

/** The node's taints, plus the not-ready taint the node lifecycle controller puts on a node that is not Ready. */
export function nodeTaints(node: KubeObject): Taint[] {
  const taints = [...((node.spec as { taints?: Taint[] } | undefined)?.taints ?? [])];
  const lifecycle = taints.some((taint) => taint.key === NOT_READY_TAINT || taint.key === UNREACHABLE_TAINT);
  if (!isNodeReady(node) && !lifecycle) taints.push({ key: NOT_READY_TAINT, effect: 'NoSchedule' });
  return taints;
}

function tolerates(tolerations: readonly Toleration[], taint: Taint): boolean {
  return tolerations.some((toleration) => {
    if (toleration.effect && toleration.effect !== taint.effect) return false;
    if (!toleration.key) return toleration.operator === 'Exists';
    if (toleration.key !== taint.key) return false;
    return toleration.operator === 'Exists' || (toleration.value ?? '') === (taint.value ?? '');
  });
}

export function isUnschedulable(node: KubeObject): boolean {
  return (node.spec as { unschedulable?: boolean } | undefined)?.unschedulable === true;
}

export function nodeLabels(node: KubeObject): Record<string, string> {
  return node.metadata.labels ?? {};
}

/** Why `spec` cannot run on `node` (the filter's reason), or undefined when it fits. */
export function unfitReason(
  spec: PodSpec,
  node: KubeObject,
  podsOnNode: readonly KubeObject[],
  owner?: string,
): string | undefined {
  const tolerations = spec.tolerations ?? [];
  if (isUnschedulable(node) && !tolerates(tolerations, { key: UNSCHEDULABLE_TAINT, effect: 'NoSchedule' })) {
    return 'node(s) were unschedulable';
  }
  for (const taint of nodeTaints(node)) {
    if (taint.key === UNSCHEDULABLE_TAINT) continue;
    if ((taint.effect === 'NoSchedule' || taint.effect === 'NoExecute') && !tolerates(tolerations, taint)) {
      return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
    }
  }
  if (!matchesSelectorObject({ matchLabels: spec.nodeSelector ?? {} }, nodeLabels(node))) {
    return "node(s) didn't match Pod's node affinity/selector";
  }
  // Host-network pods of one workload bind the same host ports: one per node.
  if (
    spec.hostNetwork &&
    owner &&
    podsOnNode.some((pod) => ownerUid(pod) === owner && (pod.spec as PodSpec).hostNetwork)
  ) {
    return "node(s) didn't have free ports for the requested pod ports";
  }
  return undefined;
}

export function ownerUid(pod: KubeObject): string | undefined {
  const refs = (pod.metadata.ownerReferences ?? []) as { uid?: string; controller?: boolean }[];
  return refs.find((ref) => ref.controller)?.uid;
}

/** Claims the pod mounts that keep it from being scheduled, as the VolumeBinding plugin reports them. */
export function volumeBlocker(api: LabReader, namespace: string, spec: PodSpec): string | undefined {
  for (const volume of spec.volumes ?? []) {
    const claimName = volume.persistentVolumeClaim?.claimName;
    if (!claimName) continue;
    const claim = api.get('persistentvolumeclaims', namespace, claimName);
    if (!claim) return `persistentvolumeclaim "${claimName}" not found`;
    if ((claim.status as { phase?: string } | undefined)?.phase !== 'Bound')
      return 'pod has unbound immediate PersistentVolumeClaims';
  }
  return undefined;
}

export type Placement = { node: KubeObject } | { message: string };

/**
 * Picks a node for a pending pod: the fitting node with the fewest pods of the same workload, then
 * the fewest pods, then by name (a stand-in for the scoring plugins' spreading).
 */
export function placePod(
  api: LabReader,
  pod: KubeObject,
  nodes: readonly KubeObject[],
  pods: readonly KubeObject[],
): Placement {
  const spec = pod.spec as PodSpec;
  const blocker = volumeBlocker(api, pod.metadata.namespace!, spec);
  if (blocker) return { message: `0/${nodes.length} nodes are available: ${blocker}.` };
  const owner = ownerUid(pod);
  const reasons = new Map<string, number>();
  let best: { node: KubeObject; score: [number, number] } | undefined;
  for (const node of nodes) {
    const onNode = pods.filter(
      (other) => (other.spec as PodSpec).nodeName === node.metadata.name && other.metadata.uid !== pod.metadata.uid,
    );
    const reason = unfitReason(spec, node, onNode, owner);
    if (reason) {
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      continue;
    }
    const score: [number, number] = [
      onNode.filter((other) => owner && ownerUid(other) === owner).length,
      onNode.length,
    ];
    if (!best || score[0] < best.score[0] || (score[0] === best.score[0] && score[1] < best.score[1]))
      best = { node, score };
  }
  if (best) return { node: best.node };
  const parts = [...reasons].map(([reason, count]) => `${count} ${reason}`).sort();
  return { message: `0/${nodes.length} nodes are available${parts.length ? `: ${parts.join(', ')}` : ''}.` };
}
