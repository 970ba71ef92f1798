/**
 * Every object set of the apply step on an installed simulated lab: the first run creates or
 * patches, the second finds every object as wanted and sends nothing (resourceVersions unchanged);
 * merge patches can remove a field; Secrets never show their values in a plan.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { planHalf } from '../../activities/plan-registry.js';
import { objectSetFor, objectSets } from '../../activities/cluster/objects.js';
import { createActivities } from '../../activities/index.js';
import type { StepPlan } from '../../activities/support/plan.js';
import type { StepContext, StepResult } from '../../contract/step.js';
import { startTestLab, type TestLab } from '../simulator/install/support.js';

const activities = createActivities();
let t: TestLab;
beforeAll(async () => {
  t = await startTestLab('installed');
}, 60_000);
afterAll(() => t?.stop());

const mock = () => new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
const context = (objects: string): StepContext => ({
  runbook: 'day2',
  stepId: `apply.${objects}`,
  lab: t.lab,
  rehearsal: { endpointsFile: t.sim.endpointsPath, kubeconfig: t.sim.kubeconfigPath },
  params: { objects },
});

/** resourceVersion of every object of a set, as the API server has them now. */
async function versions(objects: string): Promise<string[]> {
  const set = await objectSetFor(t.lab, objects);
  const all = [
    ...set.objects,
    ...(set.patches ?? []).map((patch) => ({
      apiVersion: patch.target.apiVersion,
      kind: patch.target.kind,
      metadata: { name: patch.target.name, ...(patch.target.namespace ? { namespace: patch.target.namespace } : {}) },
    })),
  ];
  return Promise.all(
    all.map(
      async (object) =>
        (await t.kube.objects.read(object as KubernetesObject & { metadata: { name: string } })).metadata!
          .resourceVersion!,
    ),
  );
}

it.each(['infra-pool', 'ingress-placement', 'ceph', 'registry-pvc', 'egress', 'egress-ips-ovn', 'ldap'])(
  'object set %s: applied once, then found as wanted with nothing sent',
  async (objects) => {
    const plan = (await mock().run(planHalf('clusterApply'), context(objects))) as StepPlan;
    expect(plan.changes.length).toBeGreaterThan(0);
    const first = (await mock().run(activities.clusterApply, context(objects))) as StepResult;
    expect(first.changed).toBe(true);
    const before = await versions(objects);
    const second = (await mock().run(activities.clusterApply, context(objects))) as StepResult;
    expect(second).toMatchObject({ changed: false, detail: expect.stringMatching(/^(\d+) of \1 objects as wanted$/) });
    expect(await versions(objects)).toEqual(before);
  },
  30_000,
);

it('every object set is covered above', () => {
  // The day-2 runbooks' own sets are applied twice each by their runs in test/runbooks/day2.test.ts.
  const day2Runbooks = [
    'ceph-accounts',
    'ceph-config',
    'egress-ip-namespaces',
    'egress-ips',
    'egress-ovn',
    'registry-claim',
    'registry-config',
  ];
  expect(Object.keys(objectSets).sort()).toEqual(
    [
      'ceph',
      'egress',
      'egress-ips-ovn',
      'infra-pool',
      'ingress-placement',
      'ldap',
      'registry-emptydir',
      'registry-pvc',
      ...day2Runbooks,
    ].sort(),
  );
});

