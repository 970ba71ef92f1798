/**
 * Infra nodes: the `infra` MachineConfigPool, the worker → infra MachineConfig copy the reference
 * procedure makes by hand, and the IngressController patch that moves the routers onto them.
 */
import type { Lab } from '../lab/schema.js';
import { manifestFile, patchFile } from './manifest.js';
import type { KubeObject, MergePatch } from './manifest.js';
import { base64 } from './secret-slots.js';
import { infraRoleLabel, routerReplicas, routersOnInfra } from './topology.js';
import type { RenderedFile } from './types.js';

export const machineConfigRoleLabel = 'machineconfiguration.openshift.io/role';

/**
 * How the infra pool gets its MachineConfigs:
 * - `inherit` (default): the pool selects configs of role worker *and* infra. Infra nodes get every
 *   worker config, including those the MCO regenerates on each upgrade, plus any infra-only ones.
 *   This is what current OpenShift documentation does.
 * - `copy`: the pool selects role infra only (the reference procedure's matchLabels); the worker
 *   configs must be copied with `workerToInfraMachineConfigs`, and copied again after upgrades, since
 *   the copies do not follow the worker originals.
 */
export type InfraMachineConfigSource = 'inherit' | 'copy';

export function infraMachineConfigPool(source: InfraMachineConfigSource = 'inherit'): KubeObject {
  const machineConfigSelector =
    source === 'inherit'
      ? { matchExpressions: [{ key: machineConfigRoleLabel, operator: 'In', values: ['worker', 'infra'] }] }
      : { matchLabels: { [machineConfigRoleLabel]: 'infra' } };
  return {
    apiVersion: 'machineconfiguration.openshift.io/v1',
    kind: 'MachineConfigPool',
    metadata: { name: 'infra' },
    spec: {
      machineConfigSelector,
      nodeSelector: { matchLabels: { [infraRoleLabel]: '' } },
      paused: false,
    },
  };
}

/** Metadata the API server or the MCO sets, stripped from copies so they apply as new objects. */
const serverSetMetadata = [
  'creationTimestamp',
  'generation',
  'managedFields',
  'ownerReferences',
  'resourceVersion',
  'selfLink',
  'uid',
] as const;

/** The node role label as the kubelet unit of a worker config sets it (`--node-labels=…/worker,…`). */
const workerRoleToken = /node-role\.kubernetes\.io\/worker(?![\w./-])/g;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function mapStrings(value: Json, map: (text: string) => string): Json {
  if (typeof value === 'string') return map(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, map));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, mapStrings(inner, map)]));
  }
  return value;
}

/**
 * Replaces the worker role label in a string, looking inside Ignition `data:` URLs (URL-encoded or
 * base64) too; a string without the label, or whose data cannot be decoded as text, is returned as is.
 */
function relabelRole(text: string): string {
  const replace = (plain: string) => plain.replace(workerRoleToken, infraRoleLabel);
  const dataUrl = /^data:([^,]*),(.*)$/s.exec(text);
  if (dataUrl === null) return replace(text);
  const [, mediaType = '', data = ''] = dataUrl;
  const isBase64 = mediaType.endsWith(';base64');
  let decoded: string;
  try {
    decoded = isBase64
      ? new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(atob(data), (char) => char.charCodeAt(0)))
      : decodeURIComponent(data);
  } catch {
    return text;
  }
  const relabelled = replace(decoded);
  if (relabelled === decoded) return text;
  return `data:${mediaType},${isBase64 ? base64(relabelled) : encodeURIComponent(relabelled)}`;
}

/** `00-worker` → `00-infra`, `99-worker-ssh` → `99-infra-ssh`: only the dash-separated word `worker`. */
function infraName(name: string): string {
  return name
    .split('-')
    .map((part) => (part === 'worker' ? 'infra' : part))
    .join('-');
}

