/**
 * Simulated time. Controllers schedule every delay through the clock, so one knob sets the pace of
 * the whole lab: `timeScale` 0 runs each delay on the next turn of the event loop (tests), 1 is real
 * time, 0.05 turns the minutes of a real install into seconds (demos).
 *
 * The clock also tells lab time (`now()`, served at `/simulator/clock` for a rehearsal's deadlines):
 * it advances in ticks, each adding the real time since the last tick scaled to lab time, but never
 * more than `MAX_TICK_STEP_MS` of real time. A starved event loop (a loaded machine) runs the lab's
 * delays late; the bounded ticks make lab time slow down with them instead of racing ahead, so a
 * deadline counted in lab time gives a slow lab the time it needs. At `timeScale` 0 the lab's delays
 * take no time and nothing in the lab waits on its clock (CSRs are not re-filed); the clock then runs
 * at real pace (one lab millisecond per real one), so a deadline still ends a wait that cannot end.
 */
export class SimClock {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  /** Lab time at the last tick, and the real time (monotonic) of that tick. */
  private labMs = 0;
  private tickedAt = performance.now();
  private readonly ticker: NodeJS.Timeout;

  constructor(public readonly timeScale: number) {
    if (!(timeScale >= 0)) throw new RangeError(`timeScale must be 0 or more, got ${timeScale}`);
    this.ticker = setInterval(() => this.tick(), TICK_MS);
    // The lab's stop ends the ticks; a clock left running must not keep a process alive.
    this.ticker.unref();
  }

  /** Lab milliseconds per real millisecond: 20 at 0.05, 1 at 1 and at 0 (see above). */
  get labPerRealMs(): number {
    return this.timeScale > 0 ? 1 / this.timeScale : 1;
  }

  /** Lab time since the clock started, ms; stands still once the lab has stopped. */
  now(): number {
    if (this.stopped) return this.labMs;
    return this.labMs + this.stepSince(performance.now());
  }

  /** Runs `fn` after `realMs` of lab time (scaled); returns a function that cancels it. */
  after(realMs: number, fn: () => void): () => void {
    if (this.stopped) return () => {};
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        fn();
      },
      Math.round(realMs * this.timeScale),
    );
    this.timers.add(timer);
    return () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    };
  }

  /** Resolves after `realMs` of lab time. */
  sleep(realMs: number): Promise<void> {
    return new Promise((resolve) => this.after(realMs, resolve));
  }

  /** Cancels every pending delay; used when the simulated lab stops. */
  stop(): void {
    if (!this.stopped) this.tick();
    this.stopped = true;
    clearInterval(this.ticker);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private tick(): void {
    const at = performance.now();
    this.labMs += this.stepSince(at);
    this.tickedAt = at;
  }

  /** Lab time since the last tick, its real part bounded. */
  private stepSince(at: number): number {
    return Math.min(at - this.tickedAt, MAX_TICK_STEP_MS) * this.labPerRealMs;
  }
}

/** Real time between two ticks of the lab clock. */
export const TICK_MS = 100;
/** Most real time one tick counts: a loop starved for seconds adds this much, not the seconds. */
export const MAX_TICK_STEP_MS = 250;
