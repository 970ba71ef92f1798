/**
 * Kubernetes clients for a runbook: one kubeconfig, the typed APIs the runbooks use, and the
 * generic object API for OpenShift kinds. The same clients talk to a real cluster or to the
 * simulated lab; in a rehearsal the server must be on loopback, so a rehearsal can never touch a
 * real cluster by mistake.
 */
import {
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

export function kubeClientFor(options: KubeClientOptions): KubeClients {
  const config = new KubeConfig();
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
    core: config.makeApiClient(CoreV1Api),
    apps: config.makeApiClient(AppsV1Api),
    certificates: config.makeApiClient(CertificatesV1Api),
    storage: config.makeApiClient(StorageV1Api),
    version: config.makeApiClient(VersionApi),
    custom: config.makeApiClient(CustomObjectsApi),
    objects: KubernetesObjectApi.makeApiClient(config),
    watch: new Watch(config),
  };
}
