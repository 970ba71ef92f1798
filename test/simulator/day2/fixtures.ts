/**
 * A day-2 lab in an object store, without the API server: the example lab's nodes Ready (masters
 * tainted, infra nodes still workers as an install leaves them), the platform namespaces and the
 * default SCCs. Controllers run on a clock at time scale 0.
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { labSchema, type Lab } from '../../../lab/schema.js';
import { ObjectStore, type KubeObject } from '../../../simulator/apiserver/store.js';
import { SimClock } from '../../../simulator/clock.js';
import type { Controller, SimContext } from '../../../simulator/context.js';
import { loopsIdle } from '../../../simulator/controllers/loop.js';
import { Faults } from '../../../simulator/faults.js';
import { storeLabApi } from '../../../simulator/lab-api.js';
import { NAMESPACES, defaultSccs, namespaceObject, nodeObject } from '../../../simulator/openshift-objects.js';

/** The example lab (OpenShift 4.21, OVN-Kubernetes), or with `sdn` the procedure's 4.2 / OpenShift SDN lab. */
export function exampleLab(which: 'current' | 'sdn' = 'current'): Lab {
  const name = which === 'sdn' ? 'example-4.2-sdn.yaml' : 'example.yaml';
  const file = new URL(`../../../runbooks/labs/${name}`, import.meta.url);
  return labSchema.parse(parse(readFileSync(file, 'utf8')));
}

export interface Day2Lab {
  ctx: SimContext;
  store: ObjectStore;
  warnings: string[];
  infos: string[];
  start(...controllers: Controller[]): void;
  /** Resolves once every controller's passes are done (their writes are requests, even to the store). */
  settle(): Promise<void>;
  stop(): void;
}

export function day2Lab(options: { nodes?: boolean; lab?: 'current' | 'sdn' } = {}): Day2Lab {
  const lab = exampleLab(options.lab);
  const store = new ObjectStore();
  const warnings: string[] = [];
  const infos: string[] = [];
  const line = (list: string[]) => (message: string) => {
    list.push(message);
    logLines.emit('line');
  };
  const ctx: SimContext = {
    lab,
    store,
    api: storeLabApi(store),
    clock: new SimClock(0),
    faults: new Faults(),
    log: { info: line(infos), warn: line(warnings) },
  };
  for (const name of [...NAMESPACES, 'ceph-csi', 'egress-routers']) store.create('namespaces', namespaceObject(name));
  for (const scc of defaultSccs()) store.create('securitycontextconstraints.security.openshift.io', scc);
  if (options.nodes !== false) {
    for (const node of lab.nodes) {
      if (node.role !== 'bootstrap') store.create('nodes', nodeObject(lab, node, true));
    }
  }
  const stops: (() => void)[] = [];
  return {
    ctx,
    store,
    warnings,
    infos,
    start: (...controllers) => {
      for (const controller of controllers) stops.push(controller(ctx));
    },
    settle: () => loopsIdle(ctx),
    stop: () => {
      for (const stop of stops.reverse()) stop();
      ctx.clock.stop();
    },
  };
}

/** Emits `line` for every message a lab logs, so waits on log lines wake up. */
const logLines = new EventEmitter();

/**
 * Resolves with the predicate's value once it is truthy, re-checking after every store change and log line.
 * Fails with `what` and the last state seen if the lab goes quiet without getting there.
 */
export function waitFor<T>(
  store: ObjectStore,
  what: string,
  predicate: () => T | undefined | false,
  describe?: () => unknown,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let quiet: NodeJS.Timeout | undefined;
    const check = () => {
      const value = predicate();
      if (value) {
        stop();
        resolve(value);
        return true;
      }
      clearTimeout(quiet);
      // Nothing changed for a (real) second while the clock runs at scale 0: the lab has settled.
      quiet = setTimeout(() => {
        stop();
        // Conditions outside the store (log lines, timers) get one last look.
        const late = predicate();
        if (late) return resolve(late);
        reject(
          new Error(
            `lab settled without: ${what}${describe ? `\nlast state: ${JSON.stringify(describe(), null, 1)}` : ''}`,
          ),
        );
      }, 1_000);
      return false;
    };
    const unsubscribe = store.onChange(() => {
      check();
    });
    const onLine = () => check();
    logLines.on('line', onLine);
    const stop = () => {
      unsubscribe();
      logLines.off('line', onLine);
      clearTimeout(quiet);
    };
    check();
  });
}

export const fqdn = (name: string) => `${name}.nodes.example.com`;

export function podsOf(store: ObjectStore, namespace: string, prefix: string): KubeObject[] {
  return store.list('pods', { namespace }).items.filter((pod) => pod.metadata.name.startsWith(prefix));
}
