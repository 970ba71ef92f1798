/**
 * The kubelet of each node, as it joins a UPI cluster (TLS bootstrap): once the node runs and the
 * API answers, it files a client CSR with the node-bootstrapper credentials; when that is issued it
 * registers its Node (NotReady) and files a serving CSR as `system:node:<fqdn>`; the Node goes Ready
 * only once the serving certificate is issued too. A powered-off node goes NotReady; a joined node
 * that boots again comes back Ready with the certificates it has.
 */
import type { Lab, Node } from '../../lab/schema.js';
import { nodeFqdn } from '../../lab/schema.js';
import { NODE_BOOTSTRAPPER_USER, createAs, nodeUser } from '../apiserver/identity.js';
import type { KubeObject } from '../apiserver/store.js';
import type { Controller, SimContext } from '../context.js';
import { createCsrPem } from '../node-certificates.js';
import {
  R,
  clientCsrObject,
  csrName,
  nodeObject,
  nodeReadyCondition,
  servingCsrObject,
  type Condition,
} from '../openshift-objects.js';
import type { BootTracker } from './boot.js';
import { csrState } from './csr.js';
import { MC, MCP, ROLE_LABEL, renderedConfigName } from './machine-configs.js';
import type { InstallProgress } from './install.js';

/** Lab time from an issued client certificate to the serving CSR (kubelet start, node registration). */
export const SERVING_CSR_MS = 20_000;
/** Lab time from an issued serving certificate (or a reboot) to the Node reporting Ready (CNI up). */
export const NODE_READY_MS = 60_000;

export const MCO_ANNOTATIONS = {
  currentConfig: 'machineconfiguration.openshift.io/currentConfig',
  desiredConfig: 'machineconfiguration.openshift.io/desiredConfig',
  state: 'machineconfiguration.openshift.io/state',
} as const;

/** Whether a fault's `node` names this node (short name or FQDN). */
export function faultNames(lab: Lab, node: Node, named: string): boolean {
  return named === node.name || named === nodeFqdn(lab, node);
}

/** Sets the Node's Ready condition (status subresource); no-op when the node is not registered. */
export function setNodeReady(ctx: SimContext, fqdn: string, ready: boolean): void {
  const current = ctx.store.get(R.nodes, undefined, fqdn);
  if (!current) return;
  const conditions = (current.status as { conditions?: Condition[] } | undefined)?.conditions ?? [];
  if (conditions.find((condition) => condition.type === 'Ready')?.status === (ready ? 'True' : 'False')) return;
  ctx.store.mutate(
    R.nodes,
    undefined,
    fqdn,
    (node) => {
      const status = (node.status ?? {}) as { conditions?: Condition[] };
      status.conditions = [
        ...(status.conditions ?? []).filter((condition) => condition.type !== 'Ready'),
        nodeReadyCondition(ready),
      ];
      node.status = status;
    },
    { subresource: 'status' },
  );
}

/**
 * The rendered config the node boots with (what its ignition carried), as MCD records it on first
 * boot: the pool's target, or the render of the role's MachineConfigs when not rendered yet.
 */
function poolConfig(ctx: SimContext, node: Node): string | undefined {
  const role = node.role === 'master' ? 'master' : 'worker';
  const pool = ctx.store.get(MCP, undefined, role);
  const target = (pool?.spec as { configuration?: { name?: string } } | undefined)?.configuration?.name;
  if (target) return target;
  const configs = ctx.store.list(MC, { labelSelector: `${ROLE_LABEL}=${role}` }).items;
  return configs.length > 0 ? renderedConfigName(role, configs) : undefined;
}

/** Registers the Node as the kubelet does on first start (NotReady until its serving cert is issued). */
export function registerNode(ctx: SimContext, node: Node, ready: boolean): KubeObject {
  const object = nodeObject(ctx.lab, node, ready);
  const rendered = poolConfig(ctx, node);
  if (rendered) {
    object.metadata.annotations = {
      ...object.metadata.annotations,
      [MCO_ANNOTATIONS.currentConfig]: rendered,
      [MCO_ANNOTATIONS.desiredConfig]: rendered,
      [MCO_ANNOTATIONS.state]: 'Done',
    };
  }
  return ctx.store.create(R.nodes, object);
}

type Phase = 'waiting' | 'client-csr' | 'registered' | 'serving-csr' | 'ready';

