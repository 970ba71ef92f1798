/**
 * The host push steps against a real OpenSSH sshd on loopback, with the real checkers
 * (named-checkconf -z, dhcpd -t, haproxy -c) as each host's check command: every helper host of the
 * example lab is this machine, its service folders moved under a temp folder, its reload a command
 * that counts reloads. Proves: the first run writes and reloads, the second writes nothing (every
 * inode, mtime and ctime as it was) and does not reload; a file with the wrong mode is fixed; a bad
 * config is refused by the check with the previous file back and no reload; a plan shows the diff.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { planHalf } from '../../activities/plan-registry.js';
import { createActivities } from '../../activities/index.js';
import { loadLab } from '../../lab/load.js';
import type { Lab } from '../../lab/schema.js';
import type { StepPlan } from '../../activities/support/plan.js';
import type { StepContext, StepResult } from '../../contract/step.js';
import { findTool } from '../support/checkers.js';
import { localHelperLab, prepareLocalHosts, reloadCount, type CheckerTools } from '../../testing/local-helper-hosts.js';
import { describeWithSshd, startSshd, type TestSshd } from '../support/sshd.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const activities = createActivities();
const tools = { named: findTool('named-checkconf'), dhcpd: findTool('dhcpd'), haproxy: findTool('haproxy') };
const missing = Object.entries(tools).filter(([, tool]) => tool === undefined);
if (missing.length && process.env.CI === 'true')
  throw new Error(`missing checkers: ${missing.map(([n]) => n).join(', ')}`);

let sshd: TestSshd;
let dir: string;
let lab: Lab;

const rootOf = (host: string) => path.join(dir, 'hosts', host);
const reloadsOf = (host: string, service: string) => reloadCount(path.join(dir, 'hosts'), host, service);

/** Every entry under `root` with what a write would change (inode, mtime, ctime, mode, size). */
async function snapshot(root: string): Promise<Map<string, string>> {
  const entries = new Map<string, string>();
  const walk = async (folder: string) => {
    for (const name of (await readdir(folder)).sort()) {
      const full = path.join(folder, name);
      const info = await lstat(full);
      entries.set(full, `${info.ino}:${info.mtimeMs}:${info.ctimeMs}:${info.mode}:${info.size}`);
      if (info.isDirectory()) await walk(full);
    }
  };
  await walk(root);
  return entries;
}

function context(stepId: string, overrides: Partial<StepContext> = {}): StepContext {
  return { runbook: 'install', stepId, lab, ...overrides };
}

const run = (name: keyof typeof activities, ctx: StepContext): Promise<StepResult> =>
  new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') }).run(
    activities[name],
    ctx,
  ) as Promise<StepResult>;
const plan = (name: keyof typeof activities, ctx: StepContext): Promise<StepPlan> =>
  new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') }).run(planHalf(name), ctx) as Promise<StepPlan>;

beforeAll(async () => {
  if (missing.length) return;
  sshd = await startSshd();
  dir = await mkdtemp(path.join(tmpdir(), 'runbook-push-'));
  const base = await loadLab(path.join(repo, 'runbooks/labs/example.yaml'));
  lab = localHelperLab(base, sshd, path.join(dir, 'hosts'), tools as CheckerTools);
  await prepareLocalHosts(lab, path.join(dir, 'hosts'));
}, 30_000);

