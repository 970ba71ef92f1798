/** The simulated helper hosts, driven through the project's own SSH client as the runbooks drive them. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLab } from '../../../lab/load.js';
import type { Lab } from '../../../lab/schema.js';
import { renderAll } from '../../../render/index.js';
import { SimClock } from '../../../simulator/clock.js';
import { Faults } from '../../../simulator/faults.js';
import { startSimulatedHosts, type SimulatedHosts } from '../../../simulator/hosts/index.js';
import { ignitionConfigs, manifestFiles, newIds } from '../../../simulator/openshift-install/assets.js';
import { parseInstallConfig } from '../../../simulator/openshift-install/install-config.js';
import { createRootCa, kubeadminPassword } from '../../../simulator/openshift-install/pki.js';
import { fillText } from '../../../render/secret-slots.js';
import { resolveSecret } from '../../../lab/secrets.js';
import { SshSession } from '../../../transport/ssh.js';
import { stageBootAssets } from '../../support/sim-walkthrough.js';
import { sshTargetFor } from '../../../transport/targets.js';
import { hostSessions } from './host-sessions.js';

// The procedure's 4.2 lab: its boot files (installer kernel, metal images) are the ones named below.
const labFile = fileURLToPath(new URL('../../../runbooks/labs/example-4.2-sdn.yaml', import.meta.url));
const IPMI_BMC = '10.42.44.204';

let lab: Lab;
let stateDir: string;
let hosts: SimulatedHosts;
let authorizedKeys: string[];
const faults = new Faults();
const clock = new SimClock(0);

async function start(): Promise<SimulatedHosts> {
  return startSimulatedHosts({ lab, stateDir, authorizedKeys, faults, clock });
}

const sessions = hostSessions(
  () => lab,
  () => hosts.endpoints,
);
const ssh = (host: string) => sessions.ssh(host);
const closeSessions = () => sessions.close();

/** Pushes the rendered files of `artifacts` to their hosts (for haproxy, the bootstrap variant). */
async function push(...artifacts: string[]): Promise<void> {
  for (const file of renderAll(lab).filter((candidate) => artifacts.includes(candidate.artifact))) {
    const session = await ssh(file.host!);
    await session.mkdirp(file.target!.slice(0, file.target!.lastIndexOf('/')));
    await session.writeFileIfChanged(file.target!, file.content);
  }
}

/** The ignition configs openshift-install writes for this lab (its install-config, a fresh root CA). */
async function installerIgnition(forLab: Lab): Promise<Record<'bootstrap.ign' | 'master.ign' | 'worker.ign', string>> {
  const [file] = renderAll(forLab).filter((candidate) => candidate.artifact === 'install.install-config');
  const slots = file!.secrets ?? [];
  const values = new Map(
    await Promise.all(slots.map(async (slot) => [slot.ref, await resolveSecret(slot.ref)] as const)),
  );
  const installConfig = parseInstallConfig(fillText(file!.content, slots, values));
  const ids = newIds(installConfig);
  const state = { installConfig, rootCa: await createRootCa(), ...ids, kubeadminPassword: kubeadminPassword() };
  return ignitionConfigs(state, manifestFiles(state, forLab.cluster.version), forLab.cluster.version);
}

function endpoint(host: string) {
  return hosts.endpoints.find((candidate) => candidate.name === host)!;
}

beforeAll(async () => {
  lab = structuredClone(await loadLab(labFile));
  // netserv1's named is restarted by systemd, netserv2's reloaded by rndc (the lab's default).
  lab.hosts.find((host) => host.name === 'netserv1')!.dns!.reload = ['systemctl', 'restart', 'named'];
  // One node behind a BMC: ipmitool typed on a host is refused (the worker runs it).
  lab.nodes.find((node) => node.name === 'compute4')!.power = {
    type: 'ipmi',
    address: IPMI_BMC,
    username: 'admin',
    password: 'env:IPMI_PASSWORD',
  };
  authorizedKeys = [await readFile(lab.secrets.sshPublicKey.slice('file:'.length), 'utf8')];
  stateDir = await mkdtemp(join(tmpdir(), 'runbook-hosts-'));
  hosts = await start();
});

