import { afterEach, describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../../../simulator/apiserver/store.js';
import { startWorkloadController } from '../../../simulator/controllers/pods.js';
import { day2Lab, fqdn, podsOf, waitFor, type Day2Lab } from './fixtures.js';

let lab: Day2Lab;
afterEach(() => lab.stop());

function deployment(name: string, namespace: string, nodeSelector: Record<string, string>, replicas = 2): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { nodeSelector, containers: [{ name: 'main', image: 'busybox' }] },
      },
    },
  };
}

const phases = (pods: KubeObject[]) => pods.map((pod) => (pod.status as { phase?: string }).phase);

describe('workload controllers, scheduler and kubelets', () => {
  it('runs Deployment pods on nodes matching the selector, spread, and leaves them Pending when none match', async () => {
    lab = day2Lab();
    lab.start(startWorkloadController);
    const { store } = lab;
    store.create('deployments.apps', deployment('web', 'default', { 'node-role.kubernetes.io/worker': '' }, 3));
    const pods = await waitFor(store, 'three web pods Running', () => {
      const pods = podsOf(store, 'default', 'web-');
      return pods.length === 3 && pods.every((pod) => (pod.status as { phase?: string }).phase === 'Running') && pods;
    });
    const nodes = new Set(pods.map((pod) => (pod.spec as { nodeName?: string }).nodeName));
    expect(nodes.size).toBe(3);
    for (const node of nodes) expect(node).not.toMatch(/master/);
    const deploy = store.get('deployments.apps', 'default', 'web')!;
    await waitFor(
      store,
      'deployment available',
      () =>
        (store.get('deployments.apps', 'default', 'web')!.status as { availableReplicas?: number })
          .availableReplicas === 3,
    );
    expect(deploy.metadata.name).toBe('web');

    store.create('deployments.apps', deployment('nowhere', 'default', { 'node-role.kubernetes.io/infra': 'true' }, 1));
    const pending = await waitFor(store, 'nowhere pod unschedulable', () => {
      const [pod] = podsOf(store, 'default', 'nowhere-');
      const scheduled = (
        pod?.status as { conditions?: { type: string; status: string; message?: string }[] } | undefined
      )?.conditions?.find((c) => c.type === 'PodScheduled');
      return scheduled?.status === 'False' && scheduled.message;
    });
    expect(pending).toBe(
      '0/11 nodes are available: 3 node(s) had untolerated taint {node-role.kubernetes.io/master: }, 8 ' +
        "node(s) didn't match Pod's node affinity/selector.",
    );
    expect(phases(podsOf(store, 'default', 'nowhere-'))).toEqual(['Pending']);
    const events = store.list('events', { namespace: 'default', fieldSelector: 'reason=FailedScheduling' }).items;
    expect(events.map((event) => event.message)).toContain(pending);
  });

  it('rolls a Deployment to a new selector without dropping below its replicas', async () => {
    lab = day2Lab();
    lab.start(startWorkloadController);
    const { store } = lab;
    store.create('deployments.apps', deployment('app', 'default', { 'node-role.kubernetes.io/worker': '' }, 2));
    await waitFor(
      store,
      'two app pods Running',
      () => phases(podsOf(store, 'default', 'app-')).filter((p) => p === 'Running').length === 2,
    );
    store.mutate('deployments.apps', 'default', 'app', (draft) => {
      (draft.spec as { template: { spec: { nodeSelector: Record<string, string> } } }).template.spec.nodeSelector = {
        'node-role.kubernetes.io/infra': '',
      };
    });
    // No node is infra yet: the new pod waits, the old ones keep serving.
    await waitFor(store, 'a new pod Pending', () =>
      podsOf(store, 'default', 'app-').some((pod) => !(pod.spec as { nodeName?: string }).nodeName),
    );
    expect(phases(podsOf(store, 'default', 'app-')).filter((p) => p === 'Running')).toHaveLength(2);
    for (const name of ['infra1', 'infra2']) {
      store.mutate('nodes', undefined, fqdn(name), (node) => {
        node.metadata.labels = { ...node.metadata.labels, 'node-role.kubernetes.io/infra': '' };
      });
    }
    const moved = await waitFor(store, 'app pods on infra1 and infra2 only', () => {
      const pods = podsOf(store, 'default', 'app-');
      const nodes = pods.map((pod) => (pod.spec as { nodeName?: string }).nodeName).sort();
      return (
        pods.length === 2 &&
        phases(pods).every((p) => p === 'Running') &&
        nodes.join() === [fqdn('infra1'), fqdn('infra2')].join() &&
        nodes
      );
    });
    expect(moved).toHaveLength(2);
    expect(
      store
        .list('replicasets.apps', { namespace: 'default' })
        .items.map((rs) => (rs.spec as { replicas: number }).replicas)
        .sort(),
    ).toEqual([0, 2]);
  });

  it('refuses privileged pods until the ServiceAccount is granted an SCC, then runs them', async () => {
    lab = day2Lab();
    lab.start(startWorkloadController);
    const { store } = lab;
    store.create('serviceaccounts', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'priv', namespace: 'egress-routers' },
    });
    store.create('replicationcontrollers', {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'priv', namespace: 'egress-routers' },
      spec: {
        replicas: 1,
        selector: { name: 'priv' },
        template: {
          metadata: { labels: { name: 'priv' } },
          spec: {
            serviceAccountName: 'priv',
            initContainers: [{ name: 'init', image: 'x', securityContext: { privileged: true } }],
            containers: [{ name: 'main', image: 'y' }],
          },
        },
      },
    });
    const failure = await waitFor(store, 'ReplicaFailure on the RC', () => {
      const rc = store.get('replicationcontrollers', 'egress-routers', 'priv')!;
      return (rc.status as { conditions?: { type: string; message: string }[] } | undefined)?.conditions?.find(
        (c) => c.type === 'ReplicaFailure',
      )?.message;
    });
    expect(failure).toContain('unable to validate against any security context constraint');
    expect(failure).toContain(
      'spec.initContainers[0].securityContext.privileged: Invalid value: true: Privileged containers are not allowed',
    );
    expect(podsOf(store, 'egress-routers', 'priv-')).toHaveLength(0);
    const events = store.list('events', { namespace: 'egress-routers', fieldSelector: 'reason=FailedCreate' }).items;
    expect(events).toHaveLength(1);

    store.mutate('securitycontextconstraints.security.openshift.io', undefined, 'privileged', (scc) => {
      scc.users = [...(scc.users as string[]), 'system:serviceaccount:egress-routers:priv'];
    });
    const [pod] = await waitFor(store, 'priv pod Running', () => {
      const pods = podsOf(store, 'egress-routers', 'priv-');
      return phases(pods)[0] === 'Running' && pods;
    });
    expect(pod!.metadata.annotations?.['openshift.io/scc']).toBe('privileged');
    await waitFor(store, 'ReplicaFailure cleared', () => {
      const rc = store.get('replicationcontrollers', 'egress-routers', 'priv')!;
      return !(rc.status as { conditions?: { type: string }[] }).conditions?.some((c) => c.type === 'ReplicaFailure');
    });
  });

  it('runs one DaemonSet pod per fitting node, skipping tainted masters', async () => {
    lab = day2Lab();
    lab.start(startWorkloadController);
    const { store } = lab;
    store.create('daemonsets.apps', {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: 'openshift-sdn' },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a' }] } },
      },
    });
    await waitFor(
      store,
      'eight agents ready',
      () =>
        (store.get('daemonsets.apps', 'openshift-sdn', 'agent')!.status as { numberReady?: number } | undefined)
          ?.numberReady === 8,
    );
    const ds = store.get('daemonsets.apps', 'openshift-sdn', 'agent')!;
    expect(ds.status).toMatchObject({ desiredNumberScheduled: 8, currentNumberScheduled: 8, numberAvailable: 8 });
  });
});
