/**
 * Simulated time. Controllers schedule every delay through the clock, so one knob sets the pace of
 * the whole lab: `timeScale` 0 runs each delay on the next turn of the event loop (tests), 1 is real
 * time, 0.05 turns the minutes of a real install into seconds (demos).
 */
export class SimClock {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(public readonly timeScale: number) {
    if (!(timeScale >= 0)) throw new RangeError(`timeScale must be 0 or more, got ${timeScale}`);
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
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
