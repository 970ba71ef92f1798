/**
 * The two starting points of the simulated lab's API content:
 * - `applyBootstrapManifests`: what bootkube applies when the bootstrap control plane comes up
 *   (namespaces, SCCs, cluster config, ClusterVersion and ClusterOperators still rolling out, the
 *   registry config without storage, MachineConfigs and pools, the default IngressController, the
 *   per-node DaemonSets and monitoring workloads of ./platform-workloads.ts, the OAuth server);
 * - `seedInstalled`: the lab as the procedure has it right after install: every master, infra and
 *   compute node joined and Ready (infra nodes still plain workers), their CSRs approved, the
 *   registry switched to emptyDir, bootstrap complete, operators Available.
 */
import type { Node } from '../lab/schema.js';
import { nodeFqdn } from '../lab/schema.js';
import type { KubeObject } from './apiserver/store.js';
import type { SimContext } from './context.js';
import type { BootTracker } from './controllers/boot.js';
import { reportBootstrapComplete } from './controllers/install.js';
import { registerNode } from './controllers/kubelet.js';
import { ensureInstallMachineConfiguration } from './controllers/mco.js';
import { ensureOauthServer } from './controllers/oauth.js';
import { ensureServiceAccountOf } from './controllers/service-accounts.js';
import { writeOperatorState } from './controllers/operators.js';
import { createCsrPem } from './node-certificates.js';
import { platformWorkloads } from './platform-workloads.js';
import {
  CLUSTER_OPERATORS,
  NAMESPACES,
  R,
  clientCsrObject,
  clusterConfigObjects,
  clusterOperatorObject,
  clusterVersionObject,
  csrName,
  defaultSccs,
  namespaceObject,
  now,
  operatorConditions,
  registryConfigObject,
  servingCsrObject,
} from './openshift-objects.js';

async function createMissing(ctx: SimContext, resource: string, object: KubeObject): Promise<void> {
  if (!ctx.api.get(resource, object.metadata.namespace, object.metadata.name)) await ctx.api.create(resource, object);
}

/** The default IngressController the ingress operator creates (routers on workers, host network on bare metal). */
export function defaultIngressController(ctx: SimContext): KubeObject {
  return {
    apiVersion: 'operator.openshift.io/v1',
    kind: 'IngressController',
    metadata: {
      name: 'default',
      namespace: 'openshift-ingress-operator',
      finalizers: ['ingresscontroller.operator.openshift.io/finalizer-ingresscontroller'],
    },
    spec: { replicas: 2 },
    status: {
      domain: `apps.${ctx.lab.cluster.name}.${ctx.lab.cluster.baseDomain}`,
      endpointPublishingStrategy: { type: 'HostNetwork' },
      selector: 'ingresscontroller.operator.openshift.io/deployment-ingresscontroller=default',
      availableReplicas: 0,
    },
  };
}

/** Creates what bootkube applies (only what is missing, so it can run again). */
export interface SeedOptions {
  /** The `core` user's authorized key, as install-config carries it into `99-<role>-ssh`. */
  sshPublicKey?: string;
}

export async function applyBootstrapManifests(ctx: SimContext, options: SeedOptions = {}): Promise<void> {
  const { api, lab } = ctx;
  for (const name of NAMESPACES) await createMissing(ctx, R.namespaces, namespaceObject(name));
  for (const scc of defaultSccs()) await createMissing(ctx, R.sccs, scc);
  await createMissing(ctx, R.infrastructures, clusterConfigObjects(lab)[0]!);
  await createMissing(ctx, R.oauths, clusterConfigObjects(lab)[1]!);
  await createMissing(ctx, R.etcds, clusterConfigObjects(lab)[2]!);
  await createMissing(ctx, R.clusterversions, clusterVersionObject(lab));
  const rolling = operatorConditions(
    { available: false, progressing: true, degraded: false },
    'Waiting for the control plane nodes to be Ready',
  );
  for (const name of CLUSTER_OPERATORS) {
    if (!api.get(R.clusteroperators, undefined, name)) {
      await api.create(R.clusteroperators, clusterOperatorObject(name, lab.cluster.version, rolling));
    }
  }
  await createMissing(ctx, R.registryConfigs, registryConfigObject());
  await ensureInstallMachineConfiguration(api, lab, options.sshPublicKey ? [options.sshPublicKey] : []);
  await createMissing(ctx, R.ingresscontrollers, defaultIngressController(ctx));
  for (const { resource, object } of platformWorkloads(lab)) {
    await ensureServiceAccountOf(api, object);
    await createMissing(ctx, resource, object);
  }
  await ensureOauthServer(ctx);
}

const approved = () => ({
  conditions: [
    {
      type: 'Approved',
      status: 'True',
      reason: 'KubectlApprove',
      message: 'This CSR was approved by kubectl certificate approve.',
      lastUpdateTime: now(),
      lastTransitionTime: now(),
    },
  ],
});

/** Files and approves a joined node's client and serving CSRs (the signer then issues them). */
async function approvedCsrs(ctx: SimContext, node: Node): Promise<void> {
  const fqdn = nodeFqdn(ctx.lab, node);
  const subject = { commonName: `system:node:${fqdn}`, organizations: ['system:nodes'] };
  const client = clientCsrObject(csrName(), await createCsrPem(subject));
  const serving = servingCsrObject(
    csrName(),
    fqdn,
    await createCsrPem({ ...subject, dnsNames: [fqdn], ips: [node.ip] }),
  );
  for (const csr of [client, serving]) await ctx.api.create(R.csrs, { ...csr, status: approved() });
}

/** Seeds the lab as right after install. The bootstrap node is off (removed); every other node runs. */
export async function seedInstalled(ctx: SimContext, boot: BootTracker, options: SeedOptions = {}): Promise<void> {
  const { api, lab } = ctx;
  const members = lab.nodes.filter((node) => node.role !== 'bootstrap');
  await applyBootstrapManifests(ctx, options);
  for (const node of members) {
    boot.markRunning(node.name);
    await approvedCsrs(ctx, node);
    if (!api.get(R.nodes, undefined, nodeFqdn(lab, node))) await registerNode(ctx, node, true);
  }
  // The procedure switched the registry to emptyDir to finish the install.
  await api.mutate(R.registryConfigs, undefined, 'cluster', (config) => {
    (config.spec as { storage?: unknown }).storage = { emptyDir: {} };
  });
  await api.mutate(
    R.registryConfigs,
    undefined,
    'cluster',
    (config) => {
      config.status = { storage: { emptyDir: {} }, storageManaged: false, readyReplicas: 1 };
    },
    { subresource: 'status' },
  );
  await reportBootstrapComplete(api);
  for (const name of CLUSTER_OPERATORS) {
    await writeOperatorState(ctx, name, { available: true, progressing: false, degraded: false, message: '' });
  }
}
