/**
 * A day-2 rehearsal on the real control plane: infra-nodes on the procedure's 4.2 / SDN lab, installed,
 * whose Kubernetes is a real kube-apiserver, kube-controller-manager and kube-scheduler. The MCO (a
 * client of the real server) rolls the infra pool one node at a time, draining through the real
 * Eviction API; the ingress operator moves the routers and kube-scheduler places them on the infra nodes.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { SDN_EXAMPLE_LAB, startTestLab, type TestLab } from '../simulator/install/support.js';
import { day2Harness, nodes, roles } from '../runbooks/day2-harness.js';

jest.setTimeout(300_000);

const { complete } = day2Harness('day2-real-control-plane');

describe('infra-nodes on the real control plane', () => {
  let t: TestLab;
  beforeAll(async () => {
    t = await startTestLab('installed', { labFile: SDN_EXAMPLE_LAB, realControlPlane: true });
  }, 600_000);
  afterAll(() => t?.stop());

  it('moves infra1..3 one at a time and the routers onto them', async () => {
    expect(t.sim.kubeconfigPath).toBe(t.sim.controlPlane!.plane.kubeconfigPath);
    const first = await complete(t, 'infra-nodes');
    expect(first).toMatchObject({
      'pool.apply': 'changed',
      'nodes[infra1].relabel': 'changed',
      'routers.place': 'changed',
    });
    const after = await nodes(t);
    for (const name of ['infra1', 'infra2', 'infra3']) {
      expect(roles(after.get(name))).toEqual(['infra']);
      expect(after.get(name)?.metadata?.annotations?.['machineconfiguration.openshift.io/currentConfig']).toMatch(
        /^rendered-infra-/,
      );
    }
    expect(roles(after.get('compute1'))).toEqual(['worker']);
    const routers = (await t.kube.core.listNamespacedPod({ namespace: 'openshift-ingress' })).items.filter(
      (pod) => !pod.metadata?.deletionTimestamp,
    );
    expect(routers.length).toBe(3);
    for (const pod of routers) expect(roles(after.get(pod.spec!.nodeName!.split('.')[0]!))).toEqual(['infra']);
  });
});
