/**
 * The apply step follows the release's API features (lab/release.ts): on the procedure's OpenShift
 * 4.2 lab (Kubernetes 1.14, no server-side apply) objects are created, then merge-patched, never
 * sent as apply patches; a second run finds them as wanted and sends nothing.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import type { StepContext, StepResult } from '../../contract/step.js';
import { SDN_EXAMPLE_LAB, startTestLab, type TestLab } from '../simulator/install/support.js';

const activities = createActivities();
let t: TestLab;
beforeAll(async () => {
  t = await startTestLab('installed', { labFile: SDN_EXAMPLE_LAB });
}, 60_000);
afterAll(() => t?.stop());

const mock = () => new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });

it('on OpenShift 4.2 creates and merge-patches instead of server-side apply', async () => {
  expect(t.lab.cluster.version).toBe('4.2.0');
  const context = (): StepContext => ({
    runbook: 'day2',
    stepId: 'apply.egress',
    lab: t.lab,
    rehearsal: { endpointsFile: t.sim.endpointsPath, kubeconfig: t.sim.kubeconfigPath },
    params: { objects: 'egress' },
  });
  const first = (await mock().run(activities.clusterApply, context())) as StepResult;
  expect(first.changed).toBe(true);
  const service = await t.kube.core.readNamespacedService({ name: 'egress-redirect', namespace: 'egress-routers' });
  const managers = (service.metadata?.managedFields ?? []).filter((entry) => entry.manager === 'openshift-runbooks');
  expect(managers.map((entry) => entry.operation)).toEqual(['Update']);

  // A field changed by hand is set back by a merge patch of the lab's fields.
  await t.kube.core.patchNamespacedService(
    { name: 'egress-redirect', namespace: 'egress-routers', body: { spec: { selector: { name: 'other' } } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  const again = (await mock().run(activities.clusterApply, context())) as StepResult;
  expect(again).toMatchObject({ changed: true, detail: 'updated Service egress-routers/egress-redirect' });
  const fixed = await t.kube.core.readNamespacedService({ name: 'egress-redirect', namespace: 'egress-routers' });
  expect(fixed.spec?.selector).toEqual({ name: 'egress-redirect' });
  expect((fixed.metadata?.managedFields ?? []).some((entry) => entry.operation === 'Apply')).toBe(false);

  const last = (await mock().run(activities.clusterApply, context())) as StepResult;
  expect(last.changed).toBe(false);
});
