/**
 * The simulated Redfish BMCs: one HTTPS service on 127.0.0.1 per node with Redfish power, each with a
 * certificate from one simulator CA, serving what a power driver uses of DMTF Redfish: the service
 * root, the Systems collection, the ComputerSystem (PowerState, Boot override), `PATCH` of the boot
 * override and the `ComputerSystem.Reset` action, acting on the lab's power board, and the
 * SessionService (a login returns an X-Auth-Token, as sushy and Ironic use by default). It is strict
 * like a real service: Basic auth or a session token, checked against the lab's credentials, on
 * everything but the service root and the login, only
 * the allowable ResetType and Boot values, unknown or read-only properties refused, JSON bodies only,
 * errors in the Redfish error shape with Base registry message ids.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Lab, Node } from '../../lab/schema.js';
import { readBody } from '../apiserver/http-util.js';
import { createServingCertificates } from '../apiserver/tls.js';
import type { SimLogger } from '../context.js';
import type { PowerBoard } from '../hosts/power-board.js';
import type { BootOverrides, OverrideMode } from './boot-overrides.js';
import { credentialsMatch } from './credentials.js';

export const RESET_TYPES = ['On', 'ForceOff', 'GracefulShutdown', 'ForceRestart', 'PowerCycle'] as const;
const BOOT_TARGETS = { None: 'none', Pxe: 'pxe', Hdd: 'disk' } as const;
const BOOT_MODES: readonly OverrideMode[] = ['Disabled', 'Once', 'Continuous'];
const REGISTRY = 'Base.1.8';
const SESSIONS = '/redfish/v1/SessionService/Sessions';

export interface RedfishBmc {
  node: string;
  url: string;
}

export interface RedfishContext {
  lab: Lab;
  power: PowerBoard;
  boot: BootOverrides;
  log?: SimLogger;
}

class RedfishError extends Error {
  constructor(
    readonly status: number,
    readonly messageId: string,
    message: string,
    readonly args: string[] = [],
    readonly resolution = 'Correct the request and resubmit it.',
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function errorBody(error: RedfishError) {
  return {
    error: {
      code: `${REGISTRY}.GeneralError`,
      message: 'A general error has occurred. See ExtendedInfo for more information.',
      '@Message.ExtendedInfo': [
        {
          '@odata.type': '#Message.v1_1_1.Message',
          MessageId: `${REGISTRY}.${error.messageId}`,
          Message: error.message,
          MessageArgs: error.args,
          Severity: error.status >= 500 ? 'Critical' : 'Warning',
          Resolution: error.resolution,
        },
      ],
    },
  };
}

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  const payload = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'OData-Version': '4.0',
    ...(payload && { 'Content-Type': 'application/json; charset=utf-8' }),
    ...headers,
  });
  res.end(payload);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new RedfishError(415, 'HeaderInvalid', `The header Content-Type: ${type || '(none)'} is not valid.`, [
      'Content-Type',
    ]);
  }
  let body: unknown;
  try {
    body = JSON.parse((await readBody(req)).toString('utf8'));
  } catch {
    throw new RedfishError(400, 'MalformedJSON', 'The request body submitted was malformed JSON.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RedfishError(400, 'MalformedJSON', 'The request body submitted was malformed JSON.');
  }
  return body as Record<string, unknown>;
}

function basicCredentials(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The Redfish service of one node. */
function handler(node: Node, ctx: RedfishContext) {
  const power = node.power as Extract<Node['power'], { type: 'redfish' }>;
  const systemPath = `/redfish/v1/Systems/${power.systemId}`;
  const resetPath = `${systemPath}/Actions/ComputerSystem.Reset`;

  const system = () => {
    const override = ctx.boot.get(node.name);
    const target = Object.entries(BOOT_TARGETS).find(([, device]) => device === override.target)![0];
    return {
      '@odata.id': systemPath,
      '@odata.type': '#ComputerSystem.v1_13_0.ComputerSystem',
      Id: power.systemId,
      Name: 'Computer System',
      SystemType: 'Physical',
      HostName: node.name,
      PowerState: ctx.power.state(node.name) === 'on' ? 'On' : 'Off',
      Status: { State: 'Enabled', Health: 'OK' },
      Boot: {
        BootSourceOverrideEnabled: override.mode,
        'BootSourceOverrideEnabled@Redfish.AllowableValues': BOOT_MODES,
        BootSourceOverrideTarget: target,
        'BootSourceOverrideTarget@Redfish.AllowableValues': Object.keys(BOOT_TARGETS),
        BootSourceOverrideMode: node.boot === 'uefi' ? 'UEFI' : 'Legacy',
      },
      Actions: {
        '#ComputerSystem.Reset': { target: resetPath, 'ResetType@Redfish.AllowableValues': RESET_TYPES },
      },
    };
  };

  const reset = async (req: IncomingMessage) => {
    const body = await readJson(req);
    for (const key of Object.keys(body)) {
      if (key !== 'ResetType') {
        throw new RedfishError(
          400,
          'ActionParameterUnknown',
          `The action ComputerSystem.Reset was submitted with the invalid parameter ${key}.`,
          ['ComputerSystem.Reset', key],
        );
      }
    }
    const resetType = body.ResetType;
    if (resetType === undefined) {
      throw new RedfishError(
        400,
        'ActionParameterMissing',
        'The action ComputerSystem.Reset requires the parameter ResetType to be present in the request body.',
        ['ComputerSystem.Reset', 'ResetType'],
      );
    }
    if (typeof resetType !== 'string' || !(RESET_TYPES as readonly string[]).includes(resetType)) {
      throw new RedfishError(
        400,
        'ActionParameterValueNotInList',
        `The value ${JSON.stringify(resetType)} for the parameter ResetType in the action ` +
          `ComputerSystem.Reset is not in the list of acceptable values.`,
        [String(resetType), 'ResetType', 'ComputerSystem.Reset'],
        `Choose one of ${RESET_TYPES.join(', ')} and resubmit the request.`,
      );
    }
    const on = ctx.power.state(node.name) === 'on';
    if (resetType === 'On') ctx.power.set(node.name, 'on');
    else if (resetType === 'ForceOff' || resetType === 'GracefulShutdown') ctx.power.set(node.name, 'off');
    else if (on) ctx.power.cycle(node.name, resetType === 'ForceRestart' ? 0 : undefined);
    else ctx.power.set(node.name, 'on');
    ctx.log?.info(`Redfish ${node.name}: ComputerSystem.Reset ${resetType}`);
  };

  const patch = async (req: IncomingMessage) => {
    const body = await readJson(req);
    for (const key of Object.keys(body)) {
      if (key === 'Boot') continue;
      const known = key in system();
      throw new RedfishError(
        400,
        known ? 'PropertyNotWritable' : 'PropertyUnknown',
        known
          ? `The property ${key} is a read only property and cannot be assigned a value.`
          : `The property ${key} is not in the list of valid properties for the resource.`,
        [key],
      );
    }
    const boot = body.Boot;
    if (typeof boot !== 'object' || boot === null || Array.isArray(boot)) {
      throw new RedfishError(
        400,
        'PropertyValueTypeError',
        `The value ${JSON.stringify(boot)} for the property Boot is of a different type than the property can accept.`,
        [JSON.stringify(boot), 'Boot'],
      );
    }
    const fields = boot as Record<string, unknown>;
    const current = ctx.boot.get(node.name);
    let target = current.target;
    let mode = current.mode;
    for (const [key, value] of Object.entries(fields)) {
      if (key === 'BootSourceOverrideTarget') {
        if (typeof value !== 'string' || !(value in BOOT_TARGETS)) throw notInList(value, `Boot/${key}`);
        target = BOOT_TARGETS[value as keyof typeof BOOT_TARGETS];
      } else if (key === 'BootSourceOverrideEnabled') {
        if (typeof value !== 'string' || !BOOT_MODES.includes(value as OverrideMode))
          throw notInList(value, `Boot/${key}`);
        mode = value as OverrideMode;
      } else {
        throw new RedfishError(
          400,
          'PropertyUnknown',
          `The property Boot/${key} is not in the list of valid properties for the resource.`,
          [`Boot/${key}`],
        );
      }
    }
    ctx.boot.set(node.name, target, mode);
    ctx.log?.info(`Redfish ${node.name}: boot override ${target} ${mode}`);
  };

  /** Open sessions by token; a token is good until its session is deleted (or the lab stops). */
  const sessions = new Map<string, { id: string; username: string }>();
  const sessionBody = (one: { id: string; username: string }) => ({
    '@odata.id': `${SESSIONS}/${one.id}`,
    '@odata.type': '#Session.v1_3_0.Session',
    Id: one.id,
    Name: 'User Session',
    UserName: one.username,
  });

  /** `POST …/Sessions {UserName, Password}`: no authentication needed; the token comes in X-Auth-Token. */
  const login = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readJson(req);
    const { UserName: username, Password: password } = body;
    if (typeof username !== 'string' || typeof password !== 'string') {
      throw new RedfishError(
        400,
        'PropertyMissing',
        'The property UserName or Password is a required property and must be included in the request.',
        ['UserName/Password'],
      );
    }
    if (!(await credentialsMatch(node, username, password, ctx.log))) {
      ctx.log?.warn(`Redfish ${node.name}: refused a session login (bad credentials)`);
      throw unauthorized(SESSIONS);
    }
    const one = { id: randomUUID(), username };
    const token = randomBytes(24).toString('hex');
    sessions.set(token, one);
    ctx.log?.info(`Redfish ${node.name}: session opened for ${username}`);
    send(res, 201, sessionBody(one), { 'X-Auth-Token': token, Location: `${SESSIONS}/${one.id}` });
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'https://127.0.0.1').pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    if (path === '/redfish' && method === 'GET') return send(res, 200, { v1: '/redfish/v1/' });
    if (path === '/redfish/v1' && method === 'GET') {
      return send(res, 200, {
        '@odata.id': '/redfish/v1',
        '@odata.type': '#ServiceRoot.v1_5_0.ServiceRoot',
        Id: 'RootService',
        Name: 'Root Service',
        RedfishVersion: '1.6.0',
        Systems: { '@odata.id': '/redfish/v1/Systems' },
        SessionService: { '@odata.id': '/redfish/v1/SessionService' },
        Links: { Sessions: { '@odata.id': SESSIONS } },
      });
    }
    if (path === SESSIONS && method === 'POST') return login(req, res);
    const token = req.headers['x-auth-token'];
    const session = typeof token === 'string' ? sessions.get(token) : undefined;
    const credentials = basicCredentials(req.headers.authorization);
    if (
      !session &&
      (!credentials || !(await credentialsMatch(node, credentials.username, credentials.password, ctx.log)))
    ) {
      ctx.log?.warn(`Redfish ${node.name}: refused ${method} ${path} (bad or missing credentials)`);
      throw unauthorized(path, { 'WWW-Authenticate': 'Basic realm="Redfish"' });
    }
    const allow = (methods: string) => {
      if (!methods.split(', ').includes(method)) {
        throw new RedfishError(
          405,
          'OperationNotAllowed',
          `The HTTP method ${method} is not allowed on ${path}.`,
          [method, path],
          `Use ${methods}.`,
          { Allow: methods },
        );
      }
    };
    if (path === '/redfish/v1/SessionService') {
      allow('GET');
      return send(res, 200, {
        '@odata.id': '/redfish/v1/SessionService',
        '@odata.type': '#SessionService.v1_1_8.SessionService',
        Id: 'SessionService',
        Name: 'Session Service',
        ServiceEnabled: true,
        SessionTimeout: 1800,
        Sessions: { '@odata.id': SESSIONS },
      });
    }
    if (path === SESSIONS) {
      allow('GET, POST');
      return send(res, 200, {
        '@odata.id': SESSIONS,
        '@odata.type': '#SessionCollection.SessionCollection',
        Name: 'Session Collection',
        'Members@odata.count': sessions.size,
        Members: [...sessions.values()].map((one) => ({ '@odata.id': `${SESSIONS}/${one.id}` })),
      });
    }
    const open = [...sessions.entries()].find(([, one]) => path === `${SESSIONS}/${one.id}`);
    if (open) {
      allow('GET, DELETE');
      if (method === 'DELETE') {
        sessions.delete(open[0]);
        ctx.log?.info(`Redfish ${node.name}: session of ${open[1].username} closed`);
        return send(res, 204);
      }
      return send(res, 200, sessionBody(open[1]));
    }
    if (path === '/redfish/v1/Systems') {
      allow('GET');
      return send(res, 200, {
        '@odata.id': '/redfish/v1/Systems',
        '@odata.type': '#ComputerSystemCollection.ComputerSystemCollection',
        Name: 'Computer System Collection',
        'Members@odata.count': 1,
        Members: [{ '@odata.id': systemPath }],
      });
    }
    if (path === systemPath) {
      allow('GET, PATCH');
      if (method === 'PATCH') {
        await patch(req);
        return send(res, 204);
      }
      return send(res, 200, system());
    }
    if (path === resetPath) {
      allow('POST');
      await reset(req);
      return send(res, 204);
    }
    throw new RedfishError(404, 'ResourceMissingAtURI', `The resource at the URI ${path} was not found.`, [path]);
  };
}

