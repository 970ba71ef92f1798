/**
 * What would hold a node's drain, looked up before the node is touched. The MCO drains as
 * `oc adm drain --ignore-daemonsets --delete-emptydir-data --force` does: DaemonSet and mirror pods
 * stay, finished pods and pods of no controller are deleted, every other running pod goes through the
 * Eviction API, which refuses it while a PodDisruptionBudget that selects it allows no disruption. So
 * the blockers are those budgets (status.disruptionsAllowed 0) and the running pods of the node they select.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { KubeClients } from '../../transport/kube.js';

interface Selector {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: { key: string; operator: string; values?: string[] }[] | null;
}

interface Budget {
  metadata?: { name?: string; namespace?: string };
  spec?: { selector?: Selector | null; minAvailable?: number | string; maxUnavailable?: number | string };
  status?: { disruptionsAllowed?: number };
}

export interface DrainBlocker {
  /** `namespace/name` of the budget. */
  budget: string;
  /** Its selector as `oc get pdb -o wide` would let one read it. */
  selector: string;
  /** `namespace/name` of the node's pods it keeps there. */
  pods: string[];
}

/** metav1.LabelSelector semantics: an empty selector selects every pod, a missing one none. */
function selects(selector: Selector | null | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  const plain = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  return (
    plain &&
    (selector.matchExpressions ?? []).every((term) => {
      const has = Object.hasOwn(labels, term.key);
      if (term.operator === 'In') return has && (term.values ?? []).includes(labels[term.key]!);
      if (term.operator === 'NotIn') return !has || !(term.values ?? []).includes(labels[term.key]!);
      if (term.operator === 'Exists') return has;
      return !has;
    })
  );
}

function selectorText(selector: Selector | null | undefined): string {
  if (!selector) return '(none)';
  const terms = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const term of selector.matchExpressions ?? [])
    terms.push(`${term.key} ${term.operator}${term.values?.length ? ` (${term.values.join(',')})` : ''}`);
  return terms.join(',') || '(every pod)';
}

/** A pod the drain would send through the Eviction API (see the module comment). */
function evicted(pod: V1Pod): boolean {
  if (pod.metadata?.ownerReferences?.some((owner) => owner.controller && owner.kind === 'DaemonSet')) return false;
  if (pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined) return false;
  return pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp;
}

/** The budgets allowing no disruption that select running pods of `nodeName`, with those pods. */
export async function drainBlockers(kube: KubeClients, nodeName: string): Promise<DrainBlocker[]> {
  const pods = (await kube.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${nodeName}` })).items.filter(
    evicted,
  );
  if (pods.length === 0) return [];
  const { items } = (await kube.custom.listClusterCustomObject({
    group: 'policy',
    version: 'v1',
    plural: 'poddisruptionbudgets',
  })) as { items: Budget[] };
  return items.flatMap((budget) => {
    if ((budget.status?.disruptionsAllowed ?? 0) > 0) return [];
    const namespace = budget.metadata?.namespace;
    const held = pods.filter(
      (pod) => pod.metadata?.namespace === namespace && selects(budget.spec?.selector, pod.metadata?.labels ?? {}),
    );
    if (held.length === 0) return [];
    return [
      {
        budget: `${namespace}/${budget.metadata?.name}`,
        selector: selectorText(budget.spec?.selector),
        pods: held.map((pod) => `${pod.metadata?.namespace}/${pod.metadata?.name}`),
      },
    ];
  });
}

/** One line per blocker, for plans, details and the pause message. */
export function describeBlockers(blockers: readonly DrainBlocker[]): string {
  return blockers
    .map(
      (blocker) =>
        `PodDisruptionBudget ${blocker.budget} (selector ${blocker.selector}) holds ${blocker.pods.join(', ')}`,
    )
    .join('; ');
}
