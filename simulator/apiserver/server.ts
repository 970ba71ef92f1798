/**
 * The simulated Kubernetes/OpenShift API server: HTTPS on loopback with a self-signed CA, bearer
 * token authentication, a kubeconfig for clients (client-node, kubectl, oc), discovery and the
 * REST API over an ObjectStore. Others mount admin endpoints with `addRoute` (same token), served
 * on the API port and on a separate admin port that stays up while the API is down, and take the
 * API down with `setAvailability` (faults, a lab whose API is not up yet): connections refused (the
 * listener closes), reset (TCP RST as soon as a connection opens), or answered 503 with Retry-After.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import {
  aggregatedDocument,
  aggregatedMediaType,
  apiGroupDocument,
  apiGroupListDocument,
  apiResourceListDocument,
  apiVersionsDocument,
  versionDocument,
} from './discovery.js';
import { noRoute, serviceUnavailable, unauthorized } from './errors.js';
import { ADMIN_USER, authenticate } from './identity.js';
import {
  OPENAPI_V2_PROTOBUF,
  OPENAPI_V2_PROTOBUF_ANSWER,
  openApiGroupVersion,
  openApiIndex,
  openApiV2,
  openApiV2Protobuf,
} from './openapi.js';
import { sendError, sendJson } from './http-util.js';
import { handleResource, resolveTarget } from './rest.js';
import type { RestContext } from './rest.js';
import type { ObjectStore } from './store.js';
import { createServingCertificates } from './tls.js';

export type Availability =
  { ok: true } | { ok: false; retryAfterSeconds: number; answer?: 'refused' | 'reset' | '503' };
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface ApiServerOptions {
  store: ObjectStore;
  /** Loopback only: 127.0.0.1 (default), ::1 or localhost. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Where `kubeconfig` is written. */
  stateDir: string;
  /** The bearer token clients must send; a random one by default. */
  token?: string;
  /** What `/version` reports (e.g. v1.14.6 for OpenShift 4.2). */
  kubernetesVersion?: string;
  /** Interval of BOOKMARK events on watches that allow them. */
  bookmarkIntervalMs?: number;
}

