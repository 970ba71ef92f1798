/**
 * The seed's OpenShift 4 procedure walked by hand, in its order, against ONE simulated lab started
 * `--from bare` from the example lab file, with only the clients an operator has: ssh2 (our SSH
 * client) to the helper hosts listed in endpoints.json, @kubernetes/client-node over HTTPS with the
 * kubeconfig the lab wrote, and kubectl at the end. Files and manifests come from the renderers.
 * Each step waits on what the cluster reports (watch, or a bounded poll of the API).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
  type V1CertificateSigningRequest,
  type V1Pod,
} from '@kubernetes/client-node';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hostsWith, nodeFqdn, type Lab } from '../../lab/schema.js';
import { resolveSecret } from '../../lab/secrets.js';
import { cephUserKeySlot } from '../../render/ceph.js';
import { ldapBindPasswordSlot, ldapCaSlot } from '../../render/oauth.js';
import {
  cephCsiConfig,
  cephNamespace,
  cephSccGrants,
  cephServiceAccountObjects,
  cephStorageClass,
  cephUserSecret,
  egressNamespace,
  egressRouterController,
  egressRouterService,
  egressScc,
  egressServiceAccount,
  fillObject,
  infraMachineConfigPool,
  ingressPlacementPatch,
  ldapBindSecret,
  ldapCaConfigMap,
  oauthCluster,
  registryPvc,
  registryStoragePatch,
  renderArtifact,
  withSccUsers,
  workerToInfraMachineConfigs,
  type KubeObject,
  type MergePatch,
  type SecretSlot,
} from '../../render/index.js';
import { dhcpdConfText } from '../../render/dhcp.js';
import type { EndpointsFile } from '../../simulator/lab-sim.js';
import { parseCsrPem } from '../../simulator/node-certificates.js';
import { SshSession } from '../../transport/ssh.js';
import { sshTargetFor } from '../../transport/targets.js';
import { kubeClientFor } from '../../transport/kube.js';
import { cephCsiWorkloads } from './day2/ceph.js';
import { roles } from './day2/seed-infra.js';
import { CO, SDN_EXAMPLE_LAB, startTestLab, statusOf, type TestLab } from './install/support.js';
import {
  approveCsr,
  bootstrapComplete,
  createInstallFolder,
  publishIgnition,
  pushAndReload as pushFiles,
  pushPxeConfigs,
  running as nodeRunning,
  stageBootAssets,
  updatedThroughReboot,
  virsh,
  watchNodes,
  type NodeWatch,
} from '../support/sim-walkthrough.js';
import type { AnyJson } from '../support/json.js';

type Service = 'dns' | 'dhcp' | 'haproxy';
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const MCO = { group: 'machineconfiguration.openshift.io', version: 'v1' } as const;
const NODE_BOOTSTRAPPER = 'system:serviceaccount:openshift-machine-config-operator:node-bootstrapper';
const INFRA = ['infra1', 'infra2', 'infra3'] as const;
const COMPUTES = ['compute1', 'compute2', 'compute3', 'compute4', 'compute5'] as const;

type Conditioned = KubernetesObject & {
  spec?: AnyJson;
  status?: { conditions?: { type: string; status: string }[]; [key: string]: AnyJson };
};
const isTrue = (obj: Conditioned | undefined, type: string) =>
  obj?.status?.conditions?.some((c) => c.type === type && c.status === 'True') === true;

let t: TestLab;
let lab: Lab;
let endpoints: EndpointsFile;
let installDir: string;
const sessions = new Map<string, SshSession>();
let nodeWatch: NodeWatch | undefined;

/** One SSH session per helper host, to the address and host key endpoints.json gives. */
async function ssh(host: string): Promise<SshSession> {
  const open = sessions.get(host);
  if (open) return open;
  const session = await SshSession.connect(sshTargetFor(lab, host, { endpoints: endpoints.hosts }));
  sessions.set(host, session);
  return session;
}
const power = (action: 'start' | 'destroy', node: string) => virsh(lab, ssh, action, node);
const fqdn = (name: string) => nodeFqdn(lab, { name });

