/**
 * HAProxy on the load balancer hosts: TCP passthrough for the API (6443), the machine config server
 * (22623) and the routers (443, 80). Two variants: during install the bootstrap node serves the API
 * and ignition beside the masters; after bootstrap-complete it leaves both backends.
 */
import type { Lab, Node } from '../lab/schema.js';
import { masters, nodesWithRole, requireHosts, routerNodes } from './topology.js';
import { header, lines } from './text.js';
import type { RenderedFile } from './types.js';

export const haproxyPhases = ['bootstrap', 'final'] as const;
export type HaproxyPhase = (typeof haproxyPhases)[number];

/** A frontend/backend pair on one port. */
export interface Balancer {
  name: string;
  port: number;
  servers: Array<Pick<Node, 'name' | 'ip'>>;
}

/** Frontends and their backends; `bootstrap` adds the bootstrap node to the API and ignition backends. */
export function balancers(lab: Lab, phase: HaproxyPhase): Balancer[] {
  const control = phase === 'bootstrap' ? [...nodesWithRole(lab, 'bootstrap'), ...masters(lab)] : masters(lab);
  const routers = routerNodes(lab);
  return [
    { name: 'k8s-api', port: 6443, servers: control },
    { name: 'machine-config-server', port: 22623, servers: control },
    { name: 'apps-tls', port: 443, servers: routers },
    { name: 'apps-clear', port: 80, servers: routers },
  ];
}

const globalAndDefaults = [
  'global',
  '    maxconn 20000',
  '    log /dev/log local0 info',
  '    chroot /var/lib/haproxy',
  '    pidfile /var/run/haproxy.pid',
  '    user haproxy',
  '    group haproxy',
  '    daemon',
  '    stats socket /var/lib/haproxy/stats',
  '',
  // Every proxy below passes TCP through, so the defaults are TCP ones (HTTP options would only
  // draw warnings); the stats page sets its own HTTP mode.
  'defaults',
  '    mode tcp',
  '    log global',
  '    option tcplog',
  '    option dontlognull',
  '    option redispatch',
  '    retries 3',
  '    timeout queue 1m',
  '    timeout connect 10s',
  '    timeout client 300s',
  '    timeout server 300s',
  '    timeout check 10s',
  '    maxconn 20000',
  '',
  'listen stats',
  '    bind :9000',
  '    mode http',
  '    stats enable',
  '    stats uri /',
];

function balancerSection(balancer: Balancer): string[] {
  return [
    '',
    `frontend ${balancer.name}`,
    `    bind *:${balancer.port}`,
    `    default_backend ${balancer.name}`,
    '',
    `backend ${balancer.name}`,
    '    balance source',
    ...balancer.servers.map((server) => `    server ${server.name} ${server.ip}:${balancer.port} check`),
  ];
}

export function haproxyConfigText(lab: Lab, phase: HaproxyPhase): string {
  const what =
    phase === 'bootstrap' ? 'HAProxy during install (with the bootstrap node)' : 'HAProxy after bootstrap-complete';
  return lines(header(lab, '#', what).trimEnd(), globalAndDefaults, balancers(lab, phase).flatMap(balancerSection));
}

export function renderHaproxy(lab: Lab): RenderedFile[] {
  const texts = { bootstrap: haproxyConfigText(lab, 'bootstrap'), final: haproxyConfigText(lab, 'final') };
  return requireHosts(lab, 'haproxy').flatMap((host) =>
    haproxyPhases.map((phase) => ({
      path: `haproxy/${host.name}/${phase === 'bootstrap' ? 'haproxy-bootstrap.cfg' : 'haproxy.cfg'}`,
      content: texts[phase],
      artifact: `haproxy.${phase}`,
      host: host.name,
      target: host.haproxy.configPath,
    })),
  );
}
