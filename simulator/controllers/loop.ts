/**
 * The shape every day-2 controller shares: level-triggered reconciliation. Any change to a watched
 * resource (or to the faults in force) schedules one pass on the lab clock; a pass looks at the
 * whole state and writes only what differs, so passes converge and can run any number of times.
 * Passes may be async (their writes are API requests); one runs at a time, and a change during a
 * pass schedules one more after it.
 */
import { ApiError } from '../apiserver/store.js';
import type { SimContext } from '../context.js';

export interface LoopOptions {
  /** Store keys whose changes trigger a pass. */
  resources: readonly string[];
  /** Runs once per scheduled pass; may throw (logged, then retried on the next change). */
  pass: () => void | Promise<void>;
  /** false: the controller never consults faults, so fault changes need not wake it. */
  faults?: boolean;
}

interface LoopState {
  busy(): boolean;
}
/** The loops of each lab, and who waits for them all to be idle. */
const loopsOf = new WeakMap<SimContext, { loops: Set<LoopState>; waiters: Array<() => void> }>();

function registry(ctx: SimContext) {
  let entry = loopsOf.get(ctx);
  if (!entry) {
    entry = { loops: new Set(), waiters: [] };
    loopsOf.set(ctx, entry);
  }
  return entry;
}

function wakeIfIdle(ctx: SimContext): void {
  const entry = registry(ctx);
  if ([...entry.loops].some((loop) => loop.busy())) return;
  for (const waiter of entry.waiters.splice(0)) waiter();
}

/**
 * Resolves once no loop of the lab has a pass running or scheduled (the passes' writes may kick others:
 * it waits for those too). Timers of a controller (a pod starting in 4 s of lab time) are not counted.
 */
export function loopsIdle(ctx: SimContext): Promise<void> {
  return new Promise((resolve) => {
    registry(ctx).waiters.push(resolve);
    ctx.clock.after(0, () => wakeIfIdle(ctx));
  });
}

/** Starts the loop (with a first pass right away) and returns its stop function. */
export function startLoop(ctx: SimContext, name: string, options: LoopOptions): { stop: () => void; kick: () => void } {
  const watched = new Set(options.resources);
  let scheduled = false;
  let running = false;
  let again = false;
  let stopped = false;

  const failed = (error: unknown) => {
    // A write that lost a race with another writer (409) is simply redone on the next pass.
    if (error instanceof ApiError && error.code === 409) kick();
    else if (!stopped) ctx.log.warn(`${name}: ${error instanceof Error ? error.message : String(error)}`);
  };
  const state: LoopState = { busy: () => !stopped && (running || scheduled) };
  registry(ctx).loops.add(state);
  const finished = () => {
    running = false;
    if (again) {
      again = false;
      kick();
    }
    wakeIfIdle(ctx);
  };
  const run = () => {
    scheduled = false;
    if (stopped) return;
    running = true;
    let result: void | Promise<void>;
    try {
      result = options.pass();
    } catch (error) {
      failed(error);
      finished();
      return;
    }
    if (result instanceof Promise) result.catch(failed).finally(finished);
    else finished();
  };
  const kick = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    if (scheduled) return;
    scheduled = true;
    ctx.clock.after(0, run);
  };

  const unsubscribe = ctx.api.onChange((resource) => {
    if (watched.has(resource)) kick();
  });
  const onFaults = options.faults !== false;
  if (onFaults) ctx.faults.on('change', kick);
  run();
  return {
    kick,
    stop: () => {
      stopped = true;
      registry(ctx).loops.delete(state);
      unsubscribe();
      if (onFaults) ctx.faults.off('change', kick);
    },
  };
}

/** Runs a write a timer or an event started, logging its failure (a controller's next pass redoes it). */
export function inBackground(ctx: Pick<SimContext, 'log'>, what: string, work: Promise<unknown>): void {
  work.catch((error: unknown) => {
    if (error instanceof ApiError && error.code === 409) return;
    ctx.log.warn(`${what}: ${error instanceof Error ? error.message : String(error)}`);
  });
}