afterAll(async () => {
  await closeSessions();
  await hosts?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

describe('hosts and SFTP', () => {
  test('every lab host listens on its own loopback port with its own key', () => {
    expect(hosts.endpoints.map((e) => e.name)).toEqual(lab.hosts.map((h) => h.name));
    expect(new Set(hosts.endpoints.map((e) => e.port)).size).toBe(lab.hosts.length);
    expect(new Set(hosts.endpoints.map((e) => e.hostKey)).size).toBe(lab.hosts.length);
    for (const e of hosts.endpoints) {
      expect(e.address).toBe('127.0.0.1');
      expect(e.hostKey).toMatch(/^ssh-ed25519 AAAA[A-Za-z0-9+/=]+$/);
    }
  });

  test('service folders exist from the start', async () => {
    const netserv1 = await ssh('netserv1');
    for (const folder of ['/etc/bind/zones', '/etc/dhcp'])
      expect(await netserv1.stat(folder)).toMatchObject({ type: 'directory' });
    const pxe = await ssh('pxe');
    for (const folder of ['/srv/tftpboot', '/var/www/html/ocp4'])
      expect(await pxe.stat(folder)).toMatchObject({ type: 'directory' });
  });

  test('files land in the host root, written once', async () => {
    const session = await ssh('haproxy2');
    expect(await session.writeFileIfChanged('/etc/motd', 'simulated\n', 0o600)).toEqual({ changed: true });
    expect(await session.writeFileIfChanged('/etc/motd', 'simulated\n', 0o600)).toEqual({ changed: false });
    expect(await readFile(join(endpoint('haproxy2').root, 'etc/motd'), 'utf8')).toBe('simulated\n');
    expect(await session.stat('/etc/motd')).toMatchObject({ type: 'file', size: 10, mode: 0o600 });
    expect(await session.mkdirp('/opt/a/b')).toEqual({ changed: true });
    expect(await session.readFileIfExists('/opt/a/none')).toBeUndefined();
  });

  test('nothing escapes the root: not by .., not by symlinks', async () => {
    const session = await ssh('haproxy2');
    const root = endpoint('haproxy2').root;
    await session.writeFileIfChanged('/../../../escaped.txt', 'inside\n');
    expect(await readFile(join(root, 'escaped.txt'), 'utf8')).toBe('inside\n');
    expect(existsSync(join(root, '..', 'escaped.txt'))).toBe(false);

    const outside = join(stateDir, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'secret'), 'not for clients');
    await symlink(outside, join(root, 'link'));
    await symlink(join(outside, 'new-file'), join(root, 'dangling'));
    await expect(session.readFile('/link/secret')).rejects.toThrow(
      /cannot read \/link\/secret: .*outside the host's file system/,
    );
    await expect(session.writeFileIfChanged('/link/planted', 'x')).rejects.toThrow(/outside the host's file system/);
    await expect(session.writeFileIfChanged('/dangling', 'x')).rejects.toThrow();
    expect(existsSync(join(outside, 'new-file'))).toBe(false);
    expect(existsSync(join(outside, 'planted'))).toBe(false);
  });
});

describe('commands', () => {
  test('anything but the accepted commands exits 127 and lists them', async () => {
    const session = await ssh('netserv1');
    const result = await session.exec(['sh', '-c', 'rndc reload; id']);
    expect(result.code).toBe(127);
    expect(result.stderr).toContain(
      'sh: command not found (or not in an accepted form) on the simulated host netserv1',
    );
    expect(result.stderr).toContain(
      'named-checkconf -z\n  systemctl restart named\n  dhcpd -t -cf /etc/dhcp/dhcpd.conf\n  systemctl restart isc-dhcp-server\n',
    );
    expect((await session.exec(['virsh', 'list'])).code).toBe(127);
    expect((await session.exec(['rndc', 'reload'])).code).toBe(127);
  });

  test('DHCP: the real dhcpd -t checks the file; the server serves only what the last restart loaded', async () => {
    const session = await ssh('netserv1');
    const missing = await session.exec(['dhcpd', '-t', '-cf', '/etc/dhcp/dhcpd.conf']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Can't open /etc/dhcp/dhcpd.conf: No such file or directory");
    await push('dhcp.config');
    expect((await session.exec(['dhcpd', '-t', '-cf', '/etc/dhcp/dhcpd.conf'])).code).toBe(0);
    expect(hosts.activeConfig('netserv1', 'dhcp')).toBeUndefined();
    expect(await session.exec(['systemctl', 'restart', 'isc-dhcp-server'])).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
    const loaded = hosts.activeConfig('netserv1', 'dhcp')!;
    expect(loaded.files['/etc/dhcp/dhcpd.conf']).toContain('host compute5 {');

    const good = await session.readFile('/etc/dhcp/dhcpd.conf');
    const lines = good.split('\n').length;
    await session.writeFileIfChanged('/etc/dhcp/dhcpd.conf', `${good}host broken {\n`);
    const check = await session.exec(['dhcpd', '-t', '-cf', '/etc/dhcp/dhcpd.conf']);
    expect(check.code).toBe(1);
    // dhcpd's own words, with the host's path (not the folder that stands for its root).
    expect(check.stderr).toContain(`/etc/dhcp/dhcpd.conf line ${lines}: unexpected end of file`);
    expect(check.stderr).not.toContain(endpoint('netserv1').root);
    expect(hosts.activeConfig('netserv1', 'dhcp')).toEqual(loaded);
    // A restart with a broken file leaves the daemon stopped, as systemd would.
    const restart = await session.exec(['systemctl', 'restart', 'isc-dhcp-server']);
    expect(restart.code).toBe(1);
    expect(restart.stderr).toContain('Job for isc-dhcp-server.service failed');
    expect(restart.stderr).toContain('unexpected end of file');
    expect(hosts.activeConfig('netserv1', 'dhcp')).toBeUndefined();
    await session.writeFileIfChanged('/etc/dhcp/dhcpd.conf', good);
    expect((await session.exec(['systemctl', 'restart', 'isc-dhcp-server'])).code).toBe(0);
  });

  test('DNS: the real named-checkconf -z and named; a failed reload keeps the running zones', async () => {
    const session = await ssh('netserv2');
    // A fresh DNS host runs named (Debian starts it), serving no lab zone yet.
    expect(hosts.daemonPids().netserv2).toHaveLength(1);
    const refused = await session.exec(['dig', '@127.0.0.1', 'api-int.intra.example.com']);
    expect(refused.stdout).toContain('status: REFUSED');
    await push('dns.zones-conf');
    const missing = await session.exec(['named-checkconf', '-z']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('_default/nodes.example.com/IN: file not found');
    await push('dns.forward-zone', 'dns.cluster-zone', 'dns.reverse-zone');
    const ok = await session.exec(['named-checkconf', '-z']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^zone nodes\.example\.com\/IN: loaded serial \d+$/m);
    expect(await session.exec(['rndc', 'reload'])).toEqual({
      code: 0,
      stdout: 'server reload successful\n',
      stderr: '',
    });
    const loaded = hosts.activeConfig('netserv2', 'dns')!;
    expect(Object.keys(loaded.files)).toHaveLength(4);
    const digged = await session.exec(['dig', '@127.0.0.1', '+short', 'api-int.intra.example.com']);
    expect({ ...digged, stdout: digged.stdout.split('\n').sort() }).toEqual({
      code: 0,
      stdout: ['', '10.42.253.150', '10.42.253.151'],
      stderr: '',
    });
    expect((await session.exec(['dig', '@127.0.0.1', '+short', '-x', '10.42.253.10'])).stdout).toBe(
      'master1.nodes.example.com.\n',
    );

    const zone = await session.readFile('/etc/bind/zones/db.intra.example.com');
    await session.writeFileIfChanged('/etc/bind/zones/db.intra.example.com', `${zone}typo IN A 10.42.253.300\n`);
    const check = await session.exec(['named-checkconf', '-z']);
    expect(check.code).toBe(1);
    expect(check.stdout + check.stderr).toContain('/etc/bind/zones/db.intra.example.com:');
    expect(check.stdout + check.stderr).toContain("near '10.42.253.300': bad dotted quad");
    // rndc reload with the broken zone: named keeps serving the zone it had.
    await session.exec(['rndc', 'reload']);
    expect((await session.exec(['dig', '@127.0.0.1', '+short', 'api-int.intra.example.com'])).stdout).toMatch(
      /^10\.42\.253\.15[01]\n10\.42\.253\.15[01]\n$/,
    );
    await session.writeFileIfChanged('/etc/bind/zones/db.intra.example.com', zone);
    expect((await session.exec(['rndc', 'reload'])).code).toBe(0);
  });

  test('DNS: systemctl restart named with a broken named.conf fragment leaves named stopped, as systemd does', async () => {
    const session = await ssh('netserv1');
    await push('dns.zones-conf', 'dns.forward-zone', 'dns.cluster-zone', 'dns.reverse-zone');
    const restart = ['systemctl', 'restart', 'named'];
    expect(await session.exec(restart)).toEqual({ code: 0, stdout: '', stderr: '' });
    const before = hosts.daemonPids().netserv1!;
    expect(before).toHaveLength(1);
    expect((await session.exec(['dig', '@127.0.0.1', '+short', 'master1.nodes.example.com'])).stdout).toBe(
      '10.42.253.10\n',
    );
    const conf = await session.readFile('/etc/bind/named.conf.openshift');
    await session.writeFileIfChanged('/etc/bind/named.conf.openshift', `${conf}zone "broken" {\n`);
    const failed = await session.exec(restart);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('Job for named.service failed');
    expect(failed.stderr).toContain("'}' expected near end of file");
    expect(failed.stderr).not.toContain('built with');
    expect(hosts.daemonPids().netserv1).toBeUndefined();
    expect(hosts.activeConfig('netserv1', 'dns')).toBeUndefined();
    expect(
      (await session.exec(['dig', '@127.0.0.1', '+short', '+tries=1', '+time=1', 'x.nodes.example.com'])).code,
    ).toBe(9);
    await session.writeFileIfChanged('/etc/bind/named.conf.openshift', conf);
    expect((await session.exec(restart)).code).toBe(0);
    expect(hosts.daemonPids().netserv1).not.toEqual(before);
  });

  test('HAProxy: the real haproxy -c; the real haproxy runs what the last good reload loaded', async () => {
    const session = await ssh('haproxy1');
    await push('haproxy.bootstrap');
    const valid = await session.exec(['haproxy', '-c', '-f', '/etc/haproxy/haproxy.cfg']);
    expect(valid.code).toBe(0);
    expect(valid.stdout + valid.stderr).toContain('Configuration file is valid');
    const config = await session.readFile('/etc/haproxy/haproxy.cfg');
    await session.writeFileIfChanged(
      '/etc/haproxy/haproxy.cfg',
      config.replace(/^backend k8s-api$/m, 'backend renamed'),
    );
    const check = await session.exec(['haproxy', '-c', '-f', '/etc/haproxy/haproxy.cfg']);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain('[ALERT]');
    expect(check.stderr).toContain("Proxy 'k8s-api': unable to find required default_backend: 'k8s-api'.");
    const refused = await session.exec(['systemctl', 'reload', 'haproxy']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Job for haproxy.service failed');
    expect(hosts.activeConfig('haproxy1', 'haproxy')).toBeUndefined();
    expect(hosts.daemonPids().haproxy1).toBeUndefined();
    await session.writeFileIfChanged('/etc/haproxy/haproxy.cfg', config);
    expect((await session.exec(['systemctl', 'reload', 'haproxy'])).code).toBe(0);
    expect(hosts.activeConfig('haproxy1', 'haproxy')?.files['/etc/haproxy/haproxy.cfg']).toBe(config);
    expect(hosts.daemonPids().haproxy1).toHaveLength(1);
  });
});

describe('power', () => {
  test('virsh drives the domains of its hypervisor', async () => {
    const kvm1 = await ssh('kvm1');
    expect(await kvm1.exec(['virsh', '-c', 'qemu:///system', 'domstate', 'ocp4-infra3'])).toEqual({
      code: 0,
      stdout: 'shut off\n\n',
      stderr: '',
    });
    const powered = once(hosts.power, 'power');
    expect((await kvm1.exec(['virsh', '-c', 'qemu:///system', 'start', 'ocp4-infra3'])).stdout).toBe(
      "Domain 'ocp4-infra3' started\n\n",
    );
    expect(await powered).toEqual(['infra3', 'on']);
    expect(hosts.power.state('infra3')).toBe('on');
    expect((await kvm1.exec(['virsh', 'domstate', 'ocp4-infra3'])).stdout).toBe('running\n\n');
    const again = await kvm1.exec(['virsh', 'start', 'ocp4-infra3']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('domain is already running');
    expect((await kvm1.exec(['virsh', 'list'])).stdout).toMatch(/^ \d+\s+ocp4-infra3\s+running$/m);
    expect((await kvm1.exec(['virsh', 'list', '--all'])).stdout).toMatch(/^ -\s+ocp4-bootstrap\s+shut off$/m);
    expect((await kvm1.exec(['virsh', 'destroy', 'ocp4-infra3'])).code).toBe(0);
    expect(hosts.power.state('infra3')).toBe('off');
    // master2 lives on kvm2.
    expect(await kvm1.exec(['virsh', 'start', 'ocp4-master2'])).toEqual({
      code: 1,
      stdout: '',
      stderr: "error: failed to get domain 'ocp4-master2'\n",
    });
    expect((await kvm1.exec(['virsh', '-c', 'qemu+ssh://elsewhere/system', 'start', 'ocp4-infra3'])).code).toBe(1);
    expect((await kvm1.exec(['virsh', 'undefine', 'ocp4-infra3'])).code).toBe(127);
  });

  test('ipmitool is not a command of the helper hosts: the worker runs it against the BMCs', async () => {
    const session = await ssh('kvm2');
    const result = await session.exec(
      ['ipmitool', '-I', 'lanplus', '-H', IPMI_BMC, '-U', 'admin', '-E', 'power', 'on'],
      {
        env: { IPMI_PASSWORD: 'calvin' },
      },
    );
    expect(result.code).toBe(127);
    expect(result.stderr).toContain('ipmitool: command not found');
    expect(hosts.power.state('compute4')).toBe('off');
  });
});

describe('boot readiness', () => {
  test('says what a node lacks to PXE-boot, until nothing is', async () => {
    // DHCP on netserv1 was restarted with the rendered file by now; master1 lacks its PXE config.
    const pxe = await ssh('pxe');
    expect(hosts.bootReadiness('master1')).toEqual({
      ready: false,
      missing: [
        'no PXE config for 52:54:00:be:c0:a4 (master1, BIOS) at /srv/tftpboot/pxelinux.cfg/01-52-54-00-be-c0-a4 on pxe: write it',
      ],
    });
    expect(hosts.bootReadiness('compute5').missing).toEqual([
      'no PXE config for 52:54:00:e1:60:5b (compute5, UEFI) at /srv/tftpboot/grub.cfg-01-52-54-00-e1-60-5b on pxe: write it',
    ]);
    await push('pxe.bios', 'pxe.uefi');
    expect(hosts.bootReadiness('master1').missing).toEqual([
      'no installers/ocp4-rhcos-4.2.0/x86_64/linux on pxe ' +
        '(/srv/tftpboot/installers/ocp4-rhcos-4.2.0/x86_64/linux), named by the PXE config ' +
        '/srv/tftpboot/pxelinux.cfg/01-52-54-00-be-c0-a4: put the RHCOS boot assets there',
      'no installers/ocp4-rhcos-4.2.0/x86_64/initrd-raw on pxe ' +
        '(/srv/tftpboot/installers/ocp4-rhcos-4.2.0/x86_64/initrd-raw), named by the PXE config ' +
        '/srv/tftpboot/pxelinux.cfg/01-52-54-00-be-c0-a4: put the RHCOS boot assets there',
      'no rhcos-4.2.0-x86_64-metal-bios.raw.gz on pxe ' +
        '(/var/www/html/ocp4/rhcos-4.2.0-x86_64-metal-bios.raw.gz, served as ' +
        'http://10.42.44.100/ocp4/rhcos-4.2.0-x86_64-metal-bios.raw.gz): put the RHCOS image there',
      'no ignition file /var/www/html/ocp4/master.ign on pxe (served as ' +
        "http://10.42.44.100/ocp4/master.ign): copy it there from the installer's ignition configs",
    ]);
    await stageBootAssets(lab, ssh);
    expect(hosts.bootReadiness('compute5').missing).toEqual([
      'no ignition file /var/www/html/ocp4/worker.ign on pxe (served as ' +
        "http://10.42.44.100/ocp4/worker.ign): copy it there from the installer's ignition configs",
    ]);
    // A stub that names a spec is not an ignition config of this cluster.
    await pxe.writeFileIfChanged('/var/www/html/ocp4/master.ign', '{"ignition":{"version":"2.2.0"}}');
    expect(hosts.bootReadiness('master1').missing).toEqual([
      'master.ign (/var/www/html/ocp4/master.ign on pxe) is not a pointer config to the machine config ' +
        'server (ignition.config.append[0].source https://api-int.intra.example.com:22623/config/master): ' +
        'run "openshift-install create ignition-configs" with this lab\'s install-config and copy the .ign files to the HTTP root',
    ]);
    const configs = await installerIgnition(lab);
    for (const [name, content] of Object.entries(configs))
      await pxe.writeFileIfChanged(`/var/www/html/ocp4/${name}`, content);
    expect(hosts.bootReadiness('master1')).toEqual({ ready: true, missing: [] });
    expect(hosts.bootReadiness('compute5')).toEqual({ ready: true, missing: [] });
    expect(hosts.bootReadiness('bootstrap')).toEqual({ ready: true, missing: [] });
    // The ignition of a 4.7 installer (spec 3) does not boot the lab's RHCOS 4.2.
    const newer = await installerIgnition({ ...lab, cluster: { ...lab.cluster, version: '4.7.0' } });
    await pxe.writeFileIfChanged('/var/www/html/ocp4/master.ign', newer['master.ign']);
    expect(hosts.bootReadiness('master1').missing).toEqual([
      'master.ign (/var/www/html/ocp4/master.ign on pxe) cannot boot master1: it is Ignition spec 3.2.0, but ' +
        "RHCOS 4.2.0 reads only spec 2.x (up to 2.2.0): create it with the openshift-install of the cluster's release",
    ]);
    await pxe.writeFileIfChanged('/var/www/html/ocp4/master.ign', configs['master.ign']!);

    const master1 = '/srv/tftpboot/pxelinux.cfg/01-52-54-00-be-c0-a4';
    const config = await pxe.readFile(master1);
    await pxe.writeFileIfChanged(master1, config.replace('/master.ign', '/worker.ign'));
    expect(hosts.bootReadiness('master1').missing).toEqual([
      `the PXE config ${master1} on pxe boots master1 with worker.ign, but a master node needs master.ign`,
    ]);
    await pxe.writeFileIfChanged(master1, config);
  });

  test('a lease only counts once the DHCP server has loaded it', async () => {
    const session = await ssh('netserv1');
    const good = await session.readFile('/etc/dhcp/dhcpd.conf');
    const withoutMaster3 = good.replace(/host master3 \{[^}]*\}\n/, '');
    await session.writeFileIfChanged('/etc/dhcp/dhcpd.conf', withoutMaster3);
    expect((await session.exec(['systemctl', 'restart', 'isc-dhcp-server'])).code).toBe(0);
    expect(hosts.bootReadiness('master3').missing).toEqual([
      'no DHCP lease for 52:54:00:69:74:8c (master3) → 10.42.253.12 in /etc/dhcp/dhcpd.conf on netserv1: ' +
        'write its host block, then restart the DHCP server',
    ]);
    await session.writeFileIfChanged('/etc/dhcp/dhcpd.conf', good);
    expect(hosts.bootReadiness('master3').missing).toEqual([
      'no DHCP lease for 52:54:00:69:74:8c (master3) in the loaded dhcpd.conf on netserv1: reload the DHCP server after writing it',
    ]);
    await session.exec(['systemctl', 'restart', 'isc-dhcp-server']);
    expect(hosts.bootReadiness('master3')).toEqual({ ready: true, missing: [] });
  });
});

describe('faults and restarts', () => {
  test('a host with the ssh-refused fault turns clients away until it is cleared', async () => {
    faults.add({ kind: 'ssh-refused', host: 'haproxy1' });
    const target = sshTargetFor(lab, 'haproxy1', { endpoints: hosts.endpoints });
    await expect(SshSession.connect(target)).rejects.toMatchObject({ detail: { code: 'CONNECT' } });
    await expect(SshSession.connect(target)).rejects.toThrow('haproxy1 (root@127.0.0.1:');
    // Others are unaffected.
    expect((await (await ssh('haproxy2')).exec(['systemctl', 'reload', 'haproxy'])).code).toBe(0);
    faults.clear('ssh-refused');
    const session = await SshSession.connect(target);
    await session.close();
  });

  test('only the lab user with the lab key gets in', async () => {
    const target = sshTargetFor(lab, 'pxe', { endpoints: hosts.endpoints });
    await expect(SshSession.connect({ ...target, user: 'core' })).rejects.toMatchObject({ detail: { code: 'AUTH' } });
    const strangerKey = join(stateDir, 'stranger');
    const ssh2 = (await import('ssh2')).default;
    await writeFile(strangerKey, ssh2.utils.generateKeyPairSync('ed25519').private);
    await expect(SshSession.connect({ ...target, identity: `file:${strangerKey}` })).rejects.toThrow('refused the key');
  });

  test('a restarted lab keeps host keys, files and loaded configurations', async () => {
    const before = hosts.endpoints.map(({ name, hostKey, root }) => ({ name, hostKey, root }));
    const loaded = hosts.activeConfig('netserv1', 'dhcp');
    await closeSessions();
    await hosts.stop();
    hosts = await start();
    expect(hosts.endpoints.map(({ name, hostKey, root }) => ({ name, hostKey, root }))).toEqual(before);
    expect(hosts.activeConfig('netserv1', 'dhcp')).toEqual(loaded);
    expect(await (await ssh('haproxy2')).readFile('/etc/motd')).toBe('simulated\n');
    expect(hosts.bootReadiness('master1').ready).toBe(true);
  });
});
