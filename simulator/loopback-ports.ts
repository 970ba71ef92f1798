/**
 * Loopback ports for listeners that bind later (a HAProxy frontend, a node's endpoint, etcd and
 * kube-apiserver before they start): set aside so that nothing else takes them in between.
 *
 * A port found free by binding port 0 and letting go is the kernel's next ephemeral port: any other
 * process's `listen(0)` (a second jest worker's simulated lab, a Temporal dev server) may be handed it
 * before our listener binds, and HAProxy binds with SO_REUSEPORT, so two HAProxies then share a port
 * and split its connections without an error. Ports are therefore taken below the kernel's ephemeral
 * range, which `listen(0)` never hands out, and claimed across processes with a file per port (created
 * exclusively; a claim whose process has died is taken over), released when this process exits.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

const LOOPBACK = '127.0.0.1';
export const PORT_CLAIMS = path.join(os.tmpdir(), 'openshift-runbooks-ports');
/** Where the range ends when /proc does not say: Linux's default first ephemeral port. */
const DEFAULT_EPHEMERAL_LOW = 32768;
const RANGE = 16_000;

const claimed = new Set<number>();
let cleanupInstalled = false;

/** The ports below the ephemeral range that this module hands out: [low, high]. */
export function reservableRange(): [number, number] {
  let ephemeralLow = DEFAULT_EPHEMERAL_LOW;
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && low > 2048) ephemeralLow = low;
  } catch {
    // Not Linux, or no /proc: the default.
  }
  return [Math.max(1024, ephemeralLow - RANGE), ephemeralLow - 1];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, owned by someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Claims `port` for this process; false when a live process holds it. */
export function claimPort(port: number): boolean {
  const file = path.join(PORT_CLAIMS, String(port));
  for (let tries = 0; tries < 2; tries += 1) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let owner = 0;
      try {
        owner = Number(readFileSync(file, 'utf8'));
      } catch {
        // Released between the two calls: try again.
      }
      if (owner && alive(owner)) return false;
      rmSync(file, { force: true });
    }
  }
  return false;
}

function release(): void {
  for (const port of claimed) rmSync(path.join(PORT_CLAIMS, String(port)), { force: true });
  claimed.clear();
}

/** Nothing listens on it now (this process or another). */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, LOOPBACK, () => server.close(() => resolve(true)));
  });
}

/** A loopback port no other listener has or will be handed, for one listener of this process. */
export async function reservePort(): Promise<number> {
  mkdirSync(PORT_CLAIMS, { recursive: true, mode: 0o1777 });
  if (!cleanupInstalled) {
    cleanupInstalled = true;
    process.once('exit', release);
  }
  const [low, high] = reservableRange();
  for (let tries = 0; tries < 1_000; tries += 1) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (claimed.has(port) || !claimPort(port)) continue;
    if (await bindable(port)) {
      claimed.add(port);
      return port;
    }
    rmSync(path.join(PORT_CLAIMS, String(port)), { force: true });
  }
  throw new Error(`no free loopback port between ${low} and ${high} after 1000 tries`);
}
