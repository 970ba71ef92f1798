/**
 * The day-2 runbooks end to end: a real Temporal dev server, a worker with the product activities
 * and workflows, a simulated lab started `installed` (instant time scale) from the procedure's 4.2
 * lab on OpenShift SDN, and from the example lab (4.21, OVN-Kubernetes) for egress on OVN: EgressRouter
 * objects and namespace egress IPs as EgressIP objects, moved when their node goes NotReady.
 * Each runbook completes and client-node sees the procedure's end state; a second run reports every
 * step unchanged. Faults: a node that never returns pauses infra-nodes on that node with the next
 * one untouched, and the run finishes once the fault is cleared; a claim that never binds pauses
 * registry-storage.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { MockActivityEnvironment } from '@temporalio/testing';
import { planHalf } from '../../activities/plan-registry.js';
import type { StepPlan } from '../../activities/support/plan.js';
import type { StepContext } from '../../contract/step.js';
import { renderArtifact } from '../../render/index.js';
import { FINISHED_STEP_STATUSES, progressQuery, resumeUpdate } from '../../workflows/engine/api.js';
import { waitForProgress } from '../../testing/engine-harness.js';
import { SDN_EXAMPLE_LAB, startTestLab, waitFor, type TestLab } from '../simulator/install/support.js';
import {
  CEPH_CSI_FIRST_RUN,
  day2Harness,
  expectInfraNodesEndState,
  completed,
  completedSteps,
  nodes,
  notUnchanged,
  pausedAt,
  roles,
  statuses,
} from './day2-harness.js';

// Runbooks of several steps each, on a machine shared with other work.
jest.setTimeout(180_000);

const { start, complete } = day2Harness('day2-runbooks');

/** The read-only half of a day-2 action, run as an activity against the simulated lab. */
function planOf(t: TestLab, activity: string): Promise<StepPlan> {
  const context: StepContext = {
    runbook: 'plan',
    stepId: activity,
    lab: t.lab,
    rehearsal: { endpointsFile: t.sim.endpointsPath, kubeconfig: t.sim.kubeconfigPath },
  };
  return new MockActivityEnvironment().run(planHalf(activity), context);
}

