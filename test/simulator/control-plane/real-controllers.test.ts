/**
 * The installed example lab run on the real control plane: the simulated controllers (MCO, kubelets,
 * operators, ingress) are clients of the real kube-apiserver, kube-controller-manager runs the
 * Deployments, ReplicaSets, DaemonSets and the disruption controller, kube-scheduler places the pods, and
 * the runbooks' kubeconfig (endpoints.json) reaches the real server through its api-down proxy.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import type { EndpointsFile, SimulatedLab } from '../../../simulator/lab-sim.js';
import { startTestLab, type TestLab } from '../install/support.js';
import { findTool } from '../../../testing/tools.js';
import { eventually } from '../../support/control-plane.js';

let t: TestLab;
let sim: SimulatedLab;
let endpoints: EndpointsFile;

beforeAll(async () => {
  t = await startTestLab('installed', { realControlPlane: true });
  sim = t.sim;
  endpoints = JSON.parse(await readFile(sim.endpointsPath, 'utf8')) as EndpointsFile;
}, 600_000);
afterAll(() => t?.stop(), 120_000);

/** kubectl as a rehearsal's step runs it: the kubeconfig endpoints.json names. */
function kubectl(...args: string[]) {
  const binary = findTool('kubectl');
  if (!binary) throw new Error('kubectl is not on PATH: install it (bash scripts/install-deps.sh)');
  return execa(binary, ['--kubeconfig', endpoints.apiServer.kubeconfig, ...args], { stdin: 'ignore', reject: false });
}

const jsonpath = async (...args: string[]) => (await kubectl(...args)).stdout.trim();

