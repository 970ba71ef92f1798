/**
 * What would hold a node's drain, looked up before the node is touched. The MCO drains as
 * `oc adm drain --ignore-daemonsets --delete-emptydir-data --force` does: DaemonSet and mirror pods
 * stay, every other pod goes through the Eviction API, which lets finished pods go and refuses a
 * running one while the PodDisruptionBudget that selects it allows no disruption, or whenever more
 * than one selects it. So the blockers are those budgets (status.disruptionsAllowed 0) with the
 * running pods of the node they select, and the node's running pods that several budgets select.
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

/** A budget allowing no disruption, and the node's pods that only it selects. */
export interface BudgetBlocker {
  kind: 'budget';
  /** `namespace/name` of the budget. */
  budget: string;
  /** Its selector as `oc get pdb -o wide` would let one read it. */
  selector: string;
  /** `namespace/name` of the node's pods it keeps there. */
  pods: string[];
}

/** A pod of the node that several budgets select: the Eviction API refuses it whatever they allow. */
export interface OverlapBlocker {
  kind: 'budgets';
  pod: string;
  budgets: string[];
}

export type DrainBlocker = BudgetBlocker | OverlapBlocker;

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

/**
 * What the Eviction API would refuse of `nodeName`'s pods: the budgets allowing no disruption, with
 * the pods only they select, and the pods more than one budget selects (refused with a 500 whatever
 * the budgets allow: "This pod has more than one PodDisruptionBudget").
 */
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
  const name = (object: { metadata?: { name?: string; namespace?: string } }) =>
    `${object.metadata?.namespace}/${object.metadata?.name}`;
  const held = new Map<Budget, string[]>();
  const blockers: DrainBlocker[] = [];
  for (const pod of pods) {
    const budgets = items.filter(
      (budget) =>
        budget.metadata?.namespace === pod.metadata?.namespace &&
        selects(budget.spec?.selector, pod.metadata?.labels ?? {}),
    );
    if (budgets.length > 1) blockers.push({ kind: 'budgets', pod: name(pod), budgets: budgets.map(name) });
    else if (budgets.length === 1 && (budgets[0]!.status?.disruptionsAllowed ?? 0) < 1)
      held.set(budgets[0]!, [...(held.get(budgets[0]!) ?? []), name(pod)]);
  }
  return [
    ...[...held].map(([budget, names]) => ({
      kind: 'budget' as const,
      budget: name(budget),
      selector: selectorText(budget.spec?.selector),
      pods: names,
    })),
    ...blockers,
  ];
}

/** One line per blocker, for plans, details and the pause message. */
export function describeBlockers(blockers: readonly DrainBlocker[]): string {
  return blockers
    .map((blocker) =>
      blocker.kind === 'budget'
        ? `PodDisruptionBudget ${blocker.budget} (selector ${blocker.selector}) holds ${blocker.pods.join(', ')}`
        : `${blocker.pod} cannot be evicted at all: PodDisruptionBudgets ${blocker.budgets.join(' and ')} ` +
          `${blocker.budgets.length === 2 ? 'both' : 'all'} select it, and the Eviction API refuses a pod ` +
          'that more than one budget selects',
    )
    .join('; ');
}
