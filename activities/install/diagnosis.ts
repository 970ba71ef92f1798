/**
 * Why a bootstrap wait paused: cheap probes of what the bootstrap depends on, run when the wait pauses
 * (../engine/diagnosis.ts). Each load balancer's API (6443, `/readyz`) and machine config server (22623,
 * `/healthz`, what a real cluster's load balancers check); the state of each backend server in HAProxy
 * (its stats page, `listen stats` on :9000 in the rendered haproxy.cfg, as CSV); what each DNS host's
 * named answers for api, api-int and the nodes (`dig @127.0.0.1` over SSH, as the DNS wait asks); the
 * ignition configs' age; the CSRs the masters filed through the node-bootstrapper; and, when the
 * bootstrap node answers SSH, `openshift-install gather bootstrap`, whose bundle's path is reported.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { z } from 'zod';
import { hostsWith, type Host, type Lab, type Node } from '../../lab/schema.js';
import type { StepContext } from '../../contract/step.js';
import { readEndpointsFile } from '../../transport/targets.js';
import type { DiagnosisProbe, ProbeFinding } from '../engine/diagnosis.js';
import { expectedNames, dig } from '../hosts/dns.js';
import { kubeFor } from '../support/kube-access.js';
import { withSsh } from '../support/lab-access.js';
import { csrSubject } from '../cluster/csr-flood.js';
import { loadX509 } from '../cluster/x509.js';
import { NODE_BOOTSTRAPPER } from '../cluster/csr-identity.js';
import { installFolder, readFolderState } from './folder.js';
import { installerBinary, runInstaller } from './installer.js';

const HTTP_MS = 5_000;
/** HAProxy's stats page in the rendered haproxy.cfg (render/haproxy.ts: `listen stats`, `bind :9000`). */
const STATS_PORT = 9000;
/** The real gather takes a minute or two (it collects journals and container logs over SSH). */
const GATHER_MS = 4 * 60_000;

const balancersSchema = z.object({
  balancers: z.array(z.object({ host: z.string(), ports: z.record(z.string(), z.number()) })).optional(),
});

/**
 * Where the worker reaches `host`'s port: its lab address, or in a rehearsal the loopback port the
 * simulated lab publishes for it (nothing off loopback is ever asked in a rehearsal).
 */
async function reachAt(context: StepContext, host: Host, port: number): Promise<{ address: string; port: number }> {
  if (!context.rehearsal) return { address: host.address, port };
  const { balancers } = await readEndpointsFile(context.rehearsal.endpointsFile, balancersSchema);
  const loopback = balancers?.find((entry) => entry.host === host.name)?.ports[String(port)];
  if (loopback === undefined)
    throw new Error(
      `the simulated lab publishes no port ${port} of ${host.name}: restart it with \`runbook sim start\``,
    );
  return { address: '127.0.0.1', port: loopback };
}

type HttpAnswer = { status: number; body: string } | { failed: string; code?: string };

/**
 * One GET. TLS is not verified: a health check sends no credentials and reads only the status, and
 * api-int's certificates chain to the cluster's own CA, which a half-bootstrapped cluster may not show.
 */
function get(
  scheme: 'http' | 'https',
  at: { address: string; port: number },
  path: string,
  signal: AbortSignal,
): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    const send = scheme === 'https' ? httpsRequest : httpRequest;
    const req = send(
      { host: at.address, port: at.port, path, method: 'GET', timeout: HTTP_MS, signal, rejectUnauthorized: false },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk.length + body.length > 1_000_000 ? '' : chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        response.on('error', (error) => resolve({ failed: error.message }));
      },
    );
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error(`no answer within ${HTTP_MS / 1000}s`), { code: 'TIMEOUT' })),
    );
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ failed: error.message, ...(error.code !== undefined && { code: error.code }) }),
    );
    req.end();
  });
}

const HEALTH = { 6443: ['the API', '/readyz'], 22623: ['the machine config server', '/healthz'] } as const;

/** The API and the machine config server through each load balancer, as a node reaches them. */
function balancerProbe(context: StepContext): DiagnosisProbe {
  return {
    name: 'load balancer',
    run: async (signal) => {
      const findings = await Promise.all(
        hostsWith(context.lab, 'haproxy').flatMap((host) =>
          ([6443, 22623] as const).map(async (port): Promise<ProbeFinding> => {
            const [what, path] = HEALTH[port];
            const where = `${host.name} (${host.address}:${port})`;
            const answer = await get('https', await reachAt(context, host, port), path, signal);
            if ('status' in answer) {
              const ok = answer.status >= 200 && answer.status < 300;
              return {
                verdict: ok ? 'ok' : 'problem',
                text: `${what} through ${where} answers HTTP ${answer.status} on ${path}${ok ? '' : ': not ready behind it'}`,
              };
            }
            if (answer.code === 'ECONNREFUSED')
              return {
                verdict: 'problem',
                text: `${where} refuses connections: HAProxy does not run there or binds no ${port} (${what})`,
              };
            if (answer.code === 'ECONNRESET' || /socket hang up|disconnected before secure TLS/.test(answer.failed))
              return {
                verdict: 'problem',
                text:
                  `${where} accepts and closes the connection at once: no backend server takes ${what}'s ` +
                  'traffic (see the HAProxy finding for each server; are their addresses right?)',
              };
            return { verdict: 'problem', text: `${what} through ${where}: ${answer.failed}` };
          }),
        ),
      );
      return findings;
    },
  };
}