describe("the day-2 runbooks on an installed simulated lab (the procedure's 4.2 / SDN lab)", () => {
  let t: TestLab;
  beforeAll(async () => {
    t = await startTestLab('installed', { labFile: SDN_EXAMPLE_LAB });
  }, 60_000);
  afterAll(() => t?.stop());

  it('infra-nodes moves infra1..3 one at a time and the routers onto them; a second run changes nothing', async () => {
    const first = await complete(t, 'infra-nodes');
    expect(first).toMatchObject({
      'nodes.check': 'unchanged',
      'pool.apply': 'changed',
      'nodes[infra1].relabel': 'changed',
      'nodes[infra2].previous-back': 'unchanged',
      'nodes[infra3].updated': 'unchanged',
      'routers.place': 'changed',
      'routers.running': 'unchanged',
    });
    await expectInfraNodesEndState(t);

    const second = await complete(t, 'infra-nodes');
    expect(notUnchanged(second, ['unchanged'])).toEqual([]);
  });

  it('ceph-csi installs the driver of the pinned release and proves the class; a second run changes nothing', async () => {
    // The plan half says what the first run will do, and changes nothing.
    const planned = await planOf(t, 'cephGrantScc');
    expect(planned.changes.map((change) => change.target)).toEqual([
      'SecurityContextConstraints hostaccess',
      'SecurityContextConstraints privileged',
    ]);
    expect(planned.changes[0]?.diff).toBe(
      'users: + system:serviceaccount:ceph-csi:rbd-csi-provisioner\nusers: + system:serviceaccount:ceph-csi:rbd-csi-nodeplugin',
    );
    expect((await planOf(t, 'cephApplyDriver')).changes.every((change) => change.action === 'create')).toBe(true);
    expect((await planOf(t, 'cephGrantScc')).changes).toHaveLength(2);

    const first = await complete(t, 'ceph-csi');
    expect(first).toMatchObject(CEPH_CSI_FIRST_RUN);
    const plugin = await t.kube.apps.readNamespacedDaemonSet({ name: 'csi-rbdplugin', namespace: 'ceph-csi' });
    expect(plugin.spec?.template.spec?.containers.map((container) => container.image)).toContain(
      'quay.io/cephcsi/cephcsi:v1.2.0',
    );
    const binding = await t.kube.objects.read({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'rbd-csi-provisioner-role' },
    });
    expect((binding as { subjects?: Array<{ namespace?: string }> }).subjects?.[0]?.namespace).toBe('ceph-csi');
    await t.kube.storage.readStorageClass({ name: 'ceph-storage' });
    const claims = (await t.kube.core.listNamespacedPersistentVolumeClaim({ namespace: 'ceph-csi' })).items;
    expect(claims).toEqual([]);

    expect((await planOf(t, 'cephApplyDriver')).changes).toEqual([]);
    const second = await complete(t, 'ceph-csi');
    expect(notUnchanged(second, ['unchanged'])).toEqual([]);
  });

  it('registry-storage puts the registry on a Bound claim; a second run changes nothing', async () => {
    const first = await complete(t, 'registry-storage');
    expect(first).toMatchObject({ 'storage-class.check': 'unchanged', claim: 'changed', config: 'changed' });
    const claim = await t.kube.core.readNamespacedPersistentVolumeClaim({
      name: 'image-registry-storage',
      namespace: 'openshift-image-registry',
    });
    expect(claim.status?.phase).toBe('Bound');
    const registry = await t.kube.apps.readNamespacedDeployment({
      name: 'image-registry',
      namespace: 'openshift-image-registry',
    });
    expect(registry.spec?.template.spec?.volumes?.map((volume) => volume.persistentVolumeClaim?.claimName)).toContain(
      'image-registry-storage',
    );
    const second = await complete(t, 'registry-storage');
    expect(notUnchanged(second)).toEqual([]);

    // Back to emptyDir only when asked for.
    const emptyDir = structuredClone(t.lab);
    emptyDir.day2.registry = { storage: 'emptyDir', bindDeadline: '10m' };
    const refused = await start(t, 'registry-storage', emptyDir);
    const paused = await pausedAt(refused, 'the emptyDir switch refused');
    expect(paused.error).toMatchObject({ stepId: 'emptydir.guard', type: 'EmptyDirRefused' });
    expect(paused.error?.message).toContain('--option allowEmptyDir=true');
    await refused.executeUpdate(resumeUpdate, { args: [{ action: 'abort' }] }).catch(() => undefined);
  });

  it('egress-router (OpenShift SDN) runs both routers on infra nodes with endpoints; a second run changes nothing', async () => {
    const first = await complete(t, 'egress-router');
    expect(first).toMatchObject({ 'selectors.check': 'unchanged', 'sdn.apply': 'changed', 'ovn.apply': 'skipped' });
    const after = await nodes(t);
    const pods = (await t.kube.core.listNamespacedPod({ namespace: 'egress-routers' })).items;
    expect(pods.map((pod) => pod.metadata?.labels?.name).sort()).toEqual(['egress-http', 'egress-redirect']);
    for (const pod of pods) expect(roles(after.get(pod.spec!.nodeName!.split('.')[0]!))).toEqual(['infra']);
    const second = await complete(t, 'egress-router');
    expect(notUnchanged(second)).toEqual([]);
  });
});

