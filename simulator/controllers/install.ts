/**
 * The bootstrap node's part of a UPI install. Until the bootstrap node runs, nothing answers on the
 * API (503). Once it has booted, bootkube brings up a temporary control plane and applies the
 * cluster manifests; masters join; when the bootstrap node and every master are up and the masters
 * are Ready, report-progress.sh creates `kube-system/bootstrap` with `status: complete` (what
 * `openshift-install wait-for bootstrap-complete` waits for) and etcd reports its bootstrap member
 * removed.
 */
import { EventEmitter } from 'node:events';
import type { Lab } from '../../lab/schema.js';
import type { Controller, SimContext } from '../context.js';
import type { LabApi, LabReader } from '../lab-api.js';
import { R, isTrue, now, setCondition, type Condition } from '../openshift-objects.js';
import { nodeFqdn } from '../../lab/schema.js';
import type { BootTracker } from './boot.js';
import { startLoop } from './loop.js';

/** Lab time from the bootstrap node's first boot to its API answering (bootkube). */
export const API_UP_MS = 3 * 60_000;
/** Lab time from the last master Ready to report-progress.sh creating the bootstrap ConfigMap. */
export const BOOTSTRAP_COMPLETE_MS = 5 * 60_000;

/**
 * Where the install stands, shared by the install controllers. Emits `api-up` and
 * `bootstrap-complete` once each per cluster, and `reset` when a new cluster is installed over it.
 */
export class InstallProgress extends EventEmitter {
  apiUp = false;
  bootstrapComplete = false;

  constructor(installed = false) {
    super();
    this.apiUp = installed;
    this.bootstrapComplete = installed;
  }

  markApiUp(): void {
    if (this.apiUp) return;
    this.apiUp = true;
    this.emit('api-up');
  }

  /** A new cluster is being installed: its API answers again only once its bootstrap node brings it up. */
  reset(): void {
    this.apiUp = false;
    this.bootstrapComplete = false;
    this.emit('reset');
  }

  markBootstrapComplete(): void {
    if (this.bootstrapComplete) return;
    this.bootstrapComplete = true;
    this.emit('bootstrap-complete');
  }
}

export interface BootstrapDeps {
  progress: InstallProgress;
  boot: BootTracker;
  /** Applies the manifests bootkube creates, right before the API starts answering. */
  applyManifests: (ctx: SimContext) => Promise<void>;
}

/** Whether every master of the lab is registered and Ready. */
export function mastersReady(api: LabReader, lab: Lab): boolean {
  return lab.nodes
    .filter((node) => node.role === 'master')
    .every((node) => isTrue(api.get(R.nodes, undefined, nodeFqdn(lab, node)), 'Ready'));
}

/**
 * What report-progress.sh and the etcd operator leave once bootstrap is done: `kube-system/bootstrap`
 * with `status: complete`, and etcd's `EtcdBootstrapMemberRemoved=True`.
 */
export async function reportBootstrapComplete(api: LabApi): Promise<void> {
  if (!api.get(R.configmaps, 'kube-system', 'bootstrap')) {
    await api.create(R.configmaps, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'bootstrap', namespace: 'kube-system' },
      data: { status: 'complete' },
    });
  }
  if (!api.get(R.etcds, undefined, 'cluster')) return;
  await api.mutate(
    R.etcds,
    undefined,
    'cluster',
    (etcd) => {
      const status = (etcd.status ?? {}) as { conditions?: Condition[] };
      status.conditions = setCondition(status.conditions, {
        type: 'EtcdBootstrapMemberRemoved',
        status: 'True',
        reason: 'BootstrapMemberRemoved',
        message: 'etcd bootstrap member is removed',
        lastTransitionTime: now(),
      });
      etcd.status = status;
    },
    { subresource: 'status' },
  );
}

export function bootstrapController(deps: BootstrapDeps): Controller {
  return (ctx) => {
    const { progress, boot } = deps;
    const { lab, api, clock, log } = ctx;
    const bootstrapNode = lab.nodes.find((node) => node.role === 'bootstrap');
    const cancels: Array<() => void> = [];
    let apiScheduled = false;
    let completeScheduled = false;

    const bringUpApi = () => {
      if (apiScheduled || progress.apiUp) return;
      apiScheduled = true;
      log.info('bootstrap node is running bootkube; the API will answer shortly');
      cancels.push(
        clock.after(API_UP_MS, () => {
          deps
            .applyManifests(ctx)
            .then(() => {
              progress.markApiUp();
              log.info('API is up on the bootstrap control plane');
            })
            .catch((error: unknown) =>
              log.warn(
                `bootkube could not apply the manifests: ${error instanceof Error ? error.message : String(error)}`,
              ),
            );
        }),
      );
    };
    const onRunning = (node: string) => {
      if (node === bootstrapNode?.name) bringUpApi();
    };
    boot.on('running', onRunning);
    if (bootstrapNode && boot.isRunning(bootstrapNode.name)) bringUpApi();

    const complete = () => {
      reportBootstrapComplete(api)
        .then(() => {
          progress.markBootstrapComplete();
          log.info('bootstrap complete: it is now safe to remove the bootstrap node');
        })
        .catch((error: unknown) =>
          log.warn(`bootstrap could not report completion: ${error instanceof Error ? error.message : String(error)}`),
        );
    };

    const loop = startLoop(ctx, 'bootstrap', {
      resources: [R.nodes],
      pass: () => {
        if (!progress.apiUp || progress.bootstrapComplete || completeScheduled) return;
        if (!bootstrapNode || !boot.isRunning(bootstrapNode.name) || !mastersReady(api, lab)) return;
        completeScheduled = true;
        cancels.push(clock.after(BOOTSTRAP_COMPLETE_MS, complete));
      },
    });
    progress.on('api-up', loop.kick);

    return () => {
      boot.off('running', onRunning);
      progress.off('api-up', loop.kick);
      loop.stop();
      for (const cancel of cancels) cancel();
    };
  };
}
