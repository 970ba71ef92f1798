/**
 * The bootstrap wait of a rehearsal goes where `openshift-install wait-for bootstrap-complete` goes on
 * hardware: to the API through the load balancer's HAProxy (the real one, running the pushed
 * haproxy.cfg), its masters found through the DNS hosts' real named. A zone whose api-int points at a
 * wrong address keeps the masters from joining: the wait pauses, naming what their consoles show. A
 * haproxy.cfg that sends 6443 nowhere makes the API unreachable: the wait pauses on that too.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { hostsWith } from '../../lab/schema.js';
import { startTestLab, type TestLab } from '../simulator/install/support.js';
import { IGNITION_STEPS, simActivityRunner } from './sim-activity-runs.js';
import { kubeClientFor } from '../../transport/kube.js';
import { eventually } from '../support/install-runs.js';
import { running, stuckWith, virsh } from '../support/sim-walkthrough.js';

const WRONG = '10.42.253.99';
const ZONE = '/etc/bind/zones/db.intra.example.com';
const HAPROXY = '/etc/haproxy/haproxy.cfg';
let t: TestLab;

const { context, run, failureOf } = simActivityRunner(() => t);
/** The bootstrap wait with no time to wait: it answers with what it sees now, as a paused run does. */
const pausedWait = () =>
  failureOf(
    run('clusterWaitBootstrapComplete', context('bootstrap.complete', { poll: { intervalMs: 1, deadlineMs: 1 } })),
  );

/**
 * Until the API answers through the load balancer: HAProxy's health checks (every 2 s, real time)
 * take a few seconds to find a backend server that came up.
 */
const apiThroughBalancer = async () => {
  const kube = await kubeClientFor({ kubeconfigPath: t.sim.endpoints.apiServer.balanced!.kubeconfig, rehearsal: true });
  return eventually(
    () =>
      kube.version.getCode().then(
        (version) => version.gitVersion,
        () => undefined,
      ),
    'the API through haproxy1',
  );
};

beforeAll(async () => {
  t = await startTestLab('bare');
  const steps = [
    'hostsPushDns',
    'hostsPushDhcp',
    'hostsPushPxe',
    'hostsPushHaproxyBootstrap',
    ...IGNITION_STEPS,
  ] as const;
  for (const name of steps) await run(name, context(name));
  for (const host of hostsWith(t.lab, 'pxe'))
    await run('installBootAssets', context('pxe.assets', { item: host.name }));
}, 120_000);
afterAll(() => t?.stop());

describe('the bootstrap wait through the lab network of a rehearsal', () => {
  it('pauses naming the cause when the zone sends api-int to a wrong address; goes on once it is fixed', async () => {
    for (const host of hostsWith(t.lab, 'dns')) {
      const session = await t.ssh(host.name);
      const zone = await session.readFile(ZONE);
      const wrong = zone
        .replace(/^api-int\s+IN\s+A\s+10\.42\.253\.151\n/m, '')
        .replace(/^(api-int\s+IN\s+A\s+)10\.42\.253\.150$/m, `$1${WRONG}`);
      expect(wrong).not.toBe(zone);
      await session.writeFileIfChanged(ZONE, wrong);
      await session.execChecked(host.dns.reload);
    }
    for (const node of ['bootstrap', 'master1', 'master2', 'master3']) await virsh(t.lab, t.ssh, 'start', node);
    await running(t.sim.boot, 'bootstrap');
    await stuckWith(t.sim.boot, 'master1', (reason) => reason.includes(WRONG));
    await apiThroughBalancer();

    const failure = await pausedWait();
    expect(failure?.type).toBe('WaitDeadlineExceeded');
    expect(failure?.message).toContain('masters not Ready yet: master1 (no Node object');
    expect(failure?.message).toContain('its console (simulated) says stuck at first boot');
    expect(failure?.message).toContain(`${WRONG} is not a load balancer of the lab`);

    // The procedure's zones again: the masters join, the bootstrap completes, seen through HAProxy.
    expect((await run('hostsPushDns', context('dns.push'))).changed).toBe(true);
    const done = await run('clusterWaitBootstrapComplete', context('bootstrap.complete'));
    expect(done.detail).toMatch(/^the API \(.+\) is up and the bootstrap is complete$/);
    const balanced = t.sim.endpoints.apiServer.balanced!;
    expect(balanced.host).toBe('haproxy1');
    expect(t.sim.hosts.daemonPids().haproxy1).toHaveLength(1);
  });

  it('pauses while the load balancer sends 6443 nowhere; a real reload puts it back', async () => {
    expect(await apiThroughBalancer()).toMatch(/^v1\./);
    const haproxy1 = hostsWith(t.lab, 'haproxy').find((host) => host.name === 'haproxy1')!;
    const session = await t.ssh('haproxy1');
    const config = await session.readFile(HAPROXY);
    // Every API server of the backend on a port nothing serves.
    await session.writeFileIfChanged(HAPROXY, config.replace(/^(\s*server \S+ [\d.]+):6443 /gm, '$1:6444 '));
    await session.execChecked(haproxy1.haproxy.reload);
    const failure = await pausedWait();
    expect(failure?.type).toBe('WaitDeadlineExceeded');
    expect(failure?.message).toContain(`the API at ${t.sim.endpoints.apiServer.balanced!.url} is not up yet`);

    await session.writeFileIfChanged(HAPROXY, config);
    await session.execChecked(haproxy1.haproxy.reload);
    await apiThroughBalancer();
    const done = await run('clusterWaitBootstrapComplete', context('bootstrap.complete'));
    expect(done.detail).toMatch(/is up and the bootstrap is complete$/);
  });
});
