/**
 * The host and cluster step activities against ONE simulated lab started bare from the example lab,
 * in the procedure's order, as a rehearsal (endpoints.json, the simulated kubeconfig): DNS pushed
 * and answering, DHCP, PXE, HAProxy with the bootstrap, bootstrap-complete, the nodes' CSRs approved
 * with a rogue one left pending, HAProxy without the bootstrap, operators settled, registry storage
 * applied idempotently, ClusterVersion available, LDAP objects applied with secrets masked in plans.
 * Powering the nodes (another module's job) and the ignition stand-ins are done here by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { V1CertificateSigningRequest } from '@kubernetes/client-node';
import { planHalf } from '../../activities/plan-registry.js';
import type { StepPlan } from '../../activities/support/plan.js';
import { hostsWith } from '../../lab/schema.js';
import { resolveSecret } from '../../lab/secrets.js';
import { renderArtifact } from '../../render/index.js';
import { parseCsrPem } from '../../simulator/node-certificates.js';
import { startTestLab, type TestLab } from '../simulator/install/support.js';
import { IGNITION_STEPS, simActivityRunner } from './sim-activity-runs.js';
import { virsh } from '../support/sim-walkthrough.js';

const ROGUE = 'intruder.nodes.example.com';
let t: TestLab;

const { context, run, failureOf, mock } = simActivityRunner(() => t);
const power = (node: string) => virsh(t.lab, (host) => t.ssh(host), 'start', node);

beforeAll(async () => {
  t = await startTestLab('bare', { faults: [{ kind: 'rogue-csr', node: ROGUE }] });
}, 60_000);
afterAll(() => t?.stop());

describe('the install activities on a bare simulated lab', () => {
  it('the DNS wait times out naming what did not answer while no zone is loaded', async () => {
    const failure = await failureOf(
      run('hostsWaitDns', context('dns.serving', { poll: { intervalMs: 1, deadlineMs: 1 } })),
    );
    expect(failure?.type).toBe('WaitDeadlineExceeded');
    expect(failure?.message).toMatch(/netserv1: 15 of 15 names wrong, first api\.intra\.example\.com: no record/);
  });

  it('pushes the DNS files to both DNS hosts and reloads; a second run changes nothing', async () => {
    const first = await run('hostsPushDns', context('dns.push'));
    expect(first.changed).toBe(true);
    expect(first.detail).toMatch(
      /netserv1 dns: wrote .*; `named-checkconf -z` passed; reloaded with `rndc reload`; netserv2 dns: /,
    );
    const second = await run('hostsPushDns', context('dns.push'));
    expect(second).toMatchObject({
      changed: false,
      detail: 'netserv1 dns: 4 of 4 files as wanted; netserv2 dns: 4 of 4 files as wanted',
    });
  });

  it('reloads named when it serves older zones than the files on disk', async () => {
    // named loaded a zone edited by hand (serial 1); then the rendered file was put back by hand
    // without a reload: the files are as wanted, but named serves the old zone, so only a reload is due.
    const netserv2 = hostsWith(t.lab, 'dns').find((host) => host.name === 'netserv2')!;
    const session = await t.ssh('netserv2');
    const zone = renderArtifact(t.lab, 'dns').find(
      (file) => file.host === 'netserv2' && file.artifact === 'dns.cluster-zone',
    )!;
    await session.writeFileIfChanged(zone.target!, zone.content.replace(/\d+ ; serial/, '1 ; serial'));
    expect((await session.execChecked(netserv2.dns.reload)).code).toBe(0);
    await session.writeFileIfChanged(zone.target!, zone.content);
    const outcome = await run('hostsPushDns', context('dns.push', { item: 'netserv2' }));
    expect(outcome.changed).toBe(true);
    expect(outcome.detail).toMatch(
      /netserv2 dns: `named-checkconf -z` passed; reloaded \(named serves zone intra\.example\.com with serial 1, the file has \d+\)/,
    );
    expect((await run('hostsPushDns', context('dns.push', { item: 'netserv2' }))).changed).toBe(false);
  });

  it('waits until both DNS hosts answer for api, api-int, *.apps and every node', async () => {
    const outcome = await run('hostsWaitDns', context('dns.serving'));
    expect(outcome).toMatchObject({ changed: false, detail: 'netserv1, netserv2 answer all 15 names' });
  });

  it('refuses a dhcpd.conf its check rejects, with nothing loaded; then pushes the right one', async () => {
    const bad = structuredClone(t.lab);
    bad.nodes[2]!.mac = '52:54:00:zz:f3:0f';
    const failure = await failureOf(run('hostsPushDhcp', context('dhcp.push', { lab: bad })));
    expect(failure?.type).toBe('ServiceCheckFailed');
    expect(failure?.message).toContain('the previous files are back and nothing was reloaded');
    expect(t.sim.hosts.activeConfig('netserv1', 'dhcp')).toBeUndefined();
    expect(await (await t.ssh('netserv1')).stat('/etc/dhcp/dhcpd.conf')).toBeUndefined();
    expect((await run('hostsPushDhcp', context('dhcp.push'))).changed).toBe(true);
    expect(t.sim.hosts.activeConfig('netserv1', 'dhcp')).toBeDefined();
    expect((await run('hostsPushDhcp', context('dhcp.push'))).changed).toBe(false);
  });

  it('pushes the PXE configs and the bootstrap HAProxy config; second runs change nothing', async () => {
    for (const name of ['hostsPushPxe', 'hostsPushHaproxyBootstrap'] as const) {
      expect((await run(name, context('push'))).changed).toBe(true);
      expect((await run(name, context('push'))).changed).toBe(false);
    }
  });

  it("makes this install's ignition with openshift-install and publishes it with the boot assets; again, nothing changes", async () => {
    const steps = [...IGNITION_STEPS, 'installIgnitionFresh'] as const;
    const first = [];
    for (const name of steps) first.push((await run(name, context(name))).changed);
    expect(first).toEqual([false, true, true, true, true, true, false]);
    for (const host of hostsWith(t.lab, 'pxe')) {
      expect((await run('installBootAssets', context('pxe.assets', { item: host.name }))).changed).toBe(true);
      expect((await run('installBootAssets', context('pxe.assets', { item: host.name }))).changed).toBe(false);
    }
    const again = [];
    for (const name of steps) again.push((await run(name, context(name))).changed);
    expect(again).toEqual(steps.map(() => false));
  });

  it('waits for bootstrap-complete: the API first, then kube-system/bootstrap', async () => {
    for (const node of ['bootstrap', 'master1', 'master2', 'master3']) await power(node);
    const outcome = await run('clusterWaitBootstrapComplete', context('bootstrap.complete'));
    expect(outcome.detail).toMatch(/^the API \(.+\) is up and the bootstrap is complete$/);
  });

  it('approves the joining nodes CSRs after checking who they are, never the rogue one', async () => {
    for (const node of t.lab.nodes.filter((candidate) => ['infra', 'worker'].includes(candidate.role)))
      await power(node.name);
    const outcome = await run('clusterApproveCsrs', context('nodes.csrs', { params: { roles: ['infra', 'worker'] } }));
    expect(outcome.changed).toBe(true);
    expect(outcome.detail).toMatch(/^all 8 nodes Ready; approved /);
    expect(outcome.detail).toMatch(/compute5 client\).*compute5 serving\)/s);
    expect(outcome.detail).toContain(`left pending: `);
    expect(outcome.detail).toContain(
      `(a kubelet client request for system:node:${ROGUE}, which is not an inventory node)`,
    );
    const csrs = (await t.kube.certificates.listCertificateSigningRequest()).items;
    const rogue = csrs.filter(
      (csr: V1CertificateSigningRequest) =>
        parseCsrPem(Buffer.from(csr.spec.request, 'base64').toString()).commonName === `system:node:${ROGUE}`,
    );
    expect(rogue).toHaveLength(1);
    expect(rogue[0]!.status?.conditions ?? []).toEqual([]);
    // A client and a serving certificate for each of the 8 nodes (more if a kubelet filed again).
    const approvedByUs = csrs.filter((csr) => csr.status?.conditions?.some((c) => c.reason === 'RunbookApprove'));
    const kinds = new Set(
      approvedByUs.map(
        (csr) => `${parseCsrPem(Buffer.from(csr.spec.request, 'base64').toString()).commonName} ${csr.spec.signerName}`,
      ),
    );
    expect(kinds.size).toBe(16);
    expect((await run('clusterWaitNodesReady', context('nodes.ready'))).detail).toBe('all 11 nodes Ready');
  });

  it('loads the final HAProxy config without the bootstrap node', async () => {
    const outcome = await run('hostsPushHaproxyFinal', context('haproxy.final'));
    expect(outcome.changed).toBe(true);
    const text = await (await t.ssh('haproxy2')).readFile('/etc/haproxy/haproxy.cfg');
    expect(text).not.toContain(t.lab.nodes.find((node) => node.role === 'bootstrap')!.ip);
  });

  it('waits for the operators except image-registry, applies its emptyDir storage once, then all settle', async () => {
    await run('clusterWaitOperatorsSettled', context('operators', { params: { except: ['image-registry'] } }));
    const plan = (await mock().run(
      planHalf('clusterApply'),
      context('registry', { params: { objects: 'registry-emptydir' } }),
    )) as StepPlan;
    expect(plan.changes).toEqual([
      expect.objectContaining({
        target: 'Config cluster',
        action: 'update',
        diff: expect.stringContaining('spec.storage.emptyDir: (absent) → {}'),
      }),
    ]);
    const first = await run('clusterApply', context('registry', { params: { objects: 'registry-emptydir' } }));
    expect(first).toMatchObject({ changed: true, detail: 'updated Config cluster' });
    const config = () =>
      t.kube.custom.getClusterCustomObject({
        group: 'imageregistry.operator.openshift.io',
        version: 'v1',
        plural: 'configs',
        name: 'cluster',
      }) as Promise<{ metadata: { resourceVersion: string } }>;
    const version = (await config()).metadata.resourceVersion;
    const second = await run('clusterApply', context('registry', { params: { objects: 'registry-emptydir' } }));
    expect(second).toMatchObject({ changed: false, detail: '1 of 1 objects as wanted' });
    expect((await config()).metadata.resourceVersion).toBe(version);
    const settled = await run('clusterWaitOperatorsSettled', context('operators'));
    expect(settled.detail).toMatch(/^\d+ cluster operators Available, not Degraded, not Progressing$/);
    const cv = await run('clusterWaitVersionAvailable', context('version'));
    expect(cv.detail).toMatch(/Available=True, Progressing=False/);
  });

  it('applies the LDAP objects by server-side apply, once, with the bind password masked in the plan', async () => {
    const params = { objects: 'ldap' };
    const plan = (await mock().run(planHalf('clusterApply'), context('ldap', { params }))) as StepPlan;
    const secret = plan.changes.find((change) => change.target === 'Secret openshift-config/ldap-secret')!;
    expect(secret).toMatchObject({
      action: 'create',
      diff: expect.stringContaining('data.bindPassword: (absent) → (secret)'),
    });
    const password = (await resolveSecret(t.lab.day2.ldap!.bindPassword)).trim();
    for (const form of [password, Buffer.from(password).toString('base64')])
      expect(JSON.stringify(plan)).not.toContain(form);
    expect(plan.changes.find((change) => change.target === 'ConfigMap openshift-config/ldap-ca')?.diff).toBe(
      'data.ca.crt: (absent) → (secret)',
    );
    expect((await run('clusterApply', context('ldap', { params }))).changed).toBe(true);
    const live = await t.kube.core.readNamespacedSecret({ namespace: 'openshift-config', name: 'ldap-secret' });
    expect(
      live.metadata?.managedFields?.some(
        (field) => field.manager === 'openshift-runbooks' && field.operation === 'Apply',
      ),
    ).toBe(true);
    expect(await run('clusterApply', context('ldap', { params }))).toMatchObject({ changed: false });
  });

  it('waits on a condition or a path given as step params', async () => {
    const byCondition = await run(
      'clusterWaitCondition',
      context('generic', {
        params: {
          apiVersion: 'config.openshift.io/v1',
          kind: 'ClusterOperator',
          name: 'authentication',
          condition: { type: 'Available' },
        },
      }),
    );
    expect(byCondition.detail).toBe('ClusterOperator authentication: Available=True');
    const byPath = await run(
      'clusterWaitCondition',
      context('generic', {
        params: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          namespace: 'kube-system',
          name: 'bootstrap',
          path: 'data.status',
          equals: 'complete',
        },
      }),
    );
    expect(byPath.detail).toBe('ConfigMap kube-system/bootstrap: data.status is "complete"');
    const bad = await failureOf(
      run('clusterWaitCondition', context('generic', { params: { apiVersion: 'v1', kind: 'ConfigMap', name: 'x' } })),
    );
    expect(bad?.type).toBe('InvalidStepParams');
    expect(bad?.nonRetryable).toBe(true);
  });
});
