/**
 * Wait steps on the cluster, each a `watchedPoll` (watch events, bounded poll fallback):
 * - a generic wait on one object, driven by step params (a condition, or a value at a path);
 * - bootstrap-complete as `openshift-install wait-for bootstrap-complete` does it: the API answers,
 *   then ConfigMap kube-system/bootstrap says `status: complete`;
 * - every inventory node Ready; the ClusterOperators settled; the ClusterVersion available.
 */
import { ApplicationFailure } from '@temporalio/common';
import { isDeepStrictEqual } from 'node:util';
import { durationMs } from '../../lab/install-settings.js';
import { nodeFqdn, nodeRoles, type Lab, type Node } from '../../lab/schema.js';
import type { JsonValue, StepContext, StepOutcome } from '../../contract/step.js';
import { balancedKubeconfigPathFor, kubeFor } from '../support/kube-access.js';
import { briefApiError } from '../support/kube-errors.js';
import { simulatedConsoles } from '../support/rehearsal-consoles.js';
import { conditionOf, describeCondition, hasCondition, parsePath, valueAt } from './conditions.js';
import { readObject, watchedPoll, watchTargetOf } from './watch-wait.js';
import { StepErrorType } from '../../contract/error-types.js';

const CONFIG = { group: 'config.openshift.io', version: 'v1' } as const;

function badParam(context: StepContext, field: string, want: string): never {
  throw ApplicationFailure.nonRetryable(
    `step ${context.stepId}: params.${field} ${want}; fix the step definition`,
    StepErrorType.InvalidStepParams,
  );
}

function stringParam(context: StepContext, field: string, required: true): string;
function stringParam(context: StepContext, field: string, required?: false): string | undefined;
function stringParam(context: StepContext, field: string, required = false): string | undefined {
  const value = context.params?.[field];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value === '') badParam(context, field, 'must be a non-empty string');
  return value;
}

function stringListParam(context: StepContext, field: string): string[] | undefined {
  const value = context.params?.[field];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))
    badParam(context, field, 'must be a list of strings');
  return value as string[];
}

/** The generic wait: `{ apiVersion, kind, name, namespace?, condition: { type, status? } }` or `{ …, path, equals? }`. */
export async function clusterWaitCondition(context: StepContext): Promise<StepOutcome> {
  const object = {
    apiVersion: stringParam(context, 'apiVersion', true),
    kind: stringParam(context, 'kind', true),
    name: stringParam(context, 'name', true),
    ...(stringParam(context, 'namespace') !== undefined && { namespace: stringParam(context, 'namespace')! }),
  };
  const condition = context.params?.condition as { type?: unknown; status?: unknown } | undefined;
  const path = stringParam(context, 'path');
  if ((condition === undefined) === (path === undefined))
    badParam(context, 'condition or params.path', 'must be given, one of them');
  if (
    condition !== undefined &&
    (typeof condition?.type !== 'string' || !['string', 'undefined'].includes(typeof condition.status))
  )
    badParam(context, 'condition', 'must be { type: "Available", status?: "True" }');
  if (path !== undefined) {
    try {
      parsePath(path);
    } catch (error) {
      badParam(context, 'path', `is not a path: ${(error as Error).message}`);
    }
  }
  const equals: JsonValue | undefined = context.params?.equals;
  const wanted = condition
    ? `${condition.type as string}=${(condition.status as string | undefined) ?? 'True'}`
    : `${path} ${equals === undefined ? 'set' : `= ${JSON.stringify(equals)}`}`;
  const label = `${object.kind} ${object.namespace ? `${object.namespace}/` : ''}${object.name}`;
  const kube = await kubeFor(context);
  return watchedPoll(
    context,
    kube,
    { what: `${label} to have ${wanted}`, watches: [await watchTargetOf(kube, object)] },
    async () => {
      const live = await readObject(kube, object);
      if (!live) return { done: false, detail: `${label} does not exist yet` };
      if (condition) {
        const type = condition.type as string;
        const ok = hasCondition(live, type, (condition.status as string | undefined) ?? 'True');
        return { done: ok, detail: `${label}: ${describeCondition(live, type)}` };
      }
      const value = valueAt(live, path!);
      const ok = equals === undefined ? value !== undefined && value !== null : isDeepStrictEqual(value, equals);
      return { done: ok, detail: `${label}: ${path} is ${value === undefined ? 'not set' : JSON.stringify(value)}` };
    },
  );
}

const BOOTSTRAP_CONFIGMAP = { apiVersion: 'v1', kind: 'ConfigMap', name: 'bootstrap', namespace: 'kube-system' };
const BOOTSTRAP_PROBE_MS = 10_000;

/**
 * Whether the cluster has bootstrapped (ConfigMap kube-system/bootstrap says complete). Steps of the
 * bootstrap phase (HAProxy with the bootstrap node, the bootstrap node on) leave an installed cluster
 * alone when their step sets `params.unlessBootstrapped`. No kubeconfig yet, an API that does not
 * answer within a few seconds or no ConfigMap: not bootstrapped.
 */
