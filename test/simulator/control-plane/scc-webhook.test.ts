/**
 * OpenShift's security context constraints on the real control plane, through the simulator's loopback
 * admission webhook: refusals in OpenShift's words, grants through an SCC's users and through RBAC's
 * `use` verb, and a Deployment's refused pods as FailedCreate on its ReplicaSet (the real
 * kube-controller-manager). One control plane for the file.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import type { ControlPlane } from '../../../simulator/control-plane/control-plane.js';
import { SCC_WEBHOOK_NAME } from '../../../simulator/control-plane/scc-admission-webhook.js';
import { eventually, startTestControlPlane } from '../../support/control-plane.js';
import { findTool } from '../../../testing/tools.js';

const NS = 'storage-test';
const DEVELOPER = { user: 'developer', groups: [] };
const kubectlPath = findTool('kubectl');
let plane: ControlPlane;
let developerKubeconfig: string;

function kubectl(args: string[], options: { input?: string; kubeconfig?: string } = {}) {
  if (!kubectlPath) throw new Error('kubectl is not on PATH: install it (bash scripts/install-deps.sh)');
  return execa(kubectlPath, ['--kubeconfig', options.kubeconfig ?? plane.kubeconfigPath, ...args], {
    reject: false,
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
  });
}

async function mustKubectl(args: string[], input?: string) {
  const result = await kubectl(args, input === undefined ? {} : { input });
  if (result.exitCode !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

function pod(name: string, serviceAccount: string, spec: Record<string, unknown>) {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: {
      serviceAccountName: serviceAccount,
      containers: [{ name: 'main', image: 'quay.io/cephcsi/cephcsi:v3.9.0' }],
      ...spec,
    },
  });
}

/** Creates the pod as the namespace's developer (not a cluster admin, who may use every SCC). */
const createAsDeveloper = (manifest: string) =>
  kubectl(['create', '-f', '-'], { input: manifest, kubeconfig: developerKubeconfig });

const addToSccUsers = (scc: string, serviceAccount: string) =>
  mustKubectl([
    'patch',
    'securitycontextconstraints',
    scc,
    '--type=json',
    '-p',
    JSON.stringify([{ op: 'add', path: '/users/-', value: `system:serviceaccount:${NS}:${serviceAccount}` }]),
  ]);

beforeAll(async () => {
  plane = await startTestControlPlane();
  await mustKubectl(['create', 'namespace', NS]);
  for (const sa of ['csi-rbdplugin', 'csi-deployer', 'csi-nodeplugin', 'legacy-app']) {
    await mustKubectl(['-n', NS, 'create', 'serviceaccount', sa]);
  }
  // A Role of its own, not the aggregated `admin` ClusterRole: its rules arrive from a controller, a moment later.
  await mustKubectl(['-n', NS, 'create', 'role', 'pod-creator', '--verb=create,get,list', '--resource=pods']);
  await mustKubectl(['-n', NS, 'create', 'rolebinding', 'developer-pods', '--role=pod-creator', '--user=developer']);
  developerKubeconfig = await plane.kubeconfigFor(DEVELOPER);
}, 600_000);
afterAll(() => plane?.stop(), 120_000);

