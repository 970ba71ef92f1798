/**
 * `--from bare`, walked through as the seed does it, with the clients a runbook uses: the API is
 * down until the bootstrap node boots; a node without its DHCP lease and PXE file stays at the PXE
 * prompt and says why; with the files in place (written over SSH) the bootstrap node and the masters
 * boot, the masters' CSRs are approved by the bootstrap, `kube-system/bootstrap` reports complete;
 * workers wait for an operator to approve their client then serving CSRs; operators settle, except
 * image-registry until its storage is set. Faults csr-never-appears and rogue-csr on the way.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { nodeFqdn } from '../../../lab/schema.js';
import type { KubeObject } from '../../../simulator/apiserver/store.js';
import { csrRequestPem, csrState } from '../../../simulator/controllers/csr.js';
import { parseCsrPem } from '../../../simulator/node-certificates.js';
import { CLUSTER_OPERATORS, isTrue, NODE_BOOTSTRAPPER } from '../../../simulator/openshift-objects.js';
import { approveCsr, bootstrapComplete, virsh as powerDomain } from '../../support/sim-walkthrough.js';
import { CO, startTestLab, statusOf, waitFor, writeBootFiles, type TestLab } from './support.js';

const CSRS = 'certificatesigningrequests.certificates.k8s.io';
let t: TestLab;
beforeAll(async () => {
  t = await startTestLab('bare');
});
afterAll(async () => {
  await t?.stop();
});

const virsh = (action: 'start' | 'destroy', nodeName: string) => powerDomain(t.lab, t.ssh, action, nodeName);

const fqdn = (name: string) => nodeFqdn(t.lab, { name });
const node = (name: string) => t.sim.store.get('nodes', undefined, fqdn(name));
const csrsOf = (name: string) =>
  t.sim.store.list(CSRS).items.filter((csr) => {
    try {
      return parseCsrPem(csrRequestPem(csr)).commonName === `system:node:${fqdn(name)}`;
    } catch {
      return false;
    }
  });
const pendingCsr = (name: string, username: string) =>
  csrsOf(name).find((csr) => csrState(csr) === 'Pending' && (csr.spec as { username: string }).username === username);

const approve = (csr: KubeObject) => approveCsr(t.kube, csr.metadata.name);

/** Boots a worker and approves its client then serving CSR as an operator would. */
async function joinWorker(name: string): Promise<void> {
  await virsh('start', name);
  const client = await waitFor(t.sim.store, `${name} client CSR`, () => pendingCsr(name, NODE_BOOTSTRAPPER));
  await approve(client);
  const serving = await waitFor(t.sim.store, `${name} serving CSR`, () =>
    pendingCsr(name, `system:node:${fqdn(name)}`),
  );
  await approve(serving);
  await waitFor(t.sim.store, `${name} Ready`, () => isTrue(node(name), 'Ready'));
}

