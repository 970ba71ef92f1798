/** What the worker and `--follow` tell an operator about failing attempts: one line per event. */
import { describe, expect, it, jest } from '@jest/globals';
import type { Run } from '../../temporal/runs.js';
import { retryingActivities } from '../../cli/runs/follow.js';
import { operatorLogger } from '../../worker/worker.js';

function captureStderr(fn: () => void): string {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    fn();
  } finally {
    spy.mockRestore();
  }
  return chunks.join('');
}

const failure = () => {
  const error = new Error('host pxe does not answer\n  at the second line of a long message');
  error.stack = `${error.message}\n${Array.from({ length: 30 }, (_, i) => `    at frame${i} (file.js:${i}:1)`).join('\n')}`;
  return error;
};

describe('operator logger', () => {
  it('writes one line per failed attempt, naming the activity and the first line of the error', () => {
    const text = captureStderr(() =>
      operatorLogger('WARN', { verbose: false }).warn('Activity failed', {
        activityType: 'selftestHost',
        error: failure(),
      }),
    );
    expect(text).toBe('worker: WARN Activity failed: selftestHost: host pxe does not answer\n');
  });

  it('says a repeated warning once, and drops what is under its level', () => {
    const logger = operatorLogger('WARN', { verbose: false });
    const text = captureStderr(() => {
      for (let i = 0; i < 5; i += 1)
        logger.warn('Failed to connect\ngrpc status: Unavailable', { error: 'dial error' });
      logger.info('Worker state changed');
      logger.error('Worker failed');
    });
    expect(text).toBe('worker: WARN Failed to connect: dial error\nworker: ERROR Worker failed\n');
  });

  it('keeps the whole error with its stack in verbose mode', () => {
    const text = captureStderr(() =>
      operatorLogger('WARN', { verbose: true }).warn('Activity failed', {
        activityType: 'selftestHost',
        error: failure(),
      }),
    );
    expect(text).toMatch(/\[WARN\] Activity failed/);
    expect(text).toMatch(/at the second line of a long message/);
    expect(text).toMatch(/frame29/);
  });
});

describe('retrying steps in --follow', () => {
  const run = (pendingActivities: unknown[]) =>
    ({ description: { raw: { pendingActivities } } }) as unknown as Pick<Run, 'description'>;

  it('lists an activity the server retries, with the attempt and the failure of the last one', () => {
    expect(
      retryingActivities(
        run([
          { activityId: '7', activityType: { name: 'selftestHost' }, attempt: 3, lastFailure: { message: 'refused' } },
          { activityId: '8', activityType: { name: 'testNoop' }, attempt: 1 },
        ]),
      ),
    ).toEqual([{ activityId: '7', activityType: 'selftestHost', attempt: 3, message: 'refused' }]);
    expect(retryingActivities(run([]))).toEqual([]);
  });
});
