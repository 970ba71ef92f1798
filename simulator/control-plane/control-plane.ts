/**
 * Starts and stops a real Kubernetes control plane for a simulated lab, on loopback: etcd,
 * kube-apiserver, kube-controller-manager and kube-scheduler, as separate processes with their own
 * state folder, certificates from a fresh lab CA, real authentication (client certificates; a
 * service account token for the node-bootstrapper) and RBAC with the Node authorizer. openshift/api's
 * CRDs are installed, the default SCCs seeded and OpenShift's SCC admission webhook (served here, on
 * loopback) answering before it counts as ready. Nothing routes to the service network, and the
 * API server publishes no endpoints for itself.
 */
import { mkdir, mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { createWriteStream, type WriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';
import { stringify as toYaml } from 'yaml';
import { startApiDownProxy, type ApiDownProxy } from './api-down-proxy.js';
import { apiCall, apiRequest, applyAsLab, type ApiTarget, type Credential } from './api-client.js';
import {
  CONTROL_PLANE_VERSION,
  findControlPlaneBinaries,
  type ControlPlaneBinaries,
  type KubeVersion,
} from './binaries.js';
import { installCrds, waitUntilEstablished } from './crds.js';
import { installNodeRestriction } from './node-restriction.js';
import { createLabPki, type ClientIdentity, type CertifiedKey } from './pki.js';
import { seedDefaultSccs } from './default-sccs.js';
import { reservePort } from '../loopback-ports.js';
import { registerSccWebhook, startSccWebhook, type SccWebhook } from './scc-admission-webhook.js';

const LOOPBACK = '127.0.0.1';
/** OpenShift's default service network; kube-apiserver needs one, nothing ever routes to it here. */
export const SERVICE_NETWORK = '172.30.0.0/16';
const KUBERNETES_SERVICE_IP = '172.30.0.1';

/** The node-bootstrapper service account, whose token joining nodes file their first CSR with (as on OpenShift). */
export const NODE_BOOTSTRAPPER = { namespace: 'openshift-machine-config-operator', name: 'node-bootstrapper' } as const;
export const NODE_BOOTSTRAPPER_USER = `system:serviceaccount:${NODE_BOOTSTRAPPER.namespace}:${NODE_BOOTSTRAPPER.name}`;
export const ADMIN_IDENTITY: ClientIdentity = { user: 'system:admin', groups: ['system:masters'] };

export function nodeIdentity(nodeName: string): ClientIdentity {
  return { user: `system:node:${nodeName}`, groups: ['system:nodes'] };
}

export interface ControlPlaneOptions {
  /** The build to run (default: the newest built). */
  version?: KubeVersion;
  /** The binaries (default: found in the user cache; never built here). */
  binaries?: ControlPlaneBinaries;
  /**
   * Folder for the state, certificates, kubeconfigs and logs, of this control plane only: emptied at the
   * start (a new CA and an empty etcd every time) and removed on stop. A temp folder by default.
   */
  stateDir?: string;
  /** The cluster's name in kubeconfigs and kube-controller-manager (default `lab`). */
  clusterName?: string;
  /**
   * Seed the default SCCs of a current OpenShift 4 (default-sccs.ts; default true). False when the caller
   * brings its own (an installed simulated lab copies its release's).
   */
  defaultSccs?: boolean;
  /** Bound on the whole start, only to catch a hang (default 300 s): readiness itself is polled. */
  readyTimeoutMs?: number;
}

export type ControlPlaneProcessName = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler';

export interface ControlPlane {
  version: KubeVersion;
  /**
   * `https://127.0.0.1:<port>` of the api-down proxy in front of kube-apiserver: what every kubeconfig
   * names, so that the `api-down` fault reaches every client.
   */
  url: string;
  /** kube-apiserver itself (the controllers talk to it directly, as on a master). */
  apiServerUrl: string;
  /** The api-down proxy: `apiProxy.set('refused' | 'reset' | '503' | 'up')`. */
  apiProxy: ApiDownProxy;
  caPem: string;
  stateDir: string;
  /** The admin kubeconfig (system:admin, system:masters). */
  kubeconfigPath: string;
  /** Admin access for small requests of its own. */
  admin: ApiTarget;
  /** OpenShift's SCC admission, served on loopback and registered as a validating webhook. */
  sccWebhook: SccWebhook;
  /** The node-bootstrapper service account's token (a real bound token from the TokenRequest API). */
  bootstrapToken: string;
  /** Milliseconds from the first process started to ready (API ready, controllers serving, CRDs Established). */
  startMs: number;
  pids(): Record<ControlPlaneProcessName, number | undefined>;
  /** A kubeconfig file for `identity` (client certificate signed by the lab CA); returns its path. */
  kubeconfigFor(identity: ClientIdentity, file?: string): Promise<string>;
  /** A kubeconfig file that authenticates with a bearer token; returns its path. */
  tokenKubeconfig(token: string, file: string): Promise<string>;
  /** API access as `identity`. */
  targetFor(identity: ClientIdentity): Promise<ApiTarget>;
  /** Resident memory of each process, in MiB (Linux /proc). */
  rssMb(): Promise<Record<ControlPlaneProcessName, number>>;
  /** SIGTERM to each process (then SIGKILL after a grace period), waits for every exit, removes the state. */
  stop(): Promise<void>;
}

interface Child {
  name: ControlPlaneProcessName;
  process: ResultPromise;
  log: WriteStream;
  logFile: string;
  exited?: string;
}

function kubeconfigText(clusterName: string, url: string, caPem: string, user: string, credential: Credential): string {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const userEntry =
    'token' in credential
      ? { token: credential.token }
      : { 'client-certificate-data': b64(credential.certPem), 'client-key-data': b64(credential.keyPem) };
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: clusterName, cluster: { server: url, 'certificate-authority-data': b64(caPem) } }],
    users: [{ name: user, user: userEntry }],
    contexts: [{ name: `${user}@${clusterName}`, context: { cluster: clusterName, user } }],
    'current-context': `${user}@${clusterName}`,
  });
}