export interface ApiServer {
  url: string;
  /** The admin endpoints (`addRoute`) only, on a port of their own that outages leave alone. */
  adminUrl: string;
  caCert: string;
  token: string;
  kubeconfigPath: string;
  setAvailability(fn: () => Availability): void;
  /** Applies a change of availability to the listener now (refused and reset outages act on connections). */
  refreshAvailability(): Promise<void>;
  addRoute(prefix: string, handler: RouteHandler): void;
  /** Ends every open watch stream, as an API server restart or outage would (clients re-list and re-watch). */
  dropWatches(): void;
  /** Mutating requests (POST, PUT, PATCH, DELETE, dry runs aside) the API port has been sent so far. */
  mutatingRequests(): number;
  stop(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const HEALTH_PATHS = new Set(['/healthz', '/livez', '/readyz']);
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Writes a kubeconfig (mode 0600) with the CA and the bearer token, context `admin`. */
export async function writeKubeconfig(file: string, url: string, caPem: string, token: string): Promise<void> {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'simulated-lab',
        cluster: { server: url, 'certificate-authority-data': Buffer.from(caPem).toString('base64') },
      },
    ],
    users: [{ name: 'admin', user: { token } }],
    contexts: [{ name: 'admin', context: { cluster: 'simulated-lab', user: 'admin', namespace: 'default' } }],
    'current-context': 'admin',
    preferences: {},
  };
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, toYaml(config), { mode: 0o600 });
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1]!.trim());
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host))
    throw new Error(`the simulated API server binds loopback only (127.0.0.1, ::1 or localhost), not ${host}`);
  const { store } = options;
  const token = options.token ?? `sha256~${randomBytes(32).toString('base64url')}`;
  const gitVersion = options.kubernetesVersion ?? 'v1.32.0';
  const certs = await createServingCertificates();
  let availability: () => Availability = () => ({ ok: true });
  const routes: { prefix: string; handler: RouteHandler }[] = [];
  const openWatches = new Set<() => void>();
  let address = '';

  let mutating = 0;
  const ctx: RestContext = {
    store,
    watch: {
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? 15_000,
      defaultTimeoutSeconds: 1800,
      track: (end) => {
        openWatches.add(end);
        return () => openWatches.delete(end);
      },
    },
  };

  function mountedRoute(pathname: string): RouteHandler | undefined {
    return routes.find((entry) => pathname === entry.prefix || pathname.startsWith(`${entry.prefix}/`))?.handler;
  }

  async function adminRoute(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = new URL(req.url ?? '/', 'https://localhost').pathname.replace(/\/+$/, '') || '/';
    if (!tokenMatches(req.headers.authorization, token)) throw unauthorized();
    const mounted = mountedRoute(pathname);
    if (!mounted) throw noRoute();
    return mounted(req, res);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const pathname = url.pathname.replace(/\/+$/, '') || '/';
    if (tokenMatches(req.headers.authorization, token)) authenticate(req, ADMIN_USER);
    else if (!HEALTH_PATHS.has(pathname)) throw unauthorized();
    const mounted = mountedRoute(pathname);
    if (mounted) return mounted(req, res);
    const state = availability();
    if (!state.ok && state.answer !== undefined && state.answer !== '503') {
      // A connection kept alive from before the outage: a load balancer with no backend cuts it.
      req.socket.resetAndDestroy();
      return;
    }
    if (!state.ok) throw serviceUnavailable(state.retryAfterSeconds);
    if (HEALTH_PATHS.has(pathname)) {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    const method = req.method ?? 'GET';
    if (MUTATING.has(method) && url.searchParams.get('dryRun') === null) mutating += 1;
    const segments = pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const accept = req.headers.accept;
    if (method === 'GET' && pathname === '/openapi/v2') return sendOpenApiV2(res, accept);
    if (method === 'GET') {
      const document = discovery(segments, accept);
      if (document) return sendJson(res, 200, document.body, document.contentType);
    }
    let target;
    if (segments[0] === 'api' && segments[1] === 'v1')
      target = resolveTarget(store.resources, '', 'v1', segments.slice(2));
    else if (segments[0] === 'apis' && segments.length >= 4)
      target = resolveTarget(store.resources, segments[1]!, segments[2]!, segments.slice(3));
    if (!target) throw noRoute();
    return handleResource(ctx, req, res, target, url.searchParams);
  }

  function discovery(
    segments: string[],
    accept: string | undefined,
  ): { body: unknown; contentType?: string } | undefined {
    const [root, group, version, ...rest] = segments;
    if (segments.length === 1 && root === 'version') return { body: versionDocument(gitVersion) };
    if (root === 'openapi' && group === 'v3') {
      if (segments.length === 2) return { body: openApiIndex(store.resources) };
      const [, , kind, g, v] = segments;
      if (kind === 'api' && segments.length === 4) return found(openApiGroupVersion(store.resources, '', g!));
      if (kind === 'apis' && segments.length === 5) return found(openApiGroupVersion(store.resources, g!, v!));
      throw noRoute();
    }
    if (segments.length === 1 && (root === 'api' || root === 'apis')) {
      const aggregated = aggregatedMediaType(accept);
      if (aggregated)
        return { body: aggregatedDocument(store.resources, root === 'api', aggregated), contentType: aggregated };
      return { body: root === 'api' ? apiVersionsDocument(address) : apiGroupListDocument(store.resources) };
    }
    if (root === 'api' && segments.length === 2 && group === 'v1')
      return found(apiResourceListDocument(store.resources, '', 'v1'));
    if (root === 'apis' && segments.length === 2 && group) return found(apiGroupDocument(store.resources, group));
    if (root === 'apis' && segments.length === 3 && group && version && rest.length === 0) {
      return found(apiResourceListDocument(store.resources, group, version));
    }
    return undefined;
  }

  function sendOpenApiV2(res: ServerResponse, accept: string | undefined): void {
    if (!(accept ?? '').includes(OPENAPI_V2_PROTOBUF)) return sendJson(res, 200, openApiV2(store.resources));
    const body = openApiV2Protobuf(store.resources);
    res.writeHead(200, { 'Content-Type': OPENAPI_V2_PROTOBUF_ANSWER, 'Content-Length': body.length });
    res.end(body);
  }

  function found(body: unknown): { body: unknown } {
    if (!body) throw noRoute();
    return { body };
  }

  const server = createServer({ key: certs.keyPem, cert: certs.certPem }, (req, res) => {
    route(req, res).catch((error: unknown) => sendError(res, error));
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    const state = availability();
    if (!state.ok && state.answer === 'reset') {
      socket.resetAndDestroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const adminServer = createServer({ key: certs.keyPem, cert: certs.certPem }, (req, res) => {
    adminRoute(req, res).catch((error: unknown) => sendError(res, error));
  });
  const listen = (target: typeof server, port: number) =>
    new Promise<void>((resolve, reject) => {
      target.once('error', reject);
      target.listen(port, host, () => {
        target.off('error', reject);
        resolve();
      });
    });
  await listen(server, options.port ?? 0);
  await listen(adminServer, 0);
  const { port } = server.address() as AddressInfo;
  const urlHost = host === '::1' ? '[::1]' : host;
  address = `${urlHost}:${port}`;
  const url = `https://${address}`;
  const adminUrl = `https://${urlHost}:${(adminServer.address() as AddressInfo).port}`;

  /** What the listener does now: listening (up or 503), refusing, or resetting connections. */
  let applied: 'listening' | 'refused' | 'reset' = 'listening';
  let stopped = false;
  const cutConnections = () => {
    for (const end of [...openWatches]) end();
    for (const socket of [...sockets]) socket.resetAndDestroy();
  };
  async function refreshAvailability(): Promise<void> {
    const state = availability();
    const wanted = state.ok || state.answer === undefined || state.answer === '503' ? 'listening' : state.answer;
    if (wanted === applied || stopped) return;
    const previous = applied;
    applied = wanted;
    if (wanted !== 'listening') cutConnections();
    if (wanted === 'refused') await new Promise<void>((resolve) => server.close(() => resolve()));
    else if (previous === 'refused') {
      try {
        await listen(server, port);
      } catch (error) {
        applied = previous; // still closed: the next refresh tries again
        throw new Error(`cannot listen on ${address} again after the outage: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
  }
  const kubeconfigPath = path.join(options.stateDir, 'kubeconfig');
  await writeKubeconfig(kubeconfigPath, url, certs.caPem, token);

  return {
    url,
    adminUrl,
    caCert: certs.caPem,
    token,
    kubeconfigPath,
    setAvailability(fn) {
      availability = fn;
      // The listener is up when this is first set; a failure to reopen it shows in the next refresh.
      refreshAvailability().catch(() => undefined);
    },
    refreshAvailability,
    addRoute(prefix, handler) {
      routes.push({ prefix: prefix.replace(/\/+$/, ''), handler });
      routes.sort((a, b) => b.prefix.length - a.prefix.length);
    },
    dropWatches() {
      for (const end of [...openWatches]) end();
    },
    mutatingRequests: () => mutating,
    async stop() {
      stopped = true;
      for (const end of [...openWatches]) end();
      await Promise.all(
        [server, adminServer].map(
          (target) =>
            new Promise<void>((resolve) => {
              if (!target.listening) return resolve();
              target.close(() => resolve());
              target.closeAllConnections();
            }),
        ),
      );
    },
  };
}