export async function bootstrapCompleted(context: StepContext): Promise<boolean> {
  if (context.params?.unlessBootstrapped !== true) return false;
  const probe = (async () => {
    const configMap = (await readObject(await kubeFor(context), BOOTSTRAP_CONFIGMAP)) as
      { data?: Record<string, string> } | undefined;
    return configMap?.data?.status === 'complete';
  })();
  const timeout = new Promise<boolean>((resolve) => setTimeout(resolve, BOOTSTRAP_PROBE_MS, false).unref());
  return Promise.race([probe.catch(() => false), timeout]);
}

/**
 * The step's context with its deadline cut to the lab's (`install.deadlines`), so that a lab can wait
 * longer or shorter than the runbook's generous static deadline without editing the runbook.
 */
export function withLabDeadline(context: StepContext, ...durations: string[]): StepContext {
  const labMs = durations.reduce((sum, text) => sum + durationMs(text), 0);
  const stepMs = context.poll?.deadlineMs ?? labMs;
  return { ...context, poll: { intervalMs: context.poll?.intervalMs ?? 10_000, deadlineMs: Math.min(stepMs, labMs) } };
}

export async function clusterWaitBootstrapComplete(stepContext: StepContext): Promise<StepOutcome> {
  const { bootstrapApi, bootstrapComplete } = stepContext.lab.install.deadlines;
  const context = withLabDeadline(stepContext, bootstrapApi, bootstrapComplete);
  // Through the load balancer, as the installer's wait goes: a balancer that sends 6443 nowhere stalls it.
  const kube = await kubeFor(context, await balancedKubeconfigPathFor(context));
  const bootstrap = BOOTSTRAP_CONFIGMAP;
  return watchedPoll(
    context,
    kube,
    {
      what: 'bootstrap-complete (the API up, then ConfigMap kube-system/bootstrap status: complete)',
      watches: [
        { path: '/api/v1/namespaces/kube-system/configmaps', query: { fieldSelector: 'metadata.name=bootstrap' } },
      ],
    },
    async () => {
      let version: string | undefined;
      try {
        version = (await kube.version.getCode()).gitVersion;
      } catch (error) {
        return { done: false, detail: `the API at ${kube.server} is not up yet (${briefApiError(error)})` };
      }
      const configMap = (await readObject(kube, bootstrap)) as { data?: Record<string, string> } | undefined;
      const status = configMap?.data?.status;
      if (status === 'complete')
        return { done: true, detail: `the API (${version}) is up and the bootstrap is complete` };
      // Bootstrap completes once every master has joined: name those that have not, they are what to look at.
      const masters = context.lab.nodes.filter((node) => node.role === 'master');
      const items = (await kube.core.listNode()).items;
      const notReady = masters.filter((node) => !hasCondition(nodeObjectOf(context.lab, node, items), 'Ready'));
      const consoles = notReady.length ? await simulatedConsoles(context) : {};
      return {
        done: false,
        detail:
          `the API (${version}) is up; kube-system/bootstrap status: ${status ?? 'not there yet'}` +
          (notReady.length
            ? `; masters not Ready yet: ${describeNotReady(context.lab, notReady, items, undefined, consoles)}`
            : ''),
      };
    },
  );
}

/** The inventory nodes a step waits for: `params.nodes`, else `params.roles`, else all but the bootstrap node. */
export function inventoryNodes(context: StepContext): Node[] {
  const names = stringListParam(context, 'nodes');
  const roles = stringListParam(context, 'roles');
  const { lab } = context;
  if (names) {
    const unknown = names.filter((name) => !lab.nodes.some((node) => node.name === name));
    if (unknown.length) badParam(context, 'nodes', `names nodes the lab does not have: ${unknown.join(', ')}`);
    return lab.nodes.filter((node) => names.includes(node.name));
  }
  if (roles) {
    const unknown = roles.filter((role) => !(nodeRoles as readonly string[]).includes(role));
    if (unknown.length)
      badParam(context, 'roles', `must be roles among ${nodeRoles.join(', ')} (got ${unknown.join(', ')})`);
    return lab.nodes.filter((node) => roles.includes(node.role));
  }
  return lab.nodes.filter((node) => node.role !== 'bootstrap');
}

/** The Node object of an inventory node: named by its FQDN (as the lab's DHCP and DNS give it) or short name. */
export function nodeObjectOf<T extends { metadata?: { name?: string } }>(
  lab: Lab,
  node: Node,
  items: readonly T[],
): T | undefined {
  const names = [nodeFqdn(lab, node), node.name];
  return items.find((item) => names.includes(item.metadata?.name ?? ''));
}

/**
 * Inventory nodes that are not Ready, each with what the cluster knows of it: no Node object means
 * the node never joined (look at its console: did it boot, does it reach api-int and the API?).
 */
