/**
 * Deadlines on the simulated lab's clock: the lab clock's ticks are bounded (a starved event loop
 * slows lab time instead of making it race), the lab serves its clock on its admin port, and a
 * rehearsal's wait counts its deadline on it ("after 1m of lab time"), also across a new attempt that
 * resumes from the checkpoint. Outside a rehearsal the deadline is wall time, as before.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { pollUntil, type PollCheckpoint } from '../../activities/engine/poll-until.js';
import { waitClockFor } from '../../activities/engine/wait-clock.js';
import type { StepContext, StepOutcome } from '../../contract/step.js';
import { MAX_TICK_STEP_MS, SimClock } from '../../simulator/clock.js';
import { startTestLab, type TestLab } from '../simulator/install/support.js';

const SCALE = 0.01;
let t: TestLab;

beforeAll(async () => {
  t = await startTestLab('bare', { timeScale: SCALE });
}, 120_000);
afterAll(() => t?.stop());

const rehearsalContext = (deadlineMs: number): StepContext => ({
  runbook: 'install',
  stepId: 'bootstrap.complete',
  lab: t.lab,
  rehearsal: { endpointsFile: t.sim.endpointsPath, kubeconfig: t.sim.kubeconfigPath },
  poll: { intervalMs: 50, deadlineMs },
});

const env = (heartbeatDetails?: unknown) =>
  new MockActivityEnvironment({ heartbeatDetails }, { logger: new DefaultLogger('ERROR') });

describe('the lab clock', () => {
  it('counts at most a bounded step of real time per tick: a starved event loop slows lab time', () => {
    const clock = new SimClock(0.05);
    try {
      const before = clock.now();
      const busyUntil = performance.now() + 1_500;
      while (performance.now() < busyUntil) {
        // Starve the event loop: no tick runs.
      }
      const advanced = clock.now() - before;
      expect(advanced).toBeGreaterThan(0);
      expect(advanced).toBeLessThanOrEqual(MAX_TICK_STEP_MS * 20);
    } finally {
      clock.stop();
    }
  });

  it('stands still once the lab has stopped, and runs at real pace at time scale 0', async () => {
    const clock = new SimClock(0);
    expect(clock.labPerRealMs).toBe(1);
    clock.stop();
    const stopped = clock.now();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(clock.now()).toBe(stopped);
  });

  it('is served by the simulated lab and named in its endpoints file', async () => {
    expect(t.sim.endpoints.labClock).toEqual({ url: expect.stringMatching(/\/simulator\/clock$/), timeScale: SCALE });
    const clock = await waitClockFor(rehearsalContext(1));
    expect(clock.kind).toBe('lab');
    const first = (await clock.now())!;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await clock.now())!).toBeGreaterThan(first);
    expect(clock.realMs(60_000)).toBeCloseTo(600);
    expect(clock.describe(90_000)).toBe('1m30s of lab time');
  });
});

describe('a rehearsal wait', () => {
  it('times out after its deadline of lab time, and never sooner in real time than the lab takes for it', async () => {
    const clock = await waitClockFor(rehearsalContext(1));
    const labStart = (await clock.now())!;
    const realStart = Date.now();
    const failure = await env()
      .run(() =>
        pollUntil(rehearsalContext(60_000), { what: 'the condition' }, async () => ({ done: false, detail: 'no' })),
      )
      .catch((error: unknown) => error as ApplicationFailure);
    expect(failure).toMatchObject({ type: 'WaitDeadlineExceeded' });
    expect((failure as ApplicationFailure).message).toMatch(
      /^Timed out after 1m of lab time waiting for the condition \(\d+ checks\); last check: no$/,
    );
    expect((await clock.now())! - labStart).toBeGreaterThanOrEqual(60_000);
    // The lab's clock never runs ahead of its pace: a minute of lab time takes at least 600 real ms.
    expect(Date.now() - realStart).toBeGreaterThanOrEqual(60_000 * SCALE);
  });

  it('resumed from its checkpoint on the same lab clock, counts from the first attempt', async () => {
    const clock = await waitClockFor(rehearsalContext(1));
    const now = (await clock.now())!;
    const checkpoint: PollCheckpoint = {
      startedAtMs: Date.now(),
      polls: 3,
      detail: 'no',
      labClock: { id: clock.id, startedAtMs: now - 50_000, elapsedMs: 50_000 },
    };
    const seen: number[] = [];
    const failure = await env(checkpoint)
      .run(() =>
        pollUntil(rehearsalContext(60_000), { what: 'the condition' }, async ({ elapsedMs, polls }) => {
          seen.push(elapsedMs);
          return { done: false, detail: `check ${polls + 1}` };
        }),
      )
      .catch((error: unknown) => error as ApplicationFailure);
    expect((failure as ApplicationFailure).message).toMatch(/^Timed out after 1m of lab time .*\(\d+ checks\)/);
    expect(seen[0]).toBeGreaterThanOrEqual(50_000);
    // Ten lab seconds were left: far fewer checks than a fresh minute would take.
    expect(seen.at(-1)).toBeGreaterThanOrEqual(60_000);
  });

  it('watching after its deadline (context.watch) ends when the condition holds and says how long it took', async () => {
    const context = { ...rehearsalContext(1), watch: { for: '4h' } };
    let checks = 0;
    const outcome: StepOutcome = await env().run(() =>
      pollUntil(context, { what: 'the condition' }, async ({ elapsedMs }) =>
        elapsedMs >= 30_000 ? { done: true, detail: `held after ${++checks} checks` } : { done: false, detail: 'no' },
      ),
    );
    expect(outcome).toMatchObject({ changed: false, detail: 'held after 1 checks' });
    expect(outcome.watched).toMatch(/^\d+s of lab time$/);
  });
});
