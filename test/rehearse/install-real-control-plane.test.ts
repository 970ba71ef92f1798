/**
 * The install rehearsal on the real control plane: the catalogue's `install`, run by a real worker on a
 * real Temporal dev server, against a bare simulated lab whose Kubernetes is a real kube-apiserver,
 * etcd, kube-controller-manager and kube-scheduler (the runbooks' kubeconfig names it, through its
 * api-down proxy). The kubelets file their CSRs as the node-bootstrapper and as their nodes, the
 * runbook approves them, kube-controller-manager signs them; the cluster it leaves is read back from the
 * real server.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { CertificatesV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { nodeFqdn } from '../../lab/schema.js';
import { NODE_BOOTSTRAPPER_USER } from '../../simulator/control-plane/control-plane.js';
import { waitForProgress } from '../../testing/engine-harness.js';
import type { RunbookInput, RunbookProgress } from '../../workflows/engine/api.js';
import { startRunbookTestLab, type RunbookTestLab } from '../support/runbook-test-lab.js';

const TASK_QUEUE = 'install-real-control-plane';
const RUN_TIMEOUT_MS = 15 * 60_000;

let t: RunbookTestLab | undefined;

beforeAll(async () => {
  t = await startRunbookTestLab({ prefix: 'runbook-install-real-', taskQueue: TASK_QUEUE, realControlPlane: true });
}, 600_000);

afterAll(async () => {
  await t?.stop();
}, 120_000);

test(
  'a bare lab becomes a running cluster on the real kube-apiserver',
  async () => {
    const { temporal, lab, sim } = t!;
    expect(sim.kubeconfigPath).toBe(sim.controlPlane!.plane.kubeconfigPath);
    const handle = await temporal.client.workflow.start('install', {
      taskQueue: TASK_QUEUE,
      workflowId: 'install/intra/real-control-plane',
      args: [
        { lab, rehearsal: { endpointsFile: sim.endpointsPath, kubeconfig: sim.kubeconfigPath } } satisfies RunbookInput,
      ],
    });
    const progress: RunbookProgress = await waitForProgress(
      handle,
      (p) => p.state !== 'running',
      'the install run on the real control plane to end',
      RUN_TIMEOUT_MS,
    );
    expect({ state: progress.state, at: progress.currentStep, error: progress.error?.message }).toEqual({
      state: 'completed',
      at: undefined,
      error: undefined,
    });

    const kubeconfig = new KubeConfig();
    kubeconfig.loadFromFile(sim.kubeconfigPath);
    const nodes = (await kubeconfig.makeApiClient(CoreV1Api).listNode()).items;
    const ready = Object.fromEntries(
      nodes.map((node) => [
        node.metadata!.name!,
        node.status?.conditions?.find((condition) => condition.type === 'Ready')?.status,
      ]),
    );
    for (const node of lab.nodes.filter((candidate) => candidate.role !== 'bootstrap')) {
      expect({ node: node.name, ready: ready[nodeFqdn(lab, node)] }).toEqual({ node: node.name, ready: 'True' });
    }
    // Filed by the kubelets as the node-bootstrapper (client) and as their nodes (serving), signed by KCM.
    const csrs = (await kubeconfig.makeApiClient(CertificatesV1Api).listCertificateSigningRequest()).items;
    const clients = csrs.filter((csr) => csr.spec.signerName === 'kubernetes.io/kube-apiserver-client-kubelet');
    expect(clients.length).toBeGreaterThan(0);
    for (const csr of clients) expect(csr.spec.username).toBe(NODE_BOOTSTRAPPER_USER);
    const serving = csrs.filter((csr) => csr.spec.signerName === 'kubernetes.io/kubelet-serving');
    for (const csr of serving) expect(csr.spec.username).toMatch(/^system:node:/);
    for (const csr of [...clients, ...serving]) expect(csr.status?.certificate).toBeTruthy();
  },
  RUN_TIMEOUT_MS + 60_000,
);
