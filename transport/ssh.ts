/**
 * The SSH client the runbook activities use to reach the helper hosts: strict host key checking,
 * commands as argument vectors (quoted for the remote shell, never built as shell strings), SFTP
 * file operations that are idempotent (`writeFileIfChanged`) and atomic (temp file + rename), and
 * AbortSignal support so a cancelled activity stops its remote work.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { posix, resolve as resolvePath } from 'node:path';
import ssh2 from 'ssh2';
import type { ClientChannel, ConnectConfig, SFTPWrapper, ServerHostKeyAlgorithm, Stats } from 'ssh2';
import type { SecretRef } from '../lab/schema.js';
import { resolveSecret } from '../lab/secrets.js';
import { assertLoopbackTarget } from './guard.js';
import {
  fingerprint,
  formatPublicKey,
  keyTypeOf,
  knownHostsName,
  knownKeyTypes,
  verifyHostKey,
} from './known-hosts.js';
import type { HostKeyVerdict, KnownKeys } from './known-hosts.js';
import { quoteCommand } from './shell.js';
import type { SshTarget } from './targets.js';

const { Client } = ssh2;
type SshClient = InstanceType<typeof Client>;

const NO_SUCH_FILE = 2;

/** Names the host and, when there is one, the command or path; never a secret value. */
export class SshError extends Error {
  /**
   * A host key that does not match (or cannot be checked) and a key the host refuses stay wrong until
   * the operator fixes the lab or the host: permanent (see ./permanent.ts). A refused or lost
   * connection may be a host rebooting: retried.
   */
  readonly nonRetryable: boolean;

  constructor(
    message: string,
    public readonly host: string,
    public readonly detail: { command?: string; path?: string; code?: 'ENOENT' | 'HOSTKEY' | 'AUTH' | 'CONNECT' } = {},
  ) {
    super(message);
    this.name = 'SshError';
    this.nonRetryable = detail.code === 'HOSTKEY' || detail.code === 'AUTH';
  }
}

export interface SshConnectOptions {
  /** How long the TCP connect + SSH handshake + authentication may take (default 20 s). */
  readyTimeoutMs?: number;
  /** Aborting it closes the session; pending operations fail. */
  signal?: AbortSignal;
  /** Reads a secret reference; defaults to lab/secrets.ts `resolveSecret`. */
  resolveSecret?: (ref: SecretRef) => Promise<string>;
}

export interface ExecOptions {
  stdin?: string | Buffer;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Variables for the remote command (sshd passes only those its AcceptEnv lists); never logged. */
  env?: Record<string, string>;
}

export interface ExecResult {
  /** Exit status; null when the command was ended by a signal. */
  code: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
}

export interface RemoteStat {
  type: 'file' | 'directory' | 'symlink' | 'other';
  size: number;
  /** Permission bits (`0o644`). */
  mode: number;
  /** Seconds since the epoch. */
  mtime: number;
}

/** `~/` is the home folder; other relative paths start at the working folder. */
function expandPath(path: string): string {
  if (path === '~' || path.startsWith('~/')) return resolvePath(homedir(), path.slice(2));
  return resolvePath(path);
}

/** Wire algorithms that carry each key type, to offer known key types first. */
const HOST_KEY_ALGORITHMS: Record<string, ServerHostKeyAlgorithm[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
};

export class SshSession {
  private sftpChannel: Promise<SFTPWrapper> | undefined;
  private closed: Error | undefined;

  private constructor(
    private readonly client: SshClient,
    readonly target: SshTarget,
  ) {
    client.on('close', () => {
      this.closed ??= new SshError(`the SSH connection to ${this.where()} was closed`, target.label);
    });
  }

