/**
 * Server-side printing: the `meta.k8s.io/v1 Table` kubectl and oc ask for with
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`, with the columns the real printers
 * (kube-apiserver's built-in printers, the OpenShift CRDs' additionalPrinterColumns) show, so that
 * `oc get nodes`, `oc get csr`, `oc get co`, `oc get mcp` read as on a real cluster.
 */
import { valueAt } from './object-path.js';
import type { ResourceType } from './resources.js';
import type { KubeObject } from './store.js';

export const TABLE_MEDIA_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

interface Column {
  name: string;
  type?: 'string' | 'integer' | 'date';
  priority?: number;
  cell: (obj: KubeObject) => string | number;
}

type Condition = { type?: string; status?: string; lastTransitionTime?: string; message?: string; reason?: string };

export function wantsTable(accept: string | undefined): boolean {
  return /as=Table/i.test(accept ?? '') && /g=meta\.k8s\.io/i.test(accept ?? '');
}

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 192) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const years = Math.floor(hours / 24 / 365);
  if (years < 8) return `${years}y${Math.floor(hours / 24) % 365}d`;
  return `${years}y`;
}

const since = (timestamp: unknown): string =>
  typeof timestamp === 'string' ? humanDuration(Date.now() - Date.parse(timestamp)) : '<unknown>';

const str = (value: unknown): string => (value === undefined || value === null ? '' : String(value));

function conditions(obj: KubeObject): Condition[] {
  const list = valueAt(obj, 'status.conditions');
  return Array.isArray(list) ? (list as Condition[]) : [];
}

const conditionStatus = (type: string) => (obj: KubeObject) =>
  conditions(obj).find((c) => c.type === type)?.status ?? '';

const NAME: Column = { name: 'Name', cell: (obj) => obj.metadata.name };
const AGE: Column = { name: 'Age', cell: (obj) => since(obj.metadata.creationTimestamp) };

/** printNode: Ready when the condition is True, NotReady for False and Unknown alike, Unknown without one. */
function nodeStatus(obj: KubeObject): string {
  const ready = conditions(obj).find((c) => c.type === 'Ready');
  const state = !ready ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady';
  return valueAt(obj, 'spec.unschedulable') === true ? `${state},SchedulingDisabled` : state;
}

/** The first address of a type, `<none>` without one (printNode's getNodeInternalIP / getNodeExternalIP). */
const nodeAddress = (type: string) => (obj: KubeObject) =>
  str(
    ((valueAt(obj, 'status.addresses') as { type?: string; address?: string }[] | undefined) ?? []).find(
      (a) => a.type === type,
    )?.address,
  ) || '<none>';

const nodeInfo = (field: string) => (obj: KubeObject) => str(valueAt(obj, `status.nodeInfo.${field}`)) || '<unknown>';

function nodeRoles(obj: KubeObject): string {
  const roles = Object.keys(obj.metadata.labels ?? {})
    .filter((key) => key.startsWith('node-role.kubernetes.io/'))
    .map((key) => key.slice('node-role.kubernetes.io/'.length))
    .filter(Boolean)
    .sort();
  return roles.length ? roles.join(',') : '<none>';
}

function podReady(obj: KubeObject): string {
  const containers = (valueAt(obj, 'spec.containers') as unknown[] | undefined) ?? [];
  const statuses = (valueAt(obj, 'status.containerStatuses') as { ready?: boolean }[] | undefined) ?? [];
  return `${statuses.filter((s) => s.ready).length}/${containers.length}`;
}

function podStatus(obj: KubeObject): string {
  if (obj.metadata.deletionTimestamp) return 'Terminating';
  const waiting = (
    (valueAt(obj, 'status.containerStatuses') as { state?: { waiting?: { reason?: string } } }[] | undefined) ?? []
  )
    .map((s) => s.state?.waiting?.reason)
    .find(Boolean);
  return waiting ?? (str(valueAt(obj, 'status.reason')) || str(valueAt(obj, 'status.phase')));
}

function csrCondition(obj: KubeObject): string {
  const types = conditions(obj).map((c) => c.type);
  const parts = types.filter((t): t is string => t === 'Approved' || t === 'Denied' || t === 'Failed');
  if (parts.length === 0) return 'Pending';
  if (valueAt(obj, 'status.certificate')) parts.push('Issued');
  return parts.join(',');
}

/** A PDB's minAvailable / maxUnavailable as printPodDisruptionBudget shows it. */
const intOrPercent = (value: unknown): string => (value === undefined || value === null ? 'N/A' : String(value));

const sinceOrUnknown = (timestamp: unknown): string => (timestamp ? since(timestamp) : '<unknown>');

/** printEvent's times and count: firstTimestamp (or eventTime), lastTimestamp (or first), series. */
function eventTimes(obj: KubeObject): { first: string; last: string; count: number } {
  const first = sinceOrUnknown(obj.firstTimestamp ?? obj.eventTime);
  const series = obj.series as { count?: number; lastObservedTime?: string } | undefined;
  if (series) return { first, last: sinceOrUnknown(series.lastObservedTime), count: series.count ?? 1 };
  return {
    first,
    last: obj.lastTimestamp ? sinceOrUnknown(obj.lastTimestamp) : first,
    count: Number(obj.count ?? 0) || 1,
  };
}

