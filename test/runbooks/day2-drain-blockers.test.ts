/**
 * What holds an infra node's drain, named by infra-nodes (real Temporal dev server, simulated lab
 * started `installed`): a PodDisruptionBudget that allows no disruption of the default routers is
 * listed by the plan and pauses the run before the node it would hold is relabelled; deleted, the
 * resumed run finishes (the routers' earlier placement replaced by the infra role). Two budgets
 * selecting the same pods do the same, though each allows disruptions (the Eviction API refuses such
 * a pod). A budget that only runs out during the drain leaves the node cordoned until the simulated
 * MCO reports the pool Degraded (on the lab's clock): the wait pauses then, quoting it.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { planRunbook } from '../../activities/support/plan-walk.js';
import { infraNodesRunbook } from '../../runbooks/infra-nodes.js';
import { resumeUpdate } from '../../workflows/engine/api.js';
import { startTestLab, type TestLab } from '../simulator/install/support.js';
import { completed, day2Harness, nodes, pausedAt, roles, statuses, until } from './day2-harness.js';

jest.setTimeout(240_000);

const { start } = day2Harness('day2-drain-blockers');

const ROUTERS = { 'ingresscontroller.operator.openshift.io/deployment-ingresscontroller': 'default' };
const short = (name: string | undefined) => name?.split('.')[0] ?? '';

interface Budget {
  status?: { disruptionsAllowed?: number; observedGeneration?: number };
}

async function createBudget(t: TestLab, namespace: string, name: string, spec: object): Promise<void> {
  await t.kube.custom.createNamespacedCustomObject({
    group: 'policy',
    version: 'v1',
    namespace,
    plural: 'poddisruptionbudgets',
    body: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace }, spec },
  });
}

/** Waits until the disruption controller has given the budget `allowed` disruptions. */
async function budgetAllows(t: TestLab, namespace: string, name: string, allowed: number): Promise<void> {
  await until(async () => {
    const budget = (await t.kube.custom.getNamespacedCustomObject({
      group: 'policy',
      version: 'v1',
      namespace,
      plural: 'poddisruptionbudgets',
      name,
    })) as Budget;
    return budget.status?.observedGeneration !== undefined && budget.status.disruptionsAllowed === allowed
      ? true
      : undefined;
  }, `${namespace}/${name} allowing ${allowed} disruptions`);
}

/** A merge patch, as `oc patch --type merge`. */
const mergePatch = (t: TestLab, body: object) =>
  t.kube.objects.patch(
    body as KubernetesObject,
    undefined,
    undefined,
    'day2-drain-blockers-test',
    undefined,
    PatchStrategy.MergePatch,
  );

const deleteBudget = (t: TestLab, namespace: string, name: string) =>
  t.kube.custom.deleteNamespacedCustomObject({
    group: 'policy',
    version: 'v1',
    namespace,
    plural: 'poddisruptionbudgets',
    name,
  });

/** Two pods of Deployment shop/cart pinned to infra1, running: returns infra1's node name. */
async function cartOnInfra1(t: TestLab): Promise<string> {
  const infra1 = (await nodes(t)).get('infra1')!.metadata!.name!;
  await t.kube.core.createNamespace({ body: { metadata: { name: 'shop' } } });
  await t.kube.apps.createNamespacedDeployment({
    namespace: 'shop',
    body: {
      metadata: { name: 'cart', namespace: 'shop' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'cart' } },
        template: {
          metadata: { labels: { app: 'cart' } },
          spec: { nodeSelector: { 'kubernetes.io/hostname': infra1 }, containers: [{ name: 'cart', image: 'cart' }] },
        },
      },
    },
  });
  await until(async () => {
    const pods = (await t.kube.core.listNamespacedPod({ namespace: 'shop' })).items;
    return pods.filter((pod) => pod.status?.phase === 'Running').length === 2 ? true : undefined;
  }, 'both cart pods running on infra1');
  return infra1;
}

