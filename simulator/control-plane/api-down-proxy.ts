/**
 * A loopback TCP proxy in front of the lab's kube-apiserver, so that the `api-down` fault works on
 * the real server as it does on a cluster whose load balancer has no API server behind it: while up,
 * bytes pass through untouched (TLS and client certificates end at kube-apiserver); while down,
 * connections are refused (the listener closes), reset (TCP RST once opened), or answered
 * `503 Service Unavailable` with Retry-After (TLS ended here with the API server's own serving
 * certificate, which names the same loopback address). Open connections are dropped when it goes down.
 */
import { createServer as createHttpsServer } from 'node:https';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { ApiDownAnswer, Availability, Faults } from '../faults.js';

const LOOPBACK = '127.0.0.1';

export type ApiProxyState = 'up' | ApiDownAnswer;

export interface ApiDownProxy {
  port: number;
  /** `https://127.0.0.1:<port>`: what kubeconfigs point at. */
  url: string;
  state(): ApiProxyState;
  /** Switches how the proxy answers (503s with that Retry-After); resolves once the listener acts on it. */
  set(state: ApiProxyState, retryAfterSeconds?: number): Promise<void>;
  close(): Promise<void>;
}

export interface ApiDownProxyOptions {
  upstreamPort: number;
  /** The serving certificate and key used to answer 503 (kube-apiserver's own). */
  tls: { certPem: string; keyPem: string };
  /** Retry-After of the 503 answers, in seconds (default 5). */
  retryAfterSeconds?: number;
  /** The port to listen on (default: a free one). */
  port?: number;
}

export async function startApiDownProxy(options: ApiDownProxyOptions): Promise<ApiDownProxy> {
  let current: ApiProxyState = 'up';
  const open = new Set<Socket>();
  let retryAfter = String(options.retryAfterSeconds ?? 5);

  // Not listening itself: down connections are handed to it to end TLS and answer 503.
  const unavailable = createHttpsServer({ cert: options.tls.certPem, key: options.tls.keyPem }, (req, res) => {
    const body = JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      message: 'the API server is unavailable (api-down fault)',
      reason: 'ServiceUnavailable',
      code: 503,
    });
    res.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': retryAfter, Connection: 'close' });
    res.end(body);
  });

  const track = (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  };
  const server: Server = createServer((client) => {
    track(client);
    client.on('error', () => client.destroy());
    if (current === 'reset') {
      client.resetAndDestroy();
      return;
    }
    if (current === '503') {
      unavailable.emit('connection', client);
      return;
    }
    const upstream = connect({ host: LOOPBACK, port: options.upstreamPort });
    track(upstream);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });

  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, LOOPBACK, () => {
        server.off('error', reject);
        resolve((server.address() as { port: number }).port);
      });
    });
  const port = await listen(options.port ?? 0);
  const closeListener = () =>
    new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  // The connections of the state before: a real outage drops them (watches end, requests fail).
  const dropOpen = () => {
    for (const socket of [...open]) socket.resetAndDestroy();
  };

  return {
    port,
    url: `https://${LOOPBACK}:${port}`,
    state: () => current,
    async set(state, retryAfterSeconds) {
      if (retryAfterSeconds !== undefined) retryAfter = String(retryAfterSeconds);
      if (state === current) return;
      const previous = current;
      current = state;
      if (state !== 'up') dropOpen();
      if (state === 'refused') {
        const closed = closeListener();
        dropOpen();
        await closed;
      } else if (previous === 'refused') {
        await listen(port);
      }
    },
    async close() {
      const closed = closeListener();
      dropOpen();
      await closed;
    },
  };
}

/**
 * Keeps the proxy in step with the lab's API outages (`trackApiOutages(faults, clock).availability`:
 * `api-down` and `api-unavailable` faults, their answers and their ends). Returns the unsubscribe.
 */
export function followApiOutages(
  proxy: ApiDownProxy,
  faults: Faults,
  availability: () => Availability,
  onError: (error: unknown) => void,
): () => void {
  const apply = () => {
    const now = availability();
    const next = now.ok ? proxy.set('up') : proxy.set(now.answer ?? '503', now.retryAfterSeconds);
    next.catch(onError);
  };
  apply();
  faults.on('change', apply);
  return () => faults.off('change', apply);
}