/** Polls the API until `probe` gives a value; fails naming `what` and the last answer after a bounded wait. */
async function until<T>(what: string, probe: () => Promise<T | undefined | false>, deadlineMs = 20_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
      last = value;
    } catch (error) {
      last = error instanceof Error ? error.message : error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const pushAndReload = (files: readonly { host?: string; target?: string; content: string }[], service: Service) =>
  pushFiles(lab, ssh, files, service);

async function secretValues(slots: readonly (SecretSlot | undefined)[]): Promise<Map<string, string>> {
  const present = slots.filter((slot): slot is SecretSlot => slot !== undefined);
  return new Map(await Promise.all(present.map(async (slot) => [slot.ref, await resolveSecret(slot.ref)] as const)));
}

async function apply(objects: readonly KubeObject[]): Promise<void> {
  for (const object of objects) await t.kube.objects.create(object as KubernetesObject);
}

async function patch(mergePatch: MergePatch): Promise<void> {
  const { target } = mergePatch;
  await t.kube.objects.patch(
    {
      apiVersion: target.apiVersion,
      kind: target.kind,
      metadata: { name: target.name, ...(target.namespace ? { namespace: target.namespace } : {}) },
      ...mergePatch.patch,
    } as KubernetesObject,
    undefined,
    undefined,
    undefined,
    undefined,
    PatchStrategy.MergePatch,
  );
}

const clusterOperators = async () =>
  ((await t.kube.custom.listClusterCustomObject(CO)) as { items: Conditioned[] }).items;
const podsIn = async (namespace: string) => (await t.kube.core.listNamespacedPod({ namespace })).items;
const running = (pod: V1Pod) => pod.status?.phase === 'Running';
const nodeReady = async (name: string) =>
  isTrue((await t.kube.core.readNode({ name: fqdn(name) })) as Conditioned, 'Ready');

/** The node's CSR from `username` still Pending (CN system:node:<fqdn>), as `oc get csr` lists it. */
async function pendingCsr(name: string, username: string): Promise<V1CertificateSigningRequest | undefined> {
  const csrs = (await t.kube.certificates.listCertificateSigningRequest()).items;
  return csrs.find(
    (csr) =>
      csr.spec.username === username &&
      !csr.status?.conditions?.length &&
      parseCsrPem(Buffer.from(csr.spec.request, 'base64').toString()).commonName === `system:node:${fqdn(name)}`,
  );
}

/** Approves a booting node's client CSR, then its serving CSR, and waits for it Ready. */
async function approveJoin(name: string): Promise<void> {
  const client = await until(`${name} client CSR`, () => pendingCsr(name, NODE_BOOTSTRAPPER));
  expect(client.spec.signerName).toBe('kubernetes.io/kube-apiserver-client-kubelet');
  expect(await statusOf(t.kube.core.readNode({ name: fqdn(name) }))).toBe(404);
  await approveCsr(t.kube, client.metadata!.name!);
  const serving = await until(`${name} serving CSR`, () => pendingCsr(name, `system:node:${fqdn(name)}`));
  expect(serving.spec.signerName).toBe('kubernetes.io/kubelet-serving');
  expect(await nodeReady(name)).toBe(false);
  await approveCsr(t.kube, serving.metadata!.name!);
  await until(`${name} Ready`, () => nodeReady(name));
}

beforeAll(async () => {
  t = await startTestLab('bare', { labFile: SDN_EXAMPLE_LAB });
  lab = t.lab;
  endpoints = JSON.parse(await readFile(t.sim.endpointsPath, 'utf8')) as EndpointsFile;
});

afterAll(async () => {
  nodeWatch?.stop();
  for (const session of sessions.values()) await session.close();
  await t?.stop();
  if (installDir) await rm(installDir, { recursive: true, force: true });
});

describe("the seed's OpenShift 4 procedure, walked by hand on one simulated lab", () => {
  it('starts bare: endpoints.json names every helper host on loopback, the API answers 503', async () => {
    expect(endpoints.hosts.map((host) => host.name).sort()).toEqual(lab.hosts.map((host) => host.name).sort());
    expect(endpoints.hosts.every((host) => host.address === '127.0.0.1')).toBe(true);
    expect(endpoints.apiServer.kubeconfig).toBe(t.sim.kubeconfigPath);
    expect(await statusOf(t.kube.version.getCode())).toBe(503);
  });

  it('pushes the DNS zones and named.conf zones to both DNS hosts and reloads them', async () => {
    const checked = await pushAndReload(renderArtifact(lab, 'dns'), 'dns');
    expect(Object.keys(checked).sort()).toEqual(
      hostsWith(lab, 'dns')
        .map((host) => host.name)
        .sort(),
    );
    for (const output of Object.values(checked)) {
      for (const zone of ['nodes.example.com', 'intra.example.com', '253.42.10.in-addr.arpa'])
        expect(output).toContain(`zone ${zone}/IN: loaded serial`);
    }
  });

  it('pushes dhcpd.conf and restarts the DHCP server', async () => {
    const dhcp = hostsWith(lab, 'dhcp')[0]!;
    const checked = await pushAndReload(
      [{ host: dhcp.name, target: dhcp.dhcp.configPath, content: dhcpdConfText(lab) }],
      'dhcp',
    );
    expect(Object.keys(checked)).toEqual([dhcp.name]);
  });

  it('makes the install folder with openshift-install: manifests, mastersSchedulable false, ignition configs', async () => {
    installDir = await mkdtemp(path.join(tmpdir(), 'install-directory-'));
    await createInstallFolder(lab, t.sim.endpointsPath, installDir);
    const names = await readdir(installDir);
    expect(names).toEqual(
      expect.arrayContaining(['bootstrap.ign', 'master.ign', 'worker.ign', 'metadata.json', 'auth']),
    );
    expect(names).not.toContain('install-config.yaml');
    const master = JSON.parse(await readFile(path.join(installDir, 'master.ign'), 'utf8'));
    expect(master.ignition.config.append[0].source).toBe('https://api-int.intra.example.com:22623/config/master');
  });

  it('puts the RHCOS boot assets, the PXE files and the ignition files on the PXE host', async () => {
    const pxeHost = hostsWith(lab, 'pxe')[0]!;
    const staged = await stageBootAssets(lab, ssh);
    expect(staged).toEqual(
      expect.arrayContaining([
        '/srv/tftpboot/installers/ocp4-rhcos-4.2.0/x86_64/linux',
        '/srv/tftpboot/installers/ocp4-rhcos-4.2.0/x86_64/initrd-raw',
      ]),
    );
    await pushPxeConfigs(lab, ssh);
    await publishIgnition(lab, ssh, installDir);
    const pxe = await ssh(pxeHost.name);
    expect(await pxe.readFile(path.posix.join(pxeHost.pxe.httpRoot, 'worker.ign'))).toBe(
      await readFile(path.join(installDir, 'worker.ign'), 'utf8'),
    );
  });

  it('loads the bootstrap HAProxy config on both HAProxy hosts', async () => {
    const files = renderArtifact(lab, 'haproxy.bootstrap');
    expect(files.every((file) => file.content.includes('10.42.253.9'))).toBe(true);
    const checked = await pushAndReload(files, 'haproxy');
    expect(Object.values(checked)).toEqual(['Configuration file is valid\n', 'Configuration file is valid\n']);
  });

  it("powers on the bootstrap node; the API comes up, reached with the installer's auth/kubeconfig", async () => {
    await power('start', 'bootstrap');
    await nodeRunning(t.sim.boot, 'bootstrap');
    const admin = await kubeClientFor({ kubeconfigPath: path.join(installDir, 'auth', 'kubeconfig'), rehearsal: true });
    expect(await until('API up', async () => (await statusOf(admin.version.getCode())) === 0)).toBe(true);
  });

  it('powers on the masters; the bootstrap reports complete with the masters Ready', async () => {
    for (const master of ['master1', 'master2', 'master3']) await power('start', master);
    await bootstrapComplete(t.kube);
    for (const master of ['master1', 'master2', 'master3']) expect(await nodeReady(master)).toBe(true);
  });

  it('powers on the infra nodes then the computes; their client then serving CSRs approved, they are Ready', async () => {
    for (const group of [INFRA, COMPUTES]) {
      for (const name of group) await power('start', name);
      for (const name of group) await approveJoin(name);
    }
    const nodes = (await t.kube.core.listNode()).items;
    expect(nodes).toHaveLength(11);
    expect(nodes.every((node) => isTrue(node as Conditioned, 'Ready'))).toBe(true);
  });

  it('loads the final HAProxy config (no bootstrap) and powers the bootstrap node off', async () => {
    const files = renderArtifact(lab, 'haproxy.final');
    expect(files.some((file) => file.content.includes('10.42.253.9'))).toBe(false);
    await pushAndReload(files, 'haproxy');
    await power('destroy', 'bootstrap');
    const kvm1 = await ssh('kvm1');
    expect(
      (await kvm1.execChecked(['virsh', '-c', 'qemu:///system', 'domstate', 'ocp4-bootstrap'])).stdout.trim(),
    ).toBe('shut off');
  });

  it('settles the operators but image-registry, Degraded until its storage is set to emptyDir', async () => {
    await until('every operator but image-registry Available, image-registry Degraded', async () => {
      const cos = await clusterOperators();
      const registry = cos.find((co) => co.metadata!.name === 'image-registry');
      return (
        cos.filter((co) => co !== registry).every((co) => isTrue(co, 'Available') && !isTrue(co, 'Degraded')) &&
        isTrue(registry, 'Degraded') &&
        !isTrue(registry, 'Available')
      );
    });
    await t.kube.custom.patchClusterCustomObject(
      {
        group: 'imageregistry.operator.openshift.io',
        version: 'v1',
        plural: 'configs',
        name: 'cluster',
        body: { spec: { storage: { emptyDir: {} } } },
      },
      merge,
    );
    await until('image-registry Available', async () =>
      (await clusterOperators()).every((co) => isTrue(co, 'Available') && !isTrue(co, 'Degraded')),
    );
  });

  it('adds LDAP login: bind Secret, CA ConfigMap, OAuth; the oauth-openshift pods roll', async () => {
    const ldap = lab.day2.ldap!;
    const before = await until('two oauth pods Running', async () => {
      const pods = (await podsIn('openshift-authentication')).filter(running);
      return pods.length === 2 && new Set(pods.map((pod) => pod.metadata!.name!));
    });
    const values = await secretValues([ldapBindPasswordSlot(ldap), ldapCaSlot(ldap)]);
    await apply([
      fillObject(ldapBindSecret(ldap), [ldapBindPasswordSlot(ldap)], values),
      fillObject(ldapCaConfigMap(ldap)!, [ldapCaSlot(ldap)!], values),
    ]);
    await t.kube.custom.patchClusterCustomObject(
      {
        group: 'config.openshift.io',
        version: 'v1',
        plural: 'oauths',
        name: 'cluster',
        body: { spec: oauthCluster(ldap).spec },
      },
      merge,
    );
    await until('new oauth pods Running, old gone, authentication settled', async () => {
      const pods = await podsIn('openshift-authentication');
      const auth = (await clusterOperators()).find((co) => co.metadata!.name === 'authentication');
      return (
        pods.length === 2 &&
        pods.every((pod) => running(pod) && !before.has(pod.metadata!.name!)) &&
        isTrue(auth, 'Available') &&
        !isTrue(auth, 'Progressing') &&
        !isTrue(auth, 'Degraded')
      );
    });
  });

  it('creates the infra pool and the worker configs copied as infra; the MCO renders rendered-infra', async () => {
    await apply([infraMachineConfigPool('copy')]);
    const all = (await t.kube.custom.listClusterCustomObject({ ...MCO, plural: 'machineconfigs' })) as {
      items: object[];
    };
    const copies = workerToInfraMachineConfigs(all.items);
    expect(copies.length).toBeGreaterThan(0);
    await apply(copies);
    const rendered = await until('infra pool rendered', async () => {
      const pool = (await t.kube.custom.getClusterCustomObject({
        ...MCO,
        plural: 'machineconfigpools',
        name: 'infra',
      })) as Conditioned;
      const name = pool.status?.configuration?.name as string | undefined;
      return name?.startsWith('rendered-infra-') && isTrue(pool, 'Updated') && name;
    });
    await t.kube.custom.getClusterCustomObject({ ...MCO, plural: 'machineconfigs', name: rendered });
  });

  it('labels infra1 infra (not worker): drained, NotReady, back Ready as infra; then infra2, infra3, one at a time', async () => {
    nodeWatch = await watchNodes(t.kube, INFRA.map(fqdn));
    for (const name of INFRA) {
      await t.kube.core.patchNode(
        {
          name: fqdn(name),
          body: {
            metadata: { labels: { 'node-role.kubernetes.io/infra': '', 'node-role.kubernetes.io/worker': null } },
          },
        },
        merge,
      );
      const phases = await nodeWatch.seen(fqdn(name), updatedThroughReboot);
      expect(phases.slice(phases.indexOf('Working'))).toEqual([
        'Working',
        'Working,cordoned',
        'Working,cordoned,NotReady',
        'Working,cordoned',
        'Done,cordoned',
        'Done',
      ]);
      const node = await t.kube.core.readNode({ name: fqdn(name) });
      expect(roles(node as never)).toEqual(['infra']);
      expect(node.spec?.unschedulable).toBeFalsy();
    }
    expect(nodeWatch.recorder.maxUnavailable).toBe(1);
  });

  it('moves the routers onto infra1-3 with the IngressController placement patch', async () => {
    await patch(ingressPlacementPatch(lab)!);
    const nodes = await until('three routers Running on the infra nodes', async () => {
      const pods = await podsIn('openshift-ingress');
      const on = pods.map((pod) => pod.spec?.nodeName ?? '').sort();
      return pods.length === 3 && pods.every(running) && on.join() === INFRA.map(fqdn).join() && on;
    });
    expect(nodes).toHaveLength(3);
  });

  it('sets up Ceph CSI: namespace, service accounts, SCC grants, config, secret, StorageClass; the CSI pods run', async () => {
    const ceph = lab.day2.ceph!;
    await apply([cephNamespace(ceph), ...cephServiceAccountObjects(ceph)]);
    const grants = cephSccGrants(ceph);
    for (const scc of new Set(grants.map((grant) => grant.scc))) {
      const current = (await t.kube.custom.getClusterCustomObject({
        group: 'security.openshift.io',
        version: 'v1',
        plural: 'securitycontextconstraints',
        name: scc,
      })) as { metadata?: { name?: string }; users?: string[] | null };
      const granted = withSccUsers(current, grants);
      if (granted)
        await t.kube.custom.patchClusterCustomObject(
          {
            group: 'security.openshift.io',
            version: 'v1',
            plural: 'securitycontextconstraints',
            name: scc,
            body: { users: granted.users },
          },
          merge,
        );
    }
    const values = await secretValues([cephUserKeySlot(ceph)]);
    await apply([
      cephCsiConfig(ceph),
      fillObject(cephUserSecret(ceph), [cephUserKeySlot(ceph)], values),
      cephStorageClass(ceph),
    ]);
    // The CSI driver itself is upstream's YAML (not rendered): its DaemonSet and provisioner Deployment.
    await apply(cephCsiWorkloads(ceph.namespace).filter((object) => object.kind !== 'ServiceAccount'));
    await until('node plugin on every schedulable node, three provisioners Running', async () => {
      const pods = await podsIn(ceph.namespace);
      const ds = await t.kube.apps.readNamespacedDaemonSet({ namespace: ceph.namespace, name: 'csi-rbdplugin' });
      return (
        pods.filter((pod) => pod.metadata!.name!.startsWith('csi-rbdplugin-provisioner-') && running(pod)).length ===
          3 && ds.status?.numberReady === 8
      );
    });
  });

  it('binds the registry claim on Ceph and rolls the registry onto it', async () => {
    const registry = lab.day2.registry!;
    const pvc = registryPvc(lab, registry);
    await apply([pvc]);
    const namespace = pvc.metadata.namespace!;
    await until(
      'registry claim Bound',
      async () =>
        (await t.kube.core.readNamespacedPersistentVolumeClaim({ namespace, name: pvc.metadata.name })).status
          ?.phase === 'Bound',
    );
    await patch(registryStoragePatch(lab, registry));
    await until('registry pod Running on the claim', async () => {
      const pods = (await podsIn(namespace)).filter((pod) => pod.metadata!.name!.startsWith('image-registry-'));
      return (
        pods.length === 1 &&
        running(pods[0]!) &&
        pods[0]!.spec?.volumes?.some((volume) => volume.persistentVolumeClaim?.claimName === pvc.metadata.name)
      );
    });
  });

  it('creates the egress routers: SCC, service account, ReplicationControllers Running on infra nodes, Services', async () => {
    const egress = lab.day2.egress!;
    await apply([egressScc(egress), egressNamespace(egress), egressServiceAccount(egress)]);
    await apply(
      egress.routers.flatMap((router) => [
        egressRouterController(lab, egress, router),
        egressRouterService(egress, router),
      ]),
    );
    await until('one egress router Running on an infra node per router', async () => {
      const pods = await podsIn(egress.namespace);
      return egress.routers.every((router) =>
        pods.some(
          (pod) =>
            pod.metadata!.name!.startsWith(`${router.name}-`) &&
            running(pod) &&
            /^infra\d\./.test(pod.spec?.nodeName ?? ''),
        ),
      );
    });
    const services = (await t.kube.core.listNamespacedService({ namespace: egress.namespace })).items.map(
      (service) => service.metadata!.name,
    );
    expect(services.sort()).toEqual(egress.routers.map((router) => router.name).sort());
  });

  it("shows kubectl the infra roles with the installer's auth/kubeconfig", async () => {
    if (!existsSync('/usr/bin/kubectl')) {
      console.warn('kubectl is not installed at /usr/bin/kubectl: skipping the kubectl check');
      return;
    }
    const { stdout } = await execa('/usr/bin/kubectl', [
      '--kubeconfig',
      path.join(installDir, 'auth', 'kubeconfig'),
      'get',
      'nodes',
      '--no-headers',
    ]);
    const rolesOf = Object.fromEntries(
      stdout
        .split('\n')
        .map((line) => line.split(/\s+/))
        .map(([name, status, role]) => [name!.split('.')[0], `${status} ${role}`]),
    );
    expect(rolesOf).toMatchObject({
      infra1: 'Ready infra',
      infra2: 'Ready infra',
      infra3: 'Ready infra',
      master1: 'Ready master',
      compute1: 'Ready worker',
    });
  });
});
