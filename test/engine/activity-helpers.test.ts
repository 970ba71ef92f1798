/** converge, pollUntil and the step wrapper in a mock activity context (no server needed). */
import { describe, expect, it } from '@jest/globals';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment as BaseMockEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { readFile } from 'node:fs/promises';
import {
  converge,
  pollUntil,
  REDACTED,
  wrapStepActivity,
  StepErrorType,
  type PollCheckpoint,
} from '../../activities/engine/index.js';
import { onWaitNote, type WaitNote } from '../../activities/engine/wait-notes.js';
import { resolveSecret } from '../../lab/secrets.js';
import type { StepContext } from '../../contract/step.js';
import { loadExampleLab } from '../../testing/engine-harness.js';

/** A mock activity context that logs only errors (failing activities are the point of some cases). */
class MockActivityEnvironment extends BaseMockEnvironment {
  constructor(info?: ConstructorParameters<typeof BaseMockEnvironment>[0]) {
    super(info, { logger: new DefaultLogger('ERROR') });
  }
}

const context: StepContext = {
  runbook: 'test',
  stepId: 'a.step',
  lab: await loadExampleLab(),
  poll: { intervalMs: 1, deadlineMs: 60_000 },
};

describe('converge', () => {
  it('acts only when the check fails, and verifies the result', async () => {
    let state = false;
    let applied = 0;
    const spec = {
      check: async () => ({ ok: state, detail: state ? 'present' : 'absent' }),
      apply: async () => {
        applied += 1;
        state = true;
        return 'created it';
      },
    };
    await expect(converge(spec)).resolves.toEqual({ changed: true, detail: 'created it' });
    await expect(converge(spec)).resolves.toEqual({ changed: false, detail: 'present' });
    expect(applied).toBe(1);
  });

  it('fails (retryably) when the change did not take effect', async () => {
    const failure = await converge({
      check: async () => ({ ok: false, detail: 'still absent' }),
      apply: async () => {},
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).nonRetryable).toBe(false);
    expect((failure as Error).message).toBe('The change did not take effect: still absent');
  });
});