describe("OpenShift's SCC admission on the real control plane", () => {
  it('seeds the default SCCs and registers the webhook on loopback, failing closed', async () => {
    const names = (await mustKubectl(['get', 'securitycontextconstraints', '-o', 'name'])).split('\n');
    for (const scc of ['restricted-v2', 'restricted', 'anyuid', 'hostaccess', 'hostnetwork', 'privileged']) {
      expect(names).toContain(`securitycontextconstraints.security.openshift.io/${scc}`);
    }
    const config = JSON.parse(
      await mustKubectl(['get', 'validatingwebhookconfiguration', 'security-context-constraints', '-o', 'json']),
    ) as { webhooks: { name: string; failurePolicy: string; clientConfig: { url: string; service?: unknown } }[] };
    expect(config.webhooks[0]).toMatchObject({ name: SCC_WEBHOOK_NAME, failurePolicy: 'Fail' });
    expect(config.webhooks[0]!.clientConfig.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\//);
    expect(config.webhooks[0]!.clientConfig.service).toBeUndefined();
  });

  it('refuses a privileged pod of a service account without a grant, then admits it once added to the SCC', async () => {
    const manifest = pod('rbdplugin', 'csi-rbdplugin', {
      containers: [
        { name: 'csi-rbdplugin', image: 'quay.io/cephcsi/cephcsi:v3.9.0', securityContext: { privileged: true } },
      ],
    });
    const refused = await createAsDeveloper(manifest);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain(`admission webhook "${SCC_WEBHOOK_NAME}" denied the request`);
    expect(refused.stderr).toContain(
      'pods "rbdplugin" is forbidden: unable to validate against any security context constraint: [',
    );
    expect(refused.stderr).toContain('provider "privileged": Forbidden: not usable by user or serviceaccount');
    // restricted-v2 is usable (RBAC grants it to every authenticated user) but refuses what the pod asks.
    expect(refused.stderr).toContain(
      'provider restricted-v2: .spec.containers[0].securityContext.privileged: Invalid value: true: ' +
        'Privileged containers are not allowed',
    );
    await addToSccUsers('privileged', 'csi-rbdplugin');
    const admitted = await createAsDeveloper(manifest);
    expect(admitted.stderr).toBe('');
    expect(admitted.exitCode).toBe(0);
  });

  it("shows a Deployment's refused pods as FailedCreate on its ReplicaSet", async () => {
    const deployment = JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'csi-provisioner', namespace: NS },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'csi-provisioner' } },
        template: {
          metadata: { labels: { app: 'csi-provisioner' } },
          spec: {
            serviceAccountName: 'csi-deployer',
            hostNetwork: true,
            containers: [{ name: 'provisioner', image: 'quay.io/cephcsi/cephcsi:v3.9.0' }],
          },
        },
      },
    });
    await mustKubectl(['create', '-f', '-'], deployment);
    const events = await eventually(
      async () =>
        JSON.parse(
          await mustKubectl([
            '-n',
            NS,
            'get',
            'events',
            '--field-selector',
            'involvedObject.kind=ReplicaSet,reason=FailedCreate',
            '-o',
            'json',
          ]),
        ) as { items: { message: string; involvedObject: { name: string } }[] },
      (list) => list.items.length > 0,
    );
    const event = events.items[0]!;
    expect(event.involvedObject.name).toMatch(/^csi-provisioner-/);
    expect(event.message).toContain('unable to validate against any security context constraint');
    expect(event.message).toContain(
      'spec.securityContext.hostNetwork: Invalid value: true: Host network is not allowed to be used',
    );
  });

  it('lets a hostPath volume through only with hostaccess or privileged', async () => {
    const manifest = (name: string) =>
      pod(name, 'csi-nodeplugin', {
        volumes: [{ name: 'plugin-dir', hostPath: { path: '/var/lib/kubelet/plugins' } }],
      });
    const refused = await createAsDeveloper(manifest('nodeplugin-1'));
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain(
      'provider restricted-v2: .spec.volumes[0]: Invalid value: "hostPath": hostPath volumes are not allowed to be used',
    );
    expect(refused.stderr).toContain('provider "hostaccess": Forbidden: not usable by user or serviceaccount');
    await addToSccUsers('hostaccess', 'csi-nodeplugin');
    const admitted = await createAsDeveloper(manifest('nodeplugin-2'));
    expect(admitted.exitCode).toBe(0);
  });

  it("checks the run-as user against the namespace's range, and grants an SCC through RBAC's use verb", async () => {
    await mustKubectl(['annotate', 'namespace', NS, 'openshift.io/sa.scc.uid-range=1000650000/10000']);
    const manifest = (name: string) =>
      pod(name, 'legacy-app', {
        containers: [{ name: 'app', image: 'quay.io/legacy/app:1', securityContext: { runAsUser: 0 } }],
      });
    const refused = await createAsDeveloper(manifest('legacy-1'));
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain(
      'provider restricted-v2: .spec.containers[0].securityContext.runAsUser: Invalid value: 0: ' +
        'must be in the ranges: [1000650000, 1000659999]',
    );
    // kubectl create role refuses the verb `use` (not one it knows for the kind): the Role as a manifest.
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'use-anyuid', namespace: NS },
      rules: [
        {
          apiGroups: ['security.openshift.io'],
          resources: ['securitycontextconstraints'],
          resourceNames: ['anyuid'],
          verbs: ['use'],
        },
      ],
    };
    await mustKubectl(['create', '-f', '-'], JSON.stringify(role));
    await mustKubectl([
      '-n',
      NS,
      'create',
      'rolebinding',
      'legacy-anyuid',
      '--role=use-anyuid',
      `--serviceaccount=${NS}:legacy-app`,
    ]);
    // The RBAC authorizer reads bindings from an informer: wait until it knows this one.
    await eventually(
      () =>
        kubectl([
          'auth',
          'can-i',
          'use',
          'securitycontextconstraints.security.openshift.io/anyuid',
          '-n',
          NS,
          `--as=system:serviceaccount:${NS}:legacy-app`,
        ]),
      (result) => result.stdout.trim() === 'yes',
    );
    const admitted = await createAsDeveloper(manifest('legacy-2'));
    expect(admitted.stderr).toBe('');
    expect(admitted.exitCode).toBe(0);
  });

  // Last: it stops the webhook for the rest of the file.
  it('refuses pods while the webhook does not answer (failurePolicy Fail)', async () => {
    await plane.sccWebhook.close();
    const refused = await createAsDeveloper(pod('after-webhook-stopped', 'default', {}));
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain(`failed calling webhook "${SCC_WEBHOOK_NAME}"`);
  });
});
