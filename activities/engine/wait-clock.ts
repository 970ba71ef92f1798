/**
 * The clock a wait counts its deadline on. On hardware, and in a rehearsal whose simulated lab serves
 * no clock (one started by an older version), it is the wall clock. In a rehearsal it is the simulated
 * lab's own clock (`GET /simulator/clock`, simulator/clock.ts), the time the lab's delays run on: at
 * time scale 0.05 a 30-minute deadline passes in 90 real seconds, as the lab's install does, and a
 * loaded machine that slows the lab slows the deadline with it. At time scale 0 the lab's clock runs
 * at real pace (its delays take no time, so lab time has no other meaning there).
 */
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { StepContext } from '../../contract/step.js';
import { readEndpointsFile } from '../../transport/targets.js';
import { simAdmin } from '../support/sim-admin.js';

export interface WaitClock {
  /** `lab`: the simulated lab's clock; `wall`: the machine's. */
  kind: 'lab' | 'wall';
  /** Names the clock: a checkpoint's start counts only on the clock it was read from. */
  id: string;
  /** Time on this clock, ms; undefined when the lab's clock did not answer this time. */
  now(): Promise<number | undefined>;
  /** The time it told when first read, ms. */
  readonly firstMs: number;
  /** The real time `ms` of this clock take, at its pace when it was first read. */
  realMs(ms: number): number;
  /** `30m`, or `30m of lab time`: a duration as the messages say it. */
  describe(ms: number): string;
}

const readingSchema = z.object({
  labMs: z.number(),
  labPerRealMs: z.number().positive(),
  clockId: z.string(),
});

const wallClock: WaitClock = {
  kind: 'wall',
  id: 'wall',
  now: () => Promise.resolve(Date.now()),
  get firstMs() {
    return Date.now();
  },
  realMs: (ms) => ms,
  describe: (ms) => formatDuration(ms),
};

/** The clock of this step's waits (see above). */
export async function waitClockFor(context: StepContext): Promise<WaitClock> {
  const rehearsal = context.rehearsal;
  if (!rehearsal) return wallClock;
  const { labClock } = await readEndpointsFile(
    rehearsal.endpointsFile,
    z.looseObject({ labClock: z.object({ url: z.string() }).optional() }),
  );
  if (!labClock) return wallClock;
  let read: () => Promise<z.output<typeof readingSchema>>;
  let first: z.output<typeof readingSchema>;
  try {
    const admin = await simAdmin(rehearsal);
    read = () => admin.get(labClock.url, readingSchema);
    first = await read();
  } catch (error) {
    // Retried by the wait's policy, from its checkpoint: the lab may be restarting.
    throw ApplicationFailure.retryable(
      `the simulated lab's clock at ${labClock.url} did not answer (${(error as Error).message}); ` +
        'the wait counts its deadline in lab time: check that the simulated lab is still running',
      'LabClockUnavailable',
    );
  }
  return {
    kind: 'lab',
    id: first.clockId,
    firstMs: first.labMs,
    now: () =>
      read().then(
        (reading) => (reading.clockId === first.clockId ? reading.labMs : undefined),
        () => undefined,
      ),
    realMs: (ms) => ms / first.labPerRealMs,
    describe: (ms) => `${formatDuration(ms)} of lab time`,
  };
}

/** `90000` → `1m30s`: durations as the operator wrote them in the runbook. */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const parts = [
    [Math.floor(seconds / 3600), 'h'],
    [Math.floor((seconds % 3600) / 60), 'm'],
    [seconds % 60, 's'],
  ] as const;
  return parts
    .filter(([value]) => value > 0)
    .map(([value, unit]) => `${value}${unit}`)
    .join('');
}
