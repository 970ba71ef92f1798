/**
 * A small HTTPS client for JSON services such as Redfish BMCs: certificates verified (against a CA
 * the caller gives, or the system's), never following redirects, bounded in time, cancellable, and
 * fenced to loopback in rehearsals before any socket opens. Errors name the URL and what to check;
 * request headers (credentials) never appear in them.
 */
import { request } from 'node:https';
import { assertLoopbackTarget } from './guard.js';

export interface HttpsOptions {
  /** Names the service in messages ("the Redfish service of compute3"). */
  label: string;
  /** PEM of the CA to trust instead of the system CAs. */
  ca?: string;
  /** Accept any certificate; only when the lab says so explicitly. */
  insecure?: boolean;
  /** A rehearsal: only loopback is allowed (see ./guard.ts). */
  rehearsal: boolean;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** How long the connection may stay silent (default 30 s). */
  timeoutMs?: number;
}

export interface HttpsReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON, or undefined for an empty or non-JSON body (see `text`). */
  json: unknown;
  text: string;
}

export class HttpsError extends Error {
  constructor(
    message: string,
    public readonly code: 'CERT' | 'CONNECT' | 'TIMEOUT',
  ) {
    super(message);
    this.name = 'HttpsError';
  }
}

const CERT_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT_ALTNAME_INVALID/;

/** Sends one request with an optional JSON body; any HTTP status is a reply, not an error. */
export function httpsJson(url: string, method: string, body: unknown, options: HttpsOptions): Promise<HttpsReply> {
  const target = new URL(url);
  if (target.protocol !== 'https:') throw new Error(`${options.label}: ${url} is not an https:// URL`);
  if (options.rehearsal) assertLoopbackTarget(target.hostname, options.label);
  options.signal?.throwIfAborted();
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise<HttpsReply>((resolve, reject) => {
    const req = request(
      target,
      {
        method,
        ...(options.ca !== undefined && { ca: options.ca }),
        rejectUnauthorized: options.insecure !== true,
        headers: {
          Accept: 'application/json',
          ...(payload !== undefined && {
            'Content-Type': 'application/json',
            'Content-Length': String(Buffer.byteLength(payload)),
          }),
          ...options.headers,
        },
        ...(options.signal && { signal: options.signal }),
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => reject(failure(error)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, json, text });
        });
      },
    );
    req.on('timeout', () =>
      req.destroy(
        new HttpsError(`${options.label} (${target.origin}) was silent for ${timeoutMs / 1000} s`, 'TIMEOUT'),
      ),
    );
    req.on('error', (error) => reject(failure(error)));
    req.end(payload);

    function failure(error: Error & { code?: string }): Error {
      if (error instanceof HttpsError || error.name === 'AbortError') return error;
      const code = error.code ?? '';
      if (CERT_ERRORS.test(code)) {
        return new HttpsError(
          `${options.label} (${target.origin}) presented a certificate that cannot be verified (${code}); ` +
            'check that the address is the right machine, and give the CA that signed its certificate',
          'CERT',
        );
      }
      return new HttpsError(`cannot reach ${options.label} at ${target.origin}: ${code || error.message}`, 'CONNECT');
    }
  });
}

/** An `Authorization: Basic …` header value. */
export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}
