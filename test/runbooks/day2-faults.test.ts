/**
 * Faults of the cluster under the day-2 runbooks (real Temporal dev server, simulated lab started
 * `installed`): an API answering 503 for longer than an action's retries pauses the run at that step
 * with nothing created, and a resume once it answers again finishes; a 503 that ends before the
 * step's retries do is absorbed by them; an operator stuck Degraded pauses the wait that watches it, after a short grace,
 * and the run finishes once it recovers.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { progressQuery, resumeUpdate } from '../../workflows/engine/api.js';
import { startTestLab, type TestLab } from '../simulator/install/support.js';
import { day2Harness, nodes, pausedAt, roles, statuses, stepsByPath, until } from './day2-harness.js';
import { regexp } from '../support/regexp.js';

jest.setTimeout(240_000);

const { start } = day2Harness('day2-faults');

async function namespaces(t: TestLab): Promise<string[]> {
  return (await t.kube.core.listNamespace()).items.map((ns) => ns.metadata?.name ?? '');
}

describe('the API and the operators failing under the day-2 runbooks', () => {
  let t: TestLab;
  beforeAll(async () => {
    t = await startTestLab('installed');
  }, 60_000);
  afterAll(() => t?.stop());

  it('an API answering 503 past the retries pauses ceph-csi at its first step, nothing created; resumed, it finishes', async () => {
    t.sim.faults.add({ kind: 'api-down', answer: '503' });
    const handle = await start(t, 'ceph-csi');
    const paused = await pausedAt(handle, 'ceph-csi paused on the unavailable API');
    expect(paused.currentStep).toBe('accounts');
    expect(paused.error?.message).toMatch(/503/);
    expect(stepsByPath(paused.steps)['accounts']?.attempts).toBe(4);
    t.sim.faults.clear('api-down');
    expect(await namespaces(t)).not.toContain('ceph-csi');

    await handle.executeUpdate(resumeUpdate, { args: [{ action: 'retry' }] });
    await handle.result();
    expect(statuses((await handle.query(progressQuery)).steps)).toMatchObject({
      accounts: 'changed',
      driver: 'changed',
      'storage-class.prove': 'changed',
    });
  });

  it(
    'image-registry stuck Degraded pauses registry-storage at the rollout wait, the claim in use; recovered ' +
      'and resumed, it finishes',
    async () => {
      t.sim.faults.add({ kind: 'operator-degraded', operator: 'image-registry' });
      const handle = await start(t, 'registry-storage');
      const paused = await pausedAt(handle, 'registry-storage paused on the Degraded operator');
      expect(paused.error).toMatchObject({ stepId: 'rollout', type: 'OperatorDegraded' });
      expect(paused.error?.message).toMatch(
        regexp(
          /the image-registry ClusterOperator has stayed Degraded for \d+ s: /,
          /.*operator-degraded fault.*oc describe clusteroperator image-registry/,
        ),
      );
      expect(statuses(paused.steps)).toMatchObject({ claim: 'changed', 'claim.bound': 'unchanged', config: 'changed' });

      t.sim.faults.clear('operator-degraded');
      await handle.executeUpdate(resumeUpdate, { args: [{ action: 'retry' }] });
      await handle.result();
      const done = stepsByPath((await handle.query(progressQuery)).steps);
      expect(done['rollout']?.status).toBe('unchanged');
      // The steps before the pause ran once.
      expect(done['claim']?.attempts).toBe(1);
      expect(done['config']?.attempts).toBe(1);
    },
  );

  it('ingress stuck Degraded pauses infra-nodes at the routers wait, every node moved; recovered and resumed, it finishes', async () => {
    t.sim.faults.add({ kind: 'operator-degraded', operator: 'ingress' });
    const handle = await start(t, 'infra-nodes');
    const paused = await pausedAt(handle, 'infra-nodes paused on the Degraded ingress operator');
    expect(paused.error).toMatchObject({ stepId: 'routers.running', type: 'OperatorDegraded' });
    expect(paused.error?.message).toMatch(/the ingress ClusterOperator has stayed Degraded/);
    for (const name of ['infra1', 'infra2', 'infra3']) expect(roles((await nodes(t)).get(name))).toEqual(['infra']);

    t.sim.faults.clear('operator-degraded');
    await handle.executeUpdate(resumeUpdate, { args: [{ action: 'retry' }] });
    await handle.result();
    expect(statuses((await handle.query(progressQuery)).steps)['routers.running']).toBe('unchanged');
  });

  it('a short 503 is absorbed by the retries of the step it meets: egress-router completes', async () => {
    // The API answers 503 until the step has failed once, then recovers: shorter than the step's retries.
    t.sim.faults.add({ kind: 'api-down', answer: '503' });
    const handle = await start(t, 'egress-router');
    await until(async () => {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      return pending.find((activity) => (activity.attempt ?? 0) >= 2 && activity.lastFailure?.message?.includes('503'));
    }, 'a first attempt failed with 503');
    t.sim.faults.clear('api-down');
    await handle.result();
    const done = stepsByPath((await handle.query(progressQuery)).steps);
    expect(done['selectors.check']?.status).toBe('unchanged');
    expect(done['selectors.check']?.attempts).toBeGreaterThan(1);
    // The example is on OVN-Kubernetes: its routers are EgressRouter objects.
    expect(done['ovn.apply']?.status).toBe('changed');
  });
});
