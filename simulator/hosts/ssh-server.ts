/**
 * One simulated helper host on the wire: an ssh2 server on its own loopback port that takes only
 * public-key logins of the lab's SSH user, runs the host's accepted commands and serves SFTP over
 * its RootFs. While `refused()` holds, connections are closed before the SSH greeting, as a host
 * whose sshd turns clients away looks to them.
 */
import { createServer, type Socket } from 'node:net';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import type { RootFs } from './root-fs.js';
import type { CommandResult } from './services.js';
import { serveSftp } from './sftp-server.js';

const { Server, utils } = ssh2;

export interface SshHostOptions {
  user: string;
  /** OpenSSH public key lines allowed to log in. */
  authorizedKeys: readonly string[];
  hostPrivateKey: string;
  fs: RootFs;
  /** A download answers when it is done; other commands at once. */
  run(commandLine: string, env: Readonly<Record<string, string>>): CommandResult | Promise<CommandResult>;
  refused(): boolean;
  /** 0 picks a free port. */
  port: number;
}

export interface RunningSshHost {
  port: number;
  stop(): Promise<void>;
}

export function parseAuthorizedKeys(lines: readonly string[]): ParsedKey[] {
  return lines.map((line, index) => {
    const key = utils.parseKey(line);
    if (key instanceof Error || key.isPrivateKey()) {
      throw new Error(`authorized key #${index + 1} is not an OpenSSH public key line ("ssh-ed25519 AAAA… comment")`);
    }
    return key;
  });
}

export async function startSshHost(options: SshHostOptions): Promise<RunningSshHost> {
  const authorized = parseAuthorizedKeys(options.authorizedKeys);
  const server = new Server({ hostKeys: [options.hostPrivateKey] }, (client) => {
    client.on('error', () => {});
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey' || ctx.username !== options.user) return ctx.reject(['publickey']);
      const key = authorized.find((candidate) => candidate.getPublicSSH().equals(ctx.key.data));
      if (!key) return ctx.reject(['publickey']);
      // Without a signature the client only asks whether the key would do.
      if (!ctx.signature) return ctx.accept();
      return key.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) ? ctx.accept() : ctx.reject(['publickey']);
    });
    client.on('session', (accept) => {
      const session = accept();
      const env: Record<string, string> = {};
      session.on('env', (acceptEnv, _reject, info) => {
        env[info.key] = info.val;
        acceptEnv?.();
      });
      session.on('pty', (_accept, reject) => reject?.());
      session.on('shell', (_accept, reject) => reject?.());
      session.on('exec', (acceptExec, _reject, info) => {
        const stream = acceptExec();
        stream.on('data', () => {});
        void (async () => {
          let result: CommandResult;
          try {
            result = await options.run(info.command, env);
          } catch (error) {
            // A failing listener (e.g. of a power event) must not take the host down with it.
            result = { code: 1, stdout: '', stderr: `simulated host error: ${(error as Error).message}\n` };
          }
          // The client may have gone while a download ran: its channel is then closed already.
          if (stream.destroyed || stream.writableEnded) return;
          if (result.stdout) stream.write(result.stdout);
          if (result.stderr) stream.stderr.write(result.stderr);
          stream.exit(result.code);
          stream.end();
        })();
      });
      session.on('sftp', (acceptSftp) => serveSftp(acceptSftp(), options.fs));
    });
  });

  const sockets = new Set<Socket>();
  const listener = createServer((socket) => {
    if (options.refused()) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // ssh2 writes each packet on its own; with Nagle on, every request/reply waits for the peer's
    // delayed ACK (~40 ms on Linux), which makes each SSH round trip cost ~90 ms.
    socket.setNoDelay(true);
    server.injectSocket(socket);
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(options.port, '127.0.0.1', () => resolve());
  });
  const address = listener.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        listener.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