/** HAProxy's CSV stats: one record per proxy and server, fields named by the header line (`# pxname,svname,…`). */
export function parseHaproxyCsv(text: string): Array<Record<string, string>> {
  const [header, ...rows] = text.split('\n').filter((line) => line.trim() !== '');
  if (!header?.startsWith('# ')) return [];
  const names = header.slice(2).split(',');
  return rows.map((row) => {
    const values = row.split(',');
    return Object.fromEntries(names.map((name, i) => [name, values[i] ?? '']));
  });
}

/** The bootstrap node's (and each master's) state in the API and machine-config backends of each balancer. */
function haproxyProbe(context: StepContext): DiagnosisProbe {
  const bootstrap = context.lab.nodes.find((node) => node.role === 'bootstrap')?.name;
  return {
    name: 'haproxy',
    run: async (signal) =>
      (
        await Promise.all(
          hostsWith(context.lab, 'haproxy').map(async (host): Promise<ProbeFinding[]> => {
            const answer = await get('http', await reachAt(context, host, STATS_PORT), '/;csv', signal);
            if (!('status' in answer) || answer.status !== 200)
              return [
                {
                  verdict: 'error',
                  text:
                    `${host.name}'s stats page (:${STATS_PORT}/;csv) did not answer ` +
                    `(${'status' in answer ? `HTTP ${answer.status}` : answer.failed}): is HAProxy running there?`,
                },
              ];
            const records = parseHaproxyCsv(answer.body);
            return ['k8s-api', 'machine-config-server'].map((backend): ProbeFinding => {
              const servers = records.filter(
                (record) => record.pxname === backend && !['FRONTEND', 'BACKEND'].includes(record.svname ?? ''),
              );
              if (servers.length === 0)
                return { verdict: 'problem', text: `${host.name}: HAProxy runs no backend ${backend}` };
              const up = servers.filter((server) => server.status?.startsWith('UP'));
              const bootstrapDown =
                bootstrap !== undefined &&
                servers.some((server) => server.svname === bootstrap && !server.status?.startsWith('UP'));
              const states = servers
                .map((server) => {
                  const check = server.check_status
                    ? ` (${server.check_status}${server.check_desc ? `: ${server.check_desc}` : ''})`
                    : '';
                  return `${server.svname} ${server.status}${server.status?.startsWith('UP') ? '' : check}`;
                })
                .join(', ');
              return {
                verdict: up.length === 0 || bootstrapDown ? 'problem' : 'ok',
                text:
                  `${host.name} backend ${backend}: ${states}` +
                  (up.length === 0 ? ': no server is up, nothing answers behind this balancer' : ''),
              };
            });
          }),
        )
      ).flat(),
  };
}

/** What each DNS host's named answers for api, api-int, *.apps and the nodes, against the lab. */
function dnsProbe(context: StepContext): DiagnosisProbe {
  const names = expectedNames(context.lab);
  return {
    name: 'dns',
    run: async (signal) =>
      (
        await Promise.all(
          hostsWith(context.lab, 'dns').map((host) =>
            withSsh(
              context,
              host.name,
              async (session): Promise<ProbeFinding[]> => {
                const wrong: ProbeFinding[] = [];
                for (const { name, addresses } of names) {
                  signal.throwIfAborted();
                  const answer = await dig(session, name, 'A');
                  const want = addresses.join(' ');
                  if (!answer.answered)
                    wrong.push({
                      verdict: 'problem',
                      text: `${host.name} gives no answer for ${name} (${answer.why})`,
                    });
                  else if ([...answer.records].sort().join(' ') !== [...addresses].sort().join(' '))
                    wrong.push({
                      verdict: 'problem',
                      text:
                        `${host.name} answers ${answer.records.join(' ') || 'no record'} for ${name}; the lab says ` +
                        `${want}${/^api(-int)?\./.test(name) ? ' (the load balancers)' : ''}`,
                    });
                }
                return wrong.length
                  ? wrong
                  : [
                      {
                        verdict: 'ok',
                        text: `${host.name} answers all ${names.length} names (api, api-int, the nodes) as the lab says`,
                      },
                    ];
              },
              signal,
            ).catch((error: unknown): ProbeFinding[] => [
              { verdict: 'error', text: `${host.name} could not be asked: ${(error as Error).message}` },
            ]),
          ),
        )
      ).flat(),
  };
}

