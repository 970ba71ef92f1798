/**
 * Draining nodes of the simulated lab started `--from installed`, with kubectl as a user would:
 * `kubectl drain` meets the platform's DaemonSets and emptyDir pods as on OpenShift, and the MCO's
 * drain evicts (a PodDisruptionBudget holds it, retried, then the node and pool report Degraded).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { startTestLab, waitFor, type TestLab } from '../install/support.js';

const fqdn = (name: string) => `${name}.nodes.example.com`;

let t: TestLab;

async function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const result = await execa('kubectl', ['--kubeconfig', t.sim.kubeconfigPath, ...args], {
    timeout: 60_000,
    reject: false,
  });
  return { code: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

async function apply(object: unknown): Promise<void> {
  const result = await execa(
    'kubectl',
    ['--kubeconfig', t.sim.kubeconfigPath, 'apply', '--validate=false', '-f', '-'],
    {
      input: JSON.stringify(object),
      timeout: 60_000,
    },
  );
  expect(result.exitCode).toBe(0);
}

const podsOn = (node: string) =>
  t.sim.store.list('pods', { fieldSelector: `spec.nodeName=${node}` }).items.filter((pod) => {
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    return phase === 'Running';
  });

/** The MCD state annotation as a kubectl JSONPath key. */
const STATE = 'machineconfiguration\\.openshift\\.io/state';

async function kubectlWait(object: string, condition: string): Promise<void> {
  const result = await kubectl('wait', object, condition, '--timeout=120s');
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
}

const nodeAnnotations = (node: string) => t.sim.store.get('nodes', undefined, node)?.metadata.annotations ?? {};

beforeAll(async () => {
  t = await startTestLab('installed');
  await waitFor(t.sim.store, 'platform pods running', () => {
    const adapters = t.sim.store
      .list('pods', { namespace: 'openshift-monitoring' })
      .items.filter((pod) => pod.metadata.name.startsWith('prometheus-adapter-'));
    return (
      adapters.length === 2 &&
      adapters.every((pod) => (pod.status as { phase?: string }).phase === 'Running') &&
      podsOn(fqdn('compute1')).some((pod) => pod.metadata.name.startsWith('dns-default-'))
    );
  });
});

afterAll(async () => {
  await t?.stop();
});

describe('kubectl drain on the installed lab', () => {
  it('refuses DaemonSet pods without --ignore-daemonsets, as on OpenShift', async () => {
    const node = fqdn('compute1');
    const drain = await kubectl('drain', node, '--timeout=30s');
    expect(drain.code).not.toBe(0);
    expect(drain.stderr).toContain('cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)');
    // The network plugin's node agent: ovnkube-node on the example (OVN-Kubernetes), sdn on OpenShift SDN.
    const plugin = t.lab.cluster.networkType === 'OVNKubernetes' ? 'ovnkube-node' : 'sdn';
    for (const daemon of ['dns-default', 'node-ca', 'machine-config-daemon', plugin, 'multus', 'node-exporter'])
      expect(drain.stderr).toMatch(new RegExp(`openshift-[a-z-]+/${daemon}-`));
    // Every node runs them, masters included.
    const daemons = (await kubectl('get', 'daemonsets', '-A', '-o', 'name')).stdout.split('\n');
    expect(daemons).toEqual(expect.arrayContaining(['daemonset.apps/dns-default', 'daemonset.apps/node-exporter']));
    expect(podsOn(fqdn('master1')).some((pod) => pod.metadata.name.startsWith('machine-config-daemon-'))).toBe(true);
    await kubectl('uncordon', node);
  });

  it('refuses emptyDir pods without --delete-emptydir-data, then drains with both flags', async () => {
    const adapter = t.sim.store
      .list('pods', { namespace: 'openshift-monitoring' })
      .items.find((pod) => pod.metadata.name.startsWith('prometheus-adapter-'))!;
    const node = (adapter.spec as { nodeName: string }).nodeName;
    const refused = await kubectl('drain', node, '--ignore-daemonsets', '--timeout=30s');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('cannot delete Pods with local storage (use --delete-emptydir-data to override)');
    expect(refused.stderr).toContain(`openshift-monitoring/${adapter.metadata.name}`);

    const drained = await kubectl('drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=60s');
    expect(drained.stderr).not.toContain('error');
    expect(drained.code).toBe(0);
    expect(drained.stdout).toContain(`node/${node} drained`);
    expect(t.sim.store.get('pods', 'openshift-monitoring', adapter.metadata.name)).toBeUndefined();
    await kubectl('uncordon', node);
  });
});