/** Loopback ports, all different, claimed until the processes bind them (../loopback-ports.ts). */
async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) ports.push(await reservePort());
  return ports;
}

/** Starts the control plane and resolves once it is ready; on any failure every process started is stopped. */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const version = options.version ?? CONTROL_PLANE_VERSION;
  const binaries = options.binaries ?? (await findControlPlaneBinaries(version));
  const clusterName = options.clusterName ?? 'lab';
  if (options.stateDir) await rm(options.stateDir, { recursive: true, force: true });
  const stateDir = options.stateDir ?? (await mkdtemp(path.join(os.tmpdir(), 'runbook-control-plane-')));
  const pkiDir = path.join(stateDir, 'pki');
  const logDir = path.join(stateDir, 'logs');
  await mkdir(pkiDir, { recursive: true, mode: 0o700 });
  await mkdir(logDir, { recursive: true });

  const pki = await createLabPki(KUBERNETES_SERVICE_IP);
  const [kcmCert, schedulerCert, adminCert] = await Promise.all([
    pki.issueClient({ user: 'system:kube-controller-manager', groups: [] }),
    pki.issueClient({ user: 'system:kube-scheduler', groups: [] }),
    pki.issueClient(ADMIN_IDENTITY),
  ]);
  const files = {
    ca: path.join(pkiDir, 'ca.crt'),
    caKey: path.join(pkiDir, 'ca.key'),
    serving: path.join(pkiDir, 'serving.crt'),
    servingKey: path.join(pkiDir, 'serving.key'),
    saKey: path.join(pkiDir, 'service-account.key'),
    saPub: path.join(pkiDir, 'service-account.pub'),
  };
  await Promise.all([
    writeFile(files.ca, pki.ca.certPem),
    writeFile(files.caKey, pki.ca.keyPem, { mode: 0o600 }),
    writeFile(files.serving, pki.serving.certPem),
    writeFile(files.servingKey, pki.serving.keyPem, { mode: 0o600 }),
    writeFile(files.saKey, pki.serviceAccount.privatePem, { mode: 0o600 }),
    writeFile(files.saPub, pki.serviceAccount.publicPem),
  ]);

  const [etcdPort, etcdPeerPort, apiPort, kcmPort, schedulerPort] = (await freePorts(5)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const apiServerUrl = `https://${LOOPBACK}:${apiPort}`;
  const apiProxy = await startApiDownProxy({ upstreamPort: apiPort, tls: pki.serving });
  const url = apiProxy.url;
  const writeKubeconfig = async (file: string, user: string, credential: Credential, server = url) => {
    await writeFile(file, kubeconfigText(clusterName, server, pki.ca.certPem, user, credential), { mode: 0o600 });
    return file;
  };
  const kubeconfigPath = await writeKubeconfig(path.join(stateDir, 'kubeconfig'), 'system:admin', adminCert);
  const kcmKubeconfig = await writeKubeconfig(path.join(pkiDir, 'kcm.kubeconfig'), 'kcm', kcmCert, apiServerUrl);
  const schedulerKubeconfig = await writeKubeconfig(
    path.join(pkiDir, 'scheduler.kubeconfig'),
    'scheduler',
    schedulerCert,
    apiServerUrl,
  );

  const children: Child[] = [];
  let sccWebhook: SccWebhook | undefined;
  const spawn = (name: ControlPlaneProcessName, args: string[]) => {
    const logFile = path.join(logDir, `${name}.log`);
    const log = createWriteStream(logFile);
    // cleanup: the process dies with this one, so a crashed test leaves no control plane behind.
    const child = execa(binaries[name], args, {
      reject: false,
      stdin: 'ignore',
      all: true,
      buffer: false,
      cleanup: true,
    });
    const entry: Child = { name, process: child, log, logFile };
    child.all?.pipe(log);
    void child.then((result) => (entry.exited = result.signal ?? `exit code ${result.exitCode}`));
    children.push(entry);
  };
  let stopping: Promise<void> | undefined;
  // Once only: a test's afterAll may stop what a test already stopped.
  const stop = () =>
    (stopping ??= (async () => {
      // Reverse order: the controllers first, etcd last, so nothing logs a lost backend on the way down.
      await apiProxy.close();
      for (const child of [...children].reverse()) await stopChild(child);
      await sccWebhook?.close();
      await rm(stateDir, { recursive: true, force: true });
    })());

  const started = Date.now();
  const servingTls = ['--tls-cert-file', files.serving, '--tls-private-key-file', files.servingKey];
  const delegated = (kubeconfig: string) => [
    '--kubeconfig',
    kubeconfig,
    '--authentication-kubeconfig',
    kubeconfig,
    '--authorization-kubeconfig',
    kubeconfig,
    '--bind-address',
    LOOPBACK,
    '--leader-elect=false',
    ...servingTls,
  ];
  try {
    spawn('etcd', [
      '--name=lab',
      `--data-dir=${path.join(stateDir, 'etcd')}`,
      `--listen-client-urls=http://${LOOPBACK}:${etcdPort}`,
      `--advertise-client-urls=http://${LOOPBACK}:${etcdPort}`,
      `--listen-peer-urls=http://${LOOPBACK}:${etcdPeerPort}`,
      `--initial-advertise-peer-urls=http://${LOOPBACK}:${etcdPeerPort}`,
      `--initial-cluster=lab=http://${LOOPBACK}:${etcdPeerPort}`,
      '--initial-cluster-state=new',
      // The lab's etcd is thrown away on stop: no fsync, as envtest does, keeps a loaded machine quick.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ]);
    spawn('kube-apiserver', [
      `--etcd-servers=http://${LOOPBACK}:${etcdPort}`,
      `--bind-address=${LOOPBACK}`,
      `--advertise-address=${LOOPBACK}`,
      `--secure-port=${apiPort}`,
      ...servingTls,
      `--client-ca-file=${files.ca}`,
      `--cert-dir=${path.join(stateDir, 'kube-apiserver')}`,
      `--service-cluster-ip-range=${SERVICE_NETWORK}`,
      // No Endpoints for the `kubernetes` Service: nothing may send traffic to the service network.
      '--endpoint-reconciler-type=none',
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${files.saPub}`,
      `--service-account-signing-key-file=${files.saKey}`,
      '--authorization-mode=Node,RBAC',
      // NodeRestriction stays off (it is not in the default set); node-restriction.ts has OpenShift's rule instead.
      '--allow-privileged=true',
      '--profiling=false',
    ]);
    const admin: ApiTarget = { url: apiServerUrl, caPem: pki.ca.certPem, credential: adminCert };
    sccWebhook = await startSccWebhook(
      await pki.issueServing('scc-admission-webhook', ['localhost'], [LOOPBACK]),
      admin,
    );
    const webhook = sccWebhook;
    const deadline = started + (options.readyTimeoutMs ?? 300_000);
    const alive = () => {
      const gone = children.find((child) => child.exited !== undefined);
      if (gone) throw new Error(`${gone.name} exited (${gone.exited}) while the control plane started`);
    };
    await pollUntil('kube-apiserver /readyz', deadline, alive, async () => {
      const reply = await apiRequest(admin, 'GET', '/readyz', { timeoutMs: 5_000 });
      return reply.status === 200;
    });
    // The controllers start once kube-apiserver is ready: before its RBAC bootstrap roles exist,
    // kube-controller-manager cannot read its authentication config map and exits.
    spawn('kube-controller-manager', [
      ...delegated(kcmKubeconfig),
      `--secure-port=${kcmPort}`,
      // Approving CSRs is the runbooks' job, as on OpenShift (where no controller auto-approves them).
      '--controllers=*,-csrapproving',
      `--cluster-signing-cert-file=${files.ca}`,
      `--cluster-signing-key-file=${files.caKey}`,
      // OpenShift's kube-controller-manager signs kubelet certificates for 30 days.
      '--cluster-signing-duration=720h',
      `--root-ca-file=${files.ca}`,
      `--service-account-private-key-file=${files.saKey}`,
      '--use-service-account-credentials=true',
      `--service-cluster-ip-range=${SERVICE_NETWORK}`,
      `--cluster-name=${clusterName}`,
    ]);
    spawn('kube-scheduler', [...delegated(schedulerKubeconfig), `--secure-port=${schedulerPort}`]);

    const crds = await installCrds(admin);
    const probe = {
      url: apiServerUrl,
      caPem: pki.ca.certPem,
      credential: await pki.issueClient(nodeIdentity('probe')),
    };
    const bootstrap = bootstrapNodeBootstrapper(admin);
    const [bootstrapToken] = await Promise.all([
      bootstrap,
      installNodeRestriction(admin, probe, (what, check) => pollUntil(what, deadline, alive, check)),
      // The SCCs need their CRD; then pods are judged by them before the control plane counts as ready.
      waitUntilEstablished(admin, crds, (what, check) => pollUntil(what, deadline, alive, check)).then(async () => {
        if (options.defaultSccs !== false) await seedDefaultSccs(admin);
        await bootstrap;
        await registerSccWebhook(admin, webhook, pki.ca.certPem, NODE_BOOTSTRAPPER, (what, check) =>
          pollUntil(what, deadline, alive, check),
        );
      }),
      ...[
        { name: 'kube-controller-manager', port: kcmPort, route: '/healthz' },
        { name: 'kube-scheduler', port: schedulerPort, route: '/readyz' },
      ].map(({ name, port, route }) =>
        pollUntil(`${name} ${route}`, deadline, alive, async () => {
          const target = { url: `https://${LOOPBACK}:${port}`, caPem: pki.ca.certPem, credential: adminCert };
          return (await apiRequest(target, 'GET', route, { timeoutMs: 5_000 })).status === 200;
        }),
      ),
    ]);
    const startMs = Date.now() - started;

    const clientCerts = new Map<string, Promise<CertifiedKey>>();
    const certFor = (identity: ClientIdentity) => {
      const key = `${identity.user}|${identity.groups.join(',')}`;
      if (!clientCerts.has(key)) clientCerts.set(key, pki.issueClient(identity));
      return clientCerts.get(key)!;
    };
    return {
      version,
      url,
      apiServerUrl,
      apiProxy,
      caPem: pki.ca.certPem,
      stateDir,
      kubeconfigPath,
      admin,
      bootstrapToken,
      sccWebhook: webhook,
      startMs,
      pids: () =>
        Object.fromEntries(children.map((child) => [child.name, child.process.pid])) as Record<
          ControlPlaneProcessName,
          number | undefined
        >,
      kubeconfigFor: async (identity, file) =>
        writeKubeconfig(
          file ?? path.join(stateDir, `kubeconfig-${identity.user.replace(/[^A-Za-z0-9.-]+/g, '_')}`),
          identity.user,
          await certFor(identity),
        ),
      tokenKubeconfig: (token, file) => writeKubeconfig(file, 'token-user', { token }),
      targetFor: async (identity) => ({ url, caPem: pki.ca.certPem, credential: await certFor(identity) }),
      rssMb: async () => {
        const entries = await Promise.all(
          children.map(async (child) => [child.name, await residentMb(child.process.pid)] as const),
        );
        return Object.fromEntries(entries) as Record<ControlPlaneProcessName, number>;
      },
      stop,
    };
  } catch (error) {
    const logs = await Promise.all(children.map((child) => logTail(child)));
    await stop();
    throw new Error(
      `the lab's control plane (Kubernetes ${version}) did not start: ${(error as Error).message}\n${logs.join('\n')}`,
      { cause: error },
    );
  }
}

