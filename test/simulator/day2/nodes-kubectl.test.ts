/**
 * Nodes of the installed lab through kubectl, as a user sees them: the wide table, a rebooting
 * node NotReady, role labels the user changed surviving a reboot, a deleted Node registering again
 * with its kubelet's labels, and the PodDisruptionBudget and Event tables.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { FAULTS_ROUTE } from '../../../simulator/faults.js';
import { virsh } from '../../support/sim-walkthrough.js';
import { startTestLab, waitFor, type TestLab } from '../install/support.js';

const fqdn = (name: string) => `${name}.nodes.example.com`;

let t: TestLab;

async function kubectl(...args: string[]): Promise<string> {
  const result = await execa('kubectl', ['--kubeconfig', t.sim.kubeconfigPath, ...args], { timeout: 150_000 });
  return result.stdout;
}

async function apply(object: unknown): Promise<void> {
  await execa('kubectl', ['--kubeconfig', t.sim.kubeconfigPath, 'apply', '--validate=false', '-f', '-'], {
    input: JSON.stringify(object),
    timeout: 60_000,
  });
}

/** Table rows split on the column gaps kubectl prints. */
const rows = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s{2,}/));

const STATE = 'machineconfiguration\\.openshift\\.io/state';

beforeAll(async () => {
  t = await startTestLab('installed');
});

afterAll(async () => {
  await t?.stop();
});

