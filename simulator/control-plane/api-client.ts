/**
 * A minimal HTTPS client for the lab's API servers, for the few requests the simulator makes itself
 * (readiness, CRDs, bootstrap RBAC, token requests, its admin endpoints): a client certificate or a
 * bearer token, the lab CA, JSON in and out. Loopback only. Everything that
 * behaves like a Kubernetes client (controllers, runbooks) uses @kubernetes/client-node or kubectl.
 */
import { request } from 'node:https';
import { assertLoopbackTarget } from '../../transport/guard.js';
import { LAB_FIELD_MANAGER } from './openshift-kinds.js';

export type Credential = { certPem: string; keyPem: string } | { token: string };

export interface ApiTarget {
  url: string;
  caPem: string;
  credential: Credential;
}

export interface ApiReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  text: string;
}

export interface ApiRequestOptions {
  body?: unknown;
  /** Default application/json; `application/apply-patch+yaml` for server-side apply. */
  contentType?: string;
  /** Ends the request after this long (a connection that hangs); default 30 s. */
  timeoutMs?: number;
  /** What is addressed, for the loopback guard's message. */
  what?: string;
}

export function apiRequest(
  target: ApiTarget,
  method: string,
  path: string,
  options: ApiRequestOptions = {},
): Promise<ApiReply> {
  const url = new URL(path, target.url);
  assertLoopbackTarget(url.hostname, options.what ?? 'the lab control plane');
  const payload =
    options.body === undefined
      ? undefined
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  const credential = target.credential;
  const tls = 'token' in credential ? {} : { cert: credential.certPem, key: credential.keyPem };
  const authorization = 'token' in credential ? { Authorization: `Bearer ${credential.token}` } : {};
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: target.caPem,
        ...tls,
        timeout: options.timeoutMs ?? 30_000,
        headers: {
          ...authorization,
          Accept: 'application/json',
          ...(payload === undefined
            ? {}
            : {
                'Content-Type': options.contentType ?? 'application/json',
                'Content-Length': Buffer.byteLength(payload),
              }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON (e.g. /readyz answers "ok"): keep the text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.href} within the request timeout`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Like apiRequest, but a status of 400 or more throws with the server's message. */
export async function apiCall(
  target: ApiTarget,
  method: string,
  path: string,
  options: ApiRequestOptions = {},
): Promise<unknown> {
  const reply = await apiRequest(target, method, path, options);
  if (reply.status >= 400) {
    const message = (reply.body as { message?: string } | undefined)?.message ?? reply.text;
    throw new Error(`${method} ${path} answered ${reply.status}: ${message}`);
  }
  return reply.body;
}

/** Server-side apply of `body` at `apiPath` as the lab's field manager, taking over conflicting fields. */
export function applyAsLab(target: ApiTarget, apiPath: string, body: object): Promise<unknown> {
  return apiCall(target, 'PATCH', `${apiPath}?fieldManager=${LAB_FIELD_MANAGER}&force=true`, {
    body,
    contentType: 'application/apply-patch+yaml',
  });
}
