/**
 * The lab's real control plane: the server version, etcd behind it, openshift/api's CRD validation,
 * server-side apply, the CSR requester and signing, the disruption controller and the scheduler.
 * One control plane for the file (it takes seconds to start).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { access } from 'node:fs/promises';
import { apiCall, apiRequest, type ApiTarget } from '../../../simulator/control-plane/api-client.js';
import {
  NODE_BOOTSTRAPPER_USER,
  nodeIdentity,
  type ControlPlane,
} from '../../../simulator/control-plane/control-plane.js';
import { createClientCsr, describeCertificate, signedBy } from '../../../simulator/control-plane/pki.js';
import { infraMachineConfigPool } from '../../../render/infra.js';
import { eventually, startTestControlPlane } from '../../support/control-plane.js';
import { findTool } from '../../../testing/tools.js';

let plane: ControlPlane;
const kubectlPath = findTool('kubectl');

beforeAll(async () => {
  plane = await startTestControlPlane();
}, 600_000);
afterAll(() => plane?.stop(), 120_000);

function kubectl(args: string[], input?: string) {
  if (!kubectlPath) throw new Error('kubectl is not on PATH: install it (bash scripts/install-deps.sh)');
  return execa(kubectlPath, ['--kubeconfig', plane.kubeconfigPath, ...args], {
    reject: false,
    ...(input === undefined ? { stdin: 'ignore' as const } : { input }),
  });
}

describe('the real control plane', () => {
  it('reports the real server version, with etcd behind it', async () => {
    const version = await kubectl(['version', '-o', 'json']);
    expect((JSON.parse(version.stdout) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion).toBe(
      plane.version,
    );
    const livez = await kubectl(['get', '--raw', '/livez?verbose']);
    expect(livez.exitCode).toBe(0);
    expect(livez.stdout).toContain('[+]etcd ok');
  });

  it('serves watch-list (initial events, then the end bookmark), which needs etcd with RequestWatchProgress', async () => {
    const reply = await apiRequest(
      plane.admin,
      'GET',
      '/api/v1/namespaces?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true' +
        '&timeoutSeconds=2',
    );
    expect(reply.status).toBe(200);
    const events = reply.text
      .trim()
      .split('\n')
      .map(
        (line) => JSON.parse(line) as { type: string; object: { metadata: { name: string; annotations?: object } } },
      );
    expect(events.filter((event) => event.type === 'ADDED').map((event) => event.object.metadata.name)).toContain(
      'kube-system',
    );
    const bookmark = events.find((event) => event.type === 'BOOKMARK');
    expect(bookmark?.object.metadata.annotations).toMatchObject({ 'k8s.io/initial-events-end': 'true' });
  });

  it("refuses a ClusterVersion desiredUpdate with both architecture and image, with openshift/api's message", async () => {
    const manifest = JSON.stringify({
      apiVersion: 'config.openshift.io/v1',
      kind: 'ClusterVersion',
      metadata: { name: 'version' },
      spec: {
        clusterID: '6f9e5c8a-2b1d-4c3e-9a7f-0d1e2f3a4b5c',
        desiredUpdate: {
          architecture: 'Multi',
          image: 'quay.io/openshift-release-dev/ocp-release@sha256:0',
          version: '4.16.0',
        },
      },
    });
    const created = await kubectl(['create', '-f', '-'], manifest);
    expect(created.exitCode).not.toBe(0);
    expect(created.stderr).toContain('cannot set both Architecture and Image');
    expect((await kubectl(['get', 'clusterversion', 'version'])).stderr).toContain('NotFound');
  });

  it("keeps the field manager's managedFields for a server-side apply that passes the CRD's schema", async () => {
    // The infra pool exactly as the infra-nodes runbook renders it.
    const pool = JSON.stringify(infraMachineConfigPool());
    const applied = await kubectl(['apply', '--server-side', '--field-manager=openshift-runbooks', '-f', '-'], pool);
    expect(applied.stderr).toBe('');
    const object = JSON.parse(
      (await kubectl(['get', 'mcp', 'infra', '-o', 'json', '--show-managed-fields'])).stdout,
    ) as {
      metadata: { managedFields: Array<{ manager: string; operation: string; fieldsV1: object }> };
    };
    const mine = object.metadata.managedFields.find((entry) => entry.manager === 'openshift-runbooks');
    expect(mine?.operation).toBe('Apply');
    expect(JSON.stringify(mine?.fieldsV1)).toContain('f:paused');
    // A field openshift/api's schema does not have is refused (in the real server's words for an apply).
    const typo = pool.replace('"paused"', '"pausd"');
    const strict = await kubectl(['apply', '--server-side', '--field-manager=openshift-runbooks', '-f', '-'], typo);
    expect(strict.stderr).toContain('.spec.pausd: field not declared in schema');
  });

  it("records the node-bootstrapper as a CSR's requester whatever its body says, and signs it with the lab CA once approved", async () => {
    const bootstrapper: ApiTarget = { url: plane.url, caPem: plane.caPem, credential: { token: plane.bootstrapToken } };
    const node = nodeIdentity('worker-0.lab.example');
    const { csrPem, keyPem } = await createClientCsr(node);
    const created = (await apiCall(bootstrapper, 'POST', '/apis/certificates.k8s.io/v1/certificatesigningrequests', {
      body: {
        apiVersion: 'certificates.k8s.io/v1',
        kind: 'CertificateSigningRequest',
        metadata: { name: 'csr-worker-0' },
        spec: {
          request: Buffer.from(csrPem).toString('base64'),
          signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
          usages: ['digital signature', 'client auth'],
          username: 'forged-user',
          groups: ['system:masters'],
        },
      },
    })) as { spec: { username: string; groups: string[] } };
    expect(created.spec.username).toBe(NODE_BOOTSTRAPPER_USER);
    expect(created.spec.groups).not.toContain('system:masters');
    expect(created.spec.groups).toContain('system:serviceaccounts:openshift-machine-config-operator');

    // The bootstrapper may file CSRs but not approve them; the admin may.
    const approval = {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name: 'csr-worker-0' },
      spec: created.spec,
      status: { conditions: [{ type: 'Approved', status: 'True', reason: 'Test', message: 'identity checked' }] },
    };
    const path = '/apis/certificates.k8s.io/v1/certificatesigningrequests/csr-worker-0';
    expect((await apiRequest(bootstrapper, 'PUT', `${path}/approval`, { body: approval })).status).toBe(403);
    await apiCall(plane.admin, 'PUT', `${path}/approval`, { body: approval });

    const signed = await eventually(
      async () => (await apiCall(plane.admin, 'GET', path)) as { status?: { certificate?: string } },
      (csr) => Boolean(csr.status?.certificate),
    );
    const certPem = Buffer.from(signed.status!.certificate!, 'base64').toString('utf8');
    expect(await signedBy(certPem, plane.caPem)).toBe(true);
    expect(describeCertificate(certPem)).toMatchObject({
      subject: 'O=system:nodes, CN=system:node:worker-0.lab.example',
      issuer: 'CN=openshift-runbooks-lab-ca',
    });
    // The signed certificate is a working credential of that node.
    const asNode: ApiTarget = { url: plane.url, caPem: plane.caPem, credential: { certPem, keyPem } };
    const review = (await apiCall(asNode, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    })) as { status: { userInfo: { username: string; groups: string[] } } };
    expect(review.status.userInfo.username).toBe(node.user);
    expect(review.status.userInfo.groups).toContain('system:nodes');
  });

  describe('with a node that registers itself', () => {
    const nodeName = 'compute-1.lab.example';
    let asNode: ApiTarget;

    beforeAll(async () => {
      asNode = await plane.targetFor(nodeIdentity(nodeName));
      // As an OpenShift kubelet does: it sets its own role label at registration (see the README on NodeRestriction).
      await apiCall(asNode, 'POST', '/api/v1/nodes', {
        body: {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: {
            name: nodeName,
            labels: { 'kubernetes.io/hostname': nodeName, 'node-role.kubernetes.io/worker': '' },
          },
        },
      });
      await reportNodeReady();
      await apiCall(plane.admin, 'POST', '/api/v1/namespaces', {
        body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'guarded' } },
      });
      // The ServiceAccount admission needs the namespace's default account, which kube-controller-manager makes.
      await eventually(
        () => apiRequest(plane.admin, 'GET', '/api/v1/namespaces/guarded/serviceaccounts/default'),
        (reply) => reply.status === 200,
      );
    });

    /** What the kubelet reports: Ready, with capacity (the scheduler filters on both). */
    async function reportNodeReady() {
      const now = new Date().toISOString();
      const resources = { cpu: '4', memory: '16Gi', pods: '110' };
      await apiCall(asNode, 'PATCH', `/api/v1/nodes/${nodeName}/status`, {
        contentType: 'application/merge-patch+json',
        body: {
          status: {
            capacity: resources,
            allocatable: resources,
            conditions: [
              {
                type: 'Ready',
                status: 'True',
                reason: 'KubeletReady',
                lastHeartbeatTime: now,
                lastTransitionTime: now,
              },
            ],
          },
        },
      });
    }

    async function runningPod(name: string) {
      await apiCall(plane.admin, 'POST', '/api/v1/namespaces/guarded/pods', {
        body: {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, labels: { app: 'guarded' } },
          spec: { nodeName, containers: [{ name: 'main', image: 'registry.lab.example/guarded:1' }] },
        },
      });
      const now = new Date().toISOString();
      await apiCall(asNode, 'PATCH', `/api/v1/namespaces/guarded/pods/${name}/status`, {
        contentType: 'application/merge-patch+json',
        body: {
          status: {
            phase: 'Running',
            startTime: now,
            conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
          },
        },
      });
    }

    const evict = (name: string) =>
      apiRequest(plane.admin, 'POST', `/api/v1/namespaces/guarded/pods/${name}/eviction`, {
        body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'guarded' } },
      });

    it("keeps a node to its own Node and its role labels as it registered them, as OpenShift's NodeRestriction does", async () => {
      const other = await apiRequest(asNode, 'POST', '/api/v1/nodes', {
        body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'master-0.lab.example' } },
      });
      expect(other.status).toBe(403);
      expect((other.body as { message: string }).message).toContain(
        `node "${nodeName}" is not allowed to modify node "master-0.lab.example"`,
      );
      const promote = await apiRequest(asNode, 'PATCH', `/api/v1/nodes/${nodeName}`, {
        contentType: 'application/merge-patch+json',
        body: { metadata: { labels: { 'node-role.kubernetes.io/master': '' } } },
      });
      expect(promote.status).toBe(403);
      expect((promote.body as { message: string }).message).toContain(
        'is not allowed to modify its node-role.kubernetes.io labels',
      );
      // Other labels and its status stay its own to change; an admin may change the roles.
      const labelled = await apiRequest(asNode, 'PATCH', `/api/v1/nodes/${nodeName}`, {
        contentType: 'application/merge-patch+json',
        body: { metadata: { labels: { 'topology.kubernetes.io/zone': 'rack-1' } } },
      });
      expect(labelled.status).toBe(200);
      const byAdmin = await apiRequest(plane.admin, 'PATCH', `/api/v1/nodes/${nodeName}`, {
        contentType: 'application/merge-patch+json',
        body: { metadata: { labels: { 'node-role.kubernetes.io/infra': '' } } },
      });
      expect(byAdmin.status).toBe(200);
    });

    it('blocks an eviction past a PodDisruptionBudget, through the real disruption controller', async () => {
      await runningPod('guarded-a');
      await runningPod('guarded-b');
      await apiCall(plane.admin, 'POST', '/apis/policy/v1/namespaces/guarded/poddisruptionbudgets', {
        body: {
          apiVersion: 'policy/v1',
          kind: 'PodDisruptionBudget',
          metadata: { name: 'keep-one' },
          spec: { minAvailable: 1, selector: { matchLabels: { app: 'guarded' } } },
        },
      });
      type Pdb = {
        metadata: { generation: number };
        status?: { observedGeneration?: number; currentHealthy?: number; disruptionsAllowed?: number };
      };
      const pdb = await eventually(
        async () =>
          (await apiCall(
            plane.admin,
            'GET',
            '/apis/policy/v1/namespaces/guarded/poddisruptionbudgets/keep-one',
          )) as Pdb,
        (value) => value.status?.observedGeneration === value.metadata.generation && value.status.currentHealthy === 2,
      );
      expect(pdb.status?.disruptionsAllowed).toBe(1);
      expect((await evict('guarded-a')).status).toBe(201);
      const refused = await evict('guarded-b');
      expect(refused.status).toBe(429);
      expect((refused.body as { message: string }).message).toContain("would violate the pod's disruption budget");
    });

    it('binds a pending pod to the node its nodeSelector names, through the real scheduler', async () => {
      await reportNodeReady();
      await apiCall(plane.admin, 'POST', '/api/v1/namespaces/guarded/pods', {
        body: {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'placed' },
          spec: {
            nodeSelector: { 'node-role.kubernetes.io/worker': '' },
            containers: [{ name: 'main', image: 'registry.lab.example/placed:1' }],
          },
        },
      });
      const pod = await eventually(
        async () =>
          (await apiCall(plane.admin, 'GET', '/api/v1/namespaces/guarded/pods/placed')) as {
            spec: { nodeName?: string };
          },
        (value) => Boolean(value.spec.nodeName),
      );
      expect(pod.spec.nodeName).toBe(nodeName);
    });
  });

  it('goes down behind the api-down proxy as refused, reset or 503, and comes back', async () => {
    const readyz = async () => {
      try {
        const reply = await kubectl(['get', '--raw', '/readyz']);
        return reply.exitCode === 0 ? reply.stdout : reply.stderr;
      } catch (error) {
        return String(error);
      }
    };
    await plane.apiProxy.set('refused');
    expect(await readyz()).toMatch(/refused/);
    await plane.apiProxy.set('reset');
    expect(await readyz()).toMatch(/connection reset by peer|EOF/);
    await plane.apiProxy.set('503');
    const unavailable = await apiRequest({ ...plane.admin, url: plane.url }, 'GET', '/readyz');
    expect(unavailable.status).toBe(503);
    await plane.apiProxy.set('up');
    expect(await readyz()).toBe('ok');
  });

  // Last: it stops the control plane of the file.
  it('stops: every process exits and the state folder is gone', async () => {
    const pids = Object.values(plane.pids()).filter((pid) => pid !== undefined);
    expect(pids).toHaveLength(4);
    await plane.stop();
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
    await expect(access(plane.stateDir)).rejects.toThrow(/ENOENT/);
  });
});