function isWorkerSource(config: Record<string, Json>): boolean {
  const metadata = (config.metadata ?? {}) as Record<string, Json>;
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  if (name.startsWith('rendered-')) return false;
  const labels = (metadata.labels ?? {}) as Record<string, Json>;
  const role = labels[machineConfigRoleLabel];
  return role === undefined ? name.split('-').includes('worker') : role === 'worker';
}

/**
 * What the reference procedure does by hand to `oc get machineconfig -o yaml` of the worker configs,
 * as a pure function (inputs are not modified):
 * - keeps the configs of role worker (by label, else by name), dropping `rendered-*` ones;
 * - strips what the server or the MCO set: `generated-by-*` annotations, creationTimestamp,
 *   generation, managedFields, ownerReferences, resourceVersion, selfLink, uid, and status;
 * - renames `worker` → `infra` in the name (as a dash-separated word) and the role label.
 * Inside the config itself it replaces only the node role label `node-role.kubernetes.io/worker`
 * (which the kubelet unit registers the node with), including inside `data:` URLs, rather than
 * "any remaining mention of worker": file contents may legitimately say worker (a worker_processes
 * setting, a path), and rewriting those would corrupt them.
 */
export function workerToInfraMachineConfigs(workerConfigs: readonly object[]): KubeObject[] {
  return (workerConfigs as ReadonlyArray<Record<string, Json>>)
    .filter(isWorkerSource)
    .map((config) => {
      const { status: _status, metadata: rawMetadata, spec, ...rest } = config;
      const metadata = { ...((rawMetadata ?? {}) as Record<string, Json>) };
      for (const field of serverSetMetadata) delete metadata[field];
      const annotations = Object.entries((metadata.annotations ?? {}) as Record<string, Json>).filter(
        ([key]) => !key.includes('generated-by'),
      );
      if (annotations.length > 0) metadata.annotations = Object.fromEntries(annotations);
      else delete metadata.annotations;
      metadata.name = infraName(String(metadata.name ?? ''));
      metadata.labels = { ...((metadata.labels ?? {}) as Record<string, Json>), [machineConfigRoleLabel]: 'infra' };
      return {
        ...(structuredClone(rest) as Record<string, Json>),
        metadata,
        ...(spec === undefined ? {} : { spec: mapStrings(spec, relabelRole) }),
      } as unknown as KubeObject;
    })
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
}

/** Moves the default routers onto the infra nodes (merge patch), with the lab's tolerations, when the lab asks for it. */
export function ingressPlacementPatch(lab: Lab): MergePatch | undefined {
  if (!routersOnInfra(lab)) return undefined;
  // As a pod spec writes them: only the fields the lab gives (the operator always, Equal by default).
  // Left out, the routers keep the tolerations they have; an empty list removes them (a merge patch
  // replaces a list whole).
  const given = lab.day2.infra?.routerTolerations;
  const tolerations = given?.map((toleration) =>
    Object.fromEntries(Object.entries(toleration).filter(([, value]) => value !== undefined)),
  );
  return {
    target: {
      apiVersion: 'operator.openshift.io/v1',
      kind: 'IngressController',
      name: 'default',
      namespace: 'openshift-ingress-operator',
    },
    patch: {
      spec: {
        nodePlacement: {
          nodeSelector: { matchLabels: { [infraRoleLabel]: '' } },
          ...(tolerations !== undefined && { tolerations }),
        },
        replicas: routerReplicas(lab),
      },
    },
    // The infra role alone places the routers: terms of an earlier placement would narrow it.
    replace: ['spec.nodePlacement.nodeSelector'],
  };
}

export function renderInfra(lab: Lab): RenderedFile[] {
  if (lab.day2.infra === undefined) return [];
  const placement = ingressPlacementPatch(lab);
  return [
    manifestFile(lab, [infraMachineConfigPool()], {
      path: 'cluster/infra/machineconfigpool.yaml',
      artifact: 'infra.machine-config-pool',
    }),
    ...(placement === undefined
      ? []
      : [
          patchFile(lab, placement, {
            path: 'cluster/infra/ingresscontroller-patch.yaml',
            artifact: 'infra.ingress-placement',
          }),
        ]),
  ];
}
