/**
 * Kubernetes clients for a runbook: one kubeconfig, the typed APIs the runbooks use, and the
 * generic object API for OpenShift kinds. The same clients talk to a real cluster or to the
 * simulated lab; in a rehearsal the server must be on loopback, so a rehearsal can never touch a
 * real cluster by mistake.
 */
import type {
  AppsV1Api,
  CertificatesV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  StorageV1Api,
  VersionApi,
  Watch,
} from '@kubernetes/client-node';
import { assertLoopbackTarget } from './guard.js';

/**
 * client-node's patch content types (its `PatchStrategy`), here so that a step module names them without
 * loading client-node, which the worker loads only when a step first talks to a cluster (`kubeClientFor`):
 * some 75 MB that a worker running no cluster step never pays.
 */
export const PatchStrategy = {
  JsonPatch: 'application/json-patch+json',
  MergePatch: 'application/merge-patch+json',
  StrategicMergePatch: 'application/strategic-merge-patch+json',
  ServerSideApply: 'application/apply-patch+yaml',
} as const satisfies typeof import('@kubernetes/client-node').PatchStrategy;

export interface KubeClientOptions {
  kubeconfigPath: string;
  /** A rehearsal against the simulated lab: refuse any API server that is not on loopback. */
  rehearsal: boolean;
  /** Context to use; defaults to the kubeconfig's current context. */
  context?: string;
}

export interface KubeClients {
  config: KubeConfig;
  /** The API server URL the clients talk to. */
  server: string;
  core: CoreV1Api;
  apps: AppsV1Api;
  certificates: CertificatesV1Api;
  storage: StorageV1Api;
  version: VersionApi;
  /** OpenShift kinds (ClusterOperator, MachineConfigPool, OAuth, …) by group/version/plural. */
  custom: CustomObjectsApi;
  /** Any manifest by apiVersion/kind, as `oc apply` would send it. */
  objects: KubernetesObjectApi;
  watch: Watch;
}

/** The clients for a kubeconfig; the first call in a process loads client-node. */
export async function kubeClientFor(options: KubeClientOptions): Promise<KubeClients> {
  const k8s = await import('@kubernetes/client-node');
  const config = new k8s.KubeConfig();
  config.loadFromFile(options.kubeconfigPath);
  if (options.context !== undefined) config.setCurrentContext(options.context);
  const cluster = config.getCurrentCluster();
  if (!cluster) {
    throw new Error(
      `${options.kubeconfigPath} names no cluster for its current context; point --kubeconfig at a complete kubeconfig`,
    );
  }
  if (options.rehearsal)
    assertLoopbackTarget(new URL(cluster.server).hostname, `the API server of ${options.kubeconfigPath}`);
  return {
    config,
    server: cluster.server,
    core: config.makeApiClient(k8s.CoreV1Api),
    apps: config.makeApiClient(k8s.AppsV1Api),
    certificates: config.makeApiClient(k8s.CertificatesV1Api),
    storage: config.makeApiClient(k8s.StorageV1Api),
    version: config.makeApiClient(k8s.VersionApi),
    custom: config.makeApiClient(k8s.CustomObjectsApi),
    objects: k8s.KubernetesObjectApi.makeApiClient(config),
    watch: new k8s.Watch(config),
  };
}