describe('a budget allowing no disruption of the routers', () => {
  let t: TestLab;
  beforeAll(async () => {
    t = await startTestLab('installed');
  }, 60_000);
  afterAll(() => t?.stop());

  it('is listed by the plan and pauses infra-nodes before the node it holds; deleted, the resumed run finishes', async () => {
    // The routers placed on infra1 and infra2 first (the scheduler may have put them anywhere), as a
    // cluster whose infra nodes already carry routers: a label of this test and the IngressController's placement.
    const infra = t.lab.day2.infra!.nodes!;
    const byName = await nodes(t);
    for (const name of infra.slice(0, 2))
      await mergePatch(t, {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: byName.get(name)!.metadata!.name!, labels: { 'example.com/router-here': '' } },
      });
    await mergePatch(t, {
      apiVersion: 'operator.openshift.io/v1',
      kind: 'IngressController',
      metadata: { name: 'default', namespace: 'openshift-ingress-operator' },
      spec: { nodePlacement: { nodeSelector: { matchLabels: { 'example.com/router-here': '' } } } },
    });
    const deployment = await t.kube.apps.readNamespacedDeployment({
      name: 'router-default',
      namespace: 'openshift-ingress',
    });
    const replicas = deployment.spec!.replicas!;
    const selector = Object.entries(ROUTERS)
      .map(([key, value]) => `${key}=${value}`)
      .join();
    const routers = await until(async () => {
      const pods = (await t.kube.core.listNamespacedPod({ namespace: 'openshift-ingress', labelSelector: selector }))
        .items;
      const placed = pods.filter(
        (pod) =>
          infra.includes(short(pod.spec?.nodeName)) &&
          pod.status?.phase === 'Running' &&
          !pod.metadata?.deletionTimestamp,
      );
      return pods.length === replicas && placed.length === replicas ? pods : undefined;
    }, 'the default routers running on infra1 and infra2');
    await createBudget(t, 'openshift-ingress', 'routers-stay', {
      minAvailable: replicas,
      selector: { matchLabels: ROUTERS },
    });
    await budgetAllows(t, 'openshift-ingress', 'routers-stay', 0);

    // The first infra node, in the run's order, runs a router: the budget would hold its drain.
    const held = infra[0]!;
    const heldPods = routers.filter((pod) => short(pod.spec?.nodeName) === held).map((pod) => pod.metadata!.name!);

    const plan = await planRunbook({
      definition: infraNodesRunbook,
      lab: t.lab,
      rehearsal: { endpointsFile: t.sim.endpointsPath, kubeconfig: t.sim.kubeconfigPath },
    });
    const relabel = plan.steps.find((step) => step.path === `nodes[${held}].relabel`);
    expect(relabel?.detail).toContain(
      `its drain would be held: PodDisruptionBudget openshift-ingress/routers-stay (selector ${selector}) holds`,
    );
    for (const pod of heldPods) expect(relabel?.detail).toContain(`openshift-ingress/${pod}`);

    const handle = await start(t, 'infra-nodes');
    const paused = await pausedAt(handle, 'infra-nodes paused on the routers budget');
    expect(paused.error).toMatchObject({ stepId: `nodes[${held}].relabel`, type: 'DrainBlocked' });
    expect(paused.error?.message).toContain('PodDisruptionBudget openshift-ingress/routers-stay');
    expect(paused.error?.message).toContain(`selector ${selector}`);
    expect(paused.error?.message).toMatch(/Delete or relax that budget.*then `runbook resume`/s);
    // Untouched: still a worker, schedulable.
    const node = (await nodes(t)).get(held);
    expect(roles(node)).toEqual(['worker']);
    expect(node?.spec?.unschedulable).not.toBe(true);

    await deleteBudget(t, 'openshift-ingress', 'routers-stay');
    await handle.executeUpdate(resumeUpdate, { args: [{ action: 'retry' }] });
    // Resumed, the run relabels and updates that node and the others, then moves the routers.
    const done = await completed(handle);
    expect(done).toMatchObject({ [`nodes[${held}].relabel`]: 'changed' });
    expect(done[`nodes[${held}].updated`]).toMatch(/changed|unchanged/);
    for (const name of infra) expect(roles((await nodes(t)).get(name))).toEqual(['infra']);
  });
});