export function describeNotReady(
  lab: Lab,
  nodes: readonly Node[],
  items: ReadonlyArray<{ metadata?: { name?: string } }>,
  unregistered = 'no Node object: it has not joined, look at its console',
  /** In a rehearsal, what the simulated consoles show (../support/rehearsal-consoles.ts). */
  consoles: Readonly<Record<string, string>> = {},
): string {
  return nodes
    .map((node) => {
      const object = nodeObjectOf(lab, node, items);
      const console = consoles[node.name];
      const missing = console ? `${unregistered}; its console (simulated) says ${console}` : unregistered;
      return `${node.name} (${object ? describeCondition(object, 'Ready') : missing})`;
    })
    .join(', ');
}

export async function clusterWaitNodesReady(context: StepContext): Promise<StepOutcome> {
  const kube = await kubeFor(context);
  const nodes = inventoryNodes(context);
  return watchedPoll(
    context,
    kube,
    { what: `${nodes.length} nodes to be Ready`, watches: [{ path: '/api/v1/nodes' }] },
    async () => {
      const items = (await kube.core.listNode()).items;
      const waiting = nodes.filter((node) => !hasCondition(nodeObjectOf(context.lab, node, items), 'Ready'));
      return waiting.length === 0
        ? { done: true, detail: `all ${nodes.length} nodes Ready` }
        : {
            done: false,
            detail:
              `${nodes.length - waiting.length} of ${nodes.length} nodes Ready; not yet: ` +
              `${waiting.map((node) => node.name).join(', ')}`,
          };
    },
  );
}

/**
 * Every ClusterOperator Available=True, Degraded=False, Progressing=False, but those in `params.except`.
 * Bounded by the lab's `install.deadlines.installComplete` too: operators settling is what
 * `openshift-install wait-for install-complete` waits for.
 */
export async function clusterWaitOperatorsSettled(stepContext: StepContext): Promise<StepOutcome> {
  const context = withLabDeadline(stepContext, stepContext.lab.install.deadlines.installComplete);
  const kube = await kubeFor(context);
  const except = new Set(stringListParam(context, 'except') ?? []);
  return watchedPoll(
    context,
    kube,
    {
      what: `the cluster operators to settle${except.size ? ` (all but ${[...except].join(', ')})` : ''}`,
      watches: [{ path: '/apis/config.openshift.io/v1/clusteroperators' }],
    },
    async () => {
      const { items } = (await kube.custom.listClusterCustomObject({ ...CONFIG, plural: 'clusteroperators' })) as {
        items: Array<{ metadata: { name: string } }>;
      };
      const watched = items.filter((operator) => !except.has(operator.metadata.name));
      if (watched.length === 0) return { done: false, detail: 'no ClusterOperator reported yet' };
      const unsettled = watched.flatMap((operator) => {
        const off = [
          !hasCondition(operator, 'Available') && describeCondition(operator, 'Available'),
          conditionOf(operator, 'Degraded')?.status !== 'False' && describeCondition(operator, 'Degraded', 'False'),
          conditionOf(operator, 'Progressing')?.status !== 'False' &&
            describeCondition(operator, 'Progressing', 'False'),
        ].filter(Boolean);
        return off.length ? [`${operator.metadata.name} ${off.join(', ')}`] : [];
      });
      return unsettled.length === 0
        ? { done: true, detail: `${watched.length} cluster operators Available, not Degraded, not Progressing` }
        : {
            done: false,
            detail: `${watched.length - unsettled.length} of ${watched.length} operators settled; ${unsettled.join('; ')}`,
          };
    },
  );
}

/** ClusterVersion `version` Available=True, not Failing, not Progressing: the install is complete. */
export async function clusterWaitVersionAvailable(stepContext: StepContext): Promise<StepOutcome> {
  const context = withLabDeadline(stepContext, stepContext.lab.install.deadlines.installComplete);
  const kube = await kubeFor(context);
  const version = { apiVersion: 'config.openshift.io/v1', kind: 'ClusterVersion', name: 'version' };
  return watchedPoll(
    context,
    kube,
    {
      what: 'ClusterVersion version to be Available, not Failing, not Progressing',
      watches: [
        { path: '/apis/config.openshift.io/v1/clusterversions', query: { fieldSelector: 'metadata.name=version' } },
      ],
    },
    async () => {
      const live = (await readObject(kube, version)) as { status?: { desired?: { version?: string } } } | undefined;
      if (!live) return { done: false, detail: 'ClusterVersion version does not exist yet' };
      const done =
        hasCondition(live, 'Available') &&
        conditionOf(live, 'Failing')?.status !== 'True' &&
        conditionOf(live, 'Progressing')?.status !== 'True';
      const states = (
        [
          ['Available', 'True'],
          ['Progressing', 'False'],
          ['Failing', 'False'],
        ] as const
      )
        .map(([type, wanted]) => describeCondition(live, type, wanted))
        .join(', ');
      return { done, detail: `ClusterVersion ${live.status?.desired?.version ?? '?'}: ${states}` };
    },
  );
}
