/**
 * Lab fields of the day-2 runbooks: the routers' tolerations (day2.infra.routerTolerations, added
 * here) and the namespaces' egress IPs on OpenShift SDN (day2.egress.egressIPs, as the example lab
 * gives them, from the seed). Rendered as files, and applied by the runbooks on a simulated lab: the
 * routers run on infra nodes tainted NoSchedule, the NetNamespace and the HostSubnets carry the
 * addresses; a second run changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { labSchema, type Lab } from '../../lab/schema.js';
import { renderArtifact } from '../../render/index.js';
import { SDN_EXAMPLE_LAB, startTestLab, type TestLab } from '../simulator/install/support.js';
import { day2Harness, nodes, notUnchanged, roles } from './day2-harness.js';
import { regexp } from '../support/regexp.js';

jest.setTimeout(240_000);

const { complete } = day2Harness('day2-lab-fields');
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const INFRA_TAINT = { key: 'node-role.kubernetes.io/infra', effect: 'NoSchedule' as const };
const SDN = { group: 'network.openshift.io', version: 'v1' } as const;

/** The procedure's 4.2 / SDN lab (with the seed's egress IPs of namespace toto) and tolerations for tainted infra nodes. */
function withTolerations(lab: Lab): Lab {
  const changed = structuredClone(lab);
  changed.day2.infra!.routerTolerations = [{ ...INFRA_TAINT, operator: 'Exists' }];
  // What a lab file with these fields parses to: valid, defaults applied.
  return labSchema.parse(changed);
}

function withoutEgressIps(lab: Lab): Lab {
  const changed = structuredClone(lab);
  delete changed.day2.egress!.egressIPs;
  return changed;
}

/** The tolerations of the default IngressController's routers, as the cluster has them. */
async function routerTolerations(t: TestLab): Promise<unknown[] | undefined> {
  const controller = (await t.kube.custom.getNamespacedCustomObject({
    group: 'operator.openshift.io',
    version: 'v1',
    namespace: 'openshift-ingress-operator',
    plural: 'ingresscontrollers',
    name: 'default',
  })) as { spec: { nodePlacement?: { tolerations?: unknown[] } } };
  return controller.spec.nodePlacement?.tolerations;
}

async function taintInfraNodes(t: TestLab, taints: Array<typeof INFRA_TAINT> | null): Promise<void> {
  for (const name of ['infra1', 'infra2', 'infra3'])
    await t.kube.core.patchNode({ name: `${name}.nodes.example.com`, body: { spec: { taints } } }, merge);
}

