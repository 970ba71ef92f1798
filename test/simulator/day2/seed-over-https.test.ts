/**
 * The seed's infra migration and router move, by hand through @kubernetes/client-node over HTTPS
 * against the simulated lab started `--from installed`: what `oc` would send, what it would see.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PatchStrategy, setHeaderOptions, type V1Node } from '@kubernetes/client-node';
import type { KubeObject } from '../../../simulator/apiserver/store.js';
import { startTestLab, type TestLab } from '../install/support.js';
import { waitFor } from './fixtures.js';
import { infraPool, roles, toInfraMachineConfigs } from './seed-infra.js';
import { updatedThroughReboot, watchNodes, type NodeWatch } from '../../support/sim-walkthrough.js';

const MCO = { group: 'machineconfiguration.openshift.io', version: 'v1' } as const;
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const fqdn = (name: string) => `${name}.nodes.example.com`;

interface Pool {
  metadata: { name: string };
  status?: {
    configuration?: { name?: string };
    machineCount?: number;
    updatedMachineCount?: number;
    conditions?: { type: string; status: string }[];
  };
}

let t: TestLab;
let nodeWatch: NodeWatch;

beforeAll(async () => {
  t = await startTestLab('installed');
  nodeWatch = await watchNodes(t.kube, ['infra1', 'infra2', 'infra3'].map(fqdn));
});

afterAll(async () => {
  nodeWatch?.stop();
  await t?.stop();
});

/** `oc get mcp`: NAME CONFIG UPDATED UPDATING DEGRADED. */
async function getMcp(): Promise<string[]> {
  const list = (await t.kube.custom.listClusterCustomObject({ ...MCO, plural: 'machineconfigpools' })) as {
    items: Pool[];
  };
  return list.items.map((pool) => {
    const status = (type: string) => pool.status?.conditions?.find((c) => c.type === type)?.status;
    return (
      `${pool.metadata.name} ${pool.status?.configuration?.name ?? ''} ${status('Updated')} ` +
      `${status('Updating')} ${status('Degraded')}`
    );
  });
}

async function label(name: string, labels: Record<string, string | null>): Promise<void> {
  await t.kube.core.patchNode({ name: fqdn(name), body: { metadata: { labels } } }, merge);
}

