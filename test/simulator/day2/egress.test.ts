import { afterEach, describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../../../simulator/apiserver/store.js';
import { egressAssignments, hostSubnetCidr, startEgressController } from '../../../simulator/controllers/egress.js';
import { startWorkloadController } from '../../../simulator/controllers/pods.js';
import { namespaceObject } from '../../../simulator/openshift-objects.js';
import { day2Lab, fqdn, podsOf, waitFor, type Day2Lab } from './fixtures.js';

let lab: Day2Lab;
afterEach(() => lab.stop());

const NS = 'egress-routers';
const phase = (obj: KubeObject | undefined) => (obj?.status as { phase?: string } | undefined)?.phase;
const scheduled = (pod: KubeObject | undefined) =>
  (
    (pod?.status as { conditions?: { type: string; status: string; message?: string }[] } | undefined)?.conditions ?? []
  ).find((c) => c.type === 'PodScheduled');

/** The seed's redirect egress router (its selector `node-role.kubernetes.io/infra: "true"`). */
function redirectRouter(infraValue: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name: 'egress-router', namespace: NS },
    spec: {
      replicas: 1,
      selector: { name: 'egress-router' },
      template: {
        metadata: {
          name: 'egress-router',
          labels: { name: 'egress-router' },
          annotations: { 'pod.network.openshift.io/assign-macvlan': 'true' },
        },
        spec: {
          initContainers: [
            {
              name: 'egress-demo-init',
              image: 'docker.io/openshift/origin-egress-router',
              env: [
                { name: 'EGRESS_SOURCE', value: '10.42.253.46' },
                { name: 'EGRESS_GATEWAY', value: '10.42.253.1' },
                { name: 'EGRESS_DESTINATION', value: '8.8.8.8' },
                { name: 'EGRESS_ROUTER_MODE', value: 'init' },
              ],
              securityContext: { privileged: true },
            },
          ],
          containers: [{ name: 'egress-demo-wait', image: 'docker.io/openshift/origin-pod' }],
          nodeSelector: { 'node-role.kubernetes.io/infra': infraValue },
          serviceAccountName: 'egress-init',
        },
      },
    },
  };
}

/** The seed's SCC egress-init. */
const egressScc = {
  apiVersion: 'security.openshift.io/v1',
  kind: 'SecurityContextConstraints',
  metadata: { name: 'egress-init' },
  allowPrivilegedContainer: true,
  runAsUser: { type: 'RunAsAny' },
  seLinuxContext: { type: 'RunAsAny' },
  fsGroup: { type: 'RunAsAny' },
  supplementalGroups: { type: 'RunAsAny' },
  users: ['system:serviceaccount:egress-routers:egress-init'],
};

