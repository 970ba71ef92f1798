/**
 * The simulated helper hosts through the real OpenSSH clients, as a user rehearsing the seed uses
 * them: `sftp -b` runs a batch and exits, `scp` copies both ways (OpenSSH 9 speaks SFTP underneath).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { chmod, copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLab } from '../../../lab/load.js';
import type { Lab } from '../../../lab/schema.js';
import { SimClock } from '../../../simulator/clock.js';
import { Faults } from '../../../simulator/faults.js';
import { startSimulatedHosts, type SimulatedHosts } from '../../../simulator/hosts/index.js';

const labFile = fileURLToPath(new URL('../../../runbooks/labs/example.yaml', import.meta.url));

let lab: Lab;
let stateDir: string;
let hosts: SimulatedHosts;
let key: string;

/** Options every client gets: the lab key (a 0600 copy), the host's loopback port, no known_hosts writes. */
function clientOptions(port: number, portFlag: '-P' | '-p'): string[] {
  return [
    portFlag,
    String(port),
    '-i',
    key,
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
  ];
}

const netserv1 = () => hosts.endpoints.find((endpoint) => endpoint.name === 'netserv1')!;

beforeAll(async () => {
  lab = await loadLab(labFile);
  stateDir = await mkdtemp(join(tmpdir(), 'runbook-openssh-'));
  const publicKey = await readFile(lab.secrets.sshPublicKey.slice('file:'.length), 'utf8');
  key = join(stateDir, 'id_ed25519');
  await copyFile(lab.secrets.sshPrivateKey.slice('file:'.length), key);
  await chmod(key, 0o600);
  hosts = await startSimulatedHosts({
    lab,
    stateDir: join(stateDir, 'lab'),
    authorizedKeys: [publicKey],
    faults: new Faults(),
    clock: new SimClock(0),
  });
});

afterAll(async () => {
  await hosts?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

describe('OpenSSH clients against a simulated host', () => {
  it('sftp -b runs its batch and exits when the batch ends', async () => {
    const local = join(stateDir, 'named.conf');
    await writeFile(local, 'zone "example.com" { type master; };\n');
    const batch = join(stateDir, 'batch');
    await writeFile(
      batch,
      [`put ${local} /etc/named.conf`, 'ls -l /etc/named.conf', `get /etc/named.conf ${local}.back`, ''].join('\n'),
    );
    const endpoint = netserv1();
    const result = await execa('sftp', [...clientOptions(endpoint.port, '-P'), '-b', batch, 'root@127.0.0.1'], {
      timeout: 20_000,
      reject: false,
    });
    expect({ code: result.exitCode, timedOut: result.timedOut, stderr: result.stderr }).toEqual({
      code: 0,
      timedOut: false,
      stderr: '',
    });
    expect(result.stdout).toContain('/etc/named.conf');
    expect(await readFile(join(endpoint.root, 'etc/named.conf'), 'utf8')).toBe(
      'zone "example.com" { type master; };\n',
    );
    expect(await readFile(`${local}.back`, 'utf8')).toBe('zone "example.com" { type master; };\n');
  });

  it('sftp lists the root as OpenSSH does (`ls /`, `ls -l /`, `cd /` then `ls`)', async () => {
    const batch = join(stateDir, 'batch-root');
    await writeFile(batch, ['ls /', 'ls -l /', 'cd /', 'ls', ''].join('\n'));
    const endpoint = netserv1();
    const result = await execa('sftp', [...clientOptions(endpoint.port, '-P'), '-b', batch, 'root@127.0.0.1'], {
      timeout: 20_000,
      reject: false,
    });
    expect({ code: result.exitCode, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    // The netserv1 root holds etc, run and var (named's folders) from the start.
    expect(result.stdout).toContain('sftp> ls /\n/etc  /run  /var');
    expect(result.stdout).toMatch(/^d\S+\s+.*\setc$/m);
    expect(result.stdout).toContain('sftp> ls\netc  run  var');
  });

  it('scp copies a file to the host, over an existing one, and back', async () => {
    const endpoint = netserv1();
    const local = join(stateDir, 'dhcpd.conf');
    await writeFile(local, 'subnet 10.42.253.0 netmask 255.255.255.0 {}\n');
    await writeFile(join(endpoint.root, 'etc/dhcpd.conf'), 'an older, longer configuration that scp must truncate\n');
    const put = await execa('scp', [...clientOptions(endpoint.port, '-P'), local, 'root@127.0.0.1:/etc/dhcpd.conf'], {
      timeout: 20_000,
      reject: false,
    });
    expect({ code: put.exitCode, stderr: put.stderr }).toEqual({ code: 0, stderr: '' });
    expect(await readFile(join(endpoint.root, 'etc/dhcpd.conf'), 'utf8')).toBe(
      'subnet 10.42.253.0 netmask 255.255.255.0 {}\n',
    );
    const get = await execa(
      'scp',
      [...clientOptions(endpoint.port, '-P'), 'root@127.0.0.1:/etc/dhcpd.conf', `${local}.back`],
      { timeout: 20_000, reject: false },
    );
    expect({ code: get.exitCode, stderr: get.stderr }).toEqual({ code: 0, stderr: '' });
    expect(await readFile(`${local}.back`, 'utf8')).toBe('subnet 10.42.253.0 netmask 255.255.255.0 {}\n');
  });
});