function ignitionProbe(context: StepContext): DiagnosisProbe {
  return {
    name: 'ignition',
    run: async () => {
      const folder = installFolder(context);
      const created = (await readFolderState(folder))?.ignitionCreatedAt;
      if (!created) return [{ verdict: 'problem', text: `${folder} has no ignition configs` }];
      const hours = (Date.now() - Date.parse(created)) / 3_600_000;
      const max = context.lab.install.ignitionMaxAgeHours;
      return [
        hours >= max
          ? {
              verdict: 'problem',
              text:
                `the ignition configs are ${hours.toFixed(1)} h old: their certificates (valid ${max} h) have ` +
                'expired, nodes that boot now cannot join; make them again (resume --from openshift-install.config)',
            }
          : { verdict: 'ok', text: `the ignition configs are ${hours.toFixed(1)} h old (valid ${max} h)` },
      ];
    },
  };
}

/** The client CSRs the masters filed through the node-bootstrapper (the bootstrap node approves them). */
function bootstrapCsrProbe(context: StepContext): DiagnosisProbe {
  const masters = context.lab.nodes.filter((node) => node.role === 'master');
  return {
    name: 'csrs',
    run: async () => {
      const x509 = await loadX509();
      const items = (await (await kubeFor(context)).certificates.listCertificateSigningRequest()).items.filter(
        (csr) => csr.spec.username === NODE_BOOTSTRAPPER,
      );
      const subjects = items.map((csr) => csrSubject(x509, csr));
      const filed = (node: Node) => subjects.some((subject) => subjectNames(context.lab, node).includes(subject));
      const none = masters.filter((node) => !filed(node));
      return [
        none.length
          ? {
              verdict: 'problem',
              text:
                `no CSR from ${none.map((node) => node.name).join(', ')} through the node-bootstrapper ` +
                `(${items.length} filed in all): ${none.length > 1 ? 'their kubelets have' : 'its kubelet has'} ` +
                'not reached the API through api-int; look at the console',
            }
          : {
              verdict: 'ok',
              text: `every master filed its client CSR through the node-bootstrapper (${items.length} in all)`,
            },
      ];
    },
  };
}

function subjectNames(lab: Lab, node: Node): string[] {
  return [`system:node:${node.name}.${lab.cluster.nodesDomain}`, `system:node:${node.name}`];
}

/** Whether something answers SSH at `address:22` (its banner), within a few seconds. */
function answersSsh(address: string, signal: AbortSignal): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port: 22, signal, timeout: HTTP_MS });
    socket.once('data', (data) => {
      socket.destroy();
      resolve(String(data).startsWith('SSH-') ? undefined : 'something that is not sshd answers on port 22');
    });
    socket.once('timeout', () => (socket.destroy(), resolve(`no answer on port 22 within ${HTTP_MS / 1000}s`)));
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/**
 * `openshift-install gather bootstrap` on the worker, when the bootstrap node answers SSH; in a
 * rehearsal the simulated installer tells (it knows whether the simulated node runs).
 */
function gatherProbe(context: StepContext): DiagnosisProbe {
  const bootstrap = context.lab.nodes.find((node) => node.role === 'bootstrap');
  const masters = context.lab.nodes.filter((node) => node.role === 'master');
  return {
    name: 'gather',
    timeoutMs: GATHER_MS,
    run: async (signal): Promise<ProbeFinding[]> => {
      if (!bootstrap) return [];
      if (!context.rehearsal) {
        const silent = await answersSsh(bootstrap.ip, signal);
        if (silent)
          return [
            {
              verdict: 'problem',
              text: `the bootstrap node ${bootstrap.name} (${bootstrap.ip}) does not answer SSH: ${silent}`,
            },
          ];
      }
      const folder = installFolder(context);
      const key = context.lab.secrets.sshPrivateKey;
      const args = [
        'gather',
        'bootstrap',
        '--dir',
        folder,
        '--bootstrap',
        bootstrap.ip,
        ...masters.flatMap((node) => ['--master', node.ip]),
        // A key in a file is named; else the installer takes the keys of the worker's ssh-agent.
        ...(key.startsWith('file:') ? ['--key', key.slice('file:'.length)] : []),
      ];
      try {
        const { all } = await runInstaller(await installerBinary(context), args, { folder, signal });
        // `captured here "…"` on a terminal, `msg="… captured here \"…\""` in the log format.
        const bundle = /gather logs captured here \\?"([^"\\]+)\\?"/.exec(all)?.[1];
        return [
          bundle
            ? {
                verdict: 'ok',
                text: `the bootstrap node answered SSH; openshift-install gather bootstrap wrote ${bundle}`,
              }
            : {
                verdict: 'error',
                text: 'openshift-install gather bootstrap named no bundle (see .openshift_install.log)',
              },
        ];
      } catch (error) {
        const text = error instanceof Error ? error.message : String(error);
        return [{ verdict: /SSH|port 22|dial tcp/.test(text) ? 'problem' : 'error', text }];
      }
    },
  };
}

/** The probes of the bootstrap wait, in the order their findings read best. */
export function bootstrapDiagnosis(context: StepContext): DiagnosisProbe[] {
  return [
    balancerProbe(context),
    haproxyProbe(context),
    dnsProbe(context),
    ignitionProbe(context),
    bootstrapCsrProbe(context),
    gatherProbe(context),
  ];
}
