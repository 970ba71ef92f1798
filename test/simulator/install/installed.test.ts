/**
 * `--from installed`: the lab as the seed has it right after install, seen through the clients a
 * runbook uses; the OAuth rollout; faults turned on through the admin endpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { CLUSTER_OPERATORS, isTrue } from '../../../simulator/openshift-objects.js';
import { SDN_EXAMPLE_LAB, CO, startTestLab, statusOf, waitFor, type TestLab } from './support.js';
import type { AnyJson } from '../../support/json.js';

type Obj = {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: AnyJson;
  status?: AnyJson;
};

let t: TestLab;
beforeAll(async () => {
  t = await startTestLab('installed', { labFile: SDN_EXAMPLE_LAB });
});
afterAll(async () => {
  await t?.stop();
});

describe('an installed lab', () => {
  it('has the nodes of the seed Ready, infra nodes still workers, on their pool rendered config', async () => {
    const nodes = (await t.kube.core.listNode()).items;
    expect(nodes.map((node) => node.metadata!.name).sort()).toEqual(
      [
        'compute1',
        'compute2',
        'compute3',
        'compute4',
        'compute5',
        'infra1',
        'infra2',
        'infra3',
        'master1',
        'master2',
        'master3',
      ].map((n) => `${n}.nodes.example.com`),
    );
    for (const node of nodes) {
      const labels = node.metadata!.labels!;
      const role = node.metadata!.name!.startsWith('master') ? 'master' : 'worker';
      expect(Object.keys(labels).filter((key) => key.startsWith('node-role.kubernetes.io/'))).toEqual([
        `node-role.kubernetes.io/${role}`,
      ]);
      expect(node.status!.conditions!.find((c) => c.type === 'Ready')!.status).toBe('True');
      expect(node.status!.nodeInfo!.kubeletVersion).toBe('v1.14.6+c07e432da');
      const annotations = node.metadata!.annotations!;
      expect(annotations['machineconfiguration.openshift.io/state']).toBe('Done');
      expect(annotations['machineconfiguration.openshift.io/currentConfig']).toMatch(
        new RegExp(`^rendered-${role}-[0-9a-f]{32}$`),
      );
      expect(annotations['machineconfiguration.openshift.io/desiredConfig']).toBe(
        annotations['machineconfiguration.openshift.io/currentConfig'],
      );
    }
    expect(nodes.find((node) => node.metadata!.name!.startsWith('master1'))!.spec!.taints).toEqual([
      { key: 'node-role.kubernetes.io/master', effect: 'NoSchedule' },
    ]);
  });

  it('has every operator of `oc get co` Available at the lab version, and the cluster version done', async () => {
    const cos = (await t.kube.custom.listClusterCustomObject(CO)) as { items: Obj[] };
    expect(cos.items.map((co) => co.metadata.name).sort()).toEqual([...CLUSTER_OPERATORS].sort());
    for (const co of cos.items) {
      const status = (type: string) => co.status.conditions.find((c: { type: string }) => c.type === type).status;
      expect([co.metadata.name, status('Available'), status('Progressing'), status('Degraded')]).toEqual([
        co.metadata.name,
        'True',
        'False',
        'False',
      ]);
      expect(co.status.versions).toEqual([{ name: 'operator', version: '4.2.0' }]);
    }
    const cv = (await t.kube.custom.getClusterCustomObject({
      group: 'config.openshift.io',
      version: 'v1',
      plural: 'clusterversions',
      name: 'version',
    })) as Obj;
    expect(isTrue(cv, 'Available') && !isTrue(cv, 'Progressing')).toBe(true);
    expect(cv.status.history[0].state).toBe('Completed');
  });

  it('has approved and issued CSRs, the bootstrap reported complete, the registry on emptyDir and no identity provider', async () => {
    const csrs = (await t.kube.certificates.listCertificateSigningRequest()).items;
    expect(csrs).toHaveLength(22);
    await waitFor(t.sim.store, 'every CSR issued', () =>
      t.sim.store
        .list('certificatesigningrequests.certificates.k8s.io')
        .items.every((csr) => (csr.status as { certificate?: string }).certificate),
    );
    const bootstrap = await t.kube.core.readNamespacedConfigMap({ namespace: 'kube-system', name: 'bootstrap' });
    expect(bootstrap.data).toEqual({ status: 'complete' });
    const registry = (await t.kube.custom.getClusterCustomObject({
      group: 'imageregistry.operator.openshift.io',
      version: 'v1',
      plural: 'configs',
      name: 'cluster',
    })) as Obj;
    expect(registry.spec.storage).toEqual({ emptyDir: {} });
    const oauth = (await t.kube.custom.getClusterCustomObject({
      group: 'config.openshift.io',
      version: 'v1',
      plural: 'oauths',
      name: 'cluster',
    })) as Obj;
    expect(oauth.spec.identityProviders).toBeUndefined();
  });

  it('has the install MachineConfigs, pools Updated, SCCs and the platform namespaces', async () => {
    const mcs = (await t.kube.custom.listClusterCustomObject({
      group: 'machineconfiguration.openshift.io',
      version: 'v1',
      plural: 'machineconfigs',
    })) as { items: Obj[] };
    const names = mcs.items.map((mc) => mc.metadata.name);
    for (const role of ['master', 'worker']) {
      for (const name of [`00-${role}`, `01-${role}-container-runtime`, `01-${role}-kubelet`, `99-${role}-ssh`])
        expect(names).toContain(name);
      expect(names.filter((name) => new RegExp(`^99-${role}-[0-9a-f-]{36}-registries$`).test(name))).toHaveLength(1);
      expect(names.filter((name) => name.startsWith(`rendered-${role}-`))).toHaveLength(1);
    }
    const pools = (await t.kube.custom.listClusterCustomObject({
      group: 'machineconfiguration.openshift.io',
      version: 'v1',
      plural: 'machineconfigpools',
    })) as { items: Obj[] };
    for (const pool of pools.items) {
      expect(isTrue(pool, 'Updated') && !isTrue(pool, 'Updating') && !isTrue(pool, 'Degraded')).toBe(true);
      expect(pool.status.machineCount).toBe(pool.metadata.name === 'master' ? 3 : 8);
    }
    const sccs = (await t.kube.custom.listClusterCustomObject({
      group: 'security.openshift.io',
      version: 'v1',
      plural: 'securitycontextconstraints',
    })) as { items: Obj[] };
    expect(sccs.items.map((scc) => scc.metadata.name)).toEqual(
      expect.arrayContaining(['anyuid', 'hostaccess', 'privileged', 'restricted']),
    );
    const namespaces = (await t.kube.core.listNamespace()).items.map((ns) => ns.metadata!.name);
    expect(namespaces).toEqual(
      expect.arrayContaining([
        'openshift-config',
        'openshift-authentication',
        'openshift-image-registry',
        'openshift-ingress',
      ]),
    );
  });

  it('answers kubectl with the kubeconfig it wrote', async () => {
    if (!existsSync('/usr/bin/kubectl')) {
      console.warn('kubectl is not installed at /usr/bin/kubectl: skipping the kubectl check');
      return;
    }
    const { stdout } = await execa('/usr/bin/kubectl', [
      '--kubeconfig',
      t.sim.kubeconfigPath,
      'get',
      'nodes',
      '-o',
      'name',
    ]);
    expect(stdout.split('\n')).toContain('node/master1.nodes.example.com');
  });
});

describe('the authentication operator', () => {
  const oauthPods = () => t.sim.store.list('pods', { namespace: 'openshift-authentication' }).items;
  const authentication = () => t.sim.store.get('clusteroperators.config.openshift.io', undefined, 'authentication')!;
  const ldap = {
    spec: {
      identityProviders: [
        {
          name: 'LDAP',
          mappingMethod: 'claim',
          type: 'LDAP',
          ldap: {
            url: 'ldaps://ldap.example.com/ou=users,dc=example,dc=com?uid',
            bindDN: 'cn=openshift',
            bindPassword: { name: 'ldap-secret' },
            ca: { name: 'ldap-ca' },
            insecure: false,
            attributes: { id: ['dn'] },
          },
        },
      ],
    },
  };

  it('is Degraded, naming the missing secret, while the identity provider references what does not exist', async () => {
    const before = (
      await waitFor(t.sim.store, 'two oauth pods running', () => {
        const pods = oauthPods().filter((pod) => (pod.status as { phase?: string }).phase === 'Running');
        return pods.length === 2 && pods;
      })
    ).map((pod) => pod.metadata.name);
    await t.kube.custom.patchClusterCustomObject(
      { group: 'config.openshift.io', version: 'v1', plural: 'oauths', name: 'cluster', body: ldap },
      (await import('@kubernetes/client-node')).setHeaderOptions(
        'Content-Type',
        (await import('@kubernetes/client-node')).PatchStrategy.MergePatch,
      ),
    );
    const degraded = await waitFor(
      t.sim.store,
      'authentication Degraded',
      () => isTrue(authentication(), 'Degraded') && authentication(),
    );
    const message = (degraded.status as { conditions: Array<{ type: string; message: string }> }).conditions.find(
      (c) => c.type === 'Degraded',
    )!.message;
    expect(message).toContain('secret "ldap-secret" not found in namespace openshift-config');
    expect(message).toContain('configmap "ldap-ca" not found');
    expect(
      oauthPods()
        .map((pod) => pod.metadata.name)
        .sort(),
    ).toEqual(before.sort());
  });

  it('rolls the oauth-openshift pods once the secret and CA exist, Progressing then settled', async () => {
    const before = new Set(oauthPods().map((pod) => pod.metadata.name));
    let sawProgressing = false;
    const unsubscribe = t.sim.store.onChange((resource, event) => {
      if (
        resource === 'clusteroperators.config.openshift.io' &&
        event.object.metadata.name === 'authentication' &&
        isTrue(event.object, 'Progressing')
      )
        sawProgressing = true;
    });
    await t.kube.core.createNamespacedSecret({
      namespace: 'openshift-config',
      body: { metadata: { name: 'ldap-secret' }, stringData: { bindPassword: 'stand-in' } },
    });
    await t.kube.core.createNamespacedConfigMap({
      namespace: 'openshift-config',
      body: { metadata: { name: 'ldap-ca' }, data: { 'ca.crt': '-----BEGIN CERTIFICATE-----\n' } },
    });
    await waitFor(t.sim.store, 'new oauth pods running, old ones gone, authentication settled', () => {
      const pods = oauthPods();
      const co = authentication();
      return (
        pods.length === 2 &&
        pods.every((pod) => !before.has(pod.metadata.name) && (pod.status as { phase?: string }).phase === 'Running') &&
        isTrue(co, 'Available') &&
        !isTrue(co, 'Progressing') &&
        !isTrue(co, 'Degraded')
      );
    });
    unsubscribe();
    expect(sawProgressing).toBe(true);
  });
});

describe('faults through the admin endpoint', () => {
  const console_ = () => t.sim.store.get('clusteroperators.config.openshift.io', undefined, 'console')!;

  it('operator-degraded pins an operator Degraded until cleared', async () => {
    const added = await t.admin('POST', '/simulator/faults', { kind: 'operator-degraded', operator: 'console' });
    expect(added.status).toBe(201);
    expect((await t.admin('GET', '/simulator/faults')).body).toEqual({
      faults: [{ kind: 'operator-degraded', operator: 'console' }],
    });
    await waitFor(t.sim.store, 'console Degraded', () => isTrue(console_(), 'Degraded'));
    expect((await t.admin('DELETE', '/simulator/faults?kind=operator-degraded')).status).toBe(200);
    await waitFor(
      t.sim.store,
      'console no longer Degraded',
      () => !isTrue(console_(), 'Degraded') && isTrue(console_(), 'Available'),
    );
  });

  it('rejects a fault that is not one, and a request without the token', async () => {
    const bad = await t.admin('POST', '/simulator/faults', { kind: 'operator-degraded' });
    expect(bad.status).toBe(422);
    expect((bad.body as { message: string }).message).toContain('operator');
    expect(t.sim.faults.list()).toEqual([]);
    const { adminRequest } = await import('../../../simulator/admin-client.js');
    const stranger = await adminRequest(
      { url: t.sim.apiUrl, token: 'not-the-token', caCert: t.sim.caCert },
      'POST',
      '/simulator/faults',
      { kind: 'api-unavailable', seconds: 5 },
    );
    expect(stranger.status).toBe(401);
    expect(t.sim.faults.list()).toEqual([]);
  });

  it('api-unavailable answers 503 for its seconds of lab time, then the API is back', async () => {
    await t.admin('POST', '/simulator/faults', { kind: 'api-unavailable', seconds: 30 });
    // At time scale 0 the outage ends on the next turn of the clock.
    await waitFor(t.sim.store, 'outage over', () => t.sim.faults.list().length === 0 || undefined);
    expect(await statusOf(t.kube.core.listNode())).toBe(0);
  });
});

describe('api-unavailable in real time', () => {
  it('answers 503 with Retry-After until cleared', async () => {
    const slow = await startTestLab('installed', { timeScale: 1, labFile: SDN_EXAMPLE_LAB });
    try {
      await slow.admin('POST', '/simulator/faults', { kind: 'api-unavailable', seconds: 600 });
      const reply = await slow.admin('GET', '/api/v1/nodes');
      expect(reply.status).toBe(503);
      expect(Number(reply.headers['retry-after'])).toBeGreaterThan(500);
      expect(await statusOf(slow.kube.core.listNode())).toBe(503);
      await slow.admin('DELETE', '/simulator/faults');
      expect(await statusOf(slow.kube.core.listNode())).toBe(0);
    } finally {
      await slow.stop();
    }
  });
});
