/**
 * The push a runbook makes (write, check, put back on a refusal, reload), against simulated hosts whose
 * checks are the real named-checkconf -z, dhcpd -t and haproxy -c: a zone with a typo, a dhcpd.conf
 * with an unclosed block and an haproxy.cfg naming a missing backend are each refused with the
 * checker's own message, the old file stays, and the running daemon keeps what it served.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyHostPush, planHostPush, SERVICE_CHECK_FAILED } from '../../../activities/hosts/push.js';
import { servicePush, type HostPushName } from '../../../activities/hosts/services.js';
import { loadLab } from '../../../lab/load.js';
import type { Lab } from '../../../lab/schema.js';
import { SimClock } from '../../../simulator/clock.js';
import { Faults } from '../../../simulator/faults.js';
import { startSimulatedHosts, type SimulatedHosts } from '../../../simulator/hosts/index.js';
import { EXAMPLE_LAB } from '../install/support.js';
import { hostSessions } from './host-sessions.js';

let lab: Lab;
let stateDir: string;
let hosts: SimulatedHosts;
const sessions = hostSessions(
  () => lab,
  () => hosts.endpoints,
);
const ssh = (host: string) => sessions.ssh(host);

/** The runbook's push of `name` to `host`, with the rendered files changed by `edit` (path → content). */
async function push(host: string, name: HostPushName, edit: (path: string, content: string) => string = (_, c) => c) {
  const base = servicePush(
    lab,
    lab.hosts.find((candidate) => candidate.name === host)!,
    name,
  );
  const pushed = { ...base, files: base.files.map((file) => ({ ...file, content: edit(file.path, file.content) })) };
  const session = await ssh(host);
  return applyHostPush(session, pushed, await planHostPush(session, pushed));
}

async function refusal(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const failure = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect((failure as ApplicationFailure).type).toBe(SERVICE_CHECK_FAILED);
  return failure as ApplicationFailure;
}

const onHost = (host: string, path: string) =>
  readFile(join(hosts.endpoints.find((endpoint) => endpoint.name === host)!.root, path), 'utf8');

beforeAll(async () => {
  lab = await loadLab(EXAMPLE_LAB);
  stateDir = await mkdtemp(join(tmpdir(), 'runbook-real-checkers-'));
  hosts = await startSimulatedHosts({
    lab,
    stateDir,
    authorizedKeys: [await readFile(lab.secrets.sshPublicKey.slice('file:'.length), 'utf8')],
    faults: new Faults(),
    clock: new SimClock(0),
  });
});

afterAll(async () => {
  await sessions.close();
  await hosts?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

describe('a push refused by the real checker leaves the old file and the running daemon', () => {
  test('a zone with a typo: named-checkconf -z', async () => {
    await push('netserv1', 'dns');
    const zone = '/etc/bind/zones/db.intra.example.com';
    const before = await onHost('netserv1', zone);
    const failure = await refusal(
      push('netserv1', 'dns', (path, content) =>
        path === zone ? content.replace(/^(api-int\s+IN\s+A\s+)10\.42\.253\.150$/m, '$110.42.253.1500') : content,
      ),
    );
    expect(failure.message).toContain('`named-checkconf -z` refused the new files on netserv1');
    expect(failure.message).toContain(`${zone}:`);
    expect(failure.message).toContain("near '10.42.253.1500': bad dotted quad");
    expect(failure.message).toContain('the previous files are back and nothing was reloaded');
    expect(await onHost('netserv1', zone)).toBe(before);
    const served = await (await ssh('netserv1')).exec(['dig', '@127.0.0.1', '+short', 'api-int.intra.example.com']);
    expect(served.stdout.split('\n').sort()).toEqual(['', '10.42.253.150', '10.42.253.151']);
  });

  test('a dhcpd.conf with an unclosed block: dhcpd -t', async () => {
    await push('netserv1', 'dhcp');
    const before = await onHost('netserv1', 'etc/dhcp/dhcpd.conf');
    const loaded = hosts.activeConfig('netserv1', 'dhcp');
    const failure = await refusal(push('netserv1', 'dhcp', (_, content) => `${content}host unclosed {\n`));
    expect(failure.message).toContain('`dhcpd -t -cf /etc/dhcp/dhcpd.conf` refused the new files on netserv1');
    expect(failure.message).toMatch(/\/etc\/dhcp\/dhcpd\.conf line \d+: unexpected end of file/);
    expect(await onHost('netserv1', 'etc/dhcp/dhcpd.conf')).toBe(before);
    expect(hosts.activeConfig('netserv1', 'dhcp')).toEqual(loaded);
  });

  test('an haproxy.cfg naming a missing backend: haproxy -c', async () => {
    await push('haproxy1', 'haproxy-bootstrap');
    const pid = hosts.daemonPids().haproxy1;
    expect(pid).toHaveLength(1);
    const before = await onHost('haproxy1', 'etc/haproxy/haproxy.cfg');
    const failure = await refusal(
      push('haproxy1', 'haproxy-bootstrap', (_, content) =>
        content.replace('default_backend machine-config-server', 'default_backend nowhere'),
      ),
    );
    expect(failure.message).toContain('`haproxy -c -f /etc/haproxy/haproxy.cfg` refused the new files on haproxy1');
    expect(failure.message).toContain(
      "Proxy 'machine-config-server': unable to find required default_backend: 'nowhere'.",
    );
    expect(await onHost('haproxy1', 'etc/haproxy/haproxy.cfg')).toBe(before);
    expect(hosts.daemonPids().haproxy1).toEqual(pid);
  });
});