export function kubeletController(deps: { progress: InstallProgress; boot: BootTracker }): Controller {
  return (ctx) => {
    const { lab, store, clock, faults, log } = ctx;
    const { progress, boot } = deps;
    const nodes = new Map(lab.nodes.filter((node) => node.role !== 'bootstrap').map((node) => [node.name, node]));
    const phase = new Map<string, Phase>();
    const csrOf = new Map<string, { name: string; node: Node; kind: 'client' | 'serving' }>();
    const cancels: Array<() => void> = [];
    const warned = new Set<string>();
    let stopped = false;

    const file = async (node: Node, kind: 'client' | 'serving') => {
      const fqdn = nodeFqdn(lab, node);
      const pem = await createCsrPem({
        commonName: `system:node:${fqdn}`,
        organizations: ['system:nodes'],
        ...(kind === 'serving' ? { dnsNames: [fqdn], ips: [node.ip] } : {}),
      });
      if (stopped) return;
      const name = csrName();
      csrOf.set(name, { name, node, kind });
      // Filed through the API's create admission as the kubelet's credentials say: the bootstrap
      // kubeconfig (node-bootstrapper) for the client CSR, the node's own certificate for the serving one.
      if (kind === 'client') createAs(store, NODE_BOOTSTRAPPER_USER, R.csrs, clientCsrObject(name, pem));
      else createAs(store, nodeUser(fqdn), R.csrs, servingCsrObject(name, fqdn, pem));
      log.info(`${node.name} filed its ${kind} CSR ${name}`);
    };

    const join = (nodeName: string) => {
      const node = nodes.get(nodeName);
      if (!node || stopped || !progress.apiUp || !boot.isRunning(nodeName)) return;
      const current = phase.get(nodeName);
      if (current && current !== 'waiting') return;
      const fqdn = nodeFqdn(lab, node);
      if (store.get(R.nodes, undefined, fqdn)) {
        // Joined before: the kubelet has its certificates and only needs its network back.
        phase.set(nodeName, 'ready');
        cancels.push(clock.after(NODE_READY_MS, () => setNodeReady(ctx, fqdn, true)));
        return;
      }
      if (faults.find('csr-never-appears', (fault) => faultNames(lab, node, fault.node))) {
        phase.set(nodeName, 'waiting');
        if (!warned.has(nodeName))
          log.warn(`${nodeName} booted but never files its client CSR (csr-never-appears fault)`);
        warned.add(nodeName);
        return;
      }
      phase.set(nodeName, 'client-csr');
      void file(node, 'client');
    };

    const onIssued = (csr: KubeObject) => {
      const mine = csrOf.get(csr.metadata.name);
      if (!mine || csrState(csr) !== 'Issued') return;
      csrOf.delete(csr.metadata.name);
      const { node, kind } = mine;
      const fqdn = nodeFqdn(lab, node);
      if (kind === 'client') {
        if (!store.get(R.nodes, undefined, fqdn)) registerNode(ctx, node, false);
        phase.set(node.name, 'registered');
        log.info(`${fqdn} registered (NotReady until its serving certificate is issued)`);
        cancels.push(
          clock.after(SERVING_CSR_MS, () => {
            phase.set(node.name, 'serving-csr');
            void file(node, 'serving');
          }),
        );
      } else {
        phase.set(node.name, 'ready');
        cancels.push(
          clock.after(NODE_READY_MS, () => {
            setNodeReady(ctx, fqdn, true);
            log.info(`${fqdn} is Ready`);
          }),
        );
      }
    };

    const unwatch = store.watch(R.csrs, {}, (event) => {
      if (event.type !== 'DELETED') onIssued(event.object);
    });
    const onRunning = (nodeName: string) => join(nodeName);
    const onDown = (nodeName: string) => {
      const node = nodes.get(nodeName);
      if (!node) return;
      if (phase.get(nodeName) === 'ready') phase.delete(nodeName);
      setNodeReady(ctx, nodeFqdn(lab, node), false);
    };
    const retryAll = () => {
      for (const name of nodes.keys()) join(name);
    };
    boot.on('running', onRunning);
    boot.on('down', onDown);
    progress.on('api-up', retryAll);
    faults.on('change', retryAll);
    retryAll();

    return () => {
      stopped = true;
      unwatch();
      boot.off('running', onRunning);
      boot.off('down', onDown);
      progress.off('api-up', retryAll);
      faults.off('change', retryAll);
      for (const cancel of cancels) cancel();
    };
  };
}
