/**
 * The endpoints controller: each Service with a selector gets an Endpoints object of the same name
 * listing the Ready pods it selects (address, node, target pod) and its ports, and pods that run but
 * are not Ready under `notReadyAddresses`, as kube-controller-manager writes them.
 */
import type { KubeObject } from '../apiserver/store.js';
import type { SimContext } from '../context.js';
import { startLoop } from './loop.js';
import { isPodReady } from './pods.js';

const SERVICES = 'services';
const ENDPOINTS = 'endpoints';
const PODS = 'pods';

interface ServiceSpec {
  selector?: Record<string, string>;
  ports?: Array<{ name?: string; port: number; protocol?: string; targetPort?: number | string }>;
}

function address(pod: KubeObject) {
  const status = (pod.status ?? {}) as { podIP?: string };
  const spec = (pod.spec ?? {}) as { nodeName?: string };
  return {
    ip: status.podIP ?? '',
    ...(spec.nodeName ? { nodeName: spec.nodeName } : {}),
    targetRef: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid },
  };
}

function wantedSubsets(service: KubeObject, pods: readonly KubeObject[]): unknown[] {
  const spec = (service.spec ?? {}) as ServiceSpec;
  const selector = Object.entries(spec.selector ?? {});
  const selected = pods.filter(
    (pod) =>
      !pod.metadata.deletionTimestamp &&
      (pod.status as { podIP?: string } | undefined)?.podIP &&
      selector.every(([key, value]) => pod.metadata.labels?.[key] === value),
  );
  if (selected.length === 0) return [];
  const ready = selected.filter(isPodReady).map(address);
  const notReady = selected.filter((pod) => !isPodReady(pod)).map(address);
  const ports = (spec.ports ?? []).map((port) => ({
    ...(port.name ? { name: port.name } : {}),
    port: typeof port.targetPort === 'number' ? port.targetPort : port.port,
    protocol: port.protocol ?? 'TCP',
  }));
  return [
    {
      ...(ready.length ? { addresses: ready } : {}),
      ...(notReady.length ? { notReadyAddresses: notReady } : {}),
      ports,
    },
  ];
}

export function startEndpointsController(ctx: SimContext): () => void {
  const { api } = ctx;
  const loop = startLoop(ctx, 'endpoints', {
    resources: [SERVICES, PODS],
    faults: false,
    pass: async () => {
      for (const service of api.list(SERVICES).items) {
        const spec = (service.spec ?? {}) as ServiceSpec;
        if (!spec.selector || Object.keys(spec.selector).length === 0) continue;
        const namespace = service.metadata.namespace!;
        const name = service.metadata.name;
        const subsets = wantedSubsets(service, api.list(PODS, { namespace }).items);
        const existing = api.get(ENDPOINTS, namespace, name);
        if (!existing) {
          await api.create(ENDPOINTS, {
            apiVersion: 'v1',
            kind: 'Endpoints',
            metadata: { name, namespace },
            subsets,
          } as KubeObject);
        } else if (JSON.stringify(existing.subsets ?? []) !== JSON.stringify(subsets)) {
          await api.mutate(ENDPOINTS, namespace, name, (draft) => {
            draft.subsets = subsets;
          });
        }
      }
    },
  });
  return loop.stop;
}