it('plans going back to emptyDir as two field changes, and a monitor change as a diff of config.json', async () => {
  // registry-pvc was applied above: going back to emptyDir is a change of two fields.
  const back = (await mock().run(planHalf('clusterApply'), context('registry-emptydir'))) as StepPlan;
  expect(back.changes).toEqual([
    expect.objectContaining({
      target: 'Config cluster',
      action: 'update',
      diff: expect.stringMatching(
        /spec\.storage\.emptyDir: \(absent\) → \{\}\nspec\.storage\.pvc: \{"claim":"image-registry-storage"\} → \(absent\)/,
      ),
    }),
  ]);
  const ceph = structuredClone(t.lab);
  ceph.day2.ceph!.monitors = ['10.1.2.9'];
  const plan = (await mock().run(planHalf('clusterApply'), { ...context('ceph'), lab: ceph })) as StepPlan;
  expect(plan.changes.map((change) => change.target)).toEqual(['ConfigMap ceph-csi/ceph-csi-config']);
  expect(plan.changes[0]!.diff).toMatch(/^data\.config\.json:\n--- a\/data\.config\.json\n/);
  expect(plan.changes[0]!.diff).toMatch(/^-\s+"10\.1\.2\.3",?$/m);
  expect(plan.changes[0]!.diff).toMatch(/^\+\s+"10\.1\.2\.9"$/m);
});

it("places the routers by the infra role alone: an earlier placement's other terms are planned as removed and removed", async () => {
  // ingress-placement was applied above; a placement of someone else's comes after it.
  const ingress = { apiVersion: 'operator.openshift.io/v1', kind: 'IngressController' };
  const metadata = { name: 'default', namespace: 'openshift-ingress-operator' };
  const infra = 'node-role.kubernetes.io/infra';
  const extra = { key: 'topology.kubernetes.io/zone', operator: 'In', values: ['a'] };
  await t.kube.objects.patch(
    {
      ...ingress,
      metadata,
      spec: {
        nodePlacement: { nodeSelector: { matchLabels: { 'example.com/routers': '' }, matchExpressions: [extra] } },
      },
    } as KubernetesObject,
    undefined,
    undefined,
    'cluster-apply-test',
    undefined,
    PatchStrategy.MergePatch,
  );
  const plan = (await mock().run(planHalf('clusterApply'), context('ingress-placement'))) as StepPlan;
  expect(plan.changes).toEqual([
    expect.objectContaining({
      target: 'IngressController openshift-ingress-operator/default',
      diff:
        'spec.nodePlacement.nodeSelector.matchLabels.example.com/routers: "" → (absent)\n' +
        `spec.nodePlacement.nodeSelector.matchExpressions: ${JSON.stringify([extra])} → (absent)`,
    }),
  ]);
  await mock().run(activities.clusterApply, context('ingress-placement'));
  const live = (await t.kube.objects.read({ ...ingress, metadata })) as { spec?: { nodePlacement?: unknown } };
  expect(live.spec?.nodePlacement).toMatchObject({ nodeSelector: { matchLabels: { [infra]: '' } } });
  expect(live.spec?.nodePlacement).not.toHaveProperty('nodeSelector.matchExpressions');
  expect(
    Object.keys((live.spec?.nodePlacement as { nodeSelector: { matchLabels: object } }).nodeSelector.matchLabels),
  ).toEqual([infra]);
  const again = (await mock().run(planHalf('clusterApply'), context('ingress-placement'))) as StepPlan;
  expect(again.changes).toEqual([]);
});

it('refuses, in a rehearsal, a kubeconfig whose server is off loopback, before connecting, and pauses', async () => {
  const kubeconfig = path.join(path.dirname(t.sim.kubeconfigPath), 'off-loopback.kubeconfig');
  const text = await readFile(t.sim.kubeconfigPath, 'utf8');
  await writeFile(kubeconfig, text.replace(/server: https:\/\/127\.0\.0\.1:\d+/, 'server: https://10.42.253.150:6443'));
  const rehearsal = { endpointsFile: t.sim.endpointsPath, kubeconfig };
  for (const name of ['clusterApply', 'clusterWaitNodesReady', 'clusterApproveCsrs'] as const) {
    // The waits take no object set: their params schema refuses one.
    const { params, ...waitContext } = context('ldap');
    const ctx: StepContext =
      name === 'clusterApply' ? { ...waitContext, params, rehearsal } : { ...waitContext, rehearsal };
    const failure = (await mock()
      .run(activities[name], ctx)
      .catch((error: unknown) => error)) as ApplicationFailure;
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/^rehearsal refuses to connect to 10\.42\.253\.150 \(the API server of /);
  }
});
