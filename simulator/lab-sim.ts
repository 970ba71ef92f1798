/**
 * The simulated lab, composed from a lab file: the OpenShift API server, the helper hosts (SSH, power),
 * and every controller, on loopback only. Two starting points: `bare` (nothing installed; the API
 * answers 503 until the bootstrap node has booted) for the install runbook, `installed` (the lab as
 * the procedure has it right after install) for the day-2 runbooks.
 *
 * It writes `<stateDir>/kubeconfig` and `<stateDir>/endpoints.json` (`{ apiServer: { url,
 * kubeconfig }, hosts: [...], release, tools: { openshiftInstall }, bmcs,
 * rhcosMirror: { url } }`), which rehearsals and
 * `runbook sim start` users point their clients at, and `<stateDir>/bin/openshift-install`, the
 * simulated openshift-install already aimed at this lab (what `tools.openshiftInstall` names).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostsWith, type Lab } from '../lab/schema.js';
import { resolveSecret } from '../lab/secrets.js';
import { startApiServer, writeKubeconfig } from './apiserver/server.js';
import { BMC_ROUTE, startSimulatedBmcs, type SimulatedBmcs } from './bmc/index.js';
import { ObjectStore, type KubeObject } from './apiserver/store.js';
import { SimClock } from './clock.js';
import { realLabApi, storeLabApi, type LabApi, type RealLabApi } from './lab-api.js';
import type { Controller, SimContext, SimLogger } from './context.js';
import { trackBoots, type BootTracker } from './controllers/boot.js';
import { csrController } from './controllers/csr.js';
import { InstallProgress, bootstrapController } from './controllers/install.js';
import { kubeletController } from './controllers/kubelet.js';
import { startEgressController } from './controllers/egress.js';
import { startEndpointsController } from './controllers/endpoints.js';
import { startEgressRouterOvnController } from './controllers/egress-router-ovn.js';
import { startEgressIpOvnController } from './controllers/egress-ip-ovn.js';
import { startIngressController } from './controllers/ingress.js';
import { startMcoController } from './controllers/mco.js';
import { startRegistryController } from './controllers/registry.js';
import { startStorageController } from './controllers/storage.js';
import { oauthController } from './controllers/oauth.js';
import { operatorsController } from './controllers/operators.js';
import { startWorkloadController } from './controllers/pods.js';
import { FAULTS_ROUTE, Faults, faultsAdminHandler, trackApiOutages, type Availability, type Fault } from './faults.js';
import { startSimulatedHosts, type HostEndpoint, type SimulatedHosts } from './hosts/index.js';
import type { BmcEndpoint } from '../transport/bmc-targets.js';
import { startRehearsalMirror, type RehearsalMirror } from './mirror.js';
import { isTrue, kubeletVersion, R } from './openshift-objects.js';
import { ENDPOINTS_ENV } from './openshift-install/main.js';
import { startReleaseMirror } from './release-mirror.js';
import { applyBootstrapManifests, seedInstalled } from './seed-installed.js';
import { startControlPlane, type ControlPlane } from './control-plane/control-plane.js';
import type { ApiTarget } from './control-plane/api-client.js';
import { nodeIdentity } from './control-plane/control-plane.js';
import { openshiftTypes, type CopiedObject } from './control-plane/openshift-kinds.js';
import { resourceKey } from './apiserver/resources.js';
import { NODE_BOOTSTRAPPER_USER } from './apiserver/identity.js';
import { startNodeLeases } from './controllers/node-leases.js';
import { controlPlaneFor } from './control-plane/versions.js';

export type LabStart = 'bare' | 'installed';

export interface SimulatedLabOptions {
  lab: Lab;
  /** Folder for the kubeconfig, endpoints.json and the hosts' files; created if missing. */
  stateDir: string;
  from: LabStart;
  /** 0: every delay on the next tick (tests); 1: real time; 0.05: an install in minutes. */
  timeScale: number;
  /** Faults in force from the start (a scenario file's), or a Faults set to share. */
  faults?: readonly Fault[] | Faults;
  log?: SimLogger;
  /**
   * Also start the real control plane (simulator/control-plane/) and copy the lab's OpenShift objects
   * into it once seeded, so openshift/api's CRDs judge them; a refusal fails the start. Off by default:
   * rehearsals still run on the simulated API server (issue 18 moves them).
   */
  realControlPlane?: boolean;
}