  /** Connects and authenticates, or fails with a message that says what to fix. */
  static async connect(target: SshTarget, options: SshConnectOptions = {}): Promise<SshSession> {
    if (target.rehearsal) assertLoopbackTarget(target.host, `${target.label} ssh`);
    options.signal?.throwIfAborted();
    const known = await knownKeys(target);
    let privateKey: string;
    try {
      privateKey = await (options.resolveSecret ?? resolveSecret)(target.identity);
    } catch (error) {
      throw new SshError(`cannot load the SSH key of ${target.label}: ${(error as Error).message}`, target.label);
    }
    const client = new Client();
    // Errors are handled by whoever waits (connect, exec, SFTP); a late one must not crash the worker.
    client.on('error', () => {});
    let verdict: { result: HostKeyVerdict; presented: Buffer } | undefined;
    const preferred = knownKeyTypes(known, target.host, target.port).flatMap((type) => HOST_KEY_ALGORITHMS[type] ?? []);
    const config: ConnectConfig = {
      host: target.host,
      port: target.port,
      username: target.user,
      privateKey,
      readyTimeout: options.readyTimeoutMs ?? 20_000,
      hostVerifier: (key: Buffer) => {
        verdict = { result: verifyHostKey(key, known, target.host, target.port), presented: key };
        return verdict.result.status === 'match';
      },
    };
    if (preferred.length > 0)
      config.algorithms = { serverHostKey: { remove: preferred, prepend: preferred, append: [] } };

    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        client.destroy();
        reject(options.signal?.reason);
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const settle = (error?: Error) => {
        options.signal?.removeEventListener('abort', onAbort);
        client.removeListener('ready', onReady).removeListener('error', onError).removeListener('close', onClose);
        if (error) {
          client.destroy();
          reject(error);
        } else resolve();
      };
      const onReady = () => settle();
      const onError = (error: Error & { level?: string; code?: string }) =>
        settle(connectError(target, error, verdict, known));
      const onClose = () => settle(connectError(target, new Error('Connection lost before handshake'), verdict, known));
      client.on('ready', onReady).on('error', onError).on('close', onClose);
      try {
        client.connect(config);
        // Each SSH request is a small packet followed by a wait for the reply: without this, Nagle
        // and the peer's delayed ACK add ~40 ms to every round trip.
        client.setNoDelay(true);
      } catch (error) {
        settle(
          new SshError(`cannot connect to ${where(target)}: ${(error as Error).message}`, target.label, {
            code: 'CONNECT',
          }),
        );
      }
    });
    const session = new SshSession(client, target);
    options.signal?.addEventListener('abort', () => client.destroy(), { once: true });
    return session;
  }

  /** Runs `argv` on the host; a non-zero exit is a result, not an error (see `execChecked`). */
  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const command = quoteCommand(argv);
    const signal = combinedSignal(options);
    signal?.throwIfAborted();
    this.assertOpen(command);
    return new Promise<ExecResult>((resolve, reject) => {
      this.client.exec(command, options.env ? { env: options.env } : {}, (error, channel) => {
        if (error) {
          reject(this.error(`cannot start \`${command}\`: ${error.message}`, { command }));
          return;
        }
        // Listen before returning to the event loop: a quick command's exit status can come in the
        // same read as the reply that opened the channel, and ssh2 emits it at once.
        this.collect(command, channel, signal, options.stdin).then(resolve, reject);
      });
    });
  }

  private collect(
    command: string,
    channel: ClientChannel,
    signal: AbortSignal | undefined,
    stdin: ExecOptions['stdin'],
  ): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve, reject) => {
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let exit: { code: number | null; signal?: string } | undefined;
      const onAbort = () => {
        channel.signal('KILL');
        channel.close();
        reject(signal?.reason);
      };
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      channel.on('data', (chunk: Buffer) => stdout.push(chunk));
      channel.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      channel.on('exit', (code: number | null, signalName?: string) => {
        exit = signalName ? { code: null, signal: signalName } : { code };
      });
      channel.on('close', () => {
        signal?.removeEventListener('abort', onAbort);
        if (signal?.aborted) return;
        if (!exit) {
          reject(this.error(`the connection closed before \`${command}\` finished`, { command }));
          return;
        }
        const result: ExecResult = {
          code: exit.code,
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
        };
        if (exit.signal) result.signal = exit.signal;
        resolve(result);
      });
      channel.end(stdin);
    });
  }

  /** Runs `argv` and fails, naming host, command and the end of stderr, unless it exits 0. */
  async execChecked(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const result = await this.exec(argv, options);
    if (result.code === 0) return result;
    const command = quoteCommand(argv);
    const status = result.code === null ? `was killed by ${result.signal ?? 'a signal'}` : `exited with ${result.code}`;
    const tail = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-5).join('\n');
    throw this.error(`\`${command}\` ${status}${tail ? `: ${tail}` : ''}`, { command });
  }

  async readFile(path: string): Promise<string> {
    return (await this.readBuffer(path)).toString('utf8');
  }

  async readFileIfExists(path: string): Promise<string | undefined> {
    try {
      return await this.readFile(path);
    } catch (error) {
      if (error instanceof SshError && error.detail.code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Metadata of `path` (following symlinks), or undefined when it does not exist. */
  async stat(path: string): Promise<RemoteStat | undefined> {
    try {
      const stats = await this.sftpCall<Stats>('stat', path, (sftp, done) => sftp.stat(path, done));
      return remoteStat(stats);
    } catch (error) {
      if (error instanceof SshError && error.detail.code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /**
   * Makes `path` hold `content` (and `mode`, when given): nothing is written when it already does;
   * otherwise the content goes to a temporary file beside it that is then renamed over it, so a
   * reader never sees half a file. Without `mode`, an existing file keeps its mode, a new one gets 0644.
   */
  async writeFileIfChanged(path: string, content: string | Buffer, mode?: number): Promise<{ changed: boolean }> {
    const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    const current = await this.stat(path);
    if (current && current.type !== 'file') throw this.error(`cannot write ${path}: it is a ${current.type}`, { path });
    if (current && current.size === data.length && (await this.readBuffer(path)).equals(data)) {
      if (mode === undefined || current.mode === mode) return { changed: false };
      await this.sftpCall('chmod', path, (sftp, done) => sftp.chmod(path, mode, done));
      return { changed: true };
    }
    const finalMode = mode ?? current?.mode ?? 0o644;
    const temp = posix.join(posix.dirname(path), `.${posix.basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await this.sftpCall('write', temp, (sftp, done) => sftp.writeFile(temp, data, { mode: finalMode }, done));
      await this.sftpCall('chmod', temp, (sftp, done) => sftp.chmod(temp, finalMode, done));
      await this.replace(temp, path);
    } catch (error) {
      await this.sftpCall('remove', temp, (sftp, done) => sftp.unlink(temp, done)).catch(() => {});
      if (error instanceof SshError && error.detail.code === 'ENOENT' && !(await this.stat(posix.dirname(path)))) {
        throw this.error(`cannot write ${path}: the folder ${posix.dirname(path)} does not exist (create it first)`, {
          path,
        });
      }
      throw error;
    }
    return { changed: true };
  }

  /** Removes the file `path`; nothing to do when it does not exist. */
  async remove(path: string): Promise<{ changed: boolean }> {
    const current = await this.stat(path);
    if (!current) return { changed: false };
    if (current.type === 'directory') throw this.error(`cannot remove ${path}: it is a folder`, { path });
    await this.sftpCall('remove', path, (sftp, done) => sftp.unlink(path, done));
    return { changed: true };
  }

  /** Creates `path` and its missing parents, like `mkdir -p`. */
  async mkdirp(path: string, mode = 0o755): Promise<{ changed: boolean }> {
    if (!path.startsWith('/')) throw this.error(`mkdirp needs an absolute path, got ${path}`, { path });
    let changed = false;
    let current = '';
    for (const part of path.split('/').filter(Boolean)) {
      current = `${current}/${part}`;
      const found = await this.stat(current);
      if (found?.type === 'directory') continue;
      if (found) throw this.error(`cannot create the folder ${path}: ${current} is a ${found.type}`, { path });
      const folder = current;
      await this.sftpCall('mkdir', folder, (sftp, done) => sftp.mkdir(folder, { mode }, done));
      changed = true;
    }
    return { changed };
  }

  /** Ends the session; safe to call more than once. */
  async close(): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve) => {
      this.client.once('close', () => resolve());
      this.client.end();
    });
  }

  private where(): string {
    return where(this.target);
  }

  private error(message: string, detail: SshError['detail'] = {}): SshError {
    return new SshError(`${this.where()}: ${message}`, this.target.label, detail);
  }

  private assertOpen(what: string): void {
    if (this.closed) throw this.error(`cannot run ${what}: the connection is closed`);
  }

  private sftp(): Promise<SFTPWrapper> {
    this.assertOpen('SFTP');
    this.sftpChannel ??= new Promise<SFTPWrapper>((resolve, reject) => {
      this.client.sftp((error, sftp) =>
        error ? reject(this.error(`cannot open SFTP: ${error.message}`)) : resolve(sftp),
      );
    });
    return this.sftpChannel;
  }

  private async sftpCall<T = void>(
    operation: string,
    path: string,
    call: (sftp: SFTPWrapper, done: (error: (Error & { code?: number }) | null | undefined, value?: T) => void) => void,
  ): Promise<T> {
    const sftp = await this.sftp();
    return new Promise<T>((resolve, reject) => {
      call(sftp, (error, value) => {
        if (!error) return resolve(value as T);
        const missing = error.code === NO_SUCH_FILE;
        const detail: SshError['detail'] = missing ? { path, code: 'ENOENT' } : { path };
        reject(
          this.error(`cannot ${operation} ${path}: ${missing ? 'no such file or folder' : error.message}`, detail),
        );
      });
    });
  }

  private readBuffer(path: string): Promise<Buffer> {
    return this.sftpCall<Buffer>('read', path, (sftp, done) => sftp.readFile(path, done));
  }

  /** Renames over an existing file: atomically with OpenSSH's posix-rename, else rename (after removal if refused). */
  private async replace(from: string, to: string): Promise<void> {
    const sftp = await this.sftp();
    let posixRename = true;
    await this.sftpCall('rename', to, (_, done) => {
      try {
        sftp.ext_openssh_rename(from, to, done);
      } catch {
        posixRename = false;
        done(null);
      }
    });
    if (posixRename) return;
    try {
      await this.sftpCall('rename', to, (_, done) => sftp.rename(from, to, done));
    } catch (error) {
      if (!(await this.stat(to))) throw error;
      await this.sftpCall('remove', to, (_, done) => sftp.unlink(to, done));
      await this.sftpCall('rename', to, (_, done) => sftp.rename(from, to, done));
    }
  }
}

function where(target: SshTarget): string {
  return `${target.label} (${target.user}@${target.host}:${target.port})`;
}

function combinedSignal(options: ExecOptions): AbortSignal | undefined {
  const signals = [
    options.signal,
    options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs),
  ];
  const present = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  return present.length > 1 ? AbortSignal.any(present) : present[0];
}

function remoteStat(stats: Stats): RemoteStat {
  const type = stats.isFile()
    ? 'file'
    : stats.isDirectory()
      ? 'directory'
      : stats.isSymbolicLink()
        ? 'symlink'
        : 'other';
  return { type, size: stats.size, mode: stats.mode & 0o7777, mtime: stats.mtime };
}

async function knownKeys(target: SshTarget): Promise<KnownKeys> {
  if (target.hostKey) return { pinned: target.hostKey };
  if (!target.knownHostsFile) {
    throw new SshError(
      `no host key to verify ${target.label} against: set hosts[].ssh.hostKey or hosts[].ssh.knownHosts in the lab file`,
      target.label,
      { code: 'HOSTKEY' },
    );
  }
  const path = expandPath(target.knownHostsFile);
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw new SshError(`cannot read the known_hosts file ${path}: ${error.code ?? error.message}`, target.label, {
      code: 'HOSTKEY',
    });
  });
  return { knownHosts: { path, text } };
}

function connectError(
  target: SshTarget,
  error: Error & { level?: string; code?: string },
  verdict: { result: HostKeyVerdict; presented: Buffer } | undefined,
  known: KnownKeys,
): SshError {
  if (verdict && verdict.result.status !== 'match')
    return hostKeyError(target, verdict.result, verdict.presented, known);
  const at = where(target);
  if (error.level === 'client-authentication') {
    return new SshError(
      `${at} refused the key ${target.identity}: add its public key to ` +
        `~${target.user}/.ssh/authorized_keys on ${target.label}, or set hosts[].ssh.identity / ` +
        `secrets.sshPrivateKey to the right key`,
      target.label,
      { code: 'AUTH' },
    );
  }
  if (error.code === 'ECONNREFUSED') {
    return new SshError(
      `cannot reach ${at}: connection refused (is sshd running there, and is the port right?)`,
      target.label,
      { code: 'CONNECT' },
    );
  }
  if (/Timed out while waiting for handshake/.test(error.message)) {
    return new SshError(
      `cannot reach ${at}: no SSH handshake in time (check the address, the port and any firewall)`,
      target.label,
      { code: 'CONNECT' },
    );
  }
  if (/Connection lost before handshake|ECONNRESET/.test(`${error.message} ${error.code ?? ''}`)) {
    return new SshError(
      `${at} closed the connection before the SSH handshake (sshd refused it: check that sshd accepts connections from this machine)`,
      target.label,
      { code: 'CONNECT' },
    );
  }
  return new SshError(`cannot connect to ${at}: ${error.message}`, target.label, { code: 'CONNECT' });
}

function hostKeyError(target: SshTarget, verdict: HostKeyVerdict, presented: Buffer, known: KnownKeys): SshError {
  const at = `${target.label} (${target.host}:${target.port})`;
  const key = formatPublicKey(presented);
  const print = `${keyTypeOf(presented) ?? 'unknown'} key ${fingerprint(presented)}`;
  const knownHostsLine = `${knownHostsName(target.host, target.port)} ${key}`;
  const pinHow = known.knownHosts
    ? `add this line to ${known.knownHosts.path}: ${knownHostsLine}`
    : `set hosts[].ssh.hostKey of ${target.label} in the lab file to "${key}"`;
  let message: string;
  if (verdict.status === 'revoked') {
    message = `${at} presented the revoked host ${print} (${verdict.where}); refusing to connect`;
  } else if (verdict.status === 'changed') {
    message =
      `${at} presented a host key that DIFFERS from the known one: ${print}, expected ${verdict.expected.join(' or ')}. ` +
      `Someone may be intercepting the connection, or the host was reinstalled; once you have ` +
      `checked the new fingerprint on the host, ${pinHow}`;
  } else {
    message =
      `${at} is not a known host: it presented the ${print}. ` +
      `Check that fingerprint on the host itself (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), then ${pinHow}`;
  }
  return new SshError(message, target.label, { code: 'HOSTKEY' });
}
