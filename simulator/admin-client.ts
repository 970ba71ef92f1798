/**
 * A client for the simulated lab's admin endpoints (`/simulator/faults`, `/simulator/nodes`), with
 * the API server's CA and bearer token as its kubeconfig holds them. Loopback only.
 *
 * Every `runbook` command (the worker too) imports this module through `runbook sim`: the API client
 * and the simulated lab's own modules (some 100 MB with client-node) load when a request is made.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { FAULTS_ROUTE } from './faults.js';

export interface AdminTarget {
  url: string;
  token: string;
  caCert: string;
}

export interface AdminReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** The API server URL, CA and token of a kubeconfig written by the simulated lab. */
export async function adminTargetFromKubeconfig(kubeconfigPath: string): Promise<AdminTarget> {
  const config = parseYaml(await readFile(kubeconfigPath, 'utf8')) as {
    clusters?: Array<{ cluster?: { server?: string; 'certificate-authority-data'?: string } }>;
    users?: Array<{ user?: { token?: string } }>;
  };
  const cluster = config.clusters?.[0]?.cluster;
  const token = config.users?.[0]?.user?.token;
  if (!cluster?.server || !cluster['certificate-authority-data'] || !token) {
    throw new Error(
      `${kubeconfigPath} is not a kubeconfig written by the simulated lab (server, CA and token expected)`,
    );
  }
  return {
    url: cluster.server,
    token,
    caCert: Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8'),
  };
}

/** Sends one request to the lab's API server (JSON in and out). */
export async function adminRequest(
  target: AdminTarget,
  method: string,
  path: string,
  body?: unknown,
): Promise<AdminReply> {
  const { apiRequest } = await import('./control-plane/api-client.js');
  const reply = await apiRequest(
    { url: target.url, caPem: target.caCert, credential: { token: target.token } },
    method,
    path,
    { ...(body === undefined ? {} : { body }), what: 'the simulated lab admin endpoint' },
  );
  return { status: reply.status, headers: reply.headers, body: reply.body };
}

export interface LabNodeStatus {
  /** off, booting, stuck (in PXE) or running. */
  boot: string;
  /** Why a node is stuck in PXE. */
  reason?: string;
  /** The Node object: Ready, NotReady, or absent (not registered). */
  node?: { name: string; status: string; roles: string[] };
}

export interface LabStatus {
  apiUp: boolean;
  bootstrapComplete: boolean;
  /** Why the Kubernetes API did not answer (an outage, the API not up yet). */
  apiError?: string;
  nodes: Record<string, LabNodeStatus>;
  pendingCsrs?: string[];
  clusterVersion?: { available: string; message: string };
  operators?: { available: number; total: number; degraded: string[] };
  faults: unknown[];
}

type Conditioned = { status?: { conditions?: { type: string; status: string; message?: string }[] } };
const condition = (object: Conditioned, type: string) => object.status?.conditions?.find((c) => c.type === type);

/** What `runbook sim status` shows, from the admin endpoints and the API as a client reads it. */
/**
 * Where a simulated lab stands. `api` is the API server as its kubeconfig names it; `target` the admin
 * endpoint, which may be another port (it stays up during API outages).
 */
