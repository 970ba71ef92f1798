/**
 * The simulated lab's admin endpoints as a rehearsal's activities read them: `GET` on loopback, with
 * the simulated API's CA and token from its kubeconfig (`apiServer.adminKubeconfig`), at the admin port that stays up while the API
 * is down (`apiServer.adminUrl` in endpoints.json). Used for what hardware shows elsewhere (a node's
 * console) and for the lab's clock.
 */
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { assertLoopbackTarget } from '../../transport/guard.js';
import { readEndpointsFile } from '../../transport/targets.js';
import type { RehearsalInput } from '../../contract/step.js';

/** The CA and bearer token of the simulated API's kubeconfig. */
async function credentialsOf(kubeconfigPath: string): Promise<{ ca: string; token: string }> {
  const kubeconfig = parseYaml(await readFile(kubeconfigPath, 'utf8')) as {
    clusters?: Array<{ cluster?: { 'certificate-authority-data'?: string } }>;
    users?: Array<{ user?: { token?: string } }>;
  };
  const ca = kubeconfig.clusters?.[0]?.cluster?.['certificate-authority-data'];
  const token = kubeconfig.users?.[0]?.user?.token;
  if (!ca || !token) throw new Error(`${kubeconfigPath} has no CA and token of the simulated lab`);
  return { ca: Buffer.from(ca, 'base64').toString('utf8'), token };
}

function getJson(url: URL, ca: string, token: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers: { Authorization: `Bearer ${token}` }, timeout: 5_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch (error) {
          reject(error as Error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
    req.end();
  });
}

export interface SimAdmin {
  /** `GET` of an admin route: a path on the admin port (`/simulator/nodes`), or a URL the endpoints file names. */
  get<T>(route: string, schema: z.ZodType<T>): Promise<T>;
}

/**
 * The admin endpoints of a rehearsal's lab, with the endpoints file and the credentials read once: a wait
 * that reads the lab's clock at every check does not read and parse both files each time.
 */
export async function simAdmin(rehearsal: RehearsalInput): Promise<SimAdmin> {
  const endpoints = await readEndpointsFile(
    rehearsal.endpointsFile,
    z.looseObject({ apiServer: z.looseObject({ adminUrl: z.string(), adminKubeconfig: z.string().optional() }) }),
  );
  // On the real control plane the run's kubeconfig is the real server's: the admin port has its own.
  const { ca, token } = await credentialsOf(endpoints.apiServer.adminKubeconfig ?? rehearsal.kubeconfig);
  return {
    async get(route, schema) {
      const url = new URL(route, endpoints.apiServer.adminUrl);
      assertLoopbackTarget(url.hostname, 'the simulated lab admin endpoint');
      return schema.parse(await getJson(url, ca, token));
    },
  };
}

/** One `GET` of an admin route (see `SimAdmin.get`). Throws when the lab does not answer. */
export async function simAdminGet<T>(rehearsal: RehearsalInput, route: string, schema: z.ZodType<T>): Promise<T> {
  return (await simAdmin(rehearsal)).get(route, schema);
}
