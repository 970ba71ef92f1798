/**
 * A real daemon (named, haproxy) of a simulated host, as a child process of the simulator: started in
 * the foreground, its output appended to a log file in the host's state folder, ready once it prints
 * its ready line. It dies with the simulator: `stop()` ends it, and `setpriv --pdeathsig KILL` kills
 * it if the simulator itself dies first (a crashed test, a killed worker), so none outlives a lab.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { findTool } from './debian-programs.js';

export interface Started {
  ok: boolean;
  /** What the daemon printed up to being ready (or exiting). */
  output: string;
}

export class DaemonProcess {
  private child: ChildProcess | undefined;
  private output = '';
  private log: WriteStream | undefined;
  private waiters: Array<() => void> = [];

  constructor(
    /** What the process list shows for it, in messages. */
    readonly name: string,
    private readonly logFile: string,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  running(): boolean {
    return this.child !== undefined;
  }

  /** Output printed since `from` (an offset from `mark()`). */
  since(from: number): string {
    return this.output.slice(from);
  }

  mark(): number {
    return this.output.length;
  }

  /**
   * Starts `argv`; resolves once `ready` matches what it printed (ok) or it exited (not ok).
   * Resolves not ok after `timeoutMs` too, with the process stopped.
   */
  async start(argv: readonly string[], ready: RegExp, timeoutMs = 30_000): Promise<Started> {
    if (this.child) throw new Error(`${this.name} is already running (pid ${this.child.pid})`);
    const setpriv = findTool('setpriv');
    const full = setpriv ? [setpriv, '--pdeathsig', 'KILL', ...argv] : [...argv];
    this.output = '';
    this.log ??= createWriteStream(this.logFile, { flags: 'a' });
    const child = spawn(full[0]!, full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const take = (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
      this.log?.write(chunk);
      for (const wake of this.waiters.splice(0)) wake();
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    const exited = new Promise<void>((resolve) => {
      child.once('error', (error) => {
        this.output += `${argv[0]}: ${error.message}\n`;
        resolve();
      });
      child.once('exit', () => resolve());
    });
    void exited.then(() => {
      if (this.child === child) this.child = undefined;
      for (const wake of this.waiters.splice(0)) wake();
    });
    const ok = await this.waitFor(ready, 0, timeoutMs);
    if (!ok) await this.stop();
    return { ok, output: this.output };
  }

  /** Waits until the output after offset `from` matches `pattern`; false if the process ends first. */
  async waitFor(pattern: RegExp, from: number, timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (pattern.test(this.output.slice(from))) return true;
      if (!this.child || Date.now() > deadline) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()) + 1);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /** Ends the daemon (SIGTERM, then SIGKILL if it lingers) and waits for it to be gone. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const gone = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
    if (this.child === child) this.child = undefined;
  }

  async close(): Promise<void> {
    await this.stop();
    const log = this.log;
    this.log = undefined;
    if (log) await new Promise<void>((resolve) => log.end(() => resolve()));
  }
}