describe('kubectl get nodes', () => {
  it('-o wide shows the columns of the real table', async () => {
    const table = rows(await kubectl('get', 'nodes', '-o', 'wide'));
    expect(table[0]).toEqual([
      'NAME',
      'STATUS',
      'ROLES',
      'AGE',
      'VERSION',
      'INTERNAL-IP',
      'EXTERNAL-IP',
      'OS-IMAGE',
      'KERNEL-VERSION',
      'CONTAINER-RUNTIME',
    ]);
    const compute1 = table.find((row) => row[0] === fqdn('compute1'))!;
    expect(compute1.slice(1, 3)).toEqual(['Ready', 'worker']);
    expect(compute1.slice(5)).toEqual([
      '10.42.253.20',
      '<none>',
      expect.stringMatching(/^Red Hat Enterprise Linux CoreOS/),
      expect.stringMatching(/^4\.18\.0-/),
      expect.stringMatching(/^cri-o:\/\//),
    ]);
  });
});

describe('role labels and reboots', () => {
  it("keeps the user's role labels over a MachineConfig reboot (infra pool as the OpenShift docs make it)", async () => {
    const node = fqdn('infra1');
    await apply({
      apiVersion: 'machineconfiguration.openshift.io/v1',
      kind: 'MachineConfigPool',
      metadata: { name: 'infra' },
      spec: {
        machineConfigSelector: {
          matchExpressions: [
            { key: 'machineconfiguration.openshift.io/role', operator: 'In', values: ['worker', 'infra'] },
          ],
        },
        nodeSelector: { matchLabels: { 'node-role.kubernetes.io/infra': '' } },
      },
    });
    await kubectl('label', 'node', node, 'node-role.kubernetes.io/infra=', 'node-role.kubernetes.io/worker-');
    // The infra pool renders its own config from the worker configs; the node reboots into it.
    await kubectl(
      'wait',
      `node/${node}`,
      `--for=jsonpath={.metadata.annotations.machineconfiguration\\.openshift\\.io/currentConfig}=${await waitRendered('infra')}`,
      '--timeout=120s',
    );
    await kubectl('wait', `node/${node}`, `--for=jsonpath={.metadata.annotations.${STATE}}=Done`, '--timeout=120s');
    // Its kubelet still says --node-labels=node-role.kubernetes.io/worker: applied at registration only.
    expect(rows(await kubectl('get', 'node', node))[1]!.slice(0, 3)).toEqual([node, 'Ready', 'infra']);
  });

  it('shows a node rebooting for its update NotReady (not Unknown)', async () => {
    const node = fqdn('infra2');
    const added = await t.admin('POST', FAULTS_ROUTE, { kind: 'node-never-returns', node: 'infra2' });
    expect(added.status).toBe(201);
    await kubectl('label', 'node', node, 'node-role.kubernetes.io/infra=', 'node-role.kubernetes.io/worker-');
    await kubectl('wait', `node/${node}`, '--for=condition=Ready=Unknown', '--timeout=120s');
    expect(rows(await kubectl('get', 'node', node))[1]!.slice(0, 2)).toEqual([node, 'NotReady,SchedulingDisabled']);
    await t.admin('DELETE', `${FAULTS_ROUTE}?kind=node-never-returns`);
    await kubectl('wait', `node/${node}`, '--for=condition=Ready', '--timeout=120s');
  });

  it('registers a deleted Node again when its kubelet starts, with the labels of the config it runs', async () => {
    const node = fqdn('compute2');
    await kubectl('label', 'node', node, 'example.com/rack=r1');
    expect(await kubectl('delete', 'node', node)).toBe(`node "${node}" deleted`);
    await virsh(t.lab, t.ssh, 'destroy', 'compute2');
    await virsh(t.lab, t.ssh, 'start', 'compute2');
    // No CSR to approve: the kubelet still has its client certificate.
    await kubectl('wait', `node/${node}`, '--for=condition=Ready', '--timeout=120s');
    const labels = JSON.parse(await kubectl('get', 'node', node, '-o', 'jsonpath={.metadata.labels}')) as Record<
      string,
      string
    >;
    expect(labels).toMatchObject({ 'node-role.kubernetes.io/worker': '', 'kubernetes.io/hostname': node });
    expect(labels['example.com/rack']).toBeUndefined();
    const annotations = JSON.parse(
      await kubectl('get', 'node', node, '-o', 'jsonpath={.metadata.annotations}'),
    ) as Record<string, string>;
    expect(annotations['machineconfiguration.openshift.io/state']).toBe('Done');
  });
});

describe('kubectl get pdb and events', () => {
  it('prints a PodDisruptionBudget with its budget and allowed disruptions', async () => {
    const table = rows(await kubectl('get', 'pdb', '-n', 'openshift-monitoring'));
    expect(table[0]).toEqual(['NAME', 'MIN AVAILABLE', 'MAX UNAVAILABLE', 'ALLOWED DISRUPTIONS', 'AGE']);
    expect(table[1]!.slice(0, 4)).toEqual(['prometheus-adapter-pdb', '1', 'N/A', '1']);
  });

  it('prints events with LAST SEEN, TYPE, REASON, OBJECT and MESSAGE', async () => {
    const selector = `involvedObject.name=${fqdn('infra1')}`;
    const table = rows(await kubectl('get', 'events', '-n', 'default', '--field-selector', selector));
    expect(table[0]).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    expect(table).toContainEqual([
      expect.any(String),
      'Normal',
      'Reboot',
      `node/${fqdn('infra1')}`,
      expect.stringMatching(/^Node will reboot into config rendered-infra-[0-9a-f]{32}$/),
    ]);
    const wide = rows(await kubectl('get', 'events', '-n', 'default', '--field-selector', selector, '-o', 'wide'));
    expect(wide[0]).toEqual([
      'LAST SEEN',
      'TYPE',
      'REASON',
      'OBJECT',
      'SUBOBJECT',
      'SOURCE',
      'MESSAGE',
      'FIRST SEEN',
      'COUNT',
      'NAME',
    ]);
  });
});

/** The rendered config of a pool once the MCO has written it. */
function waitRendered(pool: string): Promise<string> {
  return waitFor(t.sim.store, `pool ${pool} rendered`, () => {
    const object = t.sim.store.get('machineconfigpools.machineconfiguration.openshift.io', undefined, pool);
    return (object?.spec as { configuration?: { name?: string } } | undefined)?.configuration?.name;
  });
}
