/**
 * A client for the simulated lab's admin endpoints (`/simulator/faults`, `/simulator/nodes`), with
 * the API server's CA and bearer token as its kubeconfig holds them. Loopback only.
 */
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { parse as parseYaml } from 'yaml';
import { assertLoopbackTarget } from '../transport/guard.js';

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
export function adminRequest(target: AdminTarget, method: string, path: string, body?: unknown): Promise<AdminReply> {
  const url = new URL(path, target.url);
  assertLoopbackTarget(url.hostname, 'the simulated lab admin endpoint');
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: target.caCert,
        headers: {
          Authorization: `Bearer ${target.token}`,
          Accept: 'application/json',
          ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
