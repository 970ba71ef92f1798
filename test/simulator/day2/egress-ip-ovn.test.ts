/**
 * OVN-Kubernetes' egress IP assignment in the simulated lab (the example lab, OpenShift 4.21):
 * EgressIP addresses go only to Ready nodes labelled k8s.ovn.org/egress-assignable, one address of
 * an object per node, spread over the least loaded nodes; an address stays on its node until that
 * node goes NotReady, then moves to another labelled node that can take it; an address outside the
 * node network is assigned to no node.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../../../simulator/apiserver/store.js';
import {
  EGRESS_ASSIGNABLE,
  EGRESS_IPS,
  startEgressIpOvnController,
  type EgressIpStatusItem,
} from '../../../simulator/controllers/egress-ip-ovn.js';
import { day2Lab, fqdn, waitFor, type Day2Lab } from './fixtures.js';

let lab: Day2Lab;
afterEach(() => lab.stop());

function egressIp(name: string, ips: string[]): KubeObject {
  return {
    apiVersion: 'k8s.ovn.org/v1',
    kind: 'EgressIP',
    metadata: { name },
    spec: { egressIPs: ips, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } } },
  };
}

const items = (object: KubeObject | undefined): EgressIpStatusItem[] =>
  (object?.status as { items?: EgressIpStatusItem[] } | undefined)?.items ?? [];

function label(node: string): void {
  lab.store.mutate('nodes', undefined, fqdn(node), (draft) => {
    draft.metadata.labels = { ...draft.metadata.labels, [EGRESS_ASSIGNABLE]: '' };
  });
}

function notReady(node: string): void {
  lab.store.mutate(
    'nodes',
    undefined,
    fqdn(node),
    (draft) => {
      const status = draft.status as { conditions: { type: string; status: string }[] };
      status.conditions = status.conditions.map((c) => (c.type === 'Ready' ? { ...c, status: 'Unknown' } : c));
    },
    { subresource: 'status' },
  );
}

describe('EgressIP assignment on OVN-Kubernetes', () => {
  it('assigns to labelled Ready nodes only, one address per node, and moves an address off a NotReady node', async () => {
    lab = day2Lab();
    expect(lab.ctx.lab.cluster.networkType).toBe('OVNKubernetes');
    lab.start(startEgressIpOvnController);
    const { store } = lab;
    store.create(EGRESS_IPS, egressIp('toto', ['10.42.253.45', '10.42.253.54']));
    // No node is egress-assignable yet: the status says so, with no item.
    const unassigned = await waitFor(store, 'an empty status', () => {
      const object = store.get(EGRESS_IPS, undefined, 'toto');
      return object?.status !== undefined && object;
    });
    expect(items(unassigned)).toEqual([]);
    expect(lab.warnings).toEqual([]);

    label('compute3');
    label('compute1');
    const assigned = await waitFor(store, 'both addresses assigned', () => {
      const now = items(store.get(EGRESS_IPS, undefined, 'toto'));
      return now.length === 2 && now;
    });
    expect(new Set(assigned.map((item) => item.node))).toEqual(new Set([fqdn('compute1'), fqdn('compute3')]));

    // A second EgressIP takes the least loaded labelled node.
    label('compute2');
    store.create(EGRESS_IPS, egressIp('tata', ['10.42.253.47']));
    await waitFor(store, 'tata on compute2', () =>
      items(store.get(EGRESS_IPS, undefined, 'tata'))[0]?.node === fqdn('compute2') ? true : undefined,
    );

    // The node holding 10.42.253.45 goes NotReady: the address moves to a labelled node holding
    // none of toto's addresses; the other address stays where it was.
    const holder = assigned.find((item) => item.egressIP === '10.42.253.45')!.node;
    const other = assigned.find((item) => item.egressIP === '10.42.253.54')!.node;
    notReady(holder.split('.')[0]!);
    const moved = await waitFor(store, '10.42.253.45 moved', () => {
      const now = items(store.get(EGRESS_IPS, undefined, 'toto'));
      const node = now.find((item) => item.egressIP === '10.42.253.45')?.node;
      return node !== undefined && node !== holder && now;
    });
    expect(moved).toEqual([
      { node: fqdn('compute2'), egressIP: '10.42.253.45' },
      { node: other, egressIP: '10.42.253.54' },
    ]);
    expect(lab.infos).toContain(`ovn: egress IP 10.42.253.45 of toto moved from ${holder} to ${fqdn('compute2')}`);
    // Unlabelled nodes never hold one.
    const holders = [...store.list(EGRESS_IPS).items.flatMap(items)].map((item) => item.node);
    expect(holders.every((node) => [fqdn('compute1'), fqdn('compute2'), fqdn('compute3')].includes(node))).toBe(true);
  });

  it('assigns an address outside the node network to no node', async () => {
    lab = day2Lab();
    lab.start(startEgressIpOvnController);
    label('compute1');
    lab.store.create(EGRESS_IPS, egressIp('toto', ['192.0.2.10']));
    await waitFor(lab.store, 'the status written', () => lab.store.get(EGRESS_IPS, undefined, 'toto')?.status);
    expect(items(lab.store.get(EGRESS_IPS, undefined, 'toto'))).toEqual([]);
  });
});
