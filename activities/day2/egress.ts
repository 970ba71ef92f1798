/**
 * Egress routers: before anything is created, each router's node selector is checked against the
 * labels the cluster's nodes really carry (a selector nobody matches leaves the router Pending for
 * ever); after, every router has a Running pod on a matching node and its Service has endpoints.
 */
import type { V1Endpoints, V1Node } from '@kubernetes/client-node';
import { roleLabel, type Egress, type EgressRouter, type Lab } from '../../lab/schema.js';
import { egressIpName, egressIpPatches, ovnRouterPodLabels } from '../../render/egress.js';
import type { StepContext, StepOutcome } from '../../contract/step.js';
import { StepErrorType } from '../../contract/error-types.js';
import { readObject, watchedPoll } from '../cluster/watch-wait.js';
import { kubeFor } from '../support/kube-access.js';
import type { PlannedStep, StepPlan } from '../support/plan.js';
import { checkStep, refuse } from './support.js';

export function egressOf(lab: Lab): Egress {
  return (
    lab.day2.egress ??
    refuse('the lab has no day2.egress block: add one (namespace, routers)', StepErrorType.LabSectionMissing)
  );
}

/** The labels a router's pods must land on: its nodeSelector, else the infra role. */
export function routerSelector(router: EgressRouter): Record<string, string> {
  return router.nodeSelector ?? { [roleLabel('infra')]: '' };
}

