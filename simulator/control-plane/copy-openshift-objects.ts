/**
 * Copies the simulated lab's OpenShift objects (every kind the simulator serves from a CRD: cluster
 * config, ClusterVersion, ClusterOperators, MachineConfigs and pools, the IngressController, the
 * registry config, SCCs…) into the real kube-apiserver through @kubernetes/client-node, with
 * server-side apply, spec and then status. openshift/api's CRDs judge each one: what they refuse is
 * returned, by kind and name, with the real server's message. The first slice of moving the lab onto
 * the real control plane (issue 18): the simulated controllers still work on their own store.
 */
import {
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { KubeObject, ObjectStore } from '../apiserver/store.js';
import { DEFAULT_RESOURCES, apiVersionOf, resourceKey, type ResourceType } from '../apiserver/resources.js';

export const LAB_FIELD_MANAGER = 'openshift-runbooks-lab';

export interface CopyRefusal {
  kind: string;
  namespace?: string;
  name: string;
  /** The spec (the object) or its status. */
  part: 'object' | 'status';
  message: string;
}

export interface CopiedObject {
  /** The store key of its type (`machineconfigs.machineconfiguration.openshift.io`). */
  resource: string;
  namespace?: string;
  name: string;
}

export interface CopyResult {
  /** What the real server accepted, as the simulated lab had it at the time of the copy. */
  copied: CopiedObject[];
  refusals: CopyRefusal[];
}

/** What the real API server sets itself, or what names the simulator's own objects (uids). */
function forApply(object: KubeObject): KubernetesObject {
  const { name, namespace, labels, annotations, finalizers } = object.metadata;
  const rest = Object.fromEntries(Object.entries(object).filter(([key]) => key !== 'status' && key !== 'metadata'));
  return {
    ...rest,
    metadata: {
      name,
      ...(namespace ? { namespace } : {}),
      ...(labels ? { labels } : {}),
      ...(annotations ? { annotations } : {}),
      ...(finalizers ? { finalizers } : {}),
    },
  } as KubernetesObject;
}

function messageOf(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      return (JSON.parse(body) as { message?: string }).message ?? body;
    } catch {
      return body;
    }
  }
  return error instanceof Error ? error.message : String(error);
}

/** The kinds the simulator serves from CRDs: OpenShift's. */
export function openshiftTypes(): ResourceType[] {
  return DEFAULT_RESOURCES.filter((type) => type.custom);
}

/** Copies every object of OpenShift's kinds (and the namespaces they live in) into the API of `kubeconfigPath`. */
export async function copyOpenShiftObjects(store: ObjectStore, kubeconfigPath: string): Promise<CopyResult> {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigPath);
  const objects = KubernetesObjectApi.makeApiClient(config);
  const custom = config.makeApiClient(CustomObjectsApi);
  const apply = (object: KubernetesObject) =>
    objects.patch(object, undefined, undefined, LAB_FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  const applyOptions = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);

  const types = openshiftTypes();
  const found = types.flatMap((type) => store.list(resourceKey(type)).items.map((object) => ({ type, object })));
  const namespaces = new Set(found.map(({ object }) => object.metadata.namespace).filter((ns) => ns !== undefined));
  for (const name of namespaces) await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

  const refusals: CopyRefusal[] = [];
  const copied: CopiedObject[] = [];
  for (const { type, object } of found) {
    const { name, namespace } = object.metadata;
    const where = { kind: object.kind, ...(namespace ? { namespace } : {}), name };
    try {
      await apply(forApply(object));
    } catch (error) {
      refusals.push({ ...where, part: 'object', message: messageOf(error) });
      continue;
    }
    copied.push({ resource: resourceKey(type), ...(namespace ? { namespace } : {}), name });
    if (object.status === undefined || !type.subresources.includes('status')) continue;
    const [group, version] = apiVersionOf(type).split('/') as [string, string];
    const body = { apiVersion: object.apiVersion, kind: object.kind, metadata: { name }, status: object.status };
    const request = { group, version, plural: type.plural, name, body, fieldManager: LAB_FIELD_MANAGER, force: true };
    try {
      if (namespace) await custom.patchNamespacedCustomObjectStatus({ ...request, namespace }, applyOptions);
      else await custom.patchClusterCustomObjectStatus(request, applyOptions);
    } catch (error) {
      refusals.push({ ...where, part: 'status', message: messageOf(error) });
    }
  }
  return { copied, refusals };
}
