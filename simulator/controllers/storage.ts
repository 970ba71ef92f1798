/**
 * Persistent volume binding and the Ceph RBD CSI provisioner (ceph-csi's external-provisioner
 * sidecar and rbd plugin), as their events report it:
 * - a claim without a StorageClass takes the default class (retroactive assignment, Kubernetes
 *   1.28+); with no default it waits: "no persistent volumes available for this claim and no
 *   storage class is set";
 * - a claim on a class of provisioner `rbd.csi.ceph.com` is provisioned only when a
 *   csi-rbdplugin-provisioner pod is Running (else "Waiting for a volume to be created either by
 *   the external provisioner…"), the `ceph-csi-config` ConfigMap beside it lists the class's
 *   clusterID, and the provisioner secret the class names exists; then a PV is created and both
 *   are Bound. Fault `pvc-never-binds` keeps a claim Pending.
 */
import type { KubeObject } from '../apiserver/store.js';
import type { Controller, SimContext } from '../context.js';
import { R } from '../openshift-objects.js';
import { recordEvent } from './events.js';
import { inBackground, startLoop } from './loop.js';
import { W, isPodReady } from './pods.js';

export const RBD_PROVISIONER = 'rbd.csi.ceph.com';
export const CSI_CONFIG_MAP = 'ceph-csi-config';
export const PROVISIONER_APP = 'csi-rbdplugin-provisioner';
/** Lab time ceph-csi takes to create an RBD image. */
export const PROVISION_MS = 3_000;
const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';

interface ClaimSpec {
  storageClassName?: string | null;
  accessModes?: string[];
  volumeMode?: string;
  volumeName?: string;
  resources?: { requests?: { storage?: string } };
}

type Verdict =
  | { provision: true; storageClass: KubeObject; provisionerNamespace: string }
  | { provision: false; type: 'Normal' | 'Warning'; reason: string; message: string };

function claimSpec(claim: KubeObject): ClaimSpec {
  return (claim.spec ?? {}) as ClaimSpec;
}

function isDefaultClass(storageClass: KubeObject): boolean {
  const annotations = storageClass.metadata.annotations ?? {};
  return (
    annotations[DEFAULT_CLASS_ANNOTATION] === 'true' ||
    annotations['storageclass.beta.kubernetes.io/is-default-class'] === 'true'
  );
}

const waitingFor = (provisioner: string): Verdict => ({
  provision: false,
  type: 'Normal',
  reason: 'ExternalProvisioning',
  message:
    `Waiting for a volume to be created either by the external provisioner '${provisioner}' or ` +
    `manually by the system administrator. If volume creation is delayed, please verify that the provisioner ` +
    `is running and correctly registered.`,
});

/** The namespace of a Running RBD provisioner pod, if any. */
function provisionerNamespace(ctx: SimContext): string | undefined {
  const pod = ctx.api
    .list(R.pods)
    .items.find(
      (candidate) =>
        (candidate.metadata.labels?.app === PROVISIONER_APP ||
          candidate.metadata.name.startsWith(`${PROVISIONER_APP}-`)) &&
        isPodReady(candidate),
    );
  return pod?.metadata.namespace;
}

