/**
 * The shape every day-2 controller shares: level-triggered reconciliation. Any change to a watched
 * resource (or to the faults in force) schedules one pass on the lab clock; a pass looks at the
 * whole state and writes only what differs, so passes converge and can run any number of times.
 */
import { ApiError } from '../apiserver/store.js';
import type { SimContext } from '../context.js';

export interface LoopOptions {
  /** Store keys whose changes trigger a pass. */
  resources: readonly string[];
  /** Runs once per scheduled pass; may throw (logged, then retried on the next change). */
  pass: () => void;
  /** false: the controller never consults faults, so fault changes need not wake it. */
  faults?: boolean;
}

/** Starts the loop (with a first pass right away) and returns its stop function. */
export function startLoop(ctx: SimContext, name: string, options: LoopOptions): { stop: () => void; kick: () => void } {
  const watched = new Set(options.resources);
  let scheduled = false;
  let stopped = false;

  const run = () => {
    scheduled = false;
    if (stopped) return;
    try {
      options.pass();
    } catch (error) {
      // A write that lost a race with another writer (409) is simply redone on the next pass.
      if (error instanceof ApiError && error.code === 409) kick();
      else ctx.log.warn(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const kick = () => {
    if (scheduled || stopped) return;
    scheduled = true;
    ctx.clock.after(0, run);
  };

  const unsubscribe = ctx.store.onChange((resource) => {
    if (watched.has(resource)) kick();
  });
  const onFaults = options.faults !== false;
  if (onFaults) ctx.faults.on('change', kick);
  run();
  return {
    kick,
    stop: () => {
      stopped = true;
      unsubscribe();
      if (onFaults) ctx.faults.off('change', kick);
    },
  };
}
