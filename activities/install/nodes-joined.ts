/**
 * Whether the ignition configs are still needed: a node uses them only while it joins the cluster.
 * Once every node the lab lists (the bootstrap node aside) has a Node object, an expired ignition
 * certificate stops nothing, so a later run of `install` has no reason to stop at its age.
 */
import type { StepContext } from '../../contract/step.js';
import { nodeObjectOf } from '../cluster/waits.js';
import { kubeFor } from '../support/kube-access.js';
import { briefApiError } from '../support/kube-errors.js';

/** How long to wait for the API before taking the cluster for not there (a first run, nothing booted). */
const PROBE_MS = 10_000;

export type NodesJoined =
  { all: true; count: number } | { all: false; missing: string[]; total: number } | { all: false; unreachable: string };

/** The inventory nodes but the bootstrap node, by whether a Node object of theirs exists (FQDN or short name). */
export async function nodesJoined(context: StepContext): Promise<NodesJoined> {
  const nodes = context.lab.nodes.filter((node) => node.role !== 'bootstrap');
  const probe = (async (): Promise<NodesJoined> => {
    const { items } = await (await kubeFor(context)).core.listNode();
    const missing = nodes.filter((node) => !nodeObjectOf(context.lab, node, items)).map((node) => node.name);
    return missing.length === 0 ? { all: true, count: nodes.length } : { all: false, missing, total: nodes.length };
  })();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<NodesJoined>((resolve) => {
    timer = setTimeout(resolve, PROBE_MS, { all: false, unreachable: `no answer within ${PROBE_MS / 1000} s` });
  });
  try {
    return await Promise.race([
      probe.catch((error: unknown) => ({ all: false as const, unreachable: briefApiError(error) })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** For a pause message: which nodes still need the ignition configs, or why the cluster could not tell. */
export function describeNotJoined(joined: Exclude<NodesJoined, { all: true }>): string {
  if ('unreachable' in joined) return `no node is known to have joined the cluster (its API: ${joined.unreachable})`;
  if (joined.missing.length === joined.total) return 'no node has joined the cluster yet';
  return `nodes that have not joined the cluster yet: ${joined.missing.join(', ')}`;
}