describe('a budget that runs out during the drain', () => {
  let t: TestLab;
  beforeAll(async () => {
    t = await startTestLab('installed');
  }, 60_000);
  afterAll(() => t?.stop());

  it("leaves the pool Degraded: infra-nodes pauses at the node's wait, quoting the MCO; relaxed and resumed, it finishes", async () => {
    // Two pods pinned to infra1 and a budget keeping one: one disruption allowed, so nothing blocks
    // before the relabel; the drain evicts one, whose replacement cannot run on the cordoned node.
    const infra1 = await cartOnInfra1(t);
    await createBudget(t, 'shop', 'cart', { minAvailable: 1, selector: { matchLabels: { app: 'cart' } } });
    await budgetAllows(t, 'shop', 'cart', 1);

    const handle = await start(t, 'infra-nodes');
    const paused = await pausedAt(handle, 'infra-nodes paused on the Degraded infra pool');
    expect(paused.error).toMatchObject({ stepId: 'nodes[infra1].updated', type: 'InfraPoolDegraded' });
    expect(paused.error?.message).toContain(
      `the infra pool is Degraded while ${infra1} updates: Node ${infra1} is reporting: ` +
        `"failed to drain node: ${infra1} after 1 hour.`,
    );
    expect(paused.error?.message).toMatch(
      /Its drain is held: PodDisruptionBudget shop\/cart \(selector app=cart\) holds shop\/cart-/,
    );
    expect(statuses(paused.steps)).toMatchObject({ 'nodes[infra1].relabel': 'changed' });
    expect(roles((await nodes(t)).get('infra2'))).toEqual(['worker']);

    await deleteBudget(t, 'shop', 'cart');
    await handle.executeUpdate(resumeUpdate, { args: [{ action: 'retry' }] });
    const done = await completed(handle);
    // The wait saw the node back once the MCO's next retry drained it.
    expect(done['nodes[infra1].updated']).toMatch(/changed|unchanged/);
    for (const name of ['infra1', 'infra2', 'infra3']) expect(roles((await nodes(t)).get(name))).toEqual(['infra']);
  });
});

describe('two budgets selecting the same pods', () => {
  let t: TestLab;
  beforeAll(async () => {
    t = await startTestLab('installed');
  }, 60_000);
  afterAll(() => t?.stop());

  it('are listed by the plan and pause infra-nodes before the node, though each allows disruptions; one gone, it finishes', async () => {
    // Each budget would let both pods go, but the Eviction API refuses a pod that two budgets select.
    await cartOnInfra1(t);
    for (const name of ['cart', 'cart-too']) {
      await createBudget(t, 'shop', name, { maxUnavailable: 2, selector: { matchLabels: { app: 'cart' } } });
      await budgetAllows(t, 'shop', name, 2);
    }
    const cart = (await t.kube.core.listNamespacedPod({ namespace: 'shop' })).items.map((pod) => pod.metadata!.name!);
    const overlap = (pod: string) =>
      `shop/${pod} cannot be evicted at all: PodDisruptionBudgets shop/cart and shop/cart-too both select it`;

    const plan = await planRunbook({
      definition: infraNodesRunbook,
      lab: t.lab,
      rehearsal: { endpointsFile: t.sim.endpointsPath, kubeconfig: t.sim.kubeconfigPath },
    });
    const relabel = plan.steps.find((step) => step.path === 'nodes[infra1].relabel');
    for (const pod of cart) expect(relabel?.detail).toContain(overlap(pod));

    const handle = await start(t, 'infra-nodes');
    const paused = await pausedAt(handle, 'infra-nodes paused on the overlapping budgets');
    expect(paused.error).toMatchObject({ stepId: 'nodes[infra1].relabel', type: 'DrainBlocked' });
    for (const pod of cart) expect(paused.error?.message).toContain(overlap(pod));
    expect(paused.error?.message).toContain('leave each pod one budget');
    expect(roles((await nodes(t)).get('infra1'))).toEqual(['worker']);

    await deleteBudget(t, 'shop', 'cart-too');
    await handle.executeUpdate(resumeUpdate, { args: [{ action: 'retry' }] });
    const done = await completed(handle);
    expect(done).toMatchObject({ 'nodes[infra1].relabel': 'changed' });
    for (const name of ['infra1', 'infra2', 'infra3']) expect(roles((await nodes(t)).get(name))).toEqual(['infra']);
  });
});