describe('egress-router on OVN-Kubernetes (the example lab)', () => {
  let t: TestLab;
  beforeAll(async () => {
    t = await startTestLab('installed');
  }, 60_000);
  afterAll(() => t?.stop());

  it('refuses a selector no node carries before creating anything, then runs the EgressRouter once infra nodes exist', async () => {
    // The lab renders the same objects the runbook applies: an EgressRouter per router, no controllers.
    const rendered = renderArtifact(t.lab, 'egress').map((file) => file.content);
    expect(rendered.join('\n')).toMatch(/kind: EgressRouter[\s\S]*mode: Redirect/);
    expect(rendered.join('\n')).not.toContain('ReplicationController');

    const handle = await start(t, 'egress-router');
    const paused = await pausedAt(handle, 'egress-router refused on the selector');
    expect(paused.error).toMatchObject({ stepId: 'selectors.check', type: 'NodeSelectorMatchesNothing' });
    expect(paused.error?.message).toContain('day2.egress.routers[0].nodeSelector (egress-redirect)');
    expect((await t.kube.core.listNamespace()).items.map((ns) => ns.metadata?.name)).not.toContain('egress-routers');

    await complete(t, 'infra-nodes');
    await handle.executeUpdate(resumeUpdate, { args: [{ action: 'retry' }] });
    expect(await completed(handle)).toMatchObject({
      'sdn.apply': 'skipped',
      'ovn.apply': 'changed',
      'routers.running': 'unchanged',
    });
    const router = (await t.kube.custom.getNamespacedCustomObject({
      group: 'network.operator.openshift.io',
      version: 'v1',
      namespace: 'egress-routers',
      plural: 'egressrouters',
      name: 'egress-redirect',
    })) as { spec: { mode: string; addresses: Array<{ ip: string }>; redirect: { fallbackIP?: string } } };
    expect(router.spec).toMatchObject({
      mode: 'Redirect',
      addresses: [{ ip: '10.42.253.46/24' }],
      redirect: { fallbackIP: '203.0.113.27' },
    });
    const endpoints = await t.kube.core.readNamespacedEndpoints({
      name: 'egress-redirect',
      namespace: 'egress-routers',
    });
    expect(endpoints.subsets?.[0]?.addresses?.length).toBe(1);
    expect((await t.kube.core.listNamespacedReplicationController({ namespace: 'egress-routers' })).items).toEqual([]);

    const second = await complete(t, 'egress-router');
    expect(notUnchanged(second)).toEqual([]);
  });

  it("gives toto its egress IPs as an EgressIP on the lab's nodes, reports the holders, and a second run changes nothing", async () => {
    // The first test's run applied them already; what it left is what the procedure wants.
    const live = await egressIpOf(t, 'egress-toto');
    expect(live.spec).toEqual({
      egressIPs: ['10.42.253.45', '10.42.253.54'],
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'toto' } },
    });
    expect(new Set(live.status.items.map((item) => item.node))).toEqual(
      new Set(['compute1.nodes.example.com', 'compute3.nodes.example.com']),
    );
    const labelled = (await nodes(t)).entries();
    expect(
      [...labelled]
        .filter(([, node]) => 'k8s.ovn.org/egress-assignable' in (node.metadata?.labels ?? {}))
        .map(([n]) => n),
    ).toEqual(['compute1', 'compute3']);
    await t.kube.core.readNamespace({ name: 'toto' });

    const steps = await completedSteps(await start(t, 'egress-router'));
    expect(notUnchanged(statuses(steps))).toEqual([]);
    const assigned = steps.find((step) => step.id === 'egress-ips.assigned');
    const holder = (ip: string) => live.status.items.find((item) => item.egressIP === ip)?.node;
    expect(assigned?.message).toBe(
      `toto: 10.42.253.45 on ${holder('10.42.253.45')}, 10.42.253.54 on ${holder('10.42.253.54')}`,
    );
  });

  it('moves the egress IP of a node that goes NotReady to another egress-assignable node; the check reports it', async () => {
    // A second namespace puts compute2 among the egress-assignable nodes, where toto's address can go.
    const lab = structuredClone(t.lab);
    lab.day2.egress!.egressIPs!.push({ namespace: 'tata', ips: [{ ip: '10.42.253.47', node: 'compute2' }] });
    expect(await complete(t, 'egress-router', lab)).toMatchObject({ 'egress-ips.ovn': 'changed' });
    const before = await egressIpOf(t, 'egress-toto');
    const onCompute3 = before.status.items.find((item) => item.node === 'compute3.nodes.example.com');
    expect(onCompute3).toBeDefined();

    // compute3 is switched off on its hypervisor, as a failing machine would be: it goes NotReady.
    const kvm1 = await t.ssh('kvm1');
    expect((await kvm1.exec(['virsh', 'destroy', 'ocp4-compute3'])).code).toBe(0);
    const moved = await waitFor(t.sim.store, `${onCompute3!.egressIP} off compute3`, () => {
      const object = t.sim.store.get('egressips.k8s.ovn.org', undefined, 'egress-toto');
      const items = (object?.status as { items?: { node: string; egressIP: string }[] } | undefined)?.items ?? [];
      const node = items.find((item) => item.egressIP === onCompute3!.egressIP)?.node;
      return node !== undefined && node !== 'compute3.nodes.example.com' && node;
    });
    expect(moved).toBe('compute2.nodes.example.com');

    const steps = await completedSteps(await start(t, 'egress-router', lab));
    expect(steps.find((step) => step.id === 'egress-ips.assigned')?.message).toContain(
      `${onCompute3!.egressIP} on compute2.nodes.example.com`,
    );
  });
});

