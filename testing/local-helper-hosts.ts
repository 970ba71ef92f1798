/**
 * Every helper host of a lab served by one real sshd on loopback (./sshd-server.ts): the host's
 * service folders moved under `<root>/<host name>/`, the real checkers (named-checkconf -z, dhcpd -t,
 * haproxy -c) as its check commands, and a reload that appends a line to
 * `<root>/<host>/reloads-<service>.log`. The host push test and the bench push to it. Free of Jest.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Host, Lab } from '../lab/schema.js';
import type { TestSshd } from './sshd-server.js';
import { findTool } from './tools.js';

export interface CheckerTools {
  named: string;
  dhcpd: string;
  haproxy: string;
}

/** The checkers on this machine, or the names of those missing. */
export function findCheckerTools(): { tools: CheckerTools } | { missing: string[] } {
  const found = { named: findTool('named-checkconf'), dhcpd: findTool('dhcpd'), haproxy: findTool('haproxy') };
  const missing = Object.entries(found)
    .filter(([, tool]) => tool === undefined)
    .map(([name]) => name);
  return missing.length ? { missing } : { tools: found as CheckerTools };
}

/** The lab with every helper host on `sshd`, its files under `<root>/<host name>/`. */
export function localHelperLab(base: Lab, sshd: TestSshd, root: string, tools: CheckerTools): Lab {
  const hosts = base.hosts.map((host): Host => {
    const dir = path.join(root, host.name);
    const reload = (service: string) => ['sh', '-c', `echo reload >> ${dir}/reloads-${service}.log`];
    const local: Host = {
      ...host,
      ssh: {
        host: sshd.host,
        port: sshd.port,
        user: sshd.user,
        hostKey: sshd.hostKey,
        identity: `file:${sshd.clientKeyPath}`,
      },
    };
    if (host.dns) {
      local.dns = {
        zoneDir: `${dir}/etc/bind/zones`,
        zonesConf: `${dir}/etc/bind/named.conf.openshift`,
        check: [tools.named, '-z', `${dir}/etc/bind/named.conf`],
        reload: reload('dns'),
      };
    }
    if (host.dhcp) {
      const config = `${dir}/etc/dhcp/dhcpd.conf`;
      local.dhcp = {
        configPath: config,
        check: [tools.dhcpd, '-t', '-cf', config, '-lf', `${dir}/var/lib/dhcp/dhcpd.leases`, '-pf', `${dir}/dhcpd.pid`],
        reload: reload('dhcp'),
      };
    }
    if (host.pxe) local.pxe = { ...host.pxe, tftpRoot: `${dir}/srv/tftpboot`, httpRoot: `${dir}/var/www/html/ocp4` };
    if (host.haproxy) {
      const config = `${dir}/etc/haproxy/haproxy.cfg`;
      local.haproxy = { configPath: config, check: [tools.haproxy, '-c', '-f', config], reload: reload('haproxy') };
    }
    return local;
  });
  return { ...base, hosts };
}

/** The hosts' own files that the push does not write: named.conf including the fragment, the lease file. */
export async function prepareLocalHosts(lab: Lab, root: string): Promise<void> {
  for (const host of lab.hosts) {
    const dir = path.join(root, host.name);
    await mkdir(dir, { recursive: true });
    if (host.dns) {
      await mkdir(path.dirname(host.dns.zonesConf), { recursive: true });
      await writeFile(
        `${dir}/etc/bind/named.conf`,
        `options { directory "${dir}/etc/bind"; };\ninclude "${host.dns.zonesConf}";\n`,
      );
    }
    if (host.dhcp) {
      await mkdir(`${dir}/var/lib/dhcp`, { recursive: true });
      await writeFile(`${dir}/var/lib/dhcp/dhcpd.leases`, '');
    }
  }
}

/** How many times the host's `service` was reloaded. */
export async function reloadCount(root: string, host: string, service: string): Promise<number> {
  const log = await readFile(path.join(root, host, `reloads-${service}.log`), 'utf8').catch(() => '');
  return log.split('\n').filter(Boolean).length;
}