describe('egress', () => {
  it('keeps the seed\'s router Pending on its "true" selector, runs it once the selector matches the infra label', async () => {
    lab = day2Lab({ lab: 'sdn' });
    lab.start(startWorkloadController);
    const { store } = lab;
    for (const name of ['infra1', 'infra2', 'infra3']) {
      store.mutate('nodes', undefined, fqdn(name), (node) => {
        node.metadata.labels = { ...node.metadata.labels, 'node-role.kubernetes.io/infra': '' };
      });
    }
    store.create('replicationcontrollers', redirectRouter('true'));
    const rc = () => store.get('replicationcontrollers', NS, 'egress-router')!;
    const failure = () =>
      ((rc().status as { conditions?: { type: string; message: string }[] } | undefined)?.conditions ?? []).find(
        (c) => c.type === 'ReplicaFailure',
      )?.message;
    expect(await waitFor(store, 'no service account', () => failure()?.includes('serviceaccount') && failure())).toBe(
      'pods "egress-router-" is forbidden: error looking up service account egress-routers/egress-init: ' +
        'serviceaccount "egress-init" not found',
    );
    store.create('serviceaccounts', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'egress-init', namespace: NS },
    });
    expect(
      await waitFor(store, 'no SCC', () => failure()?.includes('security context constraint') && failure()),
    ).toContain(
      'spec.initContainers[0].securityContext.privileged: Invalid value: true: Privileged containers are not allowed',
    );
    store.create('securitycontextconstraints.security.openshift.io', egressScc);
    const pending = await waitFor(store, 'router Pending on its selector', () => {
      const [pod] = podsOf(store, NS, 'egress-router-');
      return scheduled(pod)?.status === 'False' && pod;
    });
    expect(scheduled(pending)?.message).toBe(
      '0/11 nodes are available: 3 node(s) had untolerated taint {node-role.kubernetes.io/master: }, 8 ' +
        "node(s) didn't match Pod's node affinity/selector.",
    );
    expect(pending.metadata.annotations?.['openshift.io/scc']).toBe('egress-init');

    // A ReplicationController does not roll its pods: fix the template, then replace the pod.
    store.mutate('replicationcontrollers', NS, 'egress-router', (draft) => {
      (draft.spec as { template: { spec: { nodeSelector: Record<string, string> } } }).template.spec.nodeSelector = {
        'node-role.kubernetes.io/infra': '',
      };
    });
    store.delete('pods', NS, pending.metadata.name);
    const runningPod = await waitFor(store, 'router Running on an infra node', () => {
      const [pod] = podsOf(store, NS, 'egress-router-');
      return phase(pod) === 'Running' && pod;
    });
    expect((runningPod.spec as { nodeName: string }).nodeName).toMatch(/^infra\d\./);
    expect(
      (runningPod.status as { initContainerStatuses: { state: { terminated: { reason: string } } }[] })
        .initContainerStatuses[0]!.state.terminated.reason,
    ).toBe('Completed');
  });

  it('keeps NetNamespaces and HostSubnets for the SDN, stores patched egress IPs and reports where traffic leaves', async () => {
    lab = day2Lab({ lab: 'sdn' });
    lab.start(startEgressController);
    const { store, ctx } = lab;
    store.create('namespaces', namespaceObject('toto'));
    const netns = await waitFor(store, 'netnamespace toto', () =>
      store.get('netnamespaces.network.openshift.io', undefined, 'toto'),
    );
    expect(netns).toMatchObject({ netname: 'toto', egressIPs: [] });
    expect(typeof netns.netid).toBe('number');
    const subnets = store.list('hostsubnets.network.openshift.io').items;
    expect(subnets).toHaveLength(11);
    const compute3 = store.get('hostsubnets.network.openshift.io', undefined, fqdn('compute3'))!;
    expect(compute3).toMatchObject({ host: fqdn('compute3'), hostIP: '10.42.253.22' });
    expect(new Set(subnets.map((subnet) => subnet.subnet)).size).toBe(11);
    expect(hostSubnetCidr('10.128.0.0/14', 23, 1)).toBe('10.128.2.0/23');

    // oc patch netnamespace toto -p '{"egressIPs": ["10.42.253.45","10.42.253.54"]}', then the hostsubnets.
    store.mutate('netnamespaces.network.openshift.io', undefined, 'toto', (draft) => {
      draft.egressIPs = ['10.42.253.45', '10.42.253.54'];
    });
    await waitFor(store, 'dropped reported', () =>
      lab.warnings.some((line) => line.includes('namespace toto is dropped')),
    );
    store.mutate('hostsubnets.network.openshift.io', undefined, fqdn('compute3'), (draft) => {
      draft.egressIPs = ['10.42.253.45'];
    });
    store.mutate('hostsubnets.network.openshift.io', undefined, fqdn('compute1'), (draft) => {
      draft.egressIPs = ['10.42.253.54'];
    });
    await waitFor(
      store,
      'stored',
      () =>
        (store.get('hostsubnets.network.openshift.io', undefined, fqdn('compute1'))!.egressIPs as string[])[0] ===
        '10.42.253.54',
    );
    expect(egressAssignments(ctx)).toEqual([
      { namespace: 'toto', ip: '10.42.253.45', node: fqdn('compute3'), ready: true },
      { namespace: 'toto', ip: '10.42.253.54', node: fqdn('compute1'), ready: true },
    ]);
    // compute3 reboots: the namespace's traffic leaves through compute1 (the seed's tcpdump).
    store.mutate(
      'nodes',
      undefined,
      fqdn('compute3'),
      (draft) => {
        const status = draft.status as { conditions: { type: string; status: string }[] };
        status.conditions = status.conditions.map((c) => (c.type === 'Ready' ? { ...c, status: 'Unknown' } : c));
      },
      { subresource: 'status' },
    );
    await waitFor(store, 'failover reported', () =>
      lab.infos.some(
        (line) => line === `sdn: egress traffic of namespace toto leaves through ${fqdn('compute1')} as 10.42.253.54`,
      ),
    );
  });
});
