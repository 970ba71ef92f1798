/**
 * A real OpenSSH sshd: its own config, host key, client key and authorized_keys in a temp folder,
 * listening on 127.0.0.1 on a free port, in the foreground (`-D -e`) as a child process. It logs in as
 * the user running it (root here; any user works when sshd runs as that user). Free of Jest, so that
 * the bench starts one too; tests use it through ./sshd.ts.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import getPort from 'get-port';

export const SSHD = '/usr/sbin/sshd';

export interface TestSshd {
  host: '127.0.0.1';
  port: number;
  user: string;
  dir: string;
  /** The server's public host key line (`ssh-ed25519 AAAA… comment`). */
  hostKey: string;
  /** Path of the client private key sshd accepts (`file:` it for a SecretRef). */
  clientKeyPath: string;
  stop(): Promise<void>;
}

export function sshdAvailable(): boolean {
  return existsSync(SSHD);
}

async function keygen(path: string, comment: string): Promise<void> {
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
}

export async function startSshd(): Promise<TestSshd> {
  const dir = await mkdtemp(join(tmpdir(), 'runbook-sshd-'));
  const user = userInfo().username;
  const asRoot = process.getuid?.() === 0;
  // sshd running as root insists on its privilege separation folder, as the Debian service creates it.
  if (asRoot && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKeyPath = join(dir, 'ssh_host_ed25519_key');
  const clientKeyPath = join(dir, 'id_ed25519');
  await Promise.all([keygen(hostKeyPath, 'test-host'), keygen(clientKeyPath, 'test-client')]);
  await writeFile(join(dir, 'authorized_keys'), await readFile(`${clientKeyPath}.pub`, 'utf8'));
  const port = await getPort({ host: '127.0.0.1' });
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKeyPath}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    'StrictModes no',
    'UsePAM no',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    `PermitRootLogin ${asRoot ? 'prohibit-password' : 'no'}`,
    'AcceptEnv RUNBOOK_TEST_*',
    'Subsystem sftp internal-sftp',
    'LogLevel INFO',
    '',
  ].join('\n');
  const configPath = join(dir, 'sshd_config');
  await writeFile(configPath, config);

  const child: ResultPromise = execa(SSHD, ['-D', '-e', '-f', configPath], { reject: false, stdin: 'ignore' });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (/Server listening on 127\.0\.0\.1 port/.test(log)) {
        child.stderr?.off('data', onData);
        resolve();
      }
    };
    child.stderr?.on('data', onData);
    void child.then((result) => reject(new Error(`sshd exited (${result.exitCode}) before listening:\n${log}`)));
  });

  return {
    host: '127.0.0.1',
    port,
    user,
    dir,
    hostKey: (await readFile(`${hostKeyPath}.pub`, 'utf8')).trim(),
    clientKeyPath,
    async stop() {
      child.kill('SIGTERM');
      await child;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