/** Polls `check` until it holds; throws when a process died (`alive`) or the bound passed (a hang). */
async function pollUntil(
  what: string,
  deadline: number,
  alive: () => void,
  check: () => Promise<boolean>,
): Promise<void> {
  let last: string;
  for (;;) {
    alive();
    try {
      if (await check()) return;
      last = 'not yet';
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${what} did not become ready (${last})`);
    await delay(150);
  }
}

async function stopChild(child: Child): Promise<void> {
  const { exitCode, signalCode } = child.process.nodeChildProcess;
  if (exitCode === null && signalCode === null) {
    child.process.kill('SIGTERM');
    // kube-apiserver drains for a few seconds; a port is only free again once it has exited.
    const timer = setTimeout(() => child.process.kill('SIGKILL'), 30_000);
    await child.process;
    clearTimeout(timer);
  }
  await new Promise<void>((resolve) => child.log.end(resolve));
}

async function logTail(child: Child): Promise<string> {
  const text = await readFile(child.logFile, 'utf8').catch(() => '');
  const lines = text.trim().split('\n').slice(-15);
  return `--- ${child.name} (${child.exited ?? 'running'}), last lines of ${child.logFile}:\n${lines.join('\n')}`;
}

async function residentMb(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

/**
 * The node-bootstrapper service account as the MCO sets it up on OpenShift: allowed to file CSRs
 * (the `system:node-bootstrapper` ClusterRole), with a token from the TokenRequest API.
 */
async function bootstrapNodeBootstrapper(admin: ApiTarget): Promise<string> {
  const apply = (apiPath: string, body: object) => applyAsLab(admin, apiPath, body);
  const { namespace, name } = NODE_BOOTSTRAPPER;
  await apply(`/api/v1/namespaces/${namespace}`, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: namespace },
  });
  await apply(`/api/v1/namespaces/${namespace}/serviceaccounts/${name}`, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace },
  });
  await apply('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/system-bootstrap-node-bootstrapper', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'system-bootstrap-node-bootstrapper' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:node-bootstrapper' },
    subjects: [{ kind: 'ServiceAccount', namespace, name }],
  });
  const reply = (await apiCall(admin, 'POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 365 * 86_400 } },
  })) as { status?: { token?: string } };
  if (!reply.status?.token) throw new Error('the TokenRequest for the node-bootstrapper answered without a token');
  return reply.status.token;
}
