/**
 * Why this module exists: the real named and HAProxy of a simulated host run on THIS machine, where
 * the lab's addresses (10.42.253.x) and ports 53, 6443, … are not ours to bind, and where rehearsals
 * may send traffic to loopback only. So the daemons get a configuration made from the host's own
 * files with only the addresses changed: named listens on a loopback port, HAProxy binds each
 * frontend on a loopback port and reaches each backend server through the loopback port that stands
 * for that lab address and port (./node-endpoints.ts). Nothing else is rewritten; the file the runbook
 * pushed is what the checkers check (./real-checkers.ts), and what the daemons read apart from this.
 */
import { randomBytes } from 'node:crypto';

export interface NamedLoopback {
  /** The DNS port named answers on (127.0.0.1). */
  port: number;
  /** The rndc control channel port (127.0.0.1). */
  controlPort: number;
  /** The rndc key's secret (base64), the same in named's config and rndc's. */
  secret: string;
}

export function newRndcSecret(): string {
  return randomBytes(32).toString('base64');
}

/**
 * named's configuration, read inside the host's root (named -t): the options a Debian named.conf has,
 * on loopback, and the host's zone statements (`dns.zonesConf`) included as they are, once the file
 * exists (a fresh host's named runs before the procedure wrote it; written again before each reload).
 */
export function namedLoopbackConf(zonesConf: string | undefined, loopback: NamedLoopback): string {
  return [
    '// Written by the simulator at each start of named: the host named.conf options, bound to',
    '// loopback ports of the machine that runs the simulated lab. The zones are the host’s own.',
    'options {',
    '    directory "/var/cache/bind";',
    `    listen-on port ${loopback.port} { 127.0.0.1; };`,
    '    listen-on-v6 { none; };',
    '    pid-file "/run/named/named.pid";',
    '    session-keyfile "/run/named/session.key";',
    '    recursion no;',
    '    dnssec-validation no;',
    // A primary NOTIFYs the name servers of its zones (lab addresses): not from here.
    '    notify no;',
    '    query-source address 127.0.0.1;',
    '    transfer-source 127.0.0.1;',
    '    notify-source 127.0.0.1;',
    '};',
    `key "rndc-key" { algorithm hmac-sha256; secret "${loopback.secret}"; };`,
    `controls { inet 127.0.0.1 port ${loopback.controlPort} allow { 127.0.0.1; } keys { "rndc-key"; }; };`,
    ...(zonesConf === undefined ? [] : [`include "${zonesConf}";`]),
    '',
  ].join('\n');
}

/** rndc's configuration for that control channel. */
export function rndcLoopbackConf(loopback: NamedLoopback): string {
  return [
    `key "rndc-key" { algorithm hmac-sha256; secret "${loopback.secret}"; };`,
    `options { default-key "rndc-key"; default-server 127.0.0.1; default-port ${loopback.controlPort}; };`,
    '',
  ].join('\n');
}

export interface HaproxyLoopback {
  /** The loopback port that stands for a frontend's lab port on this host. */
  frontendPort(port: number): number;
  /** The loopback port that stands for `address:port` on the lab network. */
  serverPort(address: string, port: number): number;
}

/** Global settings that need this machine's system paths or users, or would fork away: left out. */
const SYSTEM_GLOBALS = /^\s*(chroot|user|group|uid|gid|daemon|pidfile|stats\s+socket|log|master-worker)\b/;
/**
 * A global maxconn needs about twice as many open files; systemd raises the limit for haproxy.service,
 * this machine may not (20000 connections want 40046 files): capped to what a rehearsal needs.
 */
const LOOPBACK_MAXCONN = 2_000;

/**
 * The pushed haproxy.cfg with its `bind` lines on loopback and its `server` lines aimed at the
 * loopback ports of the lab endpoints; line for line, so HAProxy's own messages keep their line
 * numbers (a left-out global line becomes a comment).
 */
export function haproxyLoopbackConf(text: string, loopback: HaproxyLoopback): string {
  let section = '';
  return text
    .split('\n')
    .map((line) => {
      const header = /^\s*(global|defaults|frontend|backend|listen|peers|resolvers|userlist)\b/.exec(line);
      if (header) section = header[1]!;
      if (section === 'global' && SYSTEM_GLOBALS.test(line)) return `# (left out on loopback) ${line.trim()}`;
      // Syslog targets and resolvers' name servers are lab addresses: no traffic goes there from here.
      if (/^\s*(log\s+(?!global\b)|nameserver\s)/.test(line)) return `# (left out on loopback) ${line.trim()}`;
      const maxconn = section === 'global' ? /^(\s*maxconn\s+)(\d+)(.*)$/.exec(line) : null;
      if (maxconn && Number(maxconn[2]) > LOOPBACK_MAXCONN) return `${maxconn[1]}${LOOPBACK_MAXCONN}${maxconn[3]}`;
      const bind = /^(\s*bind\s+)(\S+)(.*)$/.exec(line);
      if (bind) {
        const addresses = bind[2]!.split(',').map((address) => {
          const port = Number(address.slice(address.lastIndexOf(':') + 1));
          return Number.isInteger(port) && port > 0 ? `127.0.0.1:${loopback.frontendPort(port)}` : address;
        });
        return `${bind[1]}${addresses.join(',')}${bind[3]}`;
      }
      const server = /^(\s*server\s+\S+\s+)([^\s:]+)(?::(\d+))?(.*)$/.exec(line);
      if (server && section !== 'global') {
        // Without a port HAProxy would use the client's; here it gets the endpoint `address:0`, which refuses.
        const port = server[3] ? Number(server[3]) : 0;
        return `${server[1]}127.0.0.1:${loopback.serverPort(server[2]!, port)}${server[4]}`;
      }
      return line;
    })
    .join('\n');
}
