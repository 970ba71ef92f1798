/**
 * The kubelet of each node, as it joins a UPI cluster (TLS bootstrap): once the node runs and the
 * API answers, it files a client CSR with the node-bootstrapper credentials; when that is issued it
 * registers its Node (NotReady) and files a serving CSR as `system:node:<fqdn>`; the Node goes Ready
 * only once the serving certificate is issued too. A powered-off node goes NotReady; a joined node
 * that boots again comes back Ready with the certificates it has.
 */
import type { Lab, Node } from '../../lab/schema.js';
import { nodeFqdn } from '../../lab/schema.js';
import { NODE_BOOTSTRAPPER_USER, nodeUser } from '../apiserver/identity.js';
import type { KubeObject } from '../apiserver/store.js';
import type { Controller, SimContext } from '../context.js';
import { watchType } from '../lab-api.js';
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
import {
  MC,
  MCP,
  ROLE_LABEL,
  kubeletNodeLabels,
  renderedConfigName,
  type MachineConfigSpec,
} from './machine-configs.js';
import type { InstallProgress } from './install.js';
import { inBackground } from './loop.js';

/** Lab time from an issued client certificate to the serving CSR (kubelet start, node registration). */
export const SERVING_CSR_MS = 20_000;
/** Lab time from an issued serving certificate (or a reboot) to the Node reporting Ready (CNI up). */
export const NODE_READY_MS = 60_000;
/**
 * Lab time a kubelet waits for its CSR before it files a new one: the bootstrap client request
 * times out after an hour (the kubelet exits and systemd starts it again), a serving request after
 * the certificate manager's 15 minutes. The abandoned request stays Pending; approving it no
 * longer helps. Hence OpenShift's advice to approve within the hour, and to look again.
 */
export const CSR_REFILE_MS = { client: 60 * 60_000, serving: 15 * 60_000 } as const;

