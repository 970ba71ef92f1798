/**
 * The Eviction API's budget check (pods/eviction), shared by the API server and the controllers
 * that drain nodes the way the real ones do (through evictions, never plain deletes): a running
 * pod may go only if the PodDisruptionBudget that selects it still allows a disruption, and never
 * while more than one selects it.
 */
import { ApiError, tooManyRequests } from './errors.js';
import { matchesSelectorObject, type LabelSelectorObject } from './selectors.js';
import type { KubeObject, ListOptions } from './store.js';

/** What the budget checks read: pods and budgets (the store, or a cache of the real server). */
export interface PodLister {
  list(resource: string, opts?: ListOptions): { items: KubeObject[] };
}

export const PDB_RESOURCE = 'poddisruptionbudgets.policy';

/** The Eviction API's refusal of a pod that more than one budget selects, word for word. */
export const MORE_THAN_ONE_BUDGET =
  'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.';

interface Pdb {
  metadata: { name: string };
  spec?: { selector?: LabelSelectorObject; minAvailable?: number | string; maxUnavailable?: number | string };
}

function scaled(value: number | string, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const percent = Number(value.replace('%', '')) / 100;
  return roundUp ? Math.ceil(percent * total) : Math.floor(percent * total);
}

function isHealthy(pod: KubeObject): boolean {
  const status = pod.status as { phase?: string; conditions?: { type: string; status: string }[] } | undefined;
  if (pod.metadata.deletionTimestamp || status?.phase !== 'Running') return false;
  const ready = status.conditions?.find((condition) => condition.type === 'Ready');
  return ready === undefined || ready.status === 'True';
}

export interface BudgetStatus {
  expectedPods: number;
  currentHealthy: number;
  desiredHealthy: number;
  disruptionsAllowed: number;
}

/**
 * A budget's status as the disruption controller computes it, from the pods it selects now. The
 * eviction check computes it afresh too, so two evictions in a row never both spend the last one.
 */
export function budgetStatus(store: PodLister, budget: KubeObject): BudgetStatus {
  const pdb = budget as unknown as Pdb;
  const namespace = budget.metadata.namespace!;
  const pods = store
    .list('pods', { namespace })
    .items.filter((pod) => matchesSelectorObject(pdb.spec?.selector, pod.metadata.labels));
  const expectedPods = pods.length;
  const currentHealthy = pods.filter(isHealthy).length;
  let desiredHealthy = 0;
  if (pdb.spec?.maxUnavailable !== undefined)
    desiredHealthy = expectedPods - scaled(pdb.spec.maxUnavailable, expectedPods, true);
  else if (pdb.spec?.minAvailable !== undefined) desiredHealthy = scaled(pdb.spec.minAvailable, expectedPods, true);
  return {
    expectedPods,
    currentHealthy,
    desiredHealthy: Math.max(0, desiredHealthy),
    disruptionsAllowed: Math.max(0, currentHealthy - desiredHealthy),
  };
}

/**
 * The 429 the eviction of `pod` gets when a budget forbids it (the 500 when several select it), or
 * undefined when it may go. Pods that are not running can always go; running ones must fit their budget.
 */
export function evictionRefusal(store: PodLister, pod: KubeObject): ApiError | undefined {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  if (phase !== 'Running' || pod.metadata.deletionTimestamp) return undefined;
  const namespace = pod.metadata.namespace!;
  const pdbs = (store.list(PDB_RESOURCE, { namespace }).items as unknown as Pdb[]).filter((candidate) =>
    matchesSelectorObject(candidate.spec?.selector, pod.metadata.labels),
  );
  // Checked before any budget's count, and answered as a bare Status of code 500, without a reason
  // (kubernetes pkg/registry/core/pod/storage/eviction.go).
  if (pdbs.length > 1) return new ApiError(500, '', MORE_THAN_ONE_BUDGET);
  for (const pdb of pdbs) {
    if (budgetStatus(store, pdb as unknown as KubeObject).disruptionsAllowed < 1) {
      return tooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", [
        {
          reason: 'DisruptionBudget',
          message: `The disruption budget ${pdb.metadata.name} does not allow evicting pods currently`,
        },
      ]);
    }
  }
  return undefined;
}