/** 401 in the Base registry's words, for `path`. */
function unauthorized(path: string, headers: Record<string, string> = {}): RedfishError {
  return new RedfishError(
    401,
    'ResourceAtUriUnauthorized',
    `While accessing the resource at ${path}, the service received an authorization error unauthorized.`,
    [path, 'unauthorized'],
    'Ensure that the appropriate access is provided for the service in order for it to access the URI.',
    headers,
  );
}

function notInList(value: unknown, property: string): RedfishError {
  return new RedfishError(
    400,
    'PropertyValueNotInList',
    `The value ${JSON.stringify(value)} for the property ${property} is not in the list of acceptable values.`,
    [JSON.stringify(value), property],
  );
}

/** Starts one HTTPS service per Redfish node; `caCert` verifies them all. */
export async function startRedfishBmcs(
  ctx: RedfishContext,
): Promise<{ bmcs: RedfishBmc[]; caCert: string; stop: () => Promise<void> }> {
  const nodes = ctx.lab.nodes.filter((node) => node.power.type === 'redfish');
  const servers: Server[] = [];
  const bmcs: RedfishBmc[] = [];
  if (nodes.length === 0) return { bmcs, caCert: '', stop: async () => {} };
  const certs = await createServingCertificates();
  const stop = async () => {
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
  };
  try {
    for (const node of nodes) {
      const handle = handler(node, ctx);
      const server = createServer({ key: certs.keyPem, cert: certs.certPem }, (req, res) => {
        handle(req, res).catch((error: unknown) => {
          if (error instanceof RedfishError) {
            send(res, error.status, errorBody(error), error.headers);
          } else {
            ctx.log?.warn(`Redfish ${node.name}: ${(error as Error).message}`);
            send(res, 500, errorBody(new RedfishError(500, 'InternalError', (error as Error).message)));
          }
        });
      });
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      bmcs.push({ node: node.name, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}` });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { bmcs, caCert: certs.caPem, stop };
}
