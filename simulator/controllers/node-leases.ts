/**
 * The kubelets' heartbeat on the real control plane: each Ready node's Lease in `kube-node-lease`,
 * renewed every 10 s as a kubelet does. kube-controller-manager's node lifecycle controller reads it
 * on wall-clock time (`--node-monitor-grace-period`), not on the lab's clock, so the renewal runs on
 * real time too; a node whose Lease stops (powered off: its kubelet marked it NotReady) is then also
 * marked unreachable by the real controller, as on a cluster.
 */
import { apiRequest, type ApiTarget } from '../control-plane/api-client.js';
import type { SimContext } from '../context.js';
import { R, isTrue } from '../openshift-objects.js';

/** A kubelet's default `nodeLeaseDurationSeconds` is 40; it renews at a quarter of that. */
const LEASE_SECONDS = 40;
const RENEW_MS = 10_000;

function microTime(): string {
  return new Date().toISOString().replace(/Z$/, '000Z');
}

/** Starts the heartbeats (as `target`, kube-apiserver itself); returns the stop function. */
export function startNodeLeases(ctx: SimContext, target: ApiTarget): () => void {
  const renew = async (node: string) => {
    const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${node}`;
    const spec = { holderIdentity: node, leaseDurationSeconds: LEASE_SECONDS, renewTime: microTime() };
    const current = await apiRequest(target, 'GET', path);
    const body =
      current.status === 200
        ? { ...(current.body as object), spec: { ...(current.body as { spec?: object }).spec, ...spec } }
        : {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: node, namespace: 'kube-node-lease' },
            spec,
          };
    const reply =
      current.status === 200
        ? await apiRequest(target, 'PUT', path, { body })
        : await apiRequest(target, 'POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', { body });
    // 409: a renewal raced another; the next one follows in 10 s.
    if (reply.status >= 400 && reply.status !== 409) {
      ctx.log.warn(`the lease of ${node} was not renewed: ${reply.status} ${reply.text.slice(0, 200)}`);
    }
  };
  const beat = () => {
    for (const node of ctx.api.list(R.nodes).items) {
      if (!isTrue(node, 'Ready')) continue;
      renew(node.metadata.name).catch((error: unknown) =>
        ctx.log.warn(`the lease of ${node.metadata.name} was not renewed: ${String(error)}`),
      );
    }
  };
  const timer = setInterval(beat, RENEW_MS);
  beat();
  return () => clearInterval(timer);
}
