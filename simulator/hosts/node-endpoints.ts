/**
 * The lab network's TCP endpoints on loopback, for the real HAProxy of the load balancer hosts: every
 * lab `address:port` a backend names gets a loopback port of its own. Those of a control-plane node
 * (the bootstrap node, the masters) on 6443 and 22623 listen while the node serves them, and a
 * connection to 6443 reaches the simulated API server; 22623 (the machine config server) speaks
 * HTTPS and answers its health check (`GET /healthz`, what load balancers of a real cluster ask) with
 * 200, anything else 404 (the configs themselves are judged by the boot sequence, not served here);
 * HAProxy's TCP checks only connect. Any other lab endpoint is a
 * loopback port where nothing listens: connections are refused, as from an address nobody answers.
 */
import { createServer as createHttpsServer } from 'node:https';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createServingCertificates, type ServingCertificates } from '../apiserver/tls.js';
import { reservePort } from '../loopback-ports.js';

export interface ControlPlane {
  /** Whether the node at `ip` serves `port` now. */
  serves(ip: string, port: number): boolean;
  /** The simulated API server's loopback port. */
  apiPort: number;
}

interface Gate {
  address: string;
  port: number;
  loopbackPort: number;
  server?: Server;
  /** Connections through this gate: cut when its node stops serving (a watch would hold it open). */
  sockets: Set<Socket>;
}

const SERVED_PORTS = [6443, 22623];

export class LabEndpoints {
  private readonly gates = new Map<string, Gate>();
  /** Allocations under way or done, so two callers of the same endpoint get the same port. */
  private readonly allocating = new Map<string, Promise<number>>();
  private controlPlane: ControlPlane | undefined;
  private stopped = false;
  /** The machine config server's certificate (made once, when the first node serves 22623). */
  private mcsCertificates: Promise<ServingCertificates> | undefined;
  /** Refreshes run one after the other: two at once could both open the same gate. */
  private queue: Promise<void> = Promise.resolve();

  /** Lab addresses of the nodes that serve the API and the machine config server. */
  constructor(private readonly controlPlaneIps: ReadonlySet<string>) {}

  /** The loopback port of `address:port`, allocated on first use (then stable for this lab's life). */
  async portOf(address: string, port: number): Promise<number> {
    const key = `${address}:${port}`;
    let allocated = this.allocating.get(key);
    if (!allocated) {
      allocated = (async () => {
        const gate: Gate = { address, port, loopbackPort: await reservePort(), sockets: new Set() };
        this.gates.set(key, gate);
        await this.refresh();
        return gate.loopbackPort;
      })();
      this.allocating.set(key, allocated);
    }
    return allocated;
  }

  /** Known ports only (for a config rewrite that must be synchronous); see `portOf`. */
  knownPort(address: string, port: number): number | undefined {
    return this.gates.get(`${address}:${port}`)?.loopbackPort;
  }

  /** From now on, endpoints follow `controlPlane` (what the boot tracker says runs). */
  attach(controlPlane: ControlPlane): Promise<void> {
    this.controlPlane = controlPlane;
    return this.refresh();
  }

  /** Opens or closes each gate as its node serves or not; call when a node comes up or goes down. */
  refresh(): Promise<void> {
    const next = this.queue.then(() => Promise.all([...this.gates.values()].map((gate) => this.refreshGate(gate))));
    this.queue = next.then(
      () => undefined,
      () => undefined,
    );
    return next.then(() => undefined);
  }

  private async refreshGate(gate: Gate): Promise<void> {
    const open =
      !this.stopped &&
      this.controlPlaneIps.has(gate.address) &&
      SERVED_PORTS.includes(gate.port) &&
      this.controlPlane?.serves(gate.address, gate.port) === true;
    if (open && !gate.server) {
      const server =
        gate.port === 22623
          ? await this.machineConfigServer(gate)
          : createServer((socket) => this.accept(gate, socket));
      gate.server = server;
      await new Promise<void>((resolve) => {
        server.once('error', () => {
          gate.server = undefined;
          resolve();
        });
        server.listen(gate.loopbackPort, '127.0.0.1', resolve);
      });
    } else if (!open && gate.server) {
      const server = gate.server;
      gate.server = undefined;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of gate.sockets) socket.destroy();
      await closed;
    }
  }

  /** HTTPS with the health check a real machine config server answers (`/healthz`). */
  private async machineConfigServer(gate: Gate): Promise<Server> {
    this.mcsCertificates ??= createServingCertificates(['machine-config-server']);
    const { certPem, keyPem } = await this.mcsCertificates;
    const server = createHttpsServer({ cert: certPem, key: keyPem }, (request, response) => {
      response.writeHead(request.url === '/healthz' ? 200 : 404, { 'Content-Type': 'text/plain' });
      response.end(request.url === '/healthz' ? 'ok' : 'not served by the simulated machine config server');
    });
    server.on('connection', (socket: Socket) => this.track(gate, socket));
    // A TCP check that closes before the handshake is no error of the server's.
    server.on('tlsClientError', () => undefined);
    return server;
  }

  private accept(gate: Gate, socket: Socket): void {
    this.track(gate, socket);
    if (gate.port !== 6443 || !this.controlPlane) {
      socket.end();
      return;
    }
    const upstream = connect(this.controlPlane.apiPort, '127.0.0.1');
    this.track(gate, upstream);
    socket.pipe(upstream).pipe(socket);
    const close = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  }

  private track(gate: Gate, socket: Socket): void {
    gate.sockets.add(socket);
    socket.on('close', () => gate.sockets.delete(socket));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.refresh();
  }
}