/** Where the API is reached through a load balancer host's real HAProxy (its 6443 frontend on loopback). */
export interface BalancedApi {
  host: string;
  url: string;
  kubeconfig: string;
}

export interface EndpointsFile {
  /**
   * `adminUrl`: the admin endpoints (faults, nodes) on a port that stays up while the API is down.
   * `balanced`: the API through the first load balancer host's HAProxy, when the lab has one.
   */
  apiServer: {
    url: string;
    kubeconfig: string;
    adminUrl: string;
    /**
     * The admin endpoints' own kubeconfig (the simulated API's CA and token): on the real control plane
     * `kubeconfig` holds the real server's client certificate, which the admin port does not take.
     */
    adminKubeconfig: string;
    balanced?: BalancedApi;
  };
  hosts: HostEndpoint[];
  /** The release the lab pins: what the simulated openshift-install reports and writes for. */
  release: { version: string; architecture: string };
  /** Executables that stand in for the lab's local tools in a rehearsal, run like the real ones. */
  tools: {
    openshiftInstall: string;
    /** Never written by the simulator (its BMCs answer the worker's real ipmitool); a test may name a wrapper. */
    ipmitool?: string;
  };
  /** Simulated BMCs: IPMI (RMCP+ on loopback UDP, for the real ipmitool) and Redfish (HTTPS). */
  bmcs: BmcEndpoint[];
  /** The RHCOS folder of the simulated mirror (./mirror.ts), which rehearsals download from. */
  rhcosMirror: { url: string };
  /** Loopback stand-in for the upstream release downloads (./release-mirror.ts). */
  releaseMirror: { url: string };
  /**
   * Each load balancer host's frontends that a worker reaches on a real lab at `<address>:<port>`
   * (the API, the machine config server, HAProxy's stats page): the loopback port standing for each.
   */
  balancers: BalancerEndpoint[];
  /**
   * The lab's clock (./clock.ts), an admin endpoint (`GET` with the API's CA and token): what a
   * rehearsal's waits count their deadlines in. Its `timeScale` is the lab's.
   */
  labClock: { url: string; timeScale: number };
}

/** What `GET /simulator/clock` answers. */
export interface LabClockReading {
  /** Lab time since the lab started, ms. */
  labMs: number;
  /** Lab ms per real ms (20 at time scale 0.05; 1 at 0 and at 1). */
  labPerRealMs: number;
  timeScale: number;
  /** Names this lab's clock: a restarted lab starts a new one at 0. */
  clockId: string;
}

/** A load balancer host's frontends on loopback: lab port (as a string key) → loopback port. */
export interface BalancerEndpoint {
  host: string;
  ports: Record<string, number>;
}

/** The lab ports of a load balancer a worker talks to: the API, the machine config server, the stats page. */
export const BALANCER_PORTS = [6443, 22623, 9000] as const;

/** The simulated openshift-install: the executable, and the environment that points it at a lab. */
export function simulatedInstaller(endpointsPath: string): { binary: string; env: Record<string, string> } {
  return {
    binary: fileURLToPath(new URL('./bin/openshift-install', import.meta.url)),
    env: { [ENDPOINTS_ENV]: endpointsPath },
  };
}

/** A POSIX shell word that stands for `text` exactly. */
const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * Writes `<stateDir>/bin/openshift-install`: the simulated installer with this lab's endpoints set,
 * so a step runs it with an argument array and nothing else, as it runs the real binary.
 */
async function writeInstallerFor(stateDir: string, endpointsPath: string): Promise<string> {
  const { binary, env } = simulatedInstaller(endpointsPath);
  const file = path.join(stateDir, 'bin', 'openshift-install');
  await mkdir(path.dirname(file), { recursive: true });
  const assignments = Object.entries(env).map(([name, value]) => `${name}=${shellQuote(value)}`);
  // On the Node that runs the lab (22.19 or newer), not the first `node` on PATH: a worker re-run on
  // .tools/' Node by bin/runbook.js keeps a PATH whose `node` may be the machine's older one.
  await writeFile(
    file,
    `#!/bin/sh\n# The simulated openshift-install of the lab whose state is in this ` +
      `folder.\n${assignments.join(' ')} exec ${shellQuote(process.execPath)} ${shellQuote(binary)} "$@"\n`,
    { mode: 0o755 },
  );
  return file;
}