afterAll(async () => {
  await sshd?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const pushes = [
  ['hostsPushDns', 'dns', ['netserv1', 'netserv2']],
  ['hostsPushDhcp', 'dhcp', ['netserv1']],
  ['hostsPushPxe', 'pxe', ['pxe']],
  ['hostsPushHaproxyBootstrap', 'haproxy', ['haproxy1', 'haproxy2']],
] as const;

(missing.length ? describe.skip : describeWithSshd)('host pushes over SFTP to a real sshd', () => {
  it.each(pushes)(
    '%s: the first run writes and reloads, the second writes nothing and does not reload',
    async (activity, service, hosts) => {
      const first = await run(activity, context(`${service}.push`));
      expect(first.changed).toBe(true);
      for (const host of hosts) {
        expect(first.detail).toContain(`${host} ${service}:`);
        if (service !== 'pxe') expect(await reloadsOf(host, service)).toBe(1);
      }
      if (service !== 'pxe') expect(first.detail).toContain('passed');
      const before = await snapshot(path.join(dir, 'hosts'));
      const second = await run(activity, context(`${service}.push`));
      expect(second).toEqual({ changed: false, detail: expect.stringMatching(/files as wanted/), attempt: 1 });
      expect(second.detail).not.toContain('still to do');
      expect(await snapshot(path.join(dir, 'hosts'))).toEqual(before);
      for (const host of hosts) if (service !== 'pxe') expect(await reloadsOf(host, service)).toBe(1);
    },
    60_000,
  );

  it('pushes the files as rendered, mode 0644, the per-MAC PXE configs in their folders', async () => {
    const zone = await readFile(`${rootOf('netserv2')}/etc/bind/zones/db.intra.example.com`, 'utf8');
    expect(zone).toContain('api-int               IN A   10.42.253.150');
    const grub = `${rootOf('pxe')}/srv/tftpboot/grub.cfg-01-52-54-00-e1-60-5b`;
    expect((await stat(grub)).mode & 0o777).toBe(0o644);
    expect(existsSync(`${rootOf('pxe')}/srv/tftpboot/pxelinux.cfg/01-52-54-00-be-c0-a4`)).toBe(true);
  });

  it('puts back a wrong mode, and reloads since the file changed', async () => {
    const file = `${rootOf('haproxy1')}/etc/haproxy/haproxy.cfg`;
    await chmod(file, 0o600);
    const outcome = await run('hostsPushHaproxyBootstrap', context('haproxy.push', { item: 'haproxy1' }));
    expect(outcome.changed).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o644);
    expect(await reloadsOf('haproxy1', 'haproxy')).toBe(2);
    expect(await reloadsOf('haproxy2', 'haproxy')).toBe(1);
  }, 30_000);

  it.each([
    [
      'haproxy',
      'hostsPushHaproxyBootstrap',
      'haproxy1',
      'etc/haproxy/haproxy.cfg',
      (bad: Lab) => {
        bad.nodes[1]!.ip = '10.42.253.300';
      },
    ],
    [
      'dhcp',
      'hostsPushDhcp',
      'netserv1',
      'etc/dhcp/dhcpd.conf',
      (bad: Lab) => {
        bad.nodes[1]!.mac = '52:54:00:zz:c0:a4';
      },
    ],
    [
      'dns',
      'hostsPushDns',
      'netserv1',
      'etc/bind/zones/db.nodes.example.com',
      (bad: Lab) => {
        bad.nodes[1]!.name = 'master1 IN';
      },
    ],
  ] as const)(
    '%s: a config the check refuses is put back, nothing is reloaded, the run pauses',
    async (service, activity, host, file, spoil) => {
      const target = path.join(rootOf(host), file);
      const good = await readFile(target, 'utf8');
      const reloads = await reloadsOf(host, service);
      const bad: Lab = structuredClone(lab);
      spoil(bad);
      const failure = await run(activity, context(`${service}.push`, { lab: bad, item: host })).catch(
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect((failure as ApplicationFailure).type).toBe('ServiceCheckFailed');
      expect((failure as ApplicationFailure).nonRetryable).toBe(true);
      expect((failure as Error).message).toMatch(
        new RegExp(`${service} configuration check .* refused the new files on ${host}`),
      );
      expect((failure as Error).message).toContain('the previous files are back and nothing was reloaded');
      expect(await readFile(target, 'utf8')).toBe(good);
      expect(await reloadsOf(host, service)).toBe(reloads);
      const leftovers = (await readdir(path.dirname(target))).filter((name) => name.endsWith('.tmp'));
      expect(leftovers).toEqual([]);
    },
    30_000,
  );

  it('removes a new file the check refuses: the host is left as it was', async () => {
    const bad: Lab = structuredClone(lab);
    const netserv1 = bad.hosts.find((host) => host.name === 'netserv1')!;
    const config = `${rootOf('netserv1')}/etc/dhcp/other/dhcpd.conf`;
    netserv1.dhcp = { ...netserv1.dhcp!, configPath: config, check: [tools.dhcpd!, '-t', '-cf', config] };
    bad.nodes[1]!.mac = '52:54:00:zz:c0:a4';
    const before = await snapshot(path.join(rootOf('netserv1'), 'etc/dhcp'));
    const failure = await run('hostsPushDhcp', context('dhcp.push', { lab: bad })).catch((error: unknown) => error);
    expect((failure as ApplicationFailure).type).toBe('ServiceCheckFailed');
    expect(existsSync(config)).toBe(false);
    // The folder made for it stays (an empty folder), nothing else changed.
    const after = await snapshot(path.join(rootOf('netserv1'), 'etc/dhcp'));
    expect([...after.keys()].filter((key) => !before.has(key))).toEqual([path.dirname(config)]);
  }, 30_000);

  it('plans a node address change as unified diffs, writing nothing', async () => {
    const changed: Lab = structuredClone(lab);
    changed.nodes.find((node) => node.name === 'compute2')!.ip = '10.42.253.31';
    const before = await snapshot(path.join(dir, 'hosts'));
    const planned = await plan('hostsPushDhcp', context('dhcp.push', { lab: changed }));
    expect(planned.changes.map((change) => `${change.action} ${change.target}`)).toEqual([
      `update netserv1:${rootOf('netserv1')}/etc/dhcp/dhcpd.conf`,
      'reload netserv1 dhcp',
    ]);
    expect(planned.changes[0]!.diff).toMatch(/^-\s+fixed-address 10\.42\.253\.21;$/m);
    expect(planned.changes[0]!.diff).toMatch(/^\+\s+fixed-address 10\.42\.253\.31;$/m);
    expect(planned.changes[0]!.diff).toMatch(/^@@ -\d+,7 \+\d+,7 @@$/m);
    expect(await snapshot(path.join(dir, 'hosts'))).toEqual(before);
    const unchanged = await plan('hostsPushDns', context('dns.push'));
    expect(unchanged.changes).toEqual([]);
  }, 30_000);
});
