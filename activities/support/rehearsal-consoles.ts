/**
 * In a rehearsal, what the simulated nodes' consoles show: why a node is stuck (at the PXE prompt, at
 * first boot, after its reboot), read from the simulated lab's admin endpoint (`/simulator/nodes`,
 * loopback only, with the simulated API's CA and token). On hardware the operator looks at the
 * console when a node does not join; a rehearsal's wait can say what that console would show.
 * Outside a rehearsal, or when the endpoint does not answer, there is nothing to say.
 */
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { assertLoopbackTarget } from '../../transport/guard.js';
import { readEndpointsFile } from '../../transport/targets.js';
import type { StepContext } from '../../contract/step.js';

/** The admin route of the simulated lab that reports each node's boot state (simulator/lab-sim.ts). */
const NODES_ROUTE = '/simulator/nodes';

const nodesSchema = z.object({ nodes: z.record(z.string(), z.object({ reason: z.string().optional() })) });

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

/** Node name → what its simulated console says it is stuck on; empty outside a rehearsal. */
export async function simulatedConsoles(context: StepContext): Promise<Record<string, string>> {
  if (!context.rehearsal) return {};
  try {
    const endpoints = await readEndpointsFile(
      context.rehearsal.endpointsFile,
      z.object({ apiServer: z.object({ adminUrl: z.string(), kubeconfig: z.string() }) }),
    );
    const kubeconfig = parseYaml(await readFile(endpoints.apiServer.kubeconfig, 'utf8')) as {
      clusters?: Array<{ cluster?: { 'certificate-authority-data'?: string } }>;
      users?: Array<{ user?: { token?: string } }>;
    };
    const ca = kubeconfig.clusters?.[0]?.cluster?.['certificate-authority-data'];
    const token = kubeconfig.users?.[0]?.user?.token;
    if (!ca || !token) return {};
    const url = new URL(NODES_ROUTE, endpoints.apiServer.adminUrl);
    assertLoopbackTarget(url.hostname, 'the simulated lab admin endpoint');
    const { nodes } = nodesSchema.parse(await getJson(url, Buffer.from(ca, 'base64').toString('utf8'), token));
    return Object.fromEntries(
      Object.entries(nodes).flatMap(([name, node]) => (node.reason ? [[name, node.reason] as const] : [])),
    );
  } catch {
    return {};
  }
}