describe("the MCO's drain", () => {
  it(
    'is held by a PodDisruptionBudget: retried, then the node and its pool report Degraded; it goes on once ' +
      'the budget allows',
    async () => {
      const node = fqdn('compute1');
      await kubectl('create', 'namespace', 'shop');
      await apply({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'cart', namespace: 'shop' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'cart' } },
          template: {
            metadata: { labels: { app: 'cart' } },
            spec: { nodeSelector: { 'kubernetes.io/hostname': node }, containers: [{ name: 'cart', image: 'cart' }] },
          },
        },
      });
      await apply({
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: 'cart', namespace: 'shop' },
        spec: { minAvailable: 1, selector: { matchLabels: { app: 'cart' } } },
      });
      await waitFor(t.sim.store, 'the cart pod running on compute1', () =>
        podsOn(node).some((pod) => pod.metadata.name.startsWith('cart-')),
      );

      // A new worker config: the pool rolls its nodes, compute1 first.
      await apply({
        apiVersion: 'machineconfiguration.openshift.io/v1',
        kind: 'MachineConfig',
        metadata: { name: '50-worker-chrony', labels: { 'machineconfiguration.openshift.io/role': 'worker' } },
        spec: {
          config: {
            ignition: { version: '2.2.0' },
            storage: { files: [{ path: '/etc/chrony.conf', mode: 420, contents: { source: 'data:,server%20ntp' } }] },
          },
        },
      });
      const reason = `failed to drain node: ${node} after 1 hour. Please see machine-config-controller logs for more information`;
      // Waited on as a user would, with kubectl wait (a watch): the drain retries write nothing in between.
      await kubectlWait(`node/${node}`, `--for=jsonpath={.metadata.annotations.${STATE}}=Degraded`);

      // What `oc describe node` / `oc get mcp` show.
      const annotations = JSON.parse(
        (await kubectl('get', 'node', node, '-o', 'jsonpath={.metadata.annotations}')).stdout,
      ) as Record<string, string>;
      expect(annotations).toMatchObject({
        'machineconfiguration.openshift.io/state': 'Degraded',
        'machineconfiguration.openshift.io/reason': reason,
      });
      expect(annotations['machineconfiguration.openshift.io/lastAppliedDrain']).not.toBe(
        annotations['machineconfiguration.openshift.io/desiredDrain'],
      );
      const cart = podsOn(node).find((pod) => pod.metadata.name.startsWith('cart-'))!;
      expect(cart).toBeDefined();
      await kubectlWait('mcp/worker', '--for=condition=Degraded');
      const conditions = JSON.parse(
        (await kubectl('get', 'mcp', 'worker', '-o', 'jsonpath={.status.conditions}')).stdout,
      ) as { type: string; status: string; reason?: string; message?: string }[];
      expect(conditions.find((condition) => condition.type === 'NodeDegraded')).toMatchObject({
        status: 'True',
        reason: '1 nodes are reporting degraded status on sync',
        message: `Node ${node} is reporting: ${JSON.stringify(reason)}`,
      });
      const mcp = (await kubectl('get', 'mcp', 'worker', '--no-headers')).stdout.trim().split(/\s+/);
      expect(mcp.slice(2, 5)).toEqual(['False', 'True', 'True']);

      // The drain error itself, in the node's events and the controller's log, retried.
      const events = (
        await kubectl(
          'get',
          'events',
          '-n',
          'default',
          '--field-selector',
          `involvedObject.name=${node}`,
          '-o',
          'jsonpath={range .items[*]}{.reason}{"\\t"}{.message}{"\\n"}{end}',
        )
      ).stdout;
      expect(events).toContain(
        `DrainThresholdExceeded\tDrain failed. Drain has been failing for more than 10 minutes. Waiting 5 ` +
          `minutes then retrying. Error message from drain: error when evicting pods/"${cart.metadata.name}" ` +
          `-n "shop": global timeout reached: 1m30s`,
      );
      expect(events).toContain(`FailedToDrain\t${reason}`);
      expect(
        t.logs.filter((line) => line.includes(`node ${node}: Drain failed. Waiting 1 minute then retrying.`)).length,
      ).toBeGreaterThan(1);
      expect(t.logs).toContain(
        `warn: machine-config-controller: error when evicting pods/"${cart.metadata.name}" -n "shop" (will ` +
          `retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.`,
      );

      // The budget relaxed, the retried drain evicts, the node updates and the pool recovers.
      expect((await kubectl('delete', 'pdb', 'cart', '-n', 'shop')).code).toBe(0);
      await kubectlWait(`node/${node}`, `--for=jsonpath={.metadata.annotations.${STATE}}=Done`);
      const updated = nodeAnnotations(node);
      expect(updated['machineconfiguration.openshift.io/currentConfig']).toBe(
        updated['machineconfiguration.openshift.io/desiredConfig'],
      );
      expect(updated['machineconfiguration.openshift.io/currentConfig']).not.toBe(
        annotations['machineconfiguration.openshift.io/currentConfig'],
      );
      expect(t.sim.store.get('pods', 'shop', cart.metadata.name)).toBeUndefined();
      expect(nodeAnnotations(node)['machineconfiguration.openshift.io/reason']).toBe('');
    },
  );
});
