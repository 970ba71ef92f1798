/**
 * The real `haproxy` of a simulated load balancer host, in master-worker mode as Debian's
 * haproxy.service runs it: started from the host's haproxy.cfg (bind and server addresses moved to
 * loopback, ./loopback-configs.ts), reloaded with SIGUSR2 after `haproxy -c` passed on the pushed
 * file, as `systemctl reload haproxy` does; a reload re-reads the file, so removing a backend server
 * is a real reload.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Host } from '../../lab/schema.js';
import { DaemonProcess } from './daemon-process.js';
import { findTool, missingProgram } from './debian-programs.js';
import { haproxyLoopbackConf } from './loopback-configs.js';
import { reservePort } from '../loopback-ports.js';
import type { LabEndpoints } from './node-endpoints.js';
import type { RootFs } from './root-fs.js';
import type { CommandResult } from './services.js';

const FAILED = /Loading failure!|Fatal errors found|exit-on-failure|\[ALERT\]/;

export class HaproxyDaemon {
  private readonly process: DaemonProcess;
  private readonly loopbackFile: string;
  private readonly frontends = new Map<number, Promise<number>>();

  constructor(
    private readonly host: Host & { haproxy: NonNullable<Host['haproxy']> },
    private readonly fs: RootFs,
    stateDir: string,
    private readonly endpoints: LabEndpoints,
    /** Ports whose backend servers HAProxy reaches nowhere (the lb-port-nowhere fault). */
    private readonly nowhere: () => readonly number[] = () => [],
  ) {
    mkdirSync(stateDir, { recursive: true });
    this.process = new DaemonProcess(`haproxy of ${host.name}`, join(stateDir, 'haproxy.log'));
    this.loopbackFile = join(stateDir, 'haproxy-loopback.cfg');
  }

  running(): boolean {
    return this.process.running();
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  /**
   * The loopback port that stands for the host's lab port `port` (6443, 22623, …): fixed for the
   * lab's life, whether or not HAProxy binds it now.
   */
  frontendPort(port: number): Promise<number> {
    let loopback = this.frontends.get(port);
    if (loopback === undefined) {
      loopback = reservePort();
      this.frontends.set(port, loopback);
    }
    return loopback;
  }

  /** Writes the loopback configuration from the host's haproxy.cfg as it is now. */
  private async writeLoopbackConf(): Promise<string | undefined> {
    const text = this.fs.readText(this.host.haproxy.configPath);
    if (text === undefined) return undefined;
    const frontends = new Map<number, number>();
    for (const match of text.matchAll(/^\s*bind\s+(\S+)/gm))
      for (const address of match[1]!.split(',')) {
        const port = Number(address.slice(address.lastIndexOf(':') + 1));
        if (Number.isInteger(port) && port > 0) frontends.set(port, await this.frontendPort(port));
      }
    for (const match of text.matchAll(/^\s*server\s+\S+\s+([^\s:]+)(?::(\d+))?/gm))
      await this.endpoints.portOf(match[1]!, Number(match[2] ?? 0));
    const nowhere = this.nowhere();
    // An address of no lab node: its loopback port never listens, so every connection is refused.
    const refusing = nowhere.length ? await this.endpoints.portOf('0.0.0.0', 0) : 0;
    writeFileSync(
      this.loopbackFile,
      haproxyLoopbackConf(text, {
        frontendPort: (port) => frontends.get(port)!,
        serverPort: (address, port) => (nowhere.includes(port) ? refusing : this.endpoints.knownPort(address, port)!),
      }),
    );
    return this.loopbackFile;
  }

  /** `systemctl start haproxy`: a configuration it cannot load leaves it stopped. */
  async start(): Promise<CommandResult> {
    if (this.process.running()) return { code: 0, stdout: '', stderr: '' };
    const haproxy = findTool('haproxy');
    if (!haproxy) return missingProgram('haproxy');
    const file = await this.writeLoopbackConf();
    if (!file) return { code: 1, stdout: '', stderr: `[ALERT] Cannot open ${this.host.haproxy.configPath}\n` };
    const started = await this.process.start([haproxy, '-W', '-f', file], /Loading success\./);
    if (started.ok) return { code: 0, stdout: '', stderr: '' };
    const lines = started.output.split('\n').filter((line) => /\[ALERT\]/.test(line));
    return { code: 1, stdout: '', stderr: lines.map((line) => `${line}\n`).join('') };
  }

  /** SIGUSR2 to the master: it re-reads the configuration and replaces its worker. */
  async reload(): Promise<CommandResult> {
    if (!this.process.running()) return this.start();
    await this.writeLoopbackConf();
    const from = this.process.mark();
    this.process.signal('SIGUSR2');
    const done = await this.process.waitFor(/Loading success\.|Loading failure!/, from);
    const output = this.process.since(from);
    if (done && !/Loading failure!/.test(output)) return { code: 0, stdout: '', stderr: '' };
    const lines = output.split('\n').filter((line) => FAILED.test(line));
    return { code: 1, stdout: '', stderr: lines.map((line) => `${line}\n`).join('') };
  }

  async stop(): Promise<void> {
    await this.process.stop();
  }

  async close(): Promise<void> {
    await this.process.close();
  }
}
