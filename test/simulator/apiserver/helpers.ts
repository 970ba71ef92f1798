/** Starts the simulated API server on loopback over a fresh store, with a client-node KubeConfig. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ObjectStore } from '../../../simulator/apiserver/store.js';
import type { KubeObject, StoreOptions } from '../../../simulator/apiserver/store.js';
import { startApiServer } from '../../../simulator/apiserver/server.js';
import type { ApiServer, ApiServerOptions } from '../../../simulator/apiserver/server.js';

export interface TestApi {
  store: ObjectStore;
  server: ApiServer;
  kc: KubeConfig;
  stateDir: string;
  close(): Promise<void>;
}

export async function startTestApi(
  options: { store?: StoreOptions; server?: Partial<Omit<ApiServerOptions, 'store' | 'stateDir'>> } = {},
): Promise<TestApi> {
  const store = new ObjectStore(undefined, options.store);
  for (const name of ['default', 'kube-system', 'openshift-config', 'openshift-ingress-operator']) {
    store.create('namespaces', namespace(name));
  }
  const stateDir = await mkdtemp(path.join(tmpdir(), 'apiserver-test-'));
  const server = await startApiServer({ store, stateDir, ...options.server });
  const kc = new KubeConfig();
  kc.loadFromFile(server.kubeconfigPath);
  return {
    store,
    server,
    kc,
    stateDir,
    async close() {
      await server.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

export function namespace(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

export function node(name: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels },
    spec: {},
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

export function configMap(namespace: string, name: string, data: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data };
}

export const MCP = 'machineconfigpools.machineconfiguration.openshift.io';
export const CO = 'clusteroperators.config.openshift.io';

export function pool(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'machineconfiguration.openshift.io/v1', kind: 'MachineConfigPool', metadata: { name }, spec };
}

/** The Status body of a client-node ApiException (its body is the raw response text). */
export function statusOf(error: unknown): {
  code: number;
  reason: string;
  message: string;
  details?: Record<string, unknown>;
} {
  const body = (error as { body?: unknown }).body;
  return JSON.parse(typeof body === 'string' ? body : JSON.stringify(body));
}

/** Resolves with the rejection of `promise` (fails when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, it succeeded');
}
