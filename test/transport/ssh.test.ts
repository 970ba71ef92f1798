/** The SSH transport against a real OpenSSH sshd on loopback. */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { RehearsalTargetError } from '../../transport/guard.js';
import { SshError, SshSession } from '../../transport/ssh.js';
import type { SshTarget } from '../../transport/targets.js';
import { describeWithSshd, startSshd, type TestSshd } from '../support/sshd.js';

describeWithSshd('SshSession against OpenSSH sshd', () => {
  let sshd: TestSshd;
  let session: SshSession;
  let target: SshTarget;

  beforeAll(async () => {
    sshd = await startSshd();
    target = {
      label: 'testhost',
      host: sshd.host,
      port: sshd.port,
      user: sshd.user,
      hostKey: sshd.hostKey,
      identity: `file:${sshd.clientKeyPath}`,
      rehearsal: false,
    };
    session = await SshSession.connect(target);
  });

  afterAll(async () => {
    await session?.close();
    await sshd?.stop();
  });

  test('arguments arrive verbatim, whatever they hold', async () => {
    const awkward = [
      'a b',
      "it's",
      '"double"',
      '$(id)',
      '`id`',
      ';',
      '&& reboot',
      '*',
      '~',
      '',
      'tab\there',
      'line\nbreak',
      '-n',
      '\\',
    ];
    const result = await session.exec(['printf', '%s\\0', ...awkward]);
    expect(result).toEqual({ code: 0, stdout: awkward.map((arg) => `${arg}\0`).join(''), stderr: '' });
  });

  test('exit codes, stdin and environment', async () => {
    expect(await session.exec(['sh', '-c', 'echo oops >&2; exit 3'])).toEqual({
      code: 3,
      stdout: '',
      stderr: 'oops\n',
    });
    expect((await session.exec(['cat'], { stdin: 'from stdin\n' })).stdout).toBe('from stdin\n');
    expect(
      (await session.exec(['printenv', 'RUNBOOK_TEST_VALUE'], { env: { RUNBOOK_TEST_VALUE: 'x y' } })).stdout,
    ).toBe('x y\n');
  });

  test('execChecked names host, command and error output', async () => {
    const failure = session.execChecked(['sh', '-c', 'echo "no such zone" >&2; exit 1']);
    await expect(failure).rejects.toThrow(SshError);
    await expect(failure).rejects.toThrow(
      /testhost \(.*@127\.0\.0\.1:\d+\): `sh -c 'echo "no such zone" >&2; exit 1'` exited with 1: no such zone/,
    );
  });

  test('an aborted command stops and the session stays usable', async () => {
    const controller = new AbortController();
    const running = session.exec(['sleep', '600'], { signal: controller.signal });
    controller.abort(new Error('activity cancelled'));
    await expect(running).rejects.toThrow('activity cancelled');
    expect((await session.exec(['echo', 'still here'])).stdout).toBe('still here\n');
    await expect(session.exec(['sleep', '600'], { timeoutMs: 200 })).rejects.toMatchObject({ name: 'TimeoutError' });
    expect((await session.exec(['true'])).code).toBe(0);
  });

  test('writeFileIfChanged writes once, atomically, and keeps the mode', async () => {
    const path = join(sshd.dir, 'files', 'dhcpd.conf');
    await expect(session.writeFileIfChanged(path, 'x')).rejects.toThrow(
      /the folder .*files does not exist \(create it first\)/,
    );
    expect(await session.mkdirp(join(sshd.dir, 'files', 'nested'))).toEqual({ changed: true });
    expect(await session.mkdirp(join(sshd.dir, 'files', 'nested'))).toEqual({ changed: false });

    expect(await session.writeFileIfChanged(path, 'host a {}\n', 0o640)).toEqual({ changed: true });
    expect(await session.writeFileIfChanged(path, 'host a {}\n', 0o640)).toEqual({ changed: false });
    expect(await readFile(path, 'utf8')).toBe('host a {}\n');
    expect((await stat(path)).mode & 0o777).toBe(0o640);

    expect(await session.writeFileIfChanged(path, 'host a {}\n', 0o600)).toEqual({ changed: true });
    expect(await session.writeFileIfChanged(path, 'host b {}\n')).toEqual({ changed: true });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await session.readFile(path)).toBe('host b {}\n');
    expect((await readdir(join(sshd.dir, 'files'))).sort()).toEqual(['dhcpd.conf', 'nested']);
  });

  test('stat and missing files', async () => {
    expect(await session.stat(join(sshd.dir, 'missing'))).toBeUndefined();
    expect(await session.readFileIfExists(join(sshd.dir, 'missing'))).toBeUndefined();
    await expect(session.readFile(join(sshd.dir, 'missing'))).rejects.toMatchObject({ detail: { code: 'ENOENT' } });
    expect(await session.stat(sshd.dir)).toMatchObject({ type: 'directory' });
  });

  test('a wrong pinned host key is refused', async () => {
    const other = (await readFile(`${sshd.clientKeyPath}.pub`, 'utf8')).trim();
    const connecting = SshSession.connect({ ...target, hostKey: other });
    await expect(connecting).rejects.toMatchObject({ detail: { code: 'HOSTKEY' } });
    await expect(connecting).rejects.toThrow(
      /DIFFERS from the known one.*set hosts\[\]\.ssh\.hostKey of testhost in the lab file to "ssh-ed25519 AAAA/,
    );
  });

  test('known_hosts entries, plain and hashed, are accepted', async () => {
    const plain = join(sshd.dir, 'known_hosts');
    await writeFile(plain, `# comment\nother.example.com ${sshd.hostKey}\n[127.0.0.1]:${sshd.port} ${sshd.hostKey}\n`);
    const viaPlain = await SshSession.connect({ ...target, hostKey: undefined, knownHostsFile: plain });
    await viaPlain.close();

    const hashed = join(sshd.dir, 'known_hosts_hashed');
    await writeFile(hashed, `[127.0.0.1]:${sshd.port} ${sshd.hostKey}\n`);
    await execa('ssh-keygen', ['-H', '-f', hashed]);
    expect(await readFile(hashed, 'utf8')).toMatch(/^\|1\|/);
    const viaHashed = await SshSession.connect({ ...target, hostKey: undefined, knownHostsFile: hashed });
    expect((await viaHashed.exec(['true'])).code).toBe(0);
    await viaHashed.close();
  });

  test('an unknown host is refused with the way to pin it', async () => {
    const file = join(sshd.dir, 'known_hosts_other');
    // The right key, but for port 22: OpenSSH keys entries for other ports as [host]:port.
    await writeFile(file, `127.0.0.1 ${sshd.hostKey}\n`);
    const connecting = SshSession.connect({ ...target, hostKey: undefined, knownHostsFile: file });
    await expect(connecting).rejects.toThrow(`is not a known host: it presented the ssh-ed25519 key SHA256:`);
    await expect(connecting).rejects.toThrow(
      `add this line to ${file}: [127.0.0.1]:${sshd.port} ${sshd.hostKey.split(' ').slice(0, 2).join(' ')}`,
    );
  });

  test('a key sshd does not accept is reported as such', async () => {
    const stranger = join(sshd.dir, 'stranger');
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
    const connecting = SshSession.connect({ ...target, identity: `file:${stranger}` });
    await expect(connecting).rejects.toThrow(
      `refused the key file:${stranger}: add its public key to ~${sshd.user}/.ssh/authorized_keys`,
    );
  });

  test('rehearsal targets must be loopback, checked before anything else', async () => {
    const outside = {
      ...target,
      host: '10.42.253.3',
      label: 'netserv1',
      rehearsal: true,
      identity: 'file:/nonexistent/key',
    };
    await expect(SshSession.connect(outside)).rejects.toThrow(RehearsalTargetError);
    await expect(SshSession.connect(outside)).rejects.toThrow(
      'rehearsal refuses to connect to 10.42.253.3 (netserv1 ssh): rehearsals only talk to the simulated lab on loopback',
    );
    const rehearsal = await SshSession.connect({ ...target, rehearsal: true });
    await rehearsal.close();
  });
});