export async function labStatus(target: AdminTarget, api: AdminTarget = target): Promise<LabStatus> {
  const ok = (reply: AdminReply) => reply.status >= 200 && reply.status < 300;
  const { NODES_ROUTE } = await import('./lab-sim.js');
  const boots = await adminRequest(target, 'GET', NODES_ROUTE);
  if (!ok(boots)) throw new Error(`${NODES_ROUTE} answered ${boots.status}`);
  const { apiUp, bootstrapComplete, nodes } = boots.body as {
    apiUp: boolean;
    bootstrapComplete: boolean;
    nodes: Record<string, { state: string; reason?: string }>;
  };
  const faults = await adminRequest(target, 'GET', FAULTS_ROUTE);
  const status: LabStatus = {
    apiUp,
    bootstrapComplete,
    nodes: Object.fromEntries(
      Object.entries(nodes).map(([name, entry]) => [
        name,
        { boot: entry.state, ...(entry.reason ? { reason: entry.reason } : {}) },
      ]),
    ),
    faults: ok(faults) ? ((faults.body as { faults?: unknown[] }).faults ?? []) : [],
  };
  const nodeList = await adminRequest(api, 'GET', '/api/v1/nodes').catch((error: unknown): AdminReply => ({
    status: 0,
    headers: {},
    body: String(error),
  }));
  if (!ok(nodeList)) {
    const answer = nodeList.status === 0 ? 'the API does not answer' : `the API answers ${nodeList.status}`;
    status.apiError = `${answer}${apiUp ? ' (an outage?)' : ' (not up yet: the bootstrap node has not booted)'}`;
    return status;
  }
  for (const item of (nodeList.body as { items: (Conditioned & { metadata: KubeMeta })[] }).items) {
    const name = Object.keys(nodes).find(
      (short) => item.metadata.name === short || item.metadata.name.startsWith(`${short}.`),
    );
    if (!name) continue;
    const ready = condition(item, 'Ready');
    status.nodes[name]!.node = {
      name: item.metadata.name,
      status: !ready ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady',
      roles: Object.keys(item.metadata.labels ?? {})
        .filter((key) => key.startsWith('node-role.kubernetes.io/'))
        .map((key) => key.slice('node-role.kubernetes.io/'.length))
        .sort(),
    };
  }
  const csrs = await adminRequest(target, 'GET', '/apis/certificates.k8s.io/v1/certificatesigningrequests');
  if (ok(csrs)) {
    status.pendingCsrs = (csrs.body as { items: (Conditioned & { metadata: KubeMeta })[] }).items
      .filter((csr) => !csr.status?.conditions?.length)
      .map((csr) => csr.metadata.name);
  }
  const version = await adminRequest(target, 'GET', '/apis/config.openshift.io/v1/clusterversions/version');
  if (ok(version)) {
    const available = condition(version.body as Conditioned, 'Available');
    const progressing = condition(version.body as Conditioned, 'Progressing');
    status.clusterVersion = {
      available: available?.status ?? 'Unknown',
      message: progressing?.message ?? available?.message ?? '',
    };
  }
  const operators = await adminRequest(target, 'GET', '/apis/config.openshift.io/v1/clusteroperators');
  if (ok(operators)) {
    const items = (operators.body as { items: (Conditioned & { metadata: KubeMeta })[] }).items;
    status.operators = {
      available: items.filter((item) => condition(item, 'Available')?.status === 'True').length,
      total: items.length,
      degraded: items
        .filter((item) => condition(item, 'Degraded')?.status === 'True')
        .map((item) => item.metadata.name),
    };
  }
  return status;
}

interface KubeMeta {
  name: string;
  labels?: Record<string, string>;
}

/** The status as lines for a terminal. */
export function formatLabStatus(status: LabStatus): string {
  const lines = [
    `API          ${status.apiError ?? (status.apiUp ? 'up' : 'down')}`,
    `Bootstrap    ${status.bootstrapComplete ? 'complete' : 'not complete'}`,
  ];
  if (status.clusterVersion)
    lines.push(`Cluster      Available=${status.clusterVersion.available} ${status.clusterVersion.message}`.trimEnd());
  if (status.operators) {
    const degraded = status.operators.degraded.length ? `, Degraded: ${status.operators.degraded.join(', ')}` : '';
    lines.push(`Operators    ${status.operators.available}/${status.operators.total} Available${degraded}`);
  }
  if (status.pendingCsrs)
    lines.push(`Pending CSRs ${status.pendingCsrs.length ? status.pendingCsrs.join(' ') : 'none'}`);
  lines.push('', 'Nodes:');
  for (const [name, node] of Object.entries(status.nodes)) {
    const kube = node.node ? `${node.node.status} ${node.node.roles.join(',') || '<none>'}` : 'not registered';
    lines.push(`  ${name.padEnd(10)} ${node.boot.padEnd(8)} ${node.boot === 'stuck' ? node.reason : kube}`);
  }
  lines.push('', 'Faults in force:');
  if (status.faults.length === 0) lines.push('  none');
  for (const fault of status.faults) {
    const { kind, ...fields } = fault as Record<string, unknown>;
    lines.push(`  ${[kind, ...Object.entries(fields).map(([key, value]) => `${key}=${String(value)}`)].join(' ')}`);
  }
  return lines.join('\n');
}
