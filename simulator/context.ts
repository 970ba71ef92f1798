/** What every simulated controller is given: the lab, the object store, time and faults. */
import type { Lab } from '../lab/schema.js';
import type { ObjectStore } from './apiserver/store.js';
import type { SimClock } from './clock.js';
import type { Faults } from './faults.js';

export interface SimLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface SimContext {
  lab: Lab;
  store: ObjectStore;
  clock: SimClock;
  faults: Faults;
  log: SimLogger;
}

/** A controller starts watching when called and returns a function that stops it. */
export type Controller = (ctx: SimContext) => () => void;