export interface SimulatedLab {
  kubeconfigPath: string;
  endpointsPath: string;
  endpoints: EndpointsFile;
  apiUrl: string;
  /** The admin endpoints' own HTTPS port (same CA and token), reachable during API outages. */
  adminUrl: string;
  /** The API server's bearer token and CA (also in the kubeconfig), for the admin endpoints. */
  token: string;
  caCert: string;
  /** The simulated API server's store (empty on the real control plane: read `api` there). */
  store: ObjectStore;
  /** The cluster as the controllers see it: the store, or the cache of the real kube-apiserver. */
  api: LabApi;
  hosts: SimulatedHosts;
  bmcs: SimulatedBmcs;
  mirror: RehearsalMirror;
  faults: Faults;
  /** Where each node stands (off, booting, stuck in PXE and why, running). */
  boot: BootTracker;
  progress: InstallProgress;
  /** The lab's clock: its delays, and lab time (`now()`, also served at `/simulator/clock`). */
  clock: SimClock;
  /** Mutating requests the API server has been sent (`kubectl apply`, patches, CSR approvals, …). */
  apiWrites(): number;
  /** With `realControlPlane`: the real control plane, and the lab's OpenShift objects copied into it once seeded. */
  controlPlane?: { plane: ControlPlane; copied: CopiedObject[] };
  stop(): Promise<void>;
}

/** Path of the admin endpoint that reports each node's boot state (`GET`). */
export const NODES_ROUTE = '/simulator/nodes';
/** Path of the admin endpoint that tells the lab's time (`GET`, a `LabClockReading`). */
export const CLOCK_ROUTE = '/simulator/clock';

/** A logger that writes timestamped lines to a stream (a log file, stderr). */
export function streamLog(stream: NodeJS.WritableStream): SimLogger {
  const line = (level: string, message: string) => stream.write(`${new Date().toISOString()} ${level} ${message}\n`);
  return { info: (message) => line('info', message), warn: (message) => line('warn', message) };
}

/** A logger that prints to stderr. */
export function consoleLog(): SimLogger {
  return streamLog(process.stderr);
}

function jsonRoute(body: () => unknown) {
  return (request: IncomingMessage, response: ServerResponse): void => {
    response.writeHead(request.method === 'GET' ? 200 : 405, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify(request.method === 'GET' ? body() : { message: 'only GET is supported here' }));
  };
}

/** The real control plane of the lab's release (or the build it falls back to), and the controllers' client of it. */
async function startLabControlPlane(
  lab: Lab,
  stateDir: string,
  log: SimLogger,
): Promise<{ plane: ControlPlane; api: RealLabApi }> {
  const choice = controlPlaneFor(lab.cluster.version);
  if (choice.note) log.info(choice.note);
  const plane = await startControlPlane({
    version: choice.version,
    clusterName: lab.cluster.name,
    stateDir: path.join(stateDir, 'control-plane'),
    // The lab's release brings its SCCs with the bootstrap manifests (or the installed seeding).
    defaultSccs: false,
  });
  // The controllers talk to kube-apiserver itself, as on a master (the api-down proxy is for the runbooks).
  const direct = (target: ApiTarget): ApiTarget => ({ ...target, url: plane.apiServerUrl });
  const api = realLabApi({
    target: plane.admin,
    targetFor: async (user) => {
      if (user.username === NODE_BOOTSTRAPPER_USER.username) {
        return { url: plane.apiServerUrl, caPem: plane.caPem, credential: { token: plane.bootstrapToken } };
      }
      const node = /^system:node:(.+)$/.exec(user.username)?.[1];
      if (node) return direct(await plane.targetFor(nodeIdentity(node)));
      throw new Error(`the lab has no credentials for ${user.username}`);
    },
    warn: (message) => log.warn(message),
  });
  try {
    await api.synced();
  } catch (error) {
    api.stop();
    await plane.stop();
    throw error;
  }
  log.info(`real control plane ${plane.version} at ${plane.url}: the lab's controllers are its clients`);
  return { plane, api };
}

/** Longest an installed lab on the real control plane waits to be at rest before it is handed over. */
const SETTLE_BOUND_MS = 120_000;

