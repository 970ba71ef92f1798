/**
 * Day-2 rehearsals on the real control plane: infra-nodes, ceph-csi and registry-storage on the procedure's
 * 4.2 / SDN lab, installed, whose Kubernetes is a real kube-apiserver, kube-controller-manager and
 * kube-scheduler. The MCO (a client of the real server) rolls the infra pool one node at a time, draining
 * through the real Eviction API; the ingress operator moves the routers and kube-scheduler places them on
 * the infra nodes; the Ceph driver's pods pass the SCC webhook once the runbook grants their SCC.
 * Not here yet: egress-router, whose `egress-init` SCC the real server refuses (openshift/api's CRD requires
 * allowedCapabilities, defaultAddCapabilities, priority, requiredDropCapabilities and volumes).
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { SDN_EXAMPLE_LAB, startTestLab, type TestLab } from '../simulator/install/support.js';
import { CEPH_CSI_FIRST_RUN, day2Harness, expectInfraNodesEndState } from '../runbooks/day2-harness.js';

jest.setTimeout(300_000);

const { complete } = day2Harness('day2-real-control-plane');

describe('the day-2 runbooks on the real control plane', () => {
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
    await expectInfraNodesEndState(t);
  });

  it('ceph-csi installs the driver (its pods admitted by the SCC webhook once granted) and proves the class', async () => {
    const first = await complete(t, 'ceph-csi');
    expect(first).toMatchObject(CEPH_CSI_FIRST_RUN);
    const plugin = await t.kube.apps.readNamespacedDaemonSet({ name: 'csi-rbdplugin', namespace: 'ceph-csi' });
    expect(plugin.status?.numberReady).toBeGreaterThan(0);
  });

  it('registry-storage puts the registry on a Bound claim', async () => {
    const first = await complete(t, 'registry-storage');
    expect(first).toMatchObject({ claim: 'changed', config: 'changed' });
    const claim = await t.kube.core.readNamespacedPersistentVolumeClaim({
      name: 'image-registry-storage',
      namespace: 'openshift-image-registry',
    });
    expect(claim.status?.phase).toBe('Bound');
  });
});
