/**
 * The seed's infra migration, written once for both test routes (object store, and
 * @kubernetes/client-node over HTTPS): the infra pool, worker configs turned into infra configs the
 * way the seed edits `oc get machineconfig -o yaml`, and node phases as an observer records them.
 */
import type { KubeObject } from '../../../simulator/apiserver/store.js';

/** The seed's MachineConfigPool, its YAML quoting fixed. */
export const infraPool = {
  apiVersion: 'machineconfiguration.openshift.io/v1',
  kind: 'MachineConfigPool',
  metadata: { name: 'infra' },
  spec: {
    machineConfigSelector: { matchLabels: { 'machineconfiguration.openshift.io/role': 'infra' } },
    nodeSelector: { matchLabels: { 'node-role.kubernetes.io/infra': '' } },
    paused: false,
  },
};

/**
 * "removing generated-by annotations, creationTimestamps, generation, ownerReferences,
 * resourceVersions, selfLink and uid metadata. Replace any remaining mention of worker by infra."
 */
export function toInfraMachineConfigs(workerConfigs: readonly KubeObject[]): KubeObject[] {
  return workerConfigs
    .filter((mc) => !mc.metadata.name.startsWith('rendered-') && mc.metadata.name.includes('worker'))
    .map((mc) => {
      const {
        creationTimestamp: _c,
        generation: _g,
        ownerReferences: _o,
        resourceVersion: _r,
        selfLink: _s,
        uid: _u,
        managedFields: _m,
        ...metadata
      } = mc.metadata;
      const annotations = { ...(metadata.annotations ?? {}) };
      delete annotations['machineconfiguration.openshift.io/generated-by-controller-version'];
      const stripped = { ...mc, metadata: { ...metadata, annotations } };
      return JSON.parse(JSON.stringify(stripped).replaceAll('worker', 'infra')) as KubeObject;
    });
}

export interface NodePhase {
  state?: string;
  cordoned: boolean;
  ready: string;
  config?: string;
}

export function nodePhase(node: KubeObject): NodePhase {
  const annotations = node.metadata.annotations ?? {};
  const conditions = (node.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
  return {
    state: annotations['machineconfiguration.openshift.io/state'],
    cordoned: (node.spec as { unschedulable?: boolean } | undefined)?.unschedulable === true,
    ready: conditions.find((condition) => condition.type === 'Ready')?.status ?? 'Unknown',
    config: annotations['machineconfiguration.openshift.io/currentConfig'],
  };
}

/** Records each distinct phase of each node, in order. */
export class PhaseRecorder {
  readonly phases = new Map<string, NodePhase[]>();
  /** The most nodes of `watched` seen unavailable (updating, cordoned or NotReady) at once. */
  maxUnavailable = 0;
  private readonly current = new Map<string, NodePhase>();

  constructor(private readonly watched: readonly string[]) {}

  see(node: KubeObject): void {
    const name = node.metadata.name;
    const phase = nodePhase(node);
    const list = this.phases.get(name) ?? [];
    const last = list[list.length - 1];
    if (!last || JSON.stringify(last) !== JSON.stringify(phase)) list.push(phase);
    this.phases.set(name, list);
    this.current.set(name, phase);
    const unavailable = this.watched.filter((watched) => {
      const seen = this.current.get(watched);
      return seen && (seen.state !== 'Done' || seen.cordoned || seen.ready !== 'True');
    }).length;
    this.maxUnavailable = Math.max(this.maxUnavailable, unavailable);
  }

  /** The phases of a node with the state names only: Done → Working … → Done. */
  summary(name: string): string[] {
    return (this.phases.get(name) ?? []).map(
      (phase) => `${phase.state}${phase.cordoned ? ',cordoned' : ''}${phase.ready === 'True' ? '' : ',NotReady'}`,
    );
  }
}

export function roles(node: KubeObject): string[] {
  return Object.keys(node.metadata.labels ?? {})
    .filter((key) => key.startsWith('node-role.kubernetes.io/'))
    .map((key) => key.slice('node-role.kubernetes.io/'.length))
    .sort();
}