describe('the installed lab with its controllers on the real control plane', () => {
  it("points the runbooks' kubeconfig at the real kube-apiserver, behind the api-down proxy", async () => {
    expect(endpoints.apiServer.url).toBe(sim.controlPlane!.plane.url);
    expect(endpoints.apiServer.kubeconfig).toBe(sim.controlPlane!.plane.kubeconfigPath);
    const version = await kubectl('version', '-o', 'json');
    expect((JSON.parse(version.stdout) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion).toBe(
      'v1.37.2',
    );
    const livez = await kubectl('get', '--raw', '/livez?verbose');
    expect(livez.stdout).toContain('[+]etcd ok');
  });

  it('has every node Ready, the pools rendered and updated, the operators Available', async () => {
    const ready = await eventually(
      () => jsonpath('get', 'nodes', '-o', 'jsonpath={.items[*].status.conditions[?(@.type=="Ready")].status}'),
      (statuses) => statuses.split(' ').length === 11 && statuses.split(' ').every((status) => status === 'True'),
    );
    expect(ready.split(' ')).toHaveLength(11);
    const pools = await eventually(
      () =>
        jsonpath(
          'get',
          'mcp',
          '-o',
          'jsonpath={range .items[*]}{.metadata.name}={.spec.configuration.name}' +
            ' {.status.conditions[?(@.type=="Updated")].status}{"\\n"}{end}',
        ),
      (text) => /^master=rendered-master-\S+ True\nworker=rendered-worker-\S+ True$/.test(text),
    );
    expect(pools).toMatch(/worker=rendered-worker-/);
    // The operators settle once their operands roll out (authentication waits for oauth-openshift's pods).
    const operators = await eventually(
      () =>
        jsonpath(
          'get',
          'co',
          '-o',
          'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Available")].status}{"\\n"}{end}',
        ),
      (text) => text.split('\n').every((status) => status === 'True'),
    );
    expect(operators.split('\n').length).toBeGreaterThan(20);
    expect(new Set(operators.split('\n'))).toEqual(new Set(['True']));
    // Written by the lab's controllers through the API, under their field manager.
    const managers = await jsonpath(
      'get',
      'mcp',
      'worker',
      '-o',
      'jsonpath={.metadata.managedFields[*].manager}',
      '--show-managed-fields',
    );
    expect(managers).toContain('openshift-runbooks-lab');
  });

  it('runs the routers: the ingress operator writes the Deployment, the real controllers and scheduler place its pods', async () => {
    const ready = await eventually(
      () =>
        jsonpath(
          'get',
          'deployment',
          '-n',
          'openshift-ingress',
          'router-default',
          '-o',
          'jsonpath={.status.readyReplicas}',
        ),
      (value) => value === '2',
    );
    expect(ready).toBe('2');
    const nodes = await jsonpath(
      'get',
      'pods',
      '-n',
      'openshift-ingress',
      '-o',
      'jsonpath={range .items[*]}{.spec.nodeName}{"\\n"}{end}',
    );
    // Placed by kube-scheduler on workers (the router's node selector), never on a master.
    expect(nodes.split('\n')).toHaveLength(2);
    for (const node of nodes.split('\n')) expect(node).not.toMatch(/^master/);
    const events = await jsonpath(
      'get',
      'events',
      '-n',
      'openshift-ingress',
      '--field-selector',
      'reason=Scheduled',
      '-o',
      'jsonpath={.items[*].reportingComponent}',
    );
    expect(events).toContain('default-scheduler');
    const available = await eventually(
      () =>
        jsonpath(
          'get',
          'ingresscontroller',
          '-n',
          'openshift-ingress-operator',
          'default',
          '-o',
          'jsonpath={.status.conditions[?(@.type=="Available")].status}',
        ),
      (value) => value === 'True',
    );
    expect(available).toBe('True');
  });

  it('keeps a pod a budget protects on its node through the real eviction path and disruption controller', async () => {
    const manifest = {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'guarded', namespace: 'default' },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: 'guarded' } },
            template: {
              metadata: { labels: { app: 'guarded' } },
              spec: {
                nodeSelector: { 'node-role.kubernetes.io/worker': '' },
                containers: [{ name: 'c', image: 'app' }],
              },
            },
          },
        },
        {
          apiVersion: 'policy/v1',
          kind: 'PodDisruptionBudget',
          metadata: { name: 'guarded', namespace: 'default' },
          spec: { minAvailable: 1, selector: { matchLabels: { app: 'guarded' } } },
        },
      ],
    };
    const binary = findTool('kubectl')!;
    const applied = await execa(binary, ['--kubeconfig', endpoints.apiServer.kubeconfig, 'apply', '-f', '-'], {
      input: JSON.stringify(manifest),
      reject: false,
    });
    expect(applied.stderr).toBe('');
    const node = await eventually(
      () =>
        jsonpath(
          'get',
          'pods',
          '-n',
          'default',
          '-l',
          'app=guarded',
          '-o',
          'jsonpath={range .items[?(@.status.phase=="Running")]}{.spec.nodeName}{end}',
        ),
      (value) => value !== '',
    );
    // The real disruption controller computes the budget from the pod the simulated kubelet runs.
    await eventually(
      () => jsonpath('get', 'pdb', '-n', 'default', 'guarded', '-o', 'jsonpath={.status.currentHealthy}'),
      (value) => value === '1',
    );
    const pod = await jsonpath(
      'get',
      'pods',
      '-n',
      'default',
      '-l',
      'app=guarded',
      '-o',
      'jsonpath={.items[0].metadata.name}',
    );
    const eviction = await execa(
      binary,
      [
        '--kubeconfig',
        endpoints.apiServer.kubeconfig,
        'create',
        '--raw',
        `/api/v1/namespaces/default/pods/${pod}/eviction`,
        '-f',
        '-',
      ],
      {
        input: JSON.stringify({
          apiVersion: 'policy/v1',
          kind: 'Eviction',
          metadata: { name: pod, namespace: 'default' },
        }),
        reject: false,
      },
    );
    expect(eviction.exitCode).not.toBe(0);
    expect(eviction.stderr).toContain("Cannot evict pod as it would violate the pod's disruption budget");
    expect(await jsonpath('get', 'pod', '-n', 'default', pod, '-o', 'jsonpath={.spec.nodeName}')).toBe(node);
  });
});