/** `kind/name` of the involved object, the kind lower-cased. */
function eventObject(obj: KubeObject): string {
  const kind = str(valueAt(obj, 'involvedObject.kind')).toLowerCase();
  const name = str(valueAt(obj, 'involvedObject.name'));
  return name ? `${kind}/${name}` : kind;
}

/** formatEventSource: the source's component and host, else the reporting controller and instance. */
function eventSource(obj: KubeObject): string {
  const component = str(valueAt(obj, 'source.component')) || str(obj.reportingComponent);
  const instance = str(valueAt(obj, 'source.host')) || str(obj.reportingInstance);
  return instance ? `${component}, ${instance}` : component;
}

const operatorVersion = (obj: KubeObject) =>
  str(
    ((valueAt(obj, 'status.versions') as { name?: string; version?: string }[] | undefined) ?? []).find(
      (v) => v.name === 'operator',
    )?.version,
  );

const COLUMNS: Record<string, Column[]> = {
  namespaces: [NAME, { name: 'Status', cell: (obj) => str(valueAt(obj, 'status.phase')) }, AGE],
  nodes: [
    NAME,
    { name: 'Status', cell: nodeStatus },
    { name: 'Roles', cell: nodeRoles },
    AGE,
    { name: 'Version', cell: (obj) => str(valueAt(obj, 'status.nodeInfo.kubeletVersion')) },
    { name: 'Internal-IP', priority: 1, cell: nodeAddress('InternalIP') },
    { name: 'External-IP', priority: 1, cell: nodeAddress('ExternalIP') },
    { name: 'OS-Image', priority: 1, cell: nodeInfo('osImage') },
    { name: 'Kernel-Version', priority: 1, cell: nodeInfo('kernelVersion') },
    { name: 'Container-Runtime', priority: 1, cell: nodeInfo('containerRuntimeVersion') },
  ],
  pods: [
    NAME,
    { name: 'Ready', cell: podReady },
    { name: 'Status', cell: podStatus },
    {
      name: 'Restarts',
      type: 'integer',
      cell: (obj) =>
        ((valueAt(obj, 'status.containerStatuses') as { restartCount?: number }[] | undefined) ?? []).reduce(
          (n, s) => n + (s.restartCount ?? 0),
          0,
        ),
    },
    AGE,
    { name: 'IP', priority: 1, cell: (obj) => str(valueAt(obj, 'status.podIP')) || '<none>' },
    { name: 'Node', priority: 1, cell: (obj) => str(valueAt(obj, 'spec.nodeName')) || '<none>' },
  ],
  'certificatesigningrequests.certificates.k8s.io': [
    NAME,
    AGE,
    { name: 'SignerName', cell: (obj) => str(valueAt(obj, 'spec.signerName')) },
    { name: 'Requestor', cell: (obj) => str(valueAt(obj, 'spec.username')) },
    {
      name: 'RequestedDuration',
      cell: (obj) =>
        valueAt(obj, 'spec.expirationSeconds')
          ? humanDuration(Number(valueAt(obj, 'spec.expirationSeconds')) * 1000)
          : '<none>',
    },
    { name: 'Condition', cell: csrCondition },
  ],
  'poddisruptionbudgets.policy': [
    NAME,
    { name: 'Min Available', cell: (obj) => intOrPercent(valueAt(obj, 'spec.minAvailable')) },
    { name: 'Max Unavailable', cell: (obj) => intOrPercent(valueAt(obj, 'spec.maxUnavailable')) },
    {
      name: 'Allowed Disruptions',
      type: 'integer',
      cell: (obj) => Number(valueAt(obj, 'status.disruptionsAllowed') ?? 0),
    },
    AGE,
  ],
  events: [
    { name: 'Last Seen', cell: (obj) => eventTimes(obj).last },
    { name: 'Type', cell: (obj) => str(obj.type) },
    { name: 'Reason', cell: (obj) => str(obj.reason) },
    { name: 'Object', cell: eventObject },
    { name: 'Subobject', priority: 1, cell: (obj) => str(valueAt(obj, 'involvedObject.fieldPath')) },
    { name: 'Source', priority: 1, cell: eventSource },
    { name: 'Message', cell: (obj) => str(obj.message).trim() },
    { name: 'First Seen', priority: 1, cell: (obj) => eventTimes(obj).first },
    { name: 'Count', type: 'integer', priority: 1, cell: (obj) => eventTimes(obj).count },
    { name: 'Name', priority: 1, cell: (obj) => obj.metadata.name },
  ],
  'deployments.apps': [
    NAME,
    {
      name: 'Ready',
      cell: (obj) =>
        `${Number(valueAt(obj, 'status.readyReplicas') ?? 0)}/${Number(valueAt(obj, 'spec.replicas') ?? 1)}`,
    },
    { name: 'Up-to-date', type: 'integer', cell: (obj) => Number(valueAt(obj, 'status.updatedReplicas') ?? 0) },
    { name: 'Available', type: 'integer', cell: (obj) => Number(valueAt(obj, 'status.availableReplicas') ?? 0) },
    AGE,
  ],
  'daemonsets.apps': [
    NAME,
    { name: 'Desired', type: 'integer', cell: (obj) => Number(valueAt(obj, 'status.desiredNumberScheduled') ?? 0) },
    { name: 'Current', type: 'integer', cell: (obj) => Number(valueAt(obj, 'status.currentNumberScheduled') ?? 0) },
    { name: 'Ready', type: 'integer', cell: (obj) => Number(valueAt(obj, 'status.numberReady') ?? 0) },
    { name: 'Available', type: 'integer', cell: (obj) => Number(valueAt(obj, 'status.numberAvailable') ?? 0) },
    AGE,
  ],
  persistentvolumeclaims: [
    NAME,
    { name: 'Status', cell: (obj) => str(valueAt(obj, 'status.phase')) },
    { name: 'Volume', cell: (obj) => str(valueAt(obj, 'spec.volumeName')) },
    { name: 'Capacity', cell: (obj) => str(valueAt(obj, 'status.capacity.storage')) },
    {
      name: 'Access Modes',
      cell: (obj) =>
        ((valueAt(obj, 'status.accessModes') as string[] | undefined) ?? [])
          .map(
            (m) =>
              ({ ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' })[m] ?? m,
          )
          .join(','),
    },
    { name: 'StorageClass', cell: (obj) => str(valueAt(obj, 'spec.storageClassName')) },
    AGE,
  ],
  'clusteroperators.config.openshift.io': [
    NAME,
    { name: 'Version', cell: operatorVersion },
    { name: 'Available', cell: conditionStatus('Available') },
    { name: 'Progressing', cell: conditionStatus('Progressing') },
    { name: 'Degraded', cell: conditionStatus('Degraded') },
    { name: 'Since', cell: (obj) => since(conditions(obj).find((c) => c.type === 'Available')?.lastTransitionTime) },
    {
      name: 'Message',
      cell: (obj) =>
        str(
          conditions(obj).find((c) => c.type === 'Degraded' && c.status === 'True')?.message ??
            conditions(obj).find((c) => c.type === 'Progressing' && c.status === 'True')?.message,
        ),
    },
  ],
  'clusterversions.config.openshift.io': [
    NAME,
    { name: 'Version', cell: (obj) => str(valueAt(obj, 'status.desired.version')) },
    { name: 'Available', cell: conditionStatus('Available') },
    { name: 'Progressing', cell: conditionStatus('Progressing') },
    { name: 'Since', cell: (obj) => since(conditions(obj).find((c) => c.type === 'Progressing')?.lastTransitionTime) },
    { name: 'Status', cell: (obj) => str(conditions(obj).find((c) => c.type === 'Progressing')?.message) },
  ],
  'machineconfigpools.machineconfiguration.openshift.io': [
    NAME,
    { name: 'Config', cell: (obj) => str(valueAt(obj, 'status.configuration.name')) },
    { name: 'Updated', cell: conditionStatus('Updated') },
    { name: 'Updating', cell: conditionStatus('Updating') },
    { name: 'Degraded', cell: conditionStatus('Degraded') },
    { name: 'MachineCount', type: 'integer', cell: (obj) => Number(valueAt(obj, 'status.machineCount') ?? 0) },
    {
      name: 'ReadyMachineCount',
      type: 'integer',
      cell: (obj) => Number(valueAt(obj, 'status.readyMachineCount') ?? 0),
    },
    {
      name: 'UpdatedMachineCount',
      type: 'integer',
      cell: (obj) => Number(valueAt(obj, 'status.updatedMachineCount') ?? 0),
    },
    {
      name: 'DegradedMachineCount',
      type: 'integer',
      cell: (obj) => Number(valueAt(obj, 'status.degradedMachineCount') ?? 0),
    },
    AGE,
  ],
  'machineconfigs.machineconfiguration.openshift.io': [
    NAME,
    {
      name: 'GeneratedByController',
      cell: (obj) =>
        str(obj.metadata.annotations?.['machineconfiguration.openshift.io/generated-by-controller-version']),
    },
    { name: 'IgnitionVersion', cell: (obj) => str(valueAt(obj, 'spec.config.ignition.version')) },
    AGE,
  ],
};

/** A Table of `items` for `type`; rows carry the object as PartialObjectMetadata, the full object, or nothing. */
export function toTable(
  type: ResourceType,
  resource: string,
  items: KubeObject[],
  resourceVersion: string,
  includeObject: string | null,
): Record<string, unknown> {
  const columns = COLUMNS[resource] ?? [NAME, AGE];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: columns.map((column) => ({
      name: column.name,
      type: column.type ?? 'string',
      format: column === NAME ? 'name' : '',
      description: '',
      priority: column.priority ?? 0,
    })),
    rows: items.map((item) => ({
      cells: columns.map((column) => column.cell(item)),
      ...(includeObject === 'None'
        ? {}
        : {
            object:
              includeObject === 'Object'
                ? item
                : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: item.metadata },
          }),
    })),
  };
}