/** A Deployment the deployment controller has rolled out: every replica of its latest generation available. */
function rolledOut(deployment: KubeObject): boolean {
  const status = (deployment.status ?? {}) as {
    observedGeneration?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
  };
  const wanted = (deployment.spec as { replicas?: number } | undefined)?.replicas ?? 1;
  return (
    (status.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0) &&
    status.updatedReplicas === wanted &&
    status.availableReplicas === wanted
  );
}

/**
 * Waits (bounded) until the cluster is at rest: every Deployment rolled out and then every ClusterOperator
 * Available (an operator that watches its operand reports its rollout until then); names what is not
 * when it gives up.
 */
async function clusterAtRest(api: LabApi, log: SimLogger): Promise<void> {
  const unsettled = () => [
    ...api
      .list(R.deployments)
      .items.filter((deployment) => !rolledOut(deployment))
      .map((deployment) => `deployment ${deployment.metadata.namespace}/${deployment.metadata.name}`),
    ...api
      .list(R.clusteroperators)
      .items.filter((operator) => !isTrue(operator, 'Available'))
      .map((operator) => `operator ${operator.metadata.name}`),
  ];
  const until = Date.now() + SETTLE_BOUND_MS;
  while (unsettled().length > 0 && Date.now() < until) await delay(100);
  const left = unsettled();
  if (left.length) log.warn(`the installed lab is not at rest yet: ${left.join(', ')} not settled`);
}

/** What the real server holds of OpenShift's kinds (the installed seeding's objects, as the copy listed them). */
function openshiftObjectsIn(api: LabApi): CopiedObject[] {
  return openshiftTypes().flatMap((type) =>
    api.list(resourceKey(type)).items.map((object) => ({
      resource: resourceKey(type),
      ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
      name: object.metadata.name,
    })),
  );
}

/**
 * A kubeconfig for the API through the first load balancer host's HAProxy: the same CA and token as
 * the API server's own, its server the loopback port of that host's 6443 frontend (refused until
 * HAProxy runs with a configuration that binds it).
 */
async function balancedApi(
  lab: Lab,
  hosts: SimulatedHosts,
  stateDir: string,
  api: { caCert: string; token: string },
  plane?: ControlPlane,
): Promise<BalancedApi | undefined> {
  const balancer = hostsWith(lab, 'haproxy')[0];
  if (!balancer) return undefined;
  const url = `https://127.0.0.1:${await hosts.balancerPort(balancer.name, 6443)}`;
  const kubeconfig = path.join(stateDir, 'kubeconfig-balanced');
  if (plane) {
    // The real server's admin kubeconfig (client certificate, lab CA), its server the balancer's frontend.
    const config = parseYaml(await readFile(plane.kubeconfigPath, 'utf8')) as {
      clusters: { cluster: { server: string } }[];
    };
    for (const cluster of config.clusters) cluster.cluster.server = url;
    await writeFile(kubeconfig, toYaml(config), { mode: 0o600 });
  } else {
    await writeKubeconfig(kubeconfig, url, api.caCert, api.token);
  }
  return { host: balancer.name, url, kubeconfig };
}