describe('pollUntil', () => {
  it("notes a wait's detail to its process only when it changes, with the time waited", async () => {
    const notes: WaitNote[] = [];
    const stop = onWaitNote((note) => notes.push(note));
    const details = ['API down', 'API down', '1 of 3 Ready', '1 of 3 Ready', '1 of 3 Ready', '2 of 3 Ready'];
    try {
      await new MockActivityEnvironment({ activityId: 'nodes.csrs' }).run(() =>
        pollUntil<number>(context, { what: 'nodes' }, async ({ polls }) =>
          polls === details.length ? { done: true, detail: 'all Ready' } : { done: false, detail: details[polls]! },
        ),
      );
    } finally {
      stop();
    }
    expect(notes.map((note) => [note.stepId, note.detail])).toEqual([
      ['nodes.csrs', 'API down'],
      ['nodes.csrs', '1 of 3 Ready'],
      ['nodes.csrs', '2 of 3 Ready'],
    ]);
    expect(notes.every((note, index) => note.waitedMs >= (notes[index - 1]?.waitedMs ?? 0))).toBe(true);
  });

  it('keeps heartbeating while it sleeps between polls, so a cancel reaches it within about a second', async () => {
    const env = new MockActivityEnvironment();
    const beats: PollCheckpoint[] = [];
    env.on('heartbeat', (details: PollCheckpoint) => beats.push(structuredClone(details)));
    await env.run(() =>
      pollUntil<number>(
        { ...context, poll: { intervalMs: 2_500, deadlineMs: 60_000 } },
        { what: 'x' },
        async ({ polls }) => (polls === 1 ? { done: true, detail: 'done' } : { done: false, detail: 'not yet' }),
      ),
    );
    // The start, after poll 1, then one every second of the 2.5 s sleep (1 s, 1 s, 0.5 s).
    expect(beats.map((beat) => beat.polls)).toEqual([0, 1, 1, 1, 1]);
  });

  it('heartbeats a checkpoint after each poll and resumes from the last one', async () => {
    const env = new MockActivityEnvironment();
    const beats: PollCheckpoint[] = [];
    env.on('heartbeat', (details: PollCheckpoint) => beats.push(structuredClone(details)));
    const outcome = await env.run(() =>
      pollUntil<number>(context, { what: 'three polls' }, async ({ polls, progress }) =>
        polls === 2
          ? { done: true, detail: `done, progress ${progress}` }
          : { done: false, detail: `poll ${polls}`, progress: polls * 10 },
      ),
    );
    expect(outcome).toEqual({ changed: false, detail: 'done, progress 10' });
    // Each checkpoint once (the sleep between polls repeats the last one, see below).
    const checkpoints = beats
      .map((beat) => [beat.polls, beat.progress])
      .filter((beat, index, all) => index === 0 || JSON.stringify(beat) !== JSON.stringify(all[index - 1]));
    expect(checkpoints).toEqual([
      [0, undefined],
      [1, 0],
      [2, 10],
    ]);

    // A new attempt (after a worker restart) starts from the checkpoint, with the original start time.
    const saved: PollCheckpoint = { startedAtMs: Date.now() - 5_000, polls: 7, detail: 'poll 6', progress: 60 };
    const resumed = new MockActivityEnvironment({ heartbeatDetails: saved });
    const seen: Array<{ polls: number; progress: unknown; elapsedMs: number }> = [];
    await resumed.run(() =>
      pollUntil<number>(context, { what: 'x' }, async (state) => {
        seen.push({ polls: state.polls, progress: state.progress, elapsedMs: state.elapsedMs });
        return { done: true, detail: 'ok' };
      }),
    );
    expect(seen[0]).toMatchObject({ polls: 7, progress: 60 });
    expect(seen[0]!.elapsedMs).toBeGreaterThanOrEqual(5_000);
  });

  it('keeps what a probe saved before it failed (the API not answering after a CSR was approved)', async () => {
    const seen: unknown[] = [];
    await new MockActivityEnvironment().run(() =>
      pollUntil<string[]>({ ...context, poll: { intervalMs: 1, deadlineMs: 60_000 } }, { what: 'x' }, async (state) => {
        seen.push(state.progress);
        if (state.polls === 0) {
          state.save(['csr-1 approved']);
          // As watchedPoll answers a probe that threw a 503: not done, nothing returned to keep.
          return { done: false, detail: 'the API server did not answer: HTTP 503' };
        }
        return { done: true, detail: 'done' };
      }),
    );
    expect(seen).toEqual([undefined, ['csr-1 approved']]);
  });

  it('ends with a clear non-retryable timeout message', async () => {
    const env = new MockActivityEnvironment();
    const failure = await env
      .run(() =>
        pollUntil(context, { what: 'the API to answer', deadlineMs: 30, intervalMs: 5 }, async () => ({
          done: false,
          detail: 'connection refused',
        })),
      )
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).type).toBe(StepErrorType.WaitDeadlineExceeded);
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
    expect((failure as Error).message).toMatch(
      /^Timed out after 0s waiting for the API to answer \(\d+ checks\); last check: connection refused$/,
    );
  });

  it('stops at once when cancelled', async () => {
    const env = new MockActivityEnvironment();
    let signalSeen: AbortSignal | undefined;
    const running = env.run(() =>
      pollUntil(context, { what: 'forever', intervalMs: 60_000 }, async ({ signal }) => {
        signalSeen = signal;
        return { done: false, detail: 'not yet' };
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    env.cancel();
    await expect(running).rejects.toBeInstanceOf(CancelledFailure);
    expect(signalSeen?.aborted).toBe(true);
  });
});

describe('step wrapper', () => {
  it('adds the attempt to outcomes and failures, keeping type and retry decision', async () => {
    const env = new MockActivityEnvironment({ attempt: 3 });
    const ok = wrapStepActivity('ok', async () => ({ changed: true, detail: 'did it' }));
    await expect(env.run(ok, context)).resolves.toEqual({ changed: true, detail: 'did it', attempt: 3 });

    const bad = wrapStepActivity('bad', async () => {
      throw ApplicationFailure.nonRetryable('the lab names no DNS host', 'BadInput');
    });
    const failure = (await env.run(bad, context).catch((e: unknown) => e)) as ApplicationFailure;
    expect([failure.type, failure.nonRetryable, failure.message, failure.details]).toEqual([
      'BadInput',
      true,
      'the lab names no DNS host',
      [{ attempt: 3 }],
    ]);

    const plain = wrapStepActivity('plain', async () => {
      throw new TypeError('boom');
    });
    const converted = (await env.run(plain, context).catch((e: unknown) => e)) as ApplicationFailure;
    expect([converted.type, converted.nonRetryable]).toEqual(['TypeError', false]);

    const wrongShape = wrapStepActivity('wrong', async () => ({ changed: 'yes' }) as never);
    await expect(env.run(wrongShape, context)).rejects.toThrow(/must return \{ changed: boolean, detail: string \}/);
  });
});

describe('secrets', () => {
  it('are stripped from outcomes, failures and wait checkpoints', async () => {
    const password = await resolveSecret(context.lab.day2.ldap!.bindPassword);
    const pullSecret = JSON.parse(await readFile(context.lab.secrets.pullSecret.slice('file:'.length), 'utf8')) as {
      auths: Record<string, { auth: string }>;
    };
    const token = Object.values(pullSecret.auths)[0]!.auth;
    const env = new MockActivityEnvironment();

    const leaky = wrapStepActivity('leaky', async () => ({ changed: false, detail: `bound with ${password}` }));
    await expect(env.run(leaky, context)).resolves.toMatchObject({ detail: `bound with ${REDACTED}` });
    // Registry names, public keys and ordinary words stay readable.
    const publicKey = await resolveSecret(context.lab.secrets.sshPublicKey);
    const plain = `pulled from ${Object.keys(pullSecret.auths)[0]} as ${publicKey} on task queue openshift-runbooks`;
    const honest = wrapStepActivity('honest', async () => ({ changed: false, detail: plain }));
    await expect(env.run(honest, context)).resolves.toMatchObject({ detail: plain });

    const failing = wrapStepActivity('failing', async () => {
      throw new Error(
        `registry refused auth ${token} (${Buffer.from(token, 'base64').toString('utf8')}) for ${password}`,
      );
    });
    const failure = (await env.run(failing, context).catch((e: unknown) => e)) as Error;
    expect(failure.message).toBe(`registry refused auth ${REDACTED} (${REDACTED}) for ${REDACTED}`);

    const beats: PollCheckpoint[] = [];
    env.on('heartbeat', (details: PollCheckpoint) => beats.push(structuredClone(details)));
    await env.run(() =>
      pollUntil(context, { what: 'x' }, async ({ polls }) =>
        polls === 1
          ? { done: true, detail: 'ok' }
          : { done: false, detail: `ldapsearch -w ${password}: no such object` },
      ),
    );
    expect(beats.at(-1)?.detail).toBe(`ldapsearch -w ${REDACTED}: no such object`);
  });
});