function matches(node: V1Node, selector: Record<string, string>): boolean {
  const labels = node.metadata?.labels ?? {};
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/** Each router's selector matches at least one node of the cluster. */
export function egressCheckSelectorsStep(context: StepContext): PlannedStep<StepPlan> {
  return checkStep(async () => {
    const egress = egressOf(context.lab);
    const nodes = (await (await kubeFor(context)).core.listNode()).items;
    const found = egress.routers.map((router, index) => {
      const selector = routerSelector(router);
      const matching = nodes.filter((node) => matches(node, selector));
      if (matching.length === 0) {
        const roles = [
          ...new Set(
            nodes.flatMap((node) =>
              Object.keys(node.metadata?.labels ?? {}).filter((key) => key.startsWith('node-role.kubernetes.io/')),
            ),
          ),
        ];
        refuse(
          `no node of the cluster carries ${Object.entries(selector)
            .map(([key, value]) => `${key}=${value}`)
            .join(',')}, which day2.egress.routers[${index}].nodeSelector (${router.name}) selects, ` +
            `so its pod would stay Pending; nothing was created. The nodes carry ` +
            `${roles.join(', ') || 'no role labels'}: fix the selector, or run infra-nodes first`,
          StepErrorType.NodeSelectorMatchesNothing,
        );
      }
      return `${router.name} → ${matching.length} node${matching.length === 1 ? '' : 's'}`;
    });
    return `node selectors match: ${found.join(', ')}`;
  });
}

/** The pods of one router, by network type: the RC's `name=<router>`, or the network operator's router deployment. */
function podSelector(lab: Lab, router: EgressRouter): string {
  return lab.cluster.networkType === 'OVNKubernetes' ? `app=${ovnRouterPodLabels.app}` : `name=${router.name}`;
}

export async function egressWaitRouters(context: StepContext): Promise<StepOutcome> {
  const kube = await kubeFor(context);
  const egress = egressOf(context.lab);
  const namespace = egress.namespace;
  return watchedPoll(
    context,
    kube,
    {
      what: `every egress router running on a matching node with Service endpoints in ${namespace}`,
      watches: [
        { path: `/api/v1/namespaces/${namespace}/pods` },
        { path: `/api/v1/namespaces/${namespace}/endpoints` },
      ],
    },
    async () => {
      const nodes = new Map((await kube.core.listNode()).items.map((node) => [node.metadata?.name ?? '', node]));
      const states = await Promise.all(
        egress.routers.map(async (router) => {
          const pods = (
            await kube.core.listNamespacedPod({ namespace, labelSelector: podSelector(context.lab, router) })
          ).items;
          // An EgressRouter has no node placement: the network operator places its pods.
          const selector = context.lab.cluster.networkType === 'OVNKubernetes' ? {} : routerSelector(router);
          const running = pods.filter((pod) => {
            const node = nodes.get(pod.spec?.nodeName ?? '');
            return pod.status?.phase === 'Running' && node !== undefined && matches(node, selector);
          });
          const astray = pods.filter(
            (pod) => pod.spec?.nodeName && !matches(nodes.get(pod.spec.nodeName) ?? {}, selector),
          );
          const endpoints = (await readObject(kube, {
            apiVersion: 'v1',
            kind: 'Endpoints',
            name: router.name,
            namespace,
          })) as V1Endpoints | undefined;
          const addresses = (endpoints?.subsets ?? []).reduce((n, subset) => n + (subset.addresses?.length ?? 0), 0);
          const ok = running.length > 0 && astray.length === 0 && addresses > 0;
          return {
            ok,
            detail:
              `${router.name}: ${running.length} running on ` +
              `${running.map((pod) => pod.spec?.nodeName).join(', ') || 'no matching node'}${
                astray.length ? `, ${astray.length} on nodes the selector excludes` : ''
              }, ${addresses} endpoint${addresses === 1 ? '' : 's'}`,
          };
        }),
      );
      return { done: states.every((state) => state.ok), detail: states.map((state) => state.detail).join('; ') };
    },
  );
}

/** The NetNamespace of each namespace given egress IPs, and the HostSubnet of each node holding one. */
export async function egressWaitNetNamespaces(context: StepContext): Promise<StepOutcome> {
  const kube = await kubeFor(context);
  const egress = egressOf(context.lab);
  const wanted = egressIpPatches(context.lab, egress).map((patch) => patch.target);
  return watchedPoll(
    context,
    kube,
    {
      what: 'the SDN to make the NetNamespaces and HostSubnets the egress IPs go on',
      watches: [
        { path: '/apis/network.openshift.io/v1/netnamespaces' },
        { path: '/apis/network.openshift.io/v1/hostsubnets' },
      ],
    },
    async () => {
      const found = await Promise.all(wanted.map((target) => readObject(kube, target)));
      const missing = wanted.filter((_, index) => found[index] === undefined);
      return missing.length === 0
        ? { done: true, detail: `${wanted.length} NetNamespaces and HostSubnets found` }
        : {
            done: false,
            detail: `not there yet: ${missing.map((target) => `${target.kind} ${target.name}`).join(', ')}`,
          };
    },
  );
}

interface EgressIpStatus {
  status?: { items?: { node?: string; egressIP?: string }[] };
}

/**
 * OVN-Kubernetes: every address of every namespace's EgressIP assigned to a node (its status.items),
 * reported as which node holds which; a node that went NotReady shows here as its address's new holder.
 */
export async function egressWaitEgressIps(context: StepContext): Promise<StepOutcome> {
  const kube = await kubeFor(context);
  const egress = egressOf(context.lab);
  const entries = egress.egressIPs ?? [];
  return watchedPoll(
    context,
    kube,
    {
      what: 'OVN-Kubernetes to assign every egress IP to an egress-assignable node',
      watches: [{ path: '/apis/k8s.ovn.org/v1/egressips' }],
    },
    async () => {
      const states = await Promise.all(
        entries.map(async (entry) => {
          const name = egressIpName(entry.namespace);
          const live = (await readObject(kube, { apiVersion: 'k8s.ovn.org/v1', kind: 'EgressIP', name })) as
            EgressIpStatus | undefined;
          const items = live?.status?.items ?? [];
          const held = entry.ips.map(({ ip }) => ({ ip, node: items.find((item) => item.egressIP === ip)?.node }));
          const waiting = held.filter((address) => address.node === undefined).map((address) => address.ip);
          const where = held.map((address) => `${address.ip} on ${address.node ?? 'no node yet'}`).join(', ');
          return { done: live !== undefined && waiting.length === 0, detail: `${entry.namespace}: ${where}` };
        }),
      );
      return { done: states.every((state) => state.done), detail: states.map((state) => state.detail).join('; ') };
    },
  );
}
