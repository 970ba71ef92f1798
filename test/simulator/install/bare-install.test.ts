/**
 * `--from bare`, walked through as the seed does it, with the clients a runbook uses: the API is
 * down until the bootstrap node boots; a node stays at the PXE prompt, saying why, without its DHCP
 * lease, PXE file, boot assets, or an Ignition config of this install (not "this is not an ignition
 * file", not another cluster's); at first boot it waits, saying why, until the zones loaded on the
 * DNS hosts resolve its names and api-int, and a loaded HAProxy backend leads to the machine config
 * server; a pointer config from another install of the same cluster is refused (unknown CA). With
 * all that in place the bootstrap node and the masters boot, the masters' CSRs are approved by the
 * bootstrap, `kube-system/bootstrap` reports complete; workers wait for an operator to approve their
 * client then serving CSRs; operators settle, except image-registry until its storage is set. Faults
 * csr-never-appears, node-never-returns and rogue-csr on the way.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hostsWith, nodeFqdn } from '../../../lab/schema.js';
import { dhcpdConfText } from '../../../render/dhcp.js';
import { renderArtifact } from '../../../render/index.js';
import type { KubeObject } from '../../../simulator/apiserver/store.js';
import { csrRequestPem, csrState } from '../../../simulator/controllers/csr.js';
import { parseCsrPem } from '../../../simulator/node-certificates.js';
import { CLUSTER_OPERATORS, isTrue, NODE_BOOTSTRAPPER } from '../../../simulator/openshift-objects.js';
import {
  approveCsr,
  bootstrapComplete,
  createInstallFolder,
  publishIgnition,
  pushAndReload,
  pushPxeConfigs,
  running,
  stageBootAssets,
  stuckWith,
  virsh as powerDomain,
} from '../../support/sim-walkthrough.js';
import { SDN_EXAMPLE_LAB, CO, startTestLab, statusOf, waitFor, type TestLab } from './support.js';

const CSRS = 'certificatesigningrequests.certificates.k8s.io';
let t: TestLab;
let work: string;
/** This install's folder, and two others: another cluster's, and another install of this cluster. */
const dirs = { install: '', other: '', again: '' };
beforeAll(async () => {
  t = await startTestLab('bare', { labFile: SDN_EXAMPLE_LAB });
  work = await mkdtemp(path.join(tmpdir(), 'bare-install-'));
  for (const name of Object.keys(dirs) as Array<keyof typeof dirs>) dirs[name] = path.join(work, name);
});
afterAll(async () => {
  await t?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const virsh = (action: 'start' | 'destroy', nodeName: string) => powerDomain(t.lab, t.ssh, action, nodeName);
const push = (files: readonly { host?: string; target?: string; content: string }[], service: 'dns' | 'haproxy') =>
  pushAndReload(t.lab, t.ssh, files, service);
const stuck = (node: string, text: string) => stuckWith(t.sim.boot, node, (reason) => reason.includes(text));
const pxeHost = () => hostsWith(t.lab, 'pxe')[0]!;
const DOMAIN = 'intra.example.com';

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

  it('keeps a node at the PXE prompt while the boot assets its PXE config names are missing', async () => {
    const dhcp = hostsWith(t.lab, 'dhcp')[0]!;
    const netserv = await t.ssh(dhcp.name);
    await netserv.writeFileIfChanged(dhcp.dhcp.configPath, dhcpdConfText(t.lab));
    await netserv.execChecked(dhcp.dhcp.reload);
    await pushPxeConfigs(t.lab, t.ssh);
    await stageBootAssets(t.lab, t.ssh, (target) => target.endsWith('/initrd-raw'));
    await virsh('start', 'bootstrap');
    expect(t.sim.boot.stuck().bootstrap).toContain(
      'no installers/ocp4-rhcos-4.2.0/x86_64/initrd-raw on pxe ' +
        '(/srv/tftpboot/installers/ocp4-rhcos-4.2.0/x86_64/initrd-raw), named by the PXE config ' +
        '/srv/tftpboot/pxelinux.cfg/01-52-54-00-e1-48-6a',
    );
    await virsh('destroy', 'bootstrap');
    await stageBootAssets(t.lab, t.ssh);
  });

  it('refuses a bootstrap.ign that is not an Ignition config, or one made for another cluster', async () => {
    const pxe = await t.ssh(pxeHost().name);
    const bootstrapIgn = path.posix.join(pxeHost().pxe.httpRoot, 'bootstrap.ign');
    await pxe.writeFileIfChanged(bootstrapIgn, 'this is not an ignition file\n');
    await virsh('start', 'bootstrap');
    expect(t.sim.boot.stuck().bootstrap).toMatch(
      /\/var\/www\/html\/ocp4\/bootstrap\.ign on pxe cannot boot bootstrap: it is not JSON \(.*\), so not an Ignition config/,
    );
    await virsh('destroy', 'bootstrap');

    await createInstallFolder(t.lab, t.sim.endpointsPath, dirs.other, (text) =>
      text.replace(/^(\s*)name: intra$/m, '$1name: other'),
    );
    await publishIgnition(t.lab, t.ssh, dirs.other);
    await virsh('start', 'bootstrap');
    expect(t.sim.boot.stuck().bootstrap).toContain(
      `was made for another cluster: its kubelet talks to https://api-int.other.example.com:6443, not https://api-int.${DOMAIN}:6443`,
    );
    await virsh('destroy', 'bootstrap');
    await virsh('start', 'master1');
    expect(t.sim.boot.stuck().master1).toContain(
      `fetches its config from https://api-int.other.example.com:22623/config/master, not https://api-int.${DOMAIN}:22623/config/master`,
    );
    await virsh('destroy', 'master1');
  });

  it('holds the bootstrap node at first boot until the cluster zone is loaded, then lets it through', async () => {
    await createInstallFolder(t.lab, t.sim.endpointsPath, dirs.install);
    await publishIgnition(t.lab, t.ssh, dirs.install);
    // netserv1 serves every zone but the cluster's; netserv2's named runs with no lab zone yet.
    const dns = renderArtifact(t.lab, 'dns').filter((file) => file.host === 'netserv1');
    const withoutCluster = dns.map((file) =>
      file.artifact === 'dns.zones-conf'
        ? { ...file, content: file.content.replace(/zone "intra\.example\.com" \{[^}]*\};/, '') }
        : file,
    );
    expect(withoutCluster.some((file, index) => file.content !== dns[index]!.content)).toBe(true);
    await push(withoutCluster, 'dns');
    await virsh('start', 'bootstrap');
    const reason = await stuck('bootstrap', 'stuck at first boot');
    expect(reason).toContain(
      `bootstrap: api-int.${DOMAIN} does not resolve on netserv1 (zone ${DOMAIN} not loaded), netserv2 (zone ${DOMAIN} not loaded)`,
    );
    expect(reason).toContain(`bootstrap: api.${DOMAIN} does not resolve`);
    expect(reason).not.toContain('bootstrap.nodes.example.com');
    expect(await statusOf(t.kube.version.getCode())).toBe(503);

    await push(renderArtifact(t.lab, 'dns'), 'dns');
    await running(t.sim.boot, 'bootstrap');
    await waitFor(t.sim.store, 'API up', () => t.sim.progress.apiUp);
    expect(await statusOf(t.kube.version.getCode())).toBe(0);
  });

  it('holds a master at first boot while no loaded HAProxy backend leads to a machine config server that answers', async () => {
    const bootstrapHaproxy = renderArtifact(t.lab, 'haproxy.bootstrap');
    const withoutMcs = bootstrapHaproxy.map((file) => ({
      ...file,
      content: file.content.replace(/\nfrontend machine-config-server\n(.*\n)*?\n(?=frontend)/, '\n'),
    }));
    expect(withoutMcs[0]!.content).not.toContain('22623');
    await push(withoutMcs, 'haproxy');
    await virsh('start', 'master1');
    const reason = await stuck('master1', 'stuck at first boot');
    expect(reason).toBe(
      `stuck at first boot: master1: the machine config server at api-int.${DOMAIN}:22623 is unreachable: ` +
        'the HAProxy config loaded on haproxy1 has no frontend bound to port 22623; ' +
        'the HAProxy config loaded on haproxy2 has no frontend bound to port 22623',
    );
    // The config for after bootstrap, loaded too early: its backends list only masters, none up yet.
    await push(renderArtifact(t.lab, 'haproxy.final'), 'haproxy');
    const early = await stuck('master1', 'no server of the backend');
    const masters = 'master1 10.42.253.10:22623, master2 10.42.253.11:22623, master3 10.42.253.12:22623';
    expect(early).toContain(
      `master1: the machine config server at api-int.${DOMAIN}:22623 is unreachable: ` +
        `no server of the backend of machine-config-server (port 22623) loaded on haproxy1 answers (${masters}); ` +
        `no server of the backend of machine-config-server (port 22623) loaded on haproxy2 answers (${masters})`,
    );
    expect(early).toContain(`master1: the API at api-int.${DOMAIN}:6443 is unreachable`);
    await push(bootstrapHaproxy, 'haproxy');
    await running(t.sim.boot, 'master1');
  });

  it("refuses at first boot a master.ign from another install of this cluster (the MCS's CA is unknown to it)", async () => {
    await createInstallFolder(t.lab, t.sim.endpointsPath, dirs.again);
    await publishIgnition(t.lab, t.ssh, dirs.install, { master: path.join(dirs.again, 'master.ign') });
    await virsh('start', 'master2');
    const reason = await stuck('master2', 'stuck at first boot');
    expect(reason).toContain(
      `master2: GET https://api-int.${DOMAIN}:22623/config/master failed: x509: certificate signed by unknown authority`,
    );
    await publishIgnition(t.lab, t.ssh, dirs.install);
    await virsh('destroy', 'master2');
    await virsh('start', 'master2');
    await running(t.sim.boot, 'master2');
  });

  it('joins the masters with CSRs the bootstrap approves, then reports bootstrap-complete', async () => {
    await virsh('start', 'master3');
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

  it('node-never-returns: the node does not come back from the reboot after writing RHCOS until the fault is cleared', async () => {
    t.sim.faults.add({ kind: 'node-never-returns', node: 'infra1' });
    await virsh('start', 'infra1');
    const held = () => t.sim.boot.states().infra1?.reason?.includes('node-never-returns');
    await waitFor(t.sim.store, 'infra1 held in its reboot', () => held() || undefined);
    expect(t.sim.boot.states().infra1).toEqual({
      state: 'booting',
      reason: 'never came back from its reboot (node-never-returns fault): no console, no ping',
    });
    expect(csrsOf('infra1')).toEqual([]);
    t.sim.faults.clear('node-never-returns');
    await waitFor(t.sim.store, 'infra1 client CSR', () => pendingCsr('infra1', NODE_BOOTSTRAPPER));
    expect(t.sim.boot.isRunning('infra1')).toBe(true);
  });

  it('rogue-csr: a CSR for a node the lab does not have shows up and stays Pending', async () => {
    t.sim.faults.add({ kind: 'rogue-csr', node: 'intruder.nodes.example.com' });
    const rogue = await waitFor(t.sim.store, 'rogue CSR', () => csrsOf('intruder')[0]);
    expect(csrState(rogue)).toBe('Pending');
    expect((rogue.spec as { username: string }).username).toBe(NODE_BOOTSTRAPPER);
  });

  it("lets a worker configure itself from the masters' machine config server once the bootstrap node is gone", async () => {
    await push(renderArtifact(t.lab, 'haproxy.final'), 'haproxy');
    await virsh('destroy', 'bootstrap');
    await joinWorker('compute4');
    expect(t.sim.boot.stuck().compute4).toBeUndefined();
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
