import { afterEach, describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../../../simulator/apiserver/store.js';
import { MC, MCD, MCP, renderedConfigName, startMcoController } from '../../../simulator/controllers/mco.js';
import { startWorkloadController } from '../../../simulator/controllers/pods.js';
import { day2Lab, fqdn, podsOf, waitFor, type Day2Lab } from './fixtures.js';
import { PhaseRecorder, infraPool, roles, toInfraMachineConfigs } from './seed-infra.js';

let lab: Day2Lab;
afterEach(() => lab.stop());

interface PoolStatus {
  configuration?: { name?: string };
  machineCount?: number;
  updatedMachineCount?: number;
  readyMachineCount?: number;
  unavailableMachineCount?: number;
  degradedMachineCount?: number;
  conditions?: { type: string; status: string; message?: string }[];
}

const poolStatus = (pool: KubeObject | undefined) => (pool?.status ?? {}) as PoolStatus;
const condition = (pool: KubeObject | undefined, type: string) =>
  poolStatus(pool).conditions?.find((c) => c.type === type);
/** The three columns of `oc get mcp`: UPDATED UPDATING DEGRADED. */
const columns = (pool: KubeObject | undefined) =>
  ['Updated', 'Updating', 'Degraded'].map((type) => condition(pool, type)?.status).join(' ');

function labelNode(lab: Day2Lab, name: string, change: Record<string, string | null>): void {
  lab.store.mutate('nodes', undefined, fqdn(name), (node) => {
    const labels = { ...node.metadata.labels };
    for (const [key, value] of Object.entries(change)) {
      if (value === null) delete labels[key];
      else labels[key] = value;
    }
    node.metadata.labels = labels;
  });
}

/** The lab once the controllers' first passes are done (the install pools and configs exist). */
async function startLab(): Promise<Day2Lab> {
  lab = day2Lab();
  lab.start(startWorkloadController, startMcoController);
  await lab.settle();
  return lab;
}

describe('Machine Config Operator', () => {
  it('creates the install pools and configs, renders them and marks every node Done', async () => {
    const { store } = await startLab();
    const names = store.list(MC).items.map((mc) => mc.metadata.name);
    const worker = store.get(MCP, undefined, 'worker')!;
    const registries = `99-worker-${worker.metadata.uid}-registries`;
    expect(names).toEqual(
      expect.arrayContaining([
        '00-worker',
        '01-worker-container-runtime',
        '01-worker-kubelet',
        registries,
        '99-worker-ssh',
        '00-master',
        '99-master-ssh',
      ]),
    );
    const selected = store
      .list(MC)
      .items.filter((mc) => mc.metadata.labels?.['machineconfiguration.openshift.io/role'] === 'worker');
    const rendered = renderedConfigName('worker', selected);
    expect(rendered).toMatch(/^rendered-worker-[0-9a-f]{32}$/);
    expect(poolStatus(worker).configuration?.name).toBe(rendered);
    expect(columns(worker)).toBe('True False False');
    expect(poolStatus(worker)).toMatchObject({
      machineCount: 8,
      updatedMachineCount: 8,
      readyMachineCount: 8,
      unavailableMachineCount: 0,
    });
    expect(poolStatus(store.get(MCP, undefined, 'master'))).toMatchObject({ machineCount: 3, readyMachineCount: 3 });
    const renderedMc = store.get(MC, undefined, rendered)!;
    expect(renderedMc.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'MachineConfigPool', name: 'worker', uid: worker.metadata.uid }),
    ]);
    expect(
      renderedMc.metadata.annotations?.['machineconfiguration.openshift.io/generated-by-controller-version'],
    ).toBeDefined();
    const node = store.get('nodes', undefined, fqdn('compute1'))!;
    expect(node.metadata.annotations).toMatchObject({
      [MCD.currentConfig]: rendered,
      [MCD.desiredConfig]: rendered,
      [MCD.state]: 'Done',
    });
  });

  it("plays the seed's infra migration: infra pool, copied configs, one node at a time, back with role infra", async () => {
    const { store } = await startLab();
    // Something to evict: pods spread over the workers.
    store.create('deployments.apps', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'app', namespace: 'default' },
      spec: {
        replicas: 8,
        selector: { matchLabels: { app: 'app' } },
        template: {
          metadata: { labels: { app: 'app' } },
          spec: { nodeSelector: { 'node-role.kubernetes.io/worker': '' }, containers: [{ name: 'app' }] },
        },
      },
    });
    await waitFor(store, 'a pod on infra1', () =>
      podsOf(store, 'default', 'app-').some(
        (pod) =>
          (pod.spec as { nodeName?: string }).nodeName === fqdn('infra1') &&
          (pod.status as { phase?: string }).phase === 'Running',
      ),
    );

    store.create(MCP, infraPool);
    const degraded = await waitFor(
      store,
      'infra pool RenderDegraded',
      () =>
        condition(store.get(MCP, undefined, 'infra'), 'RenderDegraded')?.status === 'True' &&
        condition(store.get(MCP, undefined, 'infra'), 'RenderDegraded')?.message,
    );
    expect(degraded).toBe(
      'Failed to render configuration for pool infra: no MachineConfigs found matching selector ' +
        'machineconfiguration.openshift.io/role=infra',
    );
    expect(store.list(MC).items.some((mc) => mc.metadata.name.startsWith('rendered-infra-'))).toBe(false);

    const infraConfigs = toInfraMachineConfigs(store.list(MC).items);
    expect(infraConfigs.map((mc) => mc.metadata.name).sort()).toEqual(
      [
        '00-infra',
        '01-infra-container-runtime',
        '01-infra-kubelet',
        `99-infra-${store.get(MCP, undefined, 'worker')!.metadata.uid}-registries`,
        '99-infra-ssh',
      ].sort(),
    );
    for (const mc of infraConfigs) store.create(MC, mc);
    const infraRendered = await waitFor(store, 'infra pool Updated with its rendered config', () => {
      const pool = store.get(MCP, undefined, 'infra');
      return columns(pool) === 'True False False' && poolStatus(pool).configuration?.name;
    });
    expect(infraRendered).toMatch(/^rendered-infra-[0-9a-f]{32}$/);
    expect(store.get(MC, undefined, infraRendered)).toBeDefined();
    expect(poolStatus(store.get(MCP, undefined, 'infra')).machineCount).toBe(0);

    const infraNodes = ['infra1', 'infra2', 'infra3'].map(fqdn);
    const recorder = new PhaseRecorder(infraNodes);
    const unwatch = store.onChange((resource, event) => {
      if (resource === 'nodes' && infraNodes.includes(event.object.metadata.name)) recorder.see(event.object);
    });
    const evictedFromInfra1 = podsOf(store, 'default', 'app-')
      .filter((pod) => (pod.spec as { nodeName?: string }).nodeName === fqdn('infra1'))
      .map((pod) => pod.metadata.name);

    // oc label node infra1 node-role.kubernetes.io/infra= ; oc label node infra1 node-role.kubernetes.io/worker-
    labelNode(lab, 'infra1', { 'node-role.kubernetes.io/infra': '' });
    labelNode(lab, 'infra1', { 'node-role.kubernetes.io/worker': null });
    await waitFor(store, 'infra1 back Done on the infra config', () => {
      const node = store.get('nodes', undefined, fqdn('infra1'))!;
      const annotations = node.metadata.annotations ?? {};
      return (
        annotations[MCD.currentConfig] === infraRendered &&
        annotations[MCD.state] === 'Done' &&
        columns(store.get(MCP, undefined, 'infra')) === 'True False False'
      );
    });
    // Labelled, picked by the infra pool, cordoned and drained, rebooted, kubelet back, MCD done, uncordoned.
    expect(recorder.summary(fqdn('infra1'))).toEqual([
      'Done',
      'Working',
      'Working,cordoned',
      'Working,cordoned,NotReady',
      'Working,cordoned',
      'Done,cordoned',
      'Done',
    ]);
    const infra1 = store.get('nodes', undefined, fqdn('infra1'))!;
    expect(roles(infra1)).toEqual(['infra']);
    expect((infra1.spec as { taints?: unknown[] }).taints).toBeUndefined();
    expect(infra1.metadata.annotations).toMatchObject({
      [MCD.desiredDrain]: `uncordon-${infraRendered}`,
      [MCD.lastAppliedDrain]: `uncordon-${infraRendered}`,
    });
    // Its pods were evicted and recreated on the other workers.
    const names = podsOf(store, 'default', 'app-').map((pod) => pod.metadata.name);
    for (const evicted of evictedFromInfra1) expect(names).not.toContain(evicted);
    await waitFor(
      store,
      'eight app pods running again',
      () =>
        podsOf(store, 'default', 'app-').filter((pod) => (pod.status as { phase?: string }).phase === 'Running')
          .length === 8,
    );
    expect(
      podsOf(store, 'default', 'app-').every((pod) => (pod.spec as { nodeName?: string }).nodeName !== fqdn('infra1')),
    ).toBe(true);
    expect(poolStatus(store.get(MCP, undefined, 'infra'))).toMatchObject({
      machineCount: 1,
      updatedMachineCount: 1,
      readyMachineCount: 1,
    });
    expect(poolStatus(store.get(MCP, undefined, 'worker')).machineCount).toBe(7);
    const drainEvents = store
      .list('events', { namespace: 'default', fieldSelector: `involvedObject.name=${fqdn('infra1')}` })
      .items.map((event) => event.reason);
    expect(drainEvents).toEqual(expect.arrayContaining(['Cordon', 'Drain', 'Reboot', 'NodeDone']));

    // "Once our node is back, we would proceed with the next infra node" — even labelled together, the
    // pool takes them one at a time (maxUnavailable 1).
    for (const name of ['infra2', 'infra3'])
      labelNode(lab, name, { 'node-role.kubernetes.io/infra': '', 'node-role.kubernetes.io/worker': null });
    await waitFor(
      store,
      'three infra nodes updated',
      () =>
        poolStatus(store.get(MCP, undefined, 'infra')).updatedMachineCount === 3 &&
        columns(store.get(MCP, undefined, 'infra')) === 'True False False',
    );
    unwatch();
    expect(recorder.maxUnavailable).toBe(1);
    for (const name of infraNodes) expect(roles(store.get('nodes', undefined, name)!)).toEqual(['infra']);
    expect(poolStatus(store.get(MCP, undefined, 'worker'))).toMatchObject({ machineCount: 5, readyMachineCount: 5 });
    expect(columns(store.get(MCP, undefined, 'worker'))).toBe('True False False');
  });

  it('reports Updating while a node updates, and a paused pool renders but does not roll', async () => {
    const { store } = await startLab();
    store.mutate(MCP, undefined, 'worker', (pool) => {
      (pool.spec as { paused: boolean }).paused = true;
    });
    store.create(MC, {
      apiVersion: 'machineconfiguration.openshift.io/v1',
      kind: 'MachineConfig',
      metadata: { name: '50-worker-chrony', labels: { 'machineconfiguration.openshift.io/role': 'worker' } },
      spec: {
        config: {
          ignition: { version: '2.2.0' },
          storage: { files: [{ path: '/etc/chrony.conf', contents: { source: 'data:,server%20ntp' } }] },
        },
      },
    });
    const paused = await waitFor(
      store,
      'paused message',
      () =>
        condition(store.get(MCP, undefined, 'worker'), 'Updating')?.message?.startsWith('Pool is paused') &&
        store.get(MCP, undefined, 'worker'),
    );
    const target = (paused.spec as { configuration: { name: string } }).configuration.name;
    expect(columns(paused)).toBe('False False False');
    expect(store.list('nodes').items.every((node) => node.metadata.annotations?.[MCD.desiredConfig] !== target)).toBe(
      true,
    );

    store.mutate(MCP, undefined, 'worker', (pool) => {
      (pool.spec as { paused: boolean }).paused = false;
    });
    const updating = await waitFor(
      store,
      'worker pool Updating',
      () => columns(store.get(MCP, undefined, 'worker')) === 'False True False' && store.get(MCP, undefined, 'worker'),
    );
    expect(condition(updating, 'Updating')?.message).toBe(`All nodes are updating to ${target}`);
    expect(poolStatus(updating).unavailableMachineCount).toBe(1);
    await waitFor(
      store,
      'all workers on the new config',
      () =>
        columns(store.get(MCP, undefined, 'worker')) === 'True False False' &&
        poolStatus(store.get(MCP, undefined, 'worker')).configuration?.name === target,
    );
  });

  it('fault node-never-returns: the node stays NotReady, the pool Updating, until the fault is cleared', async () => {
    const { store, ctx } = await startLab();
    ctx.faults.add({ kind: 'node-never-returns', node: 'compute1' });
    store.create(MC, {
      apiVersion: 'machineconfiguration.openshift.io/v1',
      kind: 'MachineConfig',
      metadata: { name: '50-worker-motd', labels: { 'machineconfiguration.openshift.io/role': 'worker' } },
      spec: {
        config: {
          ignition: { version: '2.2.0' },
          storage: { files: [{ path: '/etc/motd', contents: { source: 'data:,hi' } }] },
        },
      },
    });
    await waitFor(store, 'compute1 NotReady, held down', () =>
      lab.warnings.some((warning) => warning.includes('compute1') && warning.includes('node-never-returns')),
    );
    const node = store.get('nodes', undefined, fqdn('compute1'))!;
    expect(node.metadata.annotations?.[MCD.state]).toBe('Working');
    expect(
      (node.status as { conditions: { type: string; status: string }[] }).conditions.find((c) => c.type === 'Ready')
        ?.status,
    ).toBe('Unknown');
    const pool = store.get(MCP, undefined, 'worker');
    expect(columns(pool)).toBe('False True False');
    // maxUnavailable 1: nobody else starts while compute1 is down.
    expect(
      store
        .list('nodes')
        .items.filter((n) => n.metadata.annotations?.[MCD.state] === 'Working')
        .map((n) => n.metadata.name),
    ).toEqual([fqdn('compute1')]);

    ctx.faults.clear('node-never-returns');
    await waitFor(
      store,
      'pool Updated after the fault is cleared',
      () => columns(store.get(MCP, undefined, 'worker')) === 'True False False',
    );
  });
});