const NODE_ROLE_PREFIX = 'node-role.kubernetes.io/';

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
export async function setNodeReady(ctx: SimContext, fqdn: string, ready: boolean): Promise<void> {
  const current = ctx.api.get(R.nodes, undefined, fqdn);
  if (!current) return;
  const conditions = (current.status as { conditions?: Condition[] } | undefined)?.conditions ?? [];
  if (conditions.find((condition) => condition.type === 'Ready')?.status === (ready ? 'True' : 'False')) return;
  await ctx.api.mutate(
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
  const pool = ctx.api.get(MCP, undefined, role);
  const target = (pool?.spec as { configuration?: { name?: string } } | undefined)?.configuration?.name;
  if (target) return target;
  const configs = ctx.api.list(MC, { labelSelector: `${ROLE_LABEL}=${role}` }).items;
  return configs.length > 0 ? renderedConfigName(role, configs) : undefined;
}

/**
 * Registers the Node as the kubelet does when it starts and finds no Node object (first start, or
 * after `oc delete node`): with the `--node-labels` of the config it runs (`rendered`, the pool's
 * by default), which are applied then and only then.
 */
export async function registerNode(ctx: SimContext, node: Node, ready: boolean, running?: string): Promise<KubeObject> {
  const object = nodeObject(ctx.lab, node, ready);
  const rendered = running ?? poolConfig(ctx, node);
  const kubeletLabels = rendered
    ? kubeletNodeLabels(ctx.api.get(MC, undefined, rendered)?.spec as MachineConfigSpec | undefined)
    : {};
  if (Object.keys(kubeletLabels).some((key) => key.startsWith(NODE_ROLE_PREFIX))) {
    const labels = Object.entries(object.metadata.labels ?? {}).filter(([key]) => !key.startsWith(NODE_ROLE_PREFIX));
    object.metadata.labels = { ...Object.fromEntries(labels), ...kubeletLabels };
  }
  if (rendered) {
    object.metadata.annotations = {
      ...object.metadata.annotations,
      [MCO_ANNOTATIONS.currentConfig]: rendered,
      [MCO_ANNOTATIONS.desiredConfig]: rendered,
      [MCO_ANNOTATIONS.state]: 'Done',
    };
  }
  // As the node's own identity, as a kubelet registers: OpenShift's node rule lets it set its role labels then.
  return await ctx.api.createAs(nodeUser(nodeFqdn(ctx.lab, node)), R.nodes, object);
}

type Phase = 'waiting' | 'client-csr' | 'registered' | 'serving-csr' | 'ready';

export function kubeletController(deps: { progress: InstallProgress; boot: BootTracker }): Controller {
  return (ctx) => {
    const { lab, api, clock, faults, log } = ctx;
    const { progress, boot } = deps;
    const nodes = new Map(lab.nodes.filter((node) => node.role !== 'bootstrap').map((node) => [node.name, node]));
    const phase = new Map<string, Phase>();
    const csrOf = new Map<string, { name: string; node: Node; kind: 'client' | 'serving' }>();
    const cancels: Array<() => void> = [];
    const warned = new Set<string>();
    let stopped = false;

    /** The config each joined node runs, as its MCD keeps it on disk (it outlives the Node object). */
    const running = new Map<string, string>();
    const remember = (object: KubeObject) => {
      const config = object.metadata.annotations?.[MCO_ANNOTATIONS.currentConfig];
      if (config) running.set(object.metadata.name, config);
    };
    const unwatchNodes = watchType(api, R.nodes, (event) => {
      if (event.type !== 'DELETED') remember(event.object);
    });

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
      if (kind === 'client') await api.createAs(NODE_BOOTSTRAPPER_USER, R.csrs, clientCsrObject(name, pem));
      else await api.createAs(nodeUser(fqdn), R.csrs, servingCsrObject(name, fqdn, pem));
      log.info(`${node.name} filed its ${kind} CSR ${name}`);
      // At time scale 0 lab time does not pass while a request waits: no timeout, no new request.
      if (clock.timeScale > 0) cancels.push(clock.after(CSR_REFILE_MS[kind], () => refile(name)));
    };

    /** The request is still not issued when the kubelet's wait ends: it gives up on it and files another. */
    const refile = (name: string) => {
      const mine = csrOf.get(name);
      if (!mine || stopped || !boot.isRunning(mine.node.name)) return;
      const csr = api.get(R.csrs, undefined, name);
      if (csr && csrState(csr) === 'Issued') return;
      csrOf.delete(name);
      log.warn(`${mine.node.name} gave up waiting for its ${mine.kind} CSR ${name} and files a new one`);
      inBackground(ctx, `${mine.node.name} filing a CSR`, file(mine.node, mine.kind));
    };

    const join = (nodeName: string) => {
      const node = nodes.get(nodeName);
      if (!node || stopped || !progress.apiUp || !boot.isRunning(nodeName)) return;
      const current = phase.get(nodeName);
      if (current && current !== 'waiting') return;
      const fqdn = nodeFqdn(lab, node);
      if (api.get(R.nodes, undefined, fqdn)) {
        // Joined before: the kubelet has its certificates and only needs its network back.
        phase.set(nodeName, 'ready');
        cancels.push(clock.after(NODE_READY_MS, () => inBackground(ctx, fqdn, setNodeReady(ctx, fqdn, true))));
        return;
      }
      const config = running.get(fqdn);
      if (config) {
        // Joined before but its Node was deleted: with its certificates it registers again at once.
        inBackground(ctx, `${fqdn} registering`, registerNode(ctx, node, false, config));
        log.info(`${fqdn} registered again (its Node object had been deleted)`);
        phase.set(nodeName, 'ready');
        cancels.push(clock.after(NODE_READY_MS, () => inBackground(ctx, fqdn, setNodeReady(ctx, fqdn, true))));
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
      inBackground(ctx, `${nodeName} filing its client CSR`, file(node, 'client'));
    };

    const onIssued = (csr: KubeObject) => {
      const mine = csrOf.get(csr.metadata.name);
      if (!mine || csrState(csr) !== 'Issued') return;
      csrOf.delete(csr.metadata.name);
      const { node, kind } = mine;
      const fqdn = nodeFqdn(lab, node);
      if (kind === 'client') {
        if (!api.get(R.nodes, undefined, fqdn))
          inBackground(ctx, `${fqdn} registering`, registerNode(ctx, node, false));
        phase.set(node.name, 'registered');
        log.info(`${fqdn} registered (NotReady until its serving certificate is issued)`);
        cancels.push(
          clock.after(SERVING_CSR_MS, () => {
            phase.set(node.name, 'serving-csr');
            inBackground(ctx, `${fqdn} filing its serving CSR`, file(node, 'serving'));
          }),
        );
      } else {
        phase.set(node.name, 'ready');
        cancels.push(
          clock.after(NODE_READY_MS, () => {
            inBackground(
              ctx,
              fqdn,
              setNodeReady(ctx, fqdn, true).then(() => log.info(`${fqdn} is Ready`)),
            );
          }),
        );
      }
    };

    const unwatch = watchType(api, R.csrs, (event) => {
      if (event.type !== 'DELETED') onIssued(event.object);
    });
    const onRunning = (nodeName: string) => join(nodeName);
    const onDown = (nodeName: string) => {
      const node = nodes.get(nodeName);
      if (!node) return;
      const current = phase.get(nodeName);
      if (current === 'ready') phase.delete(nodeName);
      if (current === 'client-csr') {
        // A kubelet still bootstrapping starts over when the node boots again: a new request.
        phase.delete(nodeName);
        for (const [name, pending] of csrOf) if (pending.node.name === nodeName) csrOf.delete(name);
      }
      inBackground(ctx, nodeName, setNodeReady(ctx, nodeFqdn(lab, node), false));
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
      unwatchNodes();
      boot.off('running', onRunning);
      boot.off('down', onDown);
      progress.off('api-up', retryAll);
      faults.off('change', retryAll);
      for (const cancel of cancels) cancel();
    };
  };
}