interface EgressIpObject {
  spec: Record<string, unknown>;
  status: { items: Array<{ node: string; egressIP: string }> };
}

function egressIpOf(t: TestLab, name: string): Promise<EgressIpObject> {
  return t.kube.custom.getClusterCustomObject({
    group: 'k8s.ovn.org',
    version: 'v1',
    plural: 'egressips',
    name,
  }) as Promise<EgressIpObject>;
}

/** The fault tests count their deadlines in lab time: 10 minutes of it pass in 3 real seconds. */
const FAULTS_TIME_SCALE = 0.005;

/** Until the run pauses at `stepId` (a wait elsewhere that passed its deadline goes on by itself). */
const pausedAtStep = (handle: Parameters<typeof pausedAt>[0], stepId: string, what: string) =>
  waitForProgress(
    handle,
    (p) => (p.state === 'paused' && p.currentStep === stepId) || !['running', 'paused'].includes(p.state),
    what,
    120_000,
  );

describe('faults', () => {
  let t: TestLab;
  beforeAll(async () => {
    t = await startTestLab('installed', {
      timeScale: FAULTS_TIME_SCALE,
      faults: [
        { kind: 'node-never-returns', node: 'infra2.nodes.example.com' },
        { kind: 'pvc-never-binds', namespace: 'openshift-image-registry', name: 'image-registry-storage' },
      ],
    });
  }, 60_000);
  afterAll(() => t?.stop());

  it('a node that never returns pauses infra-nodes on it, the next untouched; cleared and resumed, the run finishes', async () => {
    const lab = structuredClone(t.lab);
    lab.day2.infra!.nodeDeadline = '10m';
    const handle = await start(t, 'infra-nodes', lab);
    const paused = await pausedAtStep(handle, 'nodes[infra2].updated', 'infra-nodes paused on infra2');
    expect(paused.currentStep).toBe('nodes[infra2].updated');
    expect(paused.error?.message).toMatch(/Timed out after 10m of lab time waiting for infra2 to come back Ready/);
    const during = await nodes(t);
    expect(roles(during.get('infra3'))).toEqual(['worker']);
    expect(during.get('infra3')?.spec?.unschedulable).toBeFalsy();

    // Skipping the node would take out infra3 while infra2 is down: the check before it refuses.
    await handle.executeUpdate(resumeUpdate, { args: [{ action: 'skip' }] });
    const refused = await pausedAt(handle, 'infra3 refused while infra2 is out');
    expect(refused.error).toMatchObject({ stepId: 'nodes[infra3].previous-back', type: 'PreviousInfraNodeNotReady' });
    expect(roles((await nodes(t)).get('infra3'))).toEqual(['worker']);

    t.sim.faults.clear('node-never-returns');
    await handle.executeUpdate(resumeUpdate, { args: [{ action: 'retry' }] });
    await handle.result();
    const done = statuses((await handle.query(progressQuery)).steps);
    expect(done['nodes[infra3].updated']).toBe('unchanged');
    for (const name of ['infra1', 'infra2', 'infra3']) {
      const node = (await nodes(t)).get(name);
      expect(roles(node)).toEqual(['infra']);
      expect(node?.metadata?.annotations?.['machineconfiguration.openshift.io/currentConfig']).toMatch(
        /^rendered-infra-/,
      );
    }
  });

  it('a claim that never binds pauses registry-storage at the claim; cleared, it goes on by itself', async () => {
    await complete(t, 'ceph-csi');
    const lab = structuredClone(t.lab);
    lab.day2.registry!.bindDeadline = '10m';
    const handle = await start(t, 'registry-storage', lab);
    const paused = await pausedAtStep(handle, 'claim.bound', 'registry-storage paused on the claim');
    expect(paused.currentStep).toBe('claim.bound');
    expect(paused.error?.message).toMatch(/image-registry-storage: Pending/);
    expect(paused.error?.message).toMatch(/^Timed out after 10m of lab time/);
    // The paused wait watches on: once the claim binds, the run goes on without a resume.
    t.sim.faults.clear('pvc-never-binds');
    await handle.result();
    const progress = await handle.query(progressQuery);
    const done = statuses(progress.steps);
    expect(Object.values(done).every((status) => (FINISHED_STEP_STATUSES as string[]).includes(status))).toBe(true);
    expect(progress.steps.find((step) => step.id === 'claim.bound')?.message).toMatch(/^resumed by itself at /);
  });
});