describe("the seed's infra nodes, over HTTPS", () => {
  it('creates the infra pool and its configs, and the MCO renders them', async () => {
    await t.kube.custom.createClusterCustomObject({ ...MCO, plural: 'machineconfigpools', body: infraPool });
    const all = (await t.kube.custom.listClusterCustomObject({ ...MCO, plural: 'machineconfigs' })) as {
      items: KubeObject[];
    };
    for (const body of toInfraMachineConfigs(all.items)) {
      await t.kube.custom.createClusterCustomObject({ ...MCO, plural: 'machineconfigs', body });
    }
    await waitFor(t.sim.store, 'infra pool rendered and Updated', () => {
      const pool = t.sim.store.get('machineconfigpools.machineconfiguration.openshift.io', undefined, 'infra') as
        Pool | undefined;
      return (
        pool?.status?.configuration?.name?.startsWith('rendered-infra-') &&
        pool.status.conditions?.find((c) => c.type === 'Updated')?.status === 'True'
      );
    });
    const mcp = await getMcp();
    expect(mcp).toHaveLength(3);
    expect(mcp[0]).toMatch(/^infra rendered-infra-[0-9a-f]{32} True False False$/);
    expect(mcp[1]).toMatch(/^master rendered-master-[0-9a-f]{32} True False False$/);
    expect(mcp[2]).toMatch(/^worker rendered-worker-[0-9a-f]{32} True False False$/);
    const names = (
      (await t.kube.custom.listClusterCustomObject({ ...MCO, plural: 'machineconfigs' })) as { items: KubeObject[] }
    ).items.map((mc) => mc.metadata.name);
    expect(names.filter((name) => name.includes('infra') && !name.startsWith('rendered-'))).toHaveLength(5);
  });

  it('labels infra1: drained, rebooted, back Ready with role infra; then infra2 and infra3 one at a time', async () => {
    const rendered = (await getMcp())[0]!.split(' ')[1]!;
    await label('infra1', { 'node-role.kubernetes.io/infra': '' });
    await label('infra1', { 'node-role.kubernetes.io/worker': null });
    const phases = await nodeWatch.seen(fqdn('infra1'), updatedThroughReboot);
    expect(phases.slice(phases.indexOf('Working'))).toEqual([
      'Working',
      'Working,cordoned',
      'Working,cordoned,NotReady',
      'Working,cordoned',
      'Done,cordoned',
      'Done',
    ]);
    const infra1: V1Node = await t.kube.core.readNode({ name: fqdn('infra1') });
    expect(roles(infra1 as KubeObject)).toEqual(['infra']);
    expect(infra1.metadata?.annotations?.['machineconfiguration.openshift.io/currentConfig']).toBe(rendered);
    expect(infra1.spec?.unschedulable).toBeFalsy();

    for (const name of ['infra2', 'infra3']) {
      await label(name, { 'node-role.kubernetes.io/infra': '', 'node-role.kubernetes.io/worker': null });
      await nodeWatch.seen(fqdn(name), updatedThroughReboot);
    }
    expect(nodeWatch.recorder.maxUnavailable).toBe(1);
    // `oc get nodes`: the seed's listing, roles column.
    const nodes = (await t.kube.core.listNode()).items;
    const rolesOf = Object.fromEntries(
      nodes.map((node) => [node.metadata!.name!.split('.')[0], roles(node as KubeObject).join(',')]),
    );
    expect(rolesOf).toEqual({
      compute1: 'worker',
      compute2: 'worker',
      compute3: 'worker',
      compute4: 'worker',
      compute5: 'worker',
      infra1: 'infra',
      infra2: 'infra',
      infra3: 'infra',
      master1: 'master',
      master2: 'master',
      master3: 'master',
    });
    await waitFor(t.sim.store, 'pools settled', () => {
      const pool = t.sim.store.get('machineconfigpools.machineconfiguration.openshift.io', undefined, 'infra') as Pool;
      return (
        pool.status?.updatedMachineCount === 3 &&
        pool.status.conditions?.find((c) => c.type === 'Updated')?.status === 'True'
      );
    });
    expect(await getMcp()).toEqual([
      expect.stringMatching(/True False False$/),
      expect.stringMatching(/True False False$/),
      expect.stringMatching(/True False False$/),
    ]);
  });

  it('moves the routers onto the infra nodes', async () => {
    await t.kube.custom.patchNamespacedCustomObject(
      {
        group: 'operator.openshift.io',
        version: 'v1',
        plural: 'ingresscontrollers',
        namespace: 'openshift-ingress-operator',
        name: 'default',
        body: {
          spec: {
            nodePlacement: { nodeSelector: { matchLabels: { 'node-role.kubernetes.io/infra': '' } } },
            replicas: 3,
          },
        },
      },
      merge,
    );
    await waitFor(t.sim.store, 'three routers Running on infra nodes', () => {
      const pods = t.sim.store.list('pods', { namespace: 'openshift-ingress' }).items;
      return (
        pods.length === 3 &&
        pods.every(
          (pod) =>
            (pod.status as { phase?: string }).phase === 'Running' &&
            /^infra/.test((pod.spec as { nodeName?: string }).nodeName ?? ''),
        )
      );
    });
    // `oc get pods -n openshift-ingress -o wide`
    const pods = (await t.kube.core.listNamespacedPod({ namespace: 'openshift-ingress' })).items;
    expect(pods.map((pod) => [pod.status?.podIP, pod.spec?.nodeName]).sort()).toEqual([
      ['10.42.253.13', fqdn('infra1')],
      ['10.42.253.14', fqdn('infra2')],
      ['10.42.253.15', fqdn('infra3')],
    ]);
    expect(pods.every((pod) => /^router-default-\w+-\w{5}$/.test(pod.metadata!.name!))).toBe(true);
  });
});