describe('router tolerations and namespace egress IPs from the lab', () => {
  let t: TestLab;
  let lab: Lab;
  beforeAll(async () => {
    t = await startTestLab('installed', { labFile: SDN_EXAMPLE_LAB });
    lab = withTolerations(t.lab);
  }, 60_000);
  afterAll(() => t?.stop());

  it('renders the tolerations into the IngressController patch and the egress IPs into NetNamespace and HostSubnet patches', () => {
    const ingress = renderArtifact(lab, 'infra.ingress-placement')
      .map((file) => file.content)
      .join('\n');
    expect(ingress).toMatch(
      regexp(
        /nodePlacement:\n {4}nodeSelector:\n.*\n.*\n/,
        / {4}tolerations:\n {6}- key: node-role.kubernetes.io\/infra\n {8}operator: Exists\n {8}effect: NoSchedule/,
      ),
    );
    const files = renderArtifact(lab, 'egress');
    expect(files.map((file) => file.path)).toEqual(
      expect.arrayContaining([
        'cluster/egress/egress-ip-namespaces.yaml',
        'cluster/egress/netnamespace-toto-patch.yaml',
        'cluster/egress/hostsubnet-compute3.nodes.example.com-patch.yaml',
        'cluster/egress/hostsubnet-compute1.nodes.example.com-patch.yaml',
      ]),
    );
    const netns = files.find((file) => file.path.endsWith('netnamespace-toto-patch.yaml'))!.content;
    expect(netns).toContain('egressIPs:\n  - 10.42.253.45\n  - 10.42.253.54');
    // Without the fields, none of it; an empty list of tolerations removes the routers' ones.
    expect(renderArtifact(t.lab, 'infra.ingress-placement')[0]?.content).not.toContain('tolerations');
    const none = structuredClone(lab);
    none.day2.infra!.routerTolerations = [];
    expect(renderArtifact(none, 'infra.ingress-placement')[0]?.content).toContain('    tolerations: []\n');
    expect(renderArtifact(withoutEgressIps(t.lab), 'egress').map((file) => file.path)).not.toContain(
      'cluster/egress/netnamespace-toto-patch.yaml',
    );
  });

  it("infra-nodes puts the routers on infra nodes tainted NoSchedule, with the lab's tolerations", async () => {
    await taintInfraNodes(t, [INFRA_TAINT]);
    await complete(t, 'infra-nodes', lab);
    expect(await routerTolerations(t)).toEqual([{ ...INFRA_TAINT, operator: 'Exists' }]);
    const after = await nodes(t);
    const routers = (await t.kube.core.listNamespacedPod({ namespace: 'openshift-ingress' })).items;
    expect(routers.length).toBe(3);
    for (const pod of routers) {
      expect(roles(after.get(pod.spec!.nodeName!.split('.')[0]!))).toEqual(['infra']);
      expect(pod.spec?.tolerations).toEqual(expect.arrayContaining([expect.objectContaining(INFRA_TAINT)]));
    }
    expect(notUnchanged(await complete(t, 'infra-nodes', lab), ['unchanged'])).toEqual([]);
  });

  it(
    'egress-router runs its routers on the tainted infra nodes and sets the egress IPs of toto on its ' +
      'NetNamespace and HostSubnets',
    async () => {
      // The infra nodes keep their NoSchedule taint: the routers (on the infra nodes by their selector)
      // take the lab's infra tolerations.
      const first = await complete(t, 'egress-router', lab);
      expect(first).toMatchObject({
        'sdn.apply': 'changed',
        'egress-ips.namespaces': 'changed',
        'egress-ips.netnamespaces': 'unchanged',
        'egress-ips.apply': 'changed',
      });
      const routerPods = (await t.kube.core.listNamespacedPod({ namespace: 'egress-routers' })).items;
      expect(routerPods.map((pod) => pod.metadata?.labels?.name).sort()).toEqual(['egress-http', 'egress-redirect']);
      for (const pod of routerPods) {
        expect(pod.status?.phase).toBe('Running');
        expect(pod.spec?.nodeName).toMatch(/^infra\d\./);
        expect(pod.spec?.tolerations).toEqual(expect.arrayContaining([expect.objectContaining(INFRA_TAINT)]));
      }
      const netns = (await t.kube.custom.getClusterCustomObject({ ...SDN, plural: 'netnamespaces', name: 'toto' })) as {
        egressIPs?: string[];
      };
      expect(netns.egressIPs).toEqual(['10.42.253.45', '10.42.253.54']);
      for (const [node, ip] of [
        ['compute3', '10.42.253.45'],
        ['compute1', '10.42.253.54'],
      ]) {
        const subnet = (await t.kube.custom.getClusterCustomObject({
          ...SDN,
          plural: 'hostsubnets',
          name: `${node}.nodes.example.com`,
        })) as { egressIPs?: string[] };
        expect(subnet.egressIPs).toEqual([ip]);
      }
      expect(notUnchanged(await complete(t, 'egress-router', lab))).toEqual([]);
      // A lab without namespace egress IPs skips those steps.
      expect(await complete(t, 'egress-router', withoutEgressIps(lab))).toMatchObject({
        'egress-ips.namespaces': 'skipped',
        'egress-ips.apply': 'skipped',
      });
    },
  );

  it("an empty list of tolerations removes the routers' ones; a second run changes nothing", async () => {
    // Routers without tolerations cannot stay on tainted nodes: lift the taint first.
    await taintInfraNodes(t, null);
    const none = structuredClone(lab);
    none.day2.infra!.routerTolerations = [];
    expect(await complete(t, 'infra-nodes', none)).toMatchObject({ 'routers.place': 'changed' });
    expect(await routerTolerations(t)).toEqual([]);
    expect(notUnchanged(await complete(t, 'infra-nodes', none), ['unchanged'])).toEqual([]);
  });
});
