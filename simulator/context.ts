/** What every simulated controller is given: the lab, its Kubernetes API, time and faults. */
import type { Lab } from '../lab/schema.js';
import type { ObjectStore } from './apiserver/store.js';
import type { LabApi } from './lab-api.js';
import type { SimClock } from './clock.js';
import type { Faults } from './faults.js';

export interface SimLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface SimContext {
  lab: Lab;
  /**
   * The in-process store of simulator/apiserver/: what seeding and the simulated API server use. In a lab on
   * the real control plane it is not the cluster: controllers read and write through `api` only.
   */
  store: ObjectStore;
  /** The cluster's API as the controllers use it (the store, or a real kube-apiserver). */
  api: LabApi;
  clock: SimClock;
  faults: Faults;
  log: SimLogger;
}

/** A controller starts watching when called and returns a function that stops it. */
export type Controller = (ctx: SimContext) => () => void;