/** The clusterIDs ceph-csi reads from its config map (`config.json`, a JSON array), or why it cannot. */
function csiClusterIds(ctx: SimContext, namespace: string): { ids: string[] } | { error: string } {
  const configMap = ctx.api.get(R.configmaps, namespace, CSI_CONFIG_MAP);
  const text = (configMap?.data as Record<string, string> | undefined)?.['config.json'];
  if (text === undefined) return { ids: [] };
  try {
    const entries = JSON.parse(text) as unknown;
    if (!Array.isArray(entries))
      return { error: 'json: cannot unmarshal object into Go value of type []util.ClusterInfo' };
    return { ids: entries.map((entry) => String((entry as { clusterID?: unknown }).clusterID ?? '')) };
  } catch (error) {
    return { error: `failed to parse ${CSI_CONFIG_MAP}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** What the PV controller and the provisioner make of a pending claim right now. */
function judge(ctx: SimContext, claim: KubeObject, className: string): Verdict {
  const { api } = ctx;
  const storageClass = api.get(W.storageclasses, undefined, className);
  if (!storageClass)
    return {
      provision: false,
      type: 'Warning',
      reason: 'ProvisioningFailed',
      message: `storageclass.storage.k8s.io "${className}" not found`,
    };
  const provisioner = String(storageClass.provisioner ?? '');
  if (provisioner !== RBD_PROVISIONER) return waitingFor(provisioner);
  const namespace = provisionerNamespace(ctx);
  if (!namespace) return waitingFor(provisioner);
  const failed = (why: string): Verdict => ({
    provision: false,
    type: 'Warning',
    reason: 'ProvisioningFailed',
    message: `failed to provision volume with StorageClass "${className}": ${why}`,
  });
  const parameters = (storageClass.parameters ?? {}) as Record<string, string>;
  const clusterId = parameters.clusterID ?? '';
  if (!clusterId) return failed('rpc error: code = InvalidArgument desc = missing required parameter clusterID');
  const ids = csiClusterIds(ctx, namespace);
  if ('error' in ids)
    return failed(
      `rpc error: code = InvalidArgument desc = failed to fetch monitor list using clusterID (${clusterId}): ${ids.error}`,
    );
  if (!ids.ids.includes(clusterId)) {
    return failed(
      `rpc error: code = InvalidArgument desc = failed to fetch monitor list using clusterID (${clusterId}): ` +
        `missing configuration for cluster ID "${clusterId}"`,
    );
  }
  const secretName = parameters['csi.storage.k8s.io/provisioner-secret-name'];
  const secretNamespace = parameters['csi.storage.k8s.io/provisioner-secret-namespace'];
  if (!secretName || !secretNamespace)
    return failed('rpc error: code = InvalidArgument desc = provided secret is empty');
  if (!api.get(R.secrets, secretNamespace, secretName)) {
    return failed(
      `error getting secret ${secretName} in namespace ${secretNamespace}: secrets "${secretName}" not found`,
    );
  }
  const spec = claimSpec(claim);
  if (
    (spec.accessModes ?? []).some((mode) => mode === 'ReadWriteMany' || mode === 'ReadOnlyMany') &&
    spec.volumeMode !== 'Block'
  ) {
    return failed(
      'rpc error: code = InvalidArgument desc = multi node access modes are only supported on rbd `block` type volumes',
    );
  }
  return { provision: true, storageClass, provisionerNamespace: namespace };
}

class Provisioner {
  private readonly reported = new Map<string, string>();
  private readonly inFlight = new Map<string, () => void>();

  constructor(private readonly ctx: SimContext) {}

  stop(): void {
    for (const cancel of this.inFlight.values()) cancel();
    this.inFlight.clear();
  }

  async pass(): Promise<void> {
    const { api } = this.ctx;
    const defaultClass = api.list(W.storageclasses).items.find(isDefaultClass);
    for (const claim of api.list(W.pvcs).items) {
      if ((claim.status as { phase?: string } | undefined)?.phase === 'Bound' || claim.metadata.deletionTimestamp)
        continue;
      const key = claim.metadata.uid!;
      if (this.inFlight.has(key)) continue;
      const className = claimSpec(claim).storageClassName;
      if (!className) {
        if ((className === undefined || className === null) && defaultClass) {
          await api.mutate(W.pvcs, claim.metadata.namespace, claim.metadata.name, (draft) => {
            (draft.spec as ClaimSpec).storageClassName = defaultClass.metadata.name;
          });
          continue; // the change brings the next pass
        }
        this.report(claim, {
          provision: false,
          type: 'Normal',
          reason: 'FailedBinding',
          message: 'no persistent volumes available for this claim and no storage class is set',
        });
        await this.ensurePending(claim);
        continue;
      }
      const fault = this.ctx.faults.find(
        'pvc-never-binds',
        (f) => f.namespace === claim.metadata.namespace && f.name === claim.metadata.name,
      );
      const verdict: Verdict = fault
        ? waitingFor(String(api.get(W.storageclasses, undefined, className)?.provisioner ?? RBD_PROVISIONER))
        : judge(this.ctx, claim, className);
      await this.ensurePending(claim);
      if (!verdict.provision) {
        this.report(claim, verdict);
        continue;
      }
      this.report(claim, {
        provision: false,
        type: 'Normal',
        reason: 'Provisioning',
        message: `External provisioner is provisioning volume for claim "${claim.metadata.namespace}/${claim.metadata.name}"`,
      });
      const cancel = this.ctx.clock.after(PROVISION_MS, () => {
        this.inFlight.delete(key);
        inBackground(
          this.ctx,
          'storage',
          this.bind(claim.metadata.namespace!, claim.metadata.name, key, verdict.storageClass),
        );
      });
      this.inFlight.set(key, cancel);
    }
  }

  /** Records an event once per distinct reason and message. */
  private report(claim: KubeObject, verdict: Extract<Verdict, { provision: false }>): void {
    const text = `${verdict.reason}\0${verdict.message}`;
    if (this.reported.get(claim.metadata.uid!) === text) return;
    this.reported.set(claim.metadata.uid!, text);
    const component =
      verdict.reason === 'FailedBinding'
        ? 'persistentvolume-controller'
        : `${RBD_PROVISIONER}_csi-rbdplugin-provisioner`;
    void recordEvent(this.ctx.api, claim, verdict.type, verdict.reason, verdict.message, component);
  }

  private async ensurePending(claim: KubeObject): Promise<void> {
    if ((claim.status as { phase?: string } | undefined)?.phase === 'Pending') return;
    await this.ctx.api.mutate(
      W.pvcs,
      claim.metadata.namespace,
      claim.metadata.name,
      (draft) => {
        draft.status = { phase: 'Pending' };
      },
      { subresource: 'status' },
    );
  }

  /** Creates the PV ceph-csi provisioned and binds both ways. */
  private async bind(namespace: string, name: string, uid: string, storageClass: KubeObject): Promise<void> {
    const { api } = this.ctx;
    const claim = api.get(W.pvcs, namespace, name);
    if (!claim || claim.metadata.uid !== uid) return;
    const spec = claimSpec(claim);
    const size = spec.resources?.requests?.storage ?? '1Gi';
    const parameters = (storageClass.parameters ?? {}) as Record<string, string>;
    const pvName = `pvc-${uid}`;
    if (!api.get(W.pvs, undefined, pvName)) {
      await api.create(W.pvs, {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: {
          name: pvName,
          annotations: { 'pv.kubernetes.io/provisioned-by': RBD_PROVISIONER },
          finalizers: ['kubernetes.io/pv-protection'],
        },
        spec: {
          accessModes: spec.accessModes ?? ['ReadWriteOnce'],
          capacity: { storage: size },
          claimRef: {
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            namespace,
            name,
            uid,
            resourceVersion: claim.metadata.resourceVersion,
          },
          csi: {
            driver: RBD_PROVISIONER,
            fsType: parameters['csi.storage.k8s.io/fstype'] ?? 'ext4',
            volumeHandle: `0001-0024-${parameters.clusterID}-0000000000000001-${uid}`,
            volumeAttributes: {
              clusterID: parameters.clusterID ?? '',
              pool: parameters.pool ?? '',
              imageFeatures: parameters.imageFeatures ?? '',
              'storage.kubernetes.io/csiProvisionerIdentity': RBD_PROVISIONER,
            },
          },
          persistentVolumeReclaimPolicy: String(storageClass.reclaimPolicy ?? 'Delete'),
          storageClassName: storageClass.metadata.name,
          ...(storageClass.mountOptions ? { mountOptions: storageClass.mountOptions } : {}),
          volumeMode: spec.volumeMode ?? 'Filesystem',
        },
        status: { phase: 'Bound' },
      });
    }
    await api.mutate(W.pvcs, namespace, name, (draft) => {
      (draft.spec as ClaimSpec).volumeName = pvName;
      draft.metadata.annotations = {
        ...draft.metadata.annotations,
        'pv.kubernetes.io/bind-completed': 'yes',
        'pv.kubernetes.io/bound-by-controller': 'yes',
        'volume.beta.kubernetes.io/storage-provisioner': RBD_PROVISIONER,
        'volume.kubernetes.io/storage-provisioner': RBD_PROVISIONER,
      };
    });
    await api.mutate(
      W.pvcs,
      namespace,
      name,
      (draft) => {
        draft.status = {
          phase: 'Bound',
          accessModes: spec.accessModes ?? ['ReadWriteOnce'],
          capacity: { storage: size },
        };
      },
      { subresource: 'status' },
    );
    void recordEvent(
      api,
      claim,
      'Normal',
      'ProvisioningSucceeded',
      `Successfully provisioned volume ${pvName}`,
      `${RBD_PROVISIONER}_csi-rbdplugin-provisioner`,
    );
    this.ctx.log.info(`storage: ${namespace}/${name} bound to ${pvName}`);
  }
}

/** Starts PV binding and the Ceph RBD provisioner. */
export const startStorageController: Controller = (ctx) => {
  const provisioner = new Provisioner(ctx);
  const loop = startLoop(ctx, 'storage', {
    resources: [W.pvcs, W.storageclasses, R.configmaps, R.secrets, R.pods],
    pass: () => provisioner.pass(),
  });
  return () => {
    loop.stop();
    provisioner.stop();
  };
};
