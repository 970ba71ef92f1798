/**
 * kubectl (a real 1.32 client, when installed) against the simulated API server through the
 * kubeconfig it writes: discovery, server-side printing, JSON and protobuf writes, patches.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { CO, MCP, node, pool, startTestApi } from './helpers.js';
import type { TestApi } from './helpers.js';

const KUBECTL = process.env.KUBECTL ?? 'kubectl';

async function kubectlWorks(): Promise<boolean> {
  try {
    await execa(KUBECTL, ['version', '--client'], { timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

const present = await kubectlWorks();
const describeIfKubectl = present ? describe : describe.skip;

let api: TestApi;
const kubectl = async (...args: string[]) =>
  (await execa(KUBECTL, ['--kubeconfig', api.server.kubeconfigPath, ...args], { timeout: 30_000 })).stdout;

beforeAll(async () => {
  if (!present) return;
  api = await startTestApi();
  api.store.create('nodes', {
    ...node('master-0', { 'node-role.kubernetes.io/master': '' }),
    status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { kubeletVersion: 'v1.14.6+c07e432da' } },
  });
  api.store.create('nodes', {
    ...node('worker-0', { 'node-role.kubernetes.io/worker': '' }),
    status: { conditions: [{ type: 'Ready', status: 'False' }] },
  });
  api.store.create(CO, {
    apiVersion: 'config.openshift.io/v1',
    kind: 'ClusterOperator',
    metadata: { name: 'image-registry' },
    spec: {},
    status: {
      versions: [{ name: 'operator', version: '4.2.0' }],
      conditions: [
        { type: 'Available', status: 'True', lastTransitionTime: new Date().toISOString() },
        { type: 'Progressing', status: 'False' },
        { type: 'Degraded', status: 'True', message: 'Storage is not configured' },
      ],
    },
  });
  api.store.create(MCP, {
    ...pool('worker'),
    status: { configuration: { name: 'rendered-worker-abc' }, machineCount: 2, readyMachineCount: 1 },
  });
});
afterAll(async () => {
  if (present) await api.close();
});

const rows = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s{2,}/));

describeIfKubectl('kubectl against the simulated API server', () => {
  it('lists nodes, cluster operators and machine config pools with their real columns', async () => {
    expect(rows(await kubectl('get', 'nodes'))).toEqual([
      ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'],
      ['master-0', 'Ready', 'master', expect.any(String), 'v1.14.6+c07e432da'],
      ['worker-0', 'NotReady', 'worker', expect.any(String)],
    ]);
    const co = rows(await kubectl('get', 'co'));
    expect(co[0]).toEqual(['NAME', 'VERSION', 'AVAILABLE', 'PROGRESSING', 'DEGRADED', 'SINCE', 'MESSAGE']);
    expect(co[1]).toEqual([
      'image-registry',
      '4.2.0',
      'True',
      'False',
      'True',
      expect.any(String),
      'Storage is not configured',
    ]);
    const mcp = rows(await kubectl('get', 'mcp'));
    expect(mcp[0]!.slice(0, 2)).toEqual(['NAME', 'CONFIG']);
    expect(mcp[1]!.slice(0, 2)).toEqual(['worker', 'rendered-worker-abc']);
  });

  it('discovers the API resources, core and OpenShift', async () => {
    const resources = await kubectl('api-resources', '-o', 'name');
    for (const name of [
      'nodes',
      'pods',
      'certificatesigningrequests.certificates.k8s.io',
      'clusteroperators.config.openshift.io',
      'machineconfigpools.machineconfiguration.openshift.io',
      'ingresscontrollers.operator.openshift.io',
      'hostsubnets.network.openshift.io',
    ]) {
      expect(resources.split('\n')).toContain(name);
    }
  });

  it('creates (protobuf and JSON), labels, cordons, patches and approves as an operator would', async () => {
    expect(await kubectl('create', 'namespace', 'rehearsal')).toBe('namespace/rehearsal created');
    expect(await kubectl('create', 'configmap', 'settings', '-n', 'rehearsal', '--from-literal=a=b')).toBe(
      'configmap/settings created',
    );
    expect(api.store.get('configmaps', 'rehearsal', 'settings')?.data).toEqual({ a: 'b' });
    await kubectl('label', 'node', 'worker-0', 'node-role.kubernetes.io/infra=');
    await kubectl('cordon', 'worker-0');
    expect(rows(await kubectl('get', 'node', 'worker-0'))[1]!.slice(0, 3)).toEqual([
      'worker-0',
      'NotReady,SchedulingDisabled',
      'infra,worker',
    ]);
    await kubectl('patch', 'mcp', 'worker', '--type', 'merge', '-p', '{"spec":{"paused":true}}');
    expect(api.store.get(MCP, undefined, 'worker')?.spec).toEqual({ paused: true });
    const bootstrapper = 'system:serviceaccount:openshift-machine-config-operator:node-bootstrapper';
    await execa(KUBECTL, ['--kubeconfig', api.server.kubeconfigPath, '--as', bootstrapper, 'create', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'certificates.k8s.io/v1',
        kind: 'CertificateSigningRequest',
        metadata: { name: 'csr-kubectl' },
        spec: {
          request: Buffer.from('request').toString('base64'),
          signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
          usages: ['digital signature', 'client auth'],
        },
      }),
    });
    expect(rows(await kubectl('get', 'csr'))[1]).toEqual([
      'csr-kubectl',
      expect.any(String),
      'kubernetes.io/kube-apiserver-client-kubelet',
      'system:serviceaccount:openshift-machine-config-operator:node-bootstrapper',
      '<none>',
      'Pending',
    ]);
    await kubectl('certificate', 'approve', 'csr-kubectl');
    const conditions = (
      api.store.get('certificatesigningrequests.certificates.k8s.io', undefined, 'csr-kubectl')?.status as {
        conditions: unknown[];
      }
    ).conditions;
    expect(conditions).toEqual([
      expect.objectContaining({ type: 'Approved', status: 'True', reason: 'KubectlApprove' }),
    ]);
  });

  it('creates a PodDisruptionBudget (kubectl sends it as protobuf)', async () => {
    expect(
      await kubectl('create', 'pdb', 'router', '-n', 'default', '--selector=app=router', '--min-available=50%'),
    ).toBe('poddisruptionbudget.policy/router created');
    await kubectl('create', 'pdb', 'db', '-n', 'default', '--selector=app=db', '--max-unavailable=1');
    expect(api.store.get('poddisruptionbudgets.policy', 'default', 'router')?.spec).toEqual({
      minAvailable: '50%',
      selector: { matchLabels: { app: 'router' } },
    });
    expect(api.store.get('poddisruptionbudgets.policy', 'default', 'db')?.spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: { app: 'db' } },
    });
  });
});