describe('a bare lab', () => {
  it('answers 503 until the bootstrap node has booted', async () => {
    expect(await statusOf(t.kube.version.getCode())).toBe(503);
    expect(await statusOf(t.kube.core.listNode())).toBe(503);
  });

  it('leaves a node powered on without its DHCP lease and PXE file at the PXE prompt, saying why', async () => {
    await virsh('start', 'compute5');
    const reason = t.sim.boot.stuck().compute5!;
    expect(reason).toContain('no DHCP lease for 52:54:00:e1:60:5b (compute5)');
    expect(reason).toContain('no PXE config');
    expect(t.logs.some((line) => line.startsWith('warn: node compute5 powered on but stuck in PXE'))).toBe(true);
    await virsh('destroy', 'compute5');
  });

  it('boots the bootstrap node once the files are in place, and the API answers', async () => {
    await writeBootFiles(t);
    await virsh('start', 'bootstrap');
    await waitFor(t.sim.store, 'API up', () => t.sim.progress.apiUp);
    expect(await statusOf(t.kube.version.getCode())).toBe(0);
  });

  it('joins the masters with CSRs the bootstrap approves, then reports bootstrap-complete', async () => {
    for (const master of ['master1', 'master2', 'master3']) await virsh('start', master);
    await bootstrapComplete(t.kube);
    for (const master of ['master1', 'master2', 'master3']) {
      expect(isTrue(node(master), 'Ready')).toBe(true);
      expect(csrsOf(master).map(csrState)).toEqual(['Issued', 'Issued']);
    }
    const etcd = t.sim.store.get('etcds.operator.openshift.io', undefined, 'cluster');
    expect(isTrue(etcd, 'EtcdBootstrapMemberRemoved')).toBe(true);
    expect(node('compute1')).toBeUndefined();
  });

  it('makes a worker wait for approval of its client CSR, then its serving CSR, before it is Ready', async () => {
    await virsh('start', 'compute1');
    const client = await waitFor(t.sim.store, 'compute1 client CSR', () => pendingCsr('compute1', NODE_BOOTSTRAPPER));
    const request = parseCsrPem(csrRequestPem(client));
    expect(request).toEqual({
      commonName: 'system:node:compute1.nodes.example.com',
      organizations: ['system:nodes'],
      dnsNames: [],
      ips: [],
    });
    expect((client.spec as { signerName: string }).signerName).toBe('kubernetes.io/kube-apiserver-client-kubelet');
    expect(node('compute1')).toBeUndefined();
    await approve(client);
    const serving = await waitFor(t.sim.store, 'compute1 serving CSR', () =>
      pendingCsr('compute1', 'system:node:compute1.nodes.example.com'),
    );
    expect((serving.spec as { signerName: string }).signerName).toBe('kubernetes.io/kubelet-serving');
    expect(parseCsrPem(csrRequestPem(serving)).ips).toEqual(['10.42.253.20']);
    const issued = (await t.kube.certificates.readCertificateSigningRequest({ name: client.metadata.name })).status
      ?.certificate;
    expect(Buffer.from(issued!, 'base64').toString()).toContain('BEGIN CERTIFICATE');
    expect(isTrue(node('compute1'), 'Ready')).toBe(false);
    expect(node('compute1')!.metadata.labels!['node-role.kubernetes.io/worker']).toBe('');
    await approve(serving);
    await waitFor(t.sim.store, 'compute1 Ready', () => isTrue(node('compute1'), 'Ready'));
  });

  it('csr-never-appears: the node boots but files nothing until the fault is cleared', async () => {
    t.sim.faults.add({ kind: 'csr-never-appears', node: 'compute3' });
    await virsh('start', 'compute3');
    await waitFor(t.sim.store, 'compute3 running', () => t.sim.boot.isRunning('compute3') || undefined);
    expect(csrsOf('compute3')).toEqual([]);
    expect(t.logs).toContain('warn: compute3 booted but never files its client CSR (csr-never-appears fault)');
    t.sim.faults.clear('csr-never-appears');
    await waitFor(t.sim.store, 'compute3 client CSR', () => pendingCsr('compute3', NODE_BOOTSTRAPPER));
  });

  it('rogue-csr: a CSR for a node the lab does not have shows up and stays Pending', async () => {
    t.sim.faults.add({ kind: 'rogue-csr', node: 'intruder.nodes.example.com' });
    const rogue = await waitFor(t.sim.store, 'rogue CSR', () => csrsOf('intruder')[0]);
    expect(csrState(rogue)).toBe('Pending');
    expect((rogue.spec as { username: string }).username).toBe(NODE_BOOTSTRAPPER);
  });

  it('settles the operators once enough workers are Ready, except image-registry until its storage is set', async () => {
    await joinWorker('compute2');
    const co = (name: string) => t.sim.store.get('clusteroperators.config.openshift.io', undefined, name);
    const others = CLUSTER_OPERATORS.filter((name) => name !== 'image-registry');
    await waitFor(t.sim.store, 'every operator but image-registry Available', () =>
      others.every((name) => isTrue(co(name), 'Available') && !isTrue(co(name), 'Degraded')),
    );
    const registry = co('image-registry')!;
    expect(isTrue(registry, 'Degraded') && !isTrue(registry, 'Available')).toBe(true);
    const version = () => t.sim.store.get('clusterversions.config.openshift.io', undefined, 'version');
    expect(isTrue(version(), 'Available')).toBe(false);

    // `oc edit configs.imageregistry.operator.openshift.io`: storage emptyDir.
    await t.kube.custom.patchClusterCustomObject(
      {
        group: 'imageregistry.operator.openshift.io',
        version: 'v1',
        plural: 'configs',
        name: 'cluster',
        body: { spec: { storage: { emptyDir: {} } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await waitFor(
      t.sim.store,
      'image-registry Available and the cluster version done',
      () =>
        isTrue(co('image-registry'), 'Available') &&
        !isTrue(co('image-registry'), 'Degraded') &&
        isTrue(version(), 'Available') &&
        !isTrue(version(), 'Progressing'),
    );
    const listed = (await t.kube.custom.listClusterCustomObject(CO)) as { items: KubeObject[] };
    expect(listed.items.filter((item) => isTrue(item, 'Available'))).toHaveLength(CLUSTER_OPERATORS.length);
  });
});