export async function startSimulatedLab(options: SimulatedLabOptions): Promise<SimulatedLab> {
  const { lab, stateDir, from } = options;
  await mkdir(stateDir, { recursive: true });
  const log = options.log ?? consoleLog();
  const clock = new SimClock(options.timeScale);
  const faults = options.faults instanceof Faults ? options.faults : new Faults(options.faults ?? []);
  const store = new ObjectStore();
  const sshPublicKey = await resolveSecret(lab.secrets.sshPublicKey);
  const members = lab.nodes.filter((node) => node.role !== 'bootstrap');
  const stops: Array<() => void | Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop();
    clock.stop();
  };

  try {
    // The real control plane takes seconds to start: it starts first, beside the rest.
    const realStart = options.realControlPlane ? startLabControlPlane(lab, stateDir, log) : undefined;
    realStart?.catch(() => undefined);
    const api = await startApiServer({
      store,
      stateDir,
      kubernetesVersion: kubeletVersion(lab.cluster.version).replace(/\+.*$/, ''),
    });
    stops.push(() => api.stop());
    const hosts = await startSimulatedHosts({
      lab,
      stateDir,
      authorizedKeys: [sshPublicKey],
      faults,
      clock,
      log,
      ...(from === 'installed' ? { power: Object.fromEntries(members.map((node) => [node.name, 'on' as const])) } : {}),
    });
    stops.push(() => hosts.stop());
    const bmcs = await startSimulatedBmcs({ lab, power: hosts.power, faults, log });
    stops.push(() => bmcs.stop());
    api.addRoute(BMC_ROUTE, bmcs.adminHandler);
    const mirror = await startRehearsalMirror({ lab, log });
    stops.push(() => mirror.stop());

    const real = realStart ? await realStart : undefined;
    if (real) {
      stops.push(() => real.plane.stop());
      stops.push(() => real.api.stop());
    }
    const progress = new InstallProgress(from === 'installed');
    const outages = trackApiOutages(faults, clock);
    stops.push(outages.stop);
    const boot = trackBoots({ lab, hosts, clock, log, faults, bootedFrom: (node) => bmcs.boot.bootedFrom(node) });
    stops.push(() => boot.stop());
    // HAProxy's backend servers: a control-plane node's loopback endpoints open while it runs.
    const controlPlaneNodes = new Map(
      lab.nodes
        .filter((node) => node.role === 'bootstrap' || node.role === 'master')
        .map((node) => [node.ip, node.name]),
    );
    await hosts.attachControlPlane({
      serves: (ip, port) => {
        const node = controlPlaneNodes.get(ip);
        return node !== undefined && (port === 6443 || port === 22623) && boot.isRunning(node);
      },
      // On the real control plane, HAProxy's backends lead to its api-down proxy, as every kubeconfig does.
      apiPort: Number(new URL(real ? real.plane.url : api.url).port),
    });
    const refreshEndpoints = () =>
      void hosts
        .refreshControlPlane()
        .catch((error: unknown) =>
          log.warn(
            `the lab endpoints could not follow a node: ${error instanceof Error ? error.message : String(error)}`,
          ),
        );
    for (const event of ['running', 'down', 'stuck', 'new-cluster']) boot.on(event, refreshEndpoints);
    stops.push(() => {
      for (const event of ['running', 'down', 'stuck', 'new-cluster']) boot.off(event, refreshEndpoints);
    });
    // The API answers while its cluster is up and a node serving it (the bootstrap node, a master) runs.
    const availability = (): Availability =>
      progress.apiUp && boot.controlPlaneRunning() ? outages.availability() : { ok: false, retryAfterSeconds: 10 };
    api.setAvailability(availability);
    // Refused and reset outages act on the listener and its connections, at once.
    const followed = (error: unknown) =>
      log.warn(
        `the API server could not follow an outage change: ${error instanceof Error ? error.message : String(error)}`,
      );
    const refreshApi = () => {
      api.refreshAvailability().catch(followed);
      if (!real) return;
      // The real server's clients see the same: refused, reset or 503 through its api-down proxy.
      const now = availability();
      (now.ok
        ? real.plane.apiProxy.set('up')
        : real.plane.apiProxy.set(now.answer ?? '503', now.retryAfterSeconds)
      ).catch(followed);
    };
    if (real) refreshApi();
    faults.on('change', refreshApi);
    progress.on('api-up', refreshApi);
    progress.on('reset', refreshApi);
    boot.on('running', refreshApi);
    boot.on('down', refreshApi);
    stops.push(() => {
      faults.off('change', refreshApi);
      progress.off('api-up', refreshApi);
      progress.off('reset', refreshApi);
      boot.off('running', refreshApi);
      boot.off('down', refreshApi);
    });
    api.addRoute(
      FAULTS_ROUTE,
      faultsAdminHandler(faults, () => hosts.faultsFollowed()),
    );
    api.addRoute(
      NODES_ROUTE,
      jsonRoute(() => ({
        apiUp: progress.apiUp,
        bootstrapComplete: progress.bootstrapComplete,
        nodes: boot.states(),
        // By lab address: what the simulated openshift-install's `gather bootstrap --bootstrap <ip>` is given.
        addresses: Object.fromEntries(lab.nodes.map((node) => [node.ip, node.name])),
      })),
    );
    const clockId = randomUUID();
    api.addRoute(
      CLOCK_ROUTE,
      jsonRoute((): LabClockReading => ({
        labMs: clock.now(),
        labPerRealMs: clock.labPerRealMs,
        timeScale: clock.timeScale,
        clockId,
      })),
    );

    // On the real control plane the controllers are its clients; the in-process store stays empty.
    const ctx: SimContext = { lab, store, api: real ? real.api : storeLabApi(store), clock, faults, log };
    if (from === 'installed') {
      await seedInstalled(ctx, boot, { sshPublicKey });
      await hosts.refreshControlPlane();
      if (real) refreshApi();
    }
    const controlPlane = real && { plane: real.plane, copied: openshiftObjectsIn(real.api) };
    if (real) stops.push(startNodeLeases(ctx, real.plane.admin));
    const controllers: Controller[] = [
      bootstrapController({
        progress,
        boot,
        applyManifests: (context) => applyBootstrapManifests(context, { sshPublicKey }),
      }),
      csrController({ progress }),
      kubeletController({ progress, boot }),
      operatorsController({ progress }),
      oauthController({ progress }),
      startWorkloadController,
      startMcoController,
      startIngressController,
      startStorageController,
      startRegistryController,
      startEgressController,
      // kube-controller-manager's endpoints controller, where it runs.
      ...(real ? [] : [startEndpointsController]),
      startEgressRouterOvnController,
      startEgressIpOvnController,
    ];
    let running = controllers.map((controller) => controller(ctx));
    stops.push(() => {
      for (const stop of running) stop();
    });
    // An installed lab is handed over at rest: on the real control plane its Deployments' pods come from
    // the real controllers a moment after the seeding, and until then the operators that watch them
    // (authentication) report their rollout, which an installed cluster would not show.
    if (real && from === 'installed') await clusterAtRest(ctx.api, log);
    // A bootstrap node that boots a new install starts a new cluster: the old one's objects and every
    // controller's memory of it are gone, and its API answers once the new bootstrap brings it up.
    const onNewCluster = () => {
      if (real) {
        // Not reproduced on the real control plane yet: its etcd keeps the old cluster's objects.
        log.warn("a new install on the real control plane keeps the old cluster's objects (not supported yet)");
        return;
      }
      for (const stop of running) stop();
      store.wipe();
      api.dropWatches();
      progress.reset();
      running = controllers.map((controller) => controller(ctx));
    };
    boot.on('new-cluster', onNewCluster);
    stops.push(() => {
      boot.off('new-cluster', onNewCluster);
    });

    const releaseMirror = await startReleaseMirror();
    stops.push(() => releaseMirror.stop());
    const endpointsPath = path.join(stateDir, 'endpoints.json');
    const balanced = await balancedApi(lab, hosts, stateDir, api, real?.plane);
    const endpoints: EndpointsFile = {
      apiServer: {
        // The runbooks' API: the real kube-apiserver through its api-down proxy, or the simulated one.
        url: real ? real.plane.url : api.url,
        kubeconfig: real ? real.plane.kubeconfigPath : api.kubeconfigPath,
        adminUrl: api.adminUrl,
        adminKubeconfig: api.kubeconfigPath,
        ...(balanced && { balanced }),
      },
      hosts: hosts.endpoints,
      release: { version: lab.cluster.version, architecture: lab.cluster.architecture },
      tools: { openshiftInstall: await writeInstallerFor(stateDir, endpointsPath) },
      bmcs: bmcs.endpoints,
      rhcosMirror: { url: mirror.url },
      releaseMirror: { url: releaseMirror.url },
      labClock: { url: new URL(CLOCK_ROUTE, api.adminUrl).toString(), timeScale: clock.timeScale },
      balancers: await Promise.all(
        hostsWith(lab, 'haproxy').map(async (host) => ({
          host: host.name,
          ports: Object.fromEntries(
            await Promise.all(BALANCER_PORTS.map(async (port) => [port, await hosts.balancerPort(host.name, port)])),
          ),
        })),
      ),
    };
    await writeFile(endpointsPath, `${JSON.stringify(endpoints, null, 2)}\n`);
    log.info(`simulated lab ${lab.name} is up (${from}): API ${endpoints.apiServer.url}`);
    return {
      kubeconfigPath: endpoints.apiServer.kubeconfig,
      endpointsPath,
      endpoints,
      apiUrl: endpoints.apiServer.url,
      adminUrl: api.adminUrl,
      token: api.token,
      caCert: api.caCert,
      store,
      api: ctx.api,
      hosts,
      bmcs,
      mirror,
      faults,
      boot,
      progress,
      clock,
      apiWrites: () => api.mutatingRequests(),
      ...(controlPlane ? { controlPlane } : {}),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
