/**
 * Ceph RBD through ceph-csi, as the procedure installs it: SCC grants for the driver's service
 * accounts, upstream's `deploy/rbd/kubernetes` manifests of the release the lab pins (fetched at run
 * time from a URL or a local folder, `namespace: default` rewritten to the driver's namespace,
 * images overridable), the waits for the node plugin on every schedulable node and the provisioner
 * Available, and a test claim that must bind before the StorageClass counts as working.
 *
 * In a rehearsal the download comes from the simulated lab's loopback mirror (endpoints.json
 * `releaseMirror`), through the rehearsal fence; a local folder is read as is.
 */
import { apiFeatures } from '../../lab/release.js';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import type { KubernetesObject, V1Node, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { PatchStrategy } from '../../transport/kube.js';
import { parseAllDocuments } from 'yaml';
import type { Ceph, Lab } from '../../lab/schema.js';
import {
  cephSccGrants,
  cephServiceAccounts,
  cephStorageClass,
  cephUserSecret,
  withSccUsers,
} from '../../render/ceph.js';
import type { KubeObject } from '../../render/index.js';
import { assertLoopbackTarget } from '../../transport/guard.js';
import type { KubeClients } from '../../transport/kube.js';
import type { StepContext, StepOutcome } from '../../contract/step.js';
import { applyStep, FIELD_MANAGER, type ApplyPlan } from '../cluster/apply.js';
import { describeCondition, hasCondition } from '../cluster/conditions.js';
import { readObject, watchedPoll } from '../cluster/watch-wait.js';
import { kubeFor, kubeLater } from '../support/kube-access.js';
import type { PlannedChange, PlannedStep, StepPlan } from '../support/plan.js';
import { refuse } from './support.js';
import { StepErrorType } from '../../contract/error-types.js';

/** The files of `deploy/rbd/kubernetes/v1.14+` the procedure applies (`csi-*yaml`). */
export const CEPH_CSI_FILES = [
  'csi-provisioner-rbac.yaml',
  'csi-nodeplugin-rbac.yaml',
  'csi-rbdplugin-provisioner.yaml',
  'csi-rbdplugin.yaml',
] as const;
const CLUSTER_SCOPED = new Set([
  'ClusterRole',
  'ClusterRoleBinding',
  'Namespace',
  'StorageClass',
  'CSIDriver',
  'PodSecurityPolicy',
]);
const SCC = { group: 'security.openshift.io', version: 'v1', plural: 'securitycontextconstraints' } as const;
const PROBE_CLAIM = 'ceph-csi-probe';
const PROOF = 'ceph-csi-storageclass-proof';

export function cephOf(lab: Lab): Ceph {
  return (
    lab.day2.ceph ??
    refuse(
      'the lab has no day2.ceph block: add one (clusterId, monitors, userId, userKey)',
      StepErrorType.LabSectionMissing,
    )
  );
}

/** Where the manifests come from: the lab's source, else the release on GitHub. */
export function driverSource(ceph: Ceph): string {
  return (
    ceph.driver.source ??
    `https://raw.githubusercontent.com/ceph/ceph-csi/${ceph.driver.release}/deploy/rbd/kubernetes/v1.14+`
  );
}

async function mirrorUrl(context: StepContext): Promise<string> {
  const endpoints = JSON.parse(await readFile(context.rehearsal!.endpointsFile, 'utf8')) as {
    releaseMirror?: { url?: string };
  };
  const url = endpoints.releaseMirror?.url;
  if (!url)
    refuse(
      `the simulated lab's ${context.rehearsal!.endpointsFile} has no releaseMirror: restart it with this version`,
      StepErrorType.RehearsalMirrorMissing,
    );
  return url;
}

/** Reads one manifest file: over HTTP(S) (in a rehearsal from the loopback mirror only) or from a folder. */
async function readManifest(context: StepContext, source: string, file: string): Promise<string> {
  if (!/^https?:\/\//.test(source)) {
    const folder = source.startsWith('~/') ? path.join(homedir(), source.slice(2)) : source;
    try {
      return await readFile(path.join(folder, file), 'utf8');
    } catch (error) {
      refuse(
        `cannot read ${file} from ${folder} (day2.ceph.driver.source): ${(error as Error).message}; ` +
          `put the ceph-csi ${cephOf(context.lab).driver.release} csi-*.yaml files there`,
        StepErrorType.DriverManifestMissing,
      );
    }
  }
  let url = new URL(`${source.replace(/\/+$/, '')}/${file}`);
  if (context.rehearsal) {
    // The same path on the mirror: it stands for the upstream host.
    url = new URL(url.pathname, await mirrorUrl(context));
    assertLoopbackTarget(url.hostname, `ceph-csi manifests ${url.href}`);
  }
  const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  if (response.status === 404)
    refuse(
      `${url.href} does not exist: check day2.ceph.driver.release (${cephOf(context.lab).driver.release}) and day2.ceph.driver.source`,
      StepErrorType.DriverManifestMissing,
    );
  if (!response.ok) throw new Error(`fetching ${url.href} answered ${response.status} ${response.statusText}`);
  return response.text();
}

type Manifest = KubeObject & {
  subjects?: Array<{ kind: string; name: string; namespace?: string }>;
  spec?: { template?: { spec?: { containers?: Array<{ name: string; image?: string }> } } };
};

/**
 * The procedure's `sed 's|namespace: default|namespace: ceph-csi|'` and `oc apply -n ceph-csi`, as
 * a transformation of objects: namespaced objects and service-account subjects in `default` (or
 * none) move to the driver's namespace; containers take the lab's images. Anything naming another
 * namespace is refused: it would not be where the driver runs.
 */
export function rewriteDriver(ceph: Ceph, file: string, documents: readonly Manifest[]): KubeObject[] {
  return documents.map((original) => {
    const object = structuredClone(original);
    const where = `${file}: ${object.kind} ${object.metadata?.name}`;
    if (!CLUSTER_SCOPED.has(object.kind)) {
      const namespace = object.metadata.namespace ?? 'default';
      if (namespace !== 'default' && namespace !== ceph.namespace)
        refuse(
          `${where} is in namespace ${namespace}, not the driver's ${ceph.namespace} (day2.ceph.namespace): fix the manifest or the lab`,
          StepErrorType.NamespaceMismatch,
        );
      object.metadata.namespace = ceph.namespace;
    } else delete object.metadata.namespace;
    for (const subject of object.subjects ?? []) {
      if (subject.kind !== 'ServiceAccount') continue;
      const namespace = subject.namespace ?? 'default';
      if (namespace !== 'default' && namespace !== ceph.namespace)
        refuse(
          `${where} binds ServiceAccount ${namespace}/${subject.name}, not one in ${ceph.namespace} ` +
            `where the driver runs: fix the manifest`,
          StepErrorType.NamespaceMismatch,
        );
      subject.namespace = ceph.namespace;
    }
    for (const container of object.spec?.template?.spec?.containers ?? []) {
      const image = ceph.driver.images[container.name];
      if (image) container.image = image;
    }
    return object;
  });
}

/**
 * Every namespace the objects refer to is the one the referred object is in: the SCC users are the
 * driver's service accounts, and the StorageClass names the Secret where it is created.
 */
export function cephNamespaceIssues(ceph: Ceph, driver: readonly KubeObject[]): string[] {
  const accounts = new Set(
    [
      ...driver.filter((object) => object.kind === 'ServiceAccount'),
      ...cephServiceAccounts.map((name) => ({ metadata: { name, namespace: ceph.namespace } })),
    ].map((account) => `${account.metadata.namespace}/${account.metadata.name}`),
  );
  const issues = cephSccGrants(ceph)
    .filter((grant) => !accounts.has(grant.user.replace(/^system:serviceaccount:/, '').replace(':', '/')))
    .map((grant) => `SCC ${grant.scc} user ${grant.user} is no service account of the driver`);
  const secret = cephUserSecret(ceph).metadata;
  const parameters = (cephStorageClass(ceph) as unknown as { parameters: Record<string, string> }).parameters;
  for (const [key, value] of Object.entries(parameters)) {
    if (key.endsWith('-secret-namespace') && value !== secret.namespace)
      issues.push(`StorageClass parameter ${key} is ${value}, but the Secret ${secret.name} is in ${secret.namespace}`);
  }
  return issues;
}

async function driverObjects(context: StepContext): Promise<KubeObject[]> {
  const ceph = cephOf(context.lab);
  const source = driverSource(ceph);
  const objects: KubeObject[] = [];
  for (const file of CEPH_CSI_FILES) {
    const text = await readManifest(context, source, file);
    const documents = parseAllDocuments(text)
      .map((document) => document.toJS() as Manifest | null)
      .filter(
        (document): document is Manifest => document !== null && typeof document === 'object' && 'kind' in document,
      );
    objects.push(...rewriteDriver(ceph, file, documents));
  }
  const issues = cephNamespaceIssues(ceph, objects);
  if (issues.length) refuse(`nothing applied: ${issues.join('; ')}`, StepErrorType.NamespaceMismatch);
  return objects;
}

/** The driver's RBAC, provisioner Deployment and node plugin DaemonSet, applied idempotently. */
export function cephDriverStep(context: StepContext): PlannedStep<ApplyPlan> {
  const kube = kubeLater(context);
  let objects: KubeObject[] | undefined;
  const wanted = async () => ({
    objects: (objects ??= await driverObjects(context)),
    serverSideApply: apiFeatures(context.lab.cluster.version).serverSideApply,
  });
  return {
    plan: async () => applyStep(await kube, await wanted()).plan(),
    apply: async (plan) => applyStep(await kube, await wanted()).apply(plan),
  };
}

interface Scc {
  metadata: { name: string };
  users?: string[] | null;
}

/** `oc adm policy add-scc-to-user hostaccess|privileged system:serviceaccount:<ns>:<sa>`. */
export function cephSccStep(context: StepContext): PlannedStep<StepPlan> {
  const kube = kubeLater(context);
  const grants = cephSccGrants(cephOf(context.lab));
  const read = async () =>
    Promise.all(
      [...new Set(grants.map((grant) => grant.scc))].map(async (name) => {
        const scc = (await (await kube).custom.getClusterCustomObject({ ...SCC, name })) as Scc;
        return { scc, updated: withSccUsers(scc, grants) };
      }),
    );
  return {
    plan: async () => {
      const sccs = await read();
      const missing = sccs.map(({ scc, updated }) => ({
        scc,
        users: (updated?.users ?? []).filter((user) => !(scc.users ?? []).includes(user)),
      }));
      const changes: PlannedChange[] = missing
        .filter(({ users }) => users.length > 0)
        .map(({ scc, users }) => ({
          target: `SecurityContextConstraints ${scc.metadata.name}`,
          action: 'update' as const,
          diff: users.map((user) => `users: + ${user}`).join('\n'),
        }));
      const toGrant = missing.reduce((count, { users }) => count + users.length, 0);
      return { changes, detail: `${grants.length - toGrant} of ${grants.length} SCC grants in place` };
    },
    apply: async () => {
      const done: string[] = [];
      for (const { scc, updated } of await read()) {
        if (!updated) continue;
        const body = {
          apiVersion: 'security.openshift.io/v1',
          kind: 'SecurityContextConstraints',
          metadata: { name: scc.metadata.name },
          users: updated.users,
        };
        await (
          await kube
        ).objects.patch(
          body as KubernetesObject,
          undefined,
          undefined,
          FIELD_MANAGER,
          undefined,
          PatchStrategy.MergePatch,
        );
        done.push(scc.metadata.name);
      }
      return `granted SCC ${done.join(', ')} to the driver's service accounts`;
    },
  };
}

/** Nodes a DaemonSet without tolerations runs on: schedulable, no NoSchedule/NoExecute taint. */
function schedulable(nodes: readonly V1Node[]): V1Node[] {
  return nodes.filter(
    (node) =>
      node.spec?.unschedulable !== true &&
      !(node.spec?.taints ?? []).some((taint) => taint.effect === 'NoSchedule' || taint.effect === 'NoExecute'),
  );
}

/** The node plugin Ready on every schedulable node, the provisioner Available. */
export async function cephWaitDriver(context: StepContext): Promise<StepOutcome> {
  const kube = await kubeFor(context);
  const namespace = cephOf(context.lab).namespace;
  return watchedPoll(
    context,
    kube,
    {
      what: `csi-rbdplugin on every schedulable node and csi-rbdplugin-provisioner Available in ${namespace}`,
      watches: [
        { path: `/apis/apps/v1/namespaces/${namespace}/daemonsets` },
        { path: `/apis/apps/v1/namespaces/${namespace}/deployments` },
      ],
    },
    async () => {
      const nodes = schedulable((await kube.core.listNode()).items).length;
      const plugin = (await readObject(kube, {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        name: 'csi-rbdplugin',
        namespace,
      })) as
        | { status?: { desiredNumberScheduled?: number; numberReady?: number; updatedNumberScheduled?: number } }
        | undefined;
      const provisioner = await readObject(kube, {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'csi-rbdplugin-provisioner',
        namespace,
      });
      const status = plugin?.status ?? {};
      const pluginDone = status.desiredNumberScheduled === nodes && status.numberReady === nodes;
      const available = hasCondition(provisioner, 'Available');
      return {
        done: pluginDone && available,
        detail:
          `csi-rbdplugin ready on ${status.numberReady ?? 0} of ${nodes} schedulable nodes; ` +
          `provisioner ${provisioner ? describeCondition(provisioner, 'Available') : 'not created'}`,
      };
    },
  );
}

async function waitForClaim(
  kube: KubeClients,
  namespace: string,
  until: (claim: V1PersistentVolumeClaim | undefined) => boolean,
  ms: number,
) {
  const end = Date.now() + ms;
  for (;;) {
    const claim = (await readObject(kube, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      name: PROBE_CLAIM,
      namespace,
    })) as V1PersistentVolumeClaim | undefined;
    if (until(claim) || Date.now() > end) return claim;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Proves the StorageClass: a 1Gi test claim must bind, then it is deleted. The proof is recorded
 * (ConfigMap `ceph-csi-storageclass-proof`, the class's uid) so that a second run has nothing to do
 * until the class is replaced.
 */
export function cephProveStep(context: StepContext): PlannedStep<StepPlan> {
  const kube = kubeLater(context);
  const ceph = cephOf(context.lab);
  const proofRef = { apiVersion: 'v1', kind: 'ConfigMap', name: PROOF, namespace: ceph.namespace };
  const read = async () => {
    const storageClass = await readObject(await kube, {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      name: ceph.storageClass,
    });
    if (!storageClass)
      refuse(
        `StorageClass ${ceph.storageClass} does not exist: the step that creates it must run first`,
        StepErrorType.StorageClassMissing,
      );
    const proof = (await readObject(await kube, proofRef)) as { data?: Record<string, string> } | undefined;
    return { uid: storageClass.metadata!.uid!, proven: proof?.data?.uid === storageClass.metadata?.uid };
  };
  return {
    plan: async () => {
      const { proven } = await read();
      return {
        changes: proven
          ? []
          : [
              {
                target: `PersistentVolumeClaim ${ceph.namespace}/${PROBE_CLAIM}`,
                action: 'create' as const,
                diff: `a 1Gi test claim on ${ceph.storageClass}, deleted once Bound`,
              },
            ],
        detail: proven
          ? `StorageClass ${ceph.storageClass} proven by a test claim that bound`
          : `StorageClass ${ceph.storageClass} not proven yet`,
      };
    },
    apply: async () => {
      const { uid } = await read();
      const claim = {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: PROBE_CLAIM, namespace: ceph.namespace },
        spec: {
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: '1Gi' } },
          storageClassName: ceph.storageClass,
        },
      };
      const remove = async () => {
        await (
          await kube
        ).core
          .deleteNamespacedPersistentVolumeClaim({ name: PROBE_CLAIM, namespace: ceph.namespace })
          .catch((error: { code?: number }) => {
            if (error.code !== 404) throw error;
          });
        await waitForClaim(await kube, ceph.namespace, (found) => found === undefined, 60_000);
      };
      await remove();
      await (
        await kube
      ).objects.patch(
        claim as KubernetesObject,
        undefined,
        undefined,
        FIELD_MANAGER,
        true,
        PatchStrategy.ServerSideApply,
      );
      const bound = await waitForClaim(
        await kube,
        ceph.namespace,
        (found) => found?.status?.phase === 'Bound',
        120_000,
      );
      await remove();
      if (bound?.status?.phase !== 'Bound')
        throw new Error(
          `the test claim on StorageClass ${ceph.storageClass} did not bind within 2 minutes ` +
            `(${bound?.status?.phase ?? 'gone'}); see \`oc describe pvc\` events of a new claim, the ` +
            `provisioner logs, and day2.ceph`,
        );
      const proof = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: PROOF, namespace: ceph.namespace },
        data: { storageClass: ceph.storageClass, uid },
      };
      await (
        await kube
      ).objects.patch(
        proof as unknown as KubernetesObject,
        undefined,
        undefined,
        FIELD_MANAGER,
        true,
        PatchStrategy.ServerSideApply,
      );
      return `a test claim on ${ceph.storageClass} bound to ${bound.spec?.volumeName ?? 'a volume'} and was deleted`;
    },
  };
}
