/**
 * A declared wait's diagnosis (activities/engine/diagnosis.ts through defineWait), in a mock activity
 * context: it runs only for a failure that pauses the run, each probe bounded in time, one that throws
 * or hangs reported as such without failing the pause, the findings redacted and carried through the
 * step wrapper into the failure's details, where the workflow reads them (contract/diagnosis.ts).
 */
import { describe, expect, it } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { z } from 'zod';
import { defineWait } from '../../activities/engine/declare.js';
import { REDACTED } from '../../activities/engine/redact.js';
import { pollUntil } from '../../activities/engine/poll-until.js';
import { wrapStepActivity } from '../../activities/engine/step-activity.js';
import { parseHaproxyCsv } from '../../activities/install/diagnosis.js';
import { diagnosisIn, diagnosisLines } from '../../contract/diagnosis.js';
import { StepErrorType } from '../../contract/error-types.js';
import type { StepContext } from '../../contract/step.js';
import { resolveSecret } from '../../lab/secrets.js';
import { loadExampleLab } from '../../testing/engine-harness.js';

const environment = () => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });

const context: StepContext = {
  runbook: 'test',
  stepId: 'a.wait',
  lab: await loadExampleLab(),
  poll: { intervalMs: 1, deadlineMs: 30 },
};

/** A wait that never holds, with the given probes; `fail` replaces the deadline failure. */
function waitWith(fail?: () => never) {
  let diagnosed = 0;
  const declaration = defineWait({
    name: 'testNeverHolds',
    summary: 'never holds',
    params: z.object({}).strict().optional(),
    errors: [],
    deadline: 'step',
    probe: (stepContext) =>
      pollUntil(stepContext, { what: 'nothing' }, async () => {
        if (fail) fail();
        return { done: false, detail: 'not yet' };
      }),
    diagnose: {
      what: 'test probes',
      probes: () => {
        diagnosed += 1;
        return [
          { name: 'fine', run: async () => [{ verdict: 'ok', text: 'all is well here' }] },
          { name: 'cause', run: async () => [{ verdict: 'problem', text: 'this is why' }] },
          {
            name: 'broken',
            run: async () => {
              throw new Error('cannot reach it');
            },
          },
          {
            name: 'stuck',
            timeoutMs: 200,
            run: (signal) =>
              new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
          },
          {
            name: 'leaky',
            run: async () => [
              { verdict: 'problem', text: `bound with ${await resolveSecret(context.lab.day2.ldap!.bindPassword)}` },
            ],
          },
        ];
      },
    },
  });
  return { run: wrapStepActivity('testNeverHolds', declaration.run), diagnosed: () => diagnosed, declaration };
}

describe('a wait’s diagnosis', () => {
  it('goes with a deadline failure: every probe’s findings, the broken and the stuck one said so, redacted', async () => {
    const wait = waitWith();
    const failure = (await environment()
      .run(wait.run, context)
      .catch((error: unknown) => error)) as ApplicationFailure;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure.type).toBe(StepErrorType.WaitDeadlineExceeded);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/^Timed out after 0s waiting for nothing \(\d+ checks\); last check: not yet$/);
    const findings = diagnosisIn(failure.details ?? undefined);
    expect(findings).toEqual([
      { probe: 'fine', verdict: 'ok', text: 'all is well here' },
      { probe: 'cause', verdict: 'problem', text: 'this is why' },
      { probe: 'broken', verdict: 'error', text: 'the probe failed: cannot reach it' },
      { probe: 'stuck', verdict: 'error', text: 'gave no answer within 200ms (stopped)' },
      { probe: 'leaky', verdict: 'problem', text: `bound with ${REDACTED}` },
    ]);
    expect((failure.details?.[0] as { attempt?: number }).attempt).toBe(1);
    expect(diagnosisLines(findings!)).toEqual([
      'PROBLEM  cause: this is why',
      `PROBLEM  leaky: bound with ${REDACTED}`,
      'could not tell  broken: the probe failed: cannot reach it',
      'could not tell  stuck: gave no answer within 200ms (stopped)',
      'ok  fine: all is well here',
    ]);
    expect(wait.declaration.diagnoses).toBe('test probes');
  });

  it('goes with a probe’s own refusal that pauses the run, not with a failure the server retries', async () => {
    const refused = waitWith(() => {
      throw ApplicationFailure.nonRetryable('the operator stays Degraded', StepErrorType.OperatorDegraded);
    });
    const failure = (await environment()
      .run(refused.run, context)
      .catch((error: unknown) => error)) as ApplicationFailure;
    expect(failure.type).toBe(StepErrorType.OperatorDegraded);
    expect(diagnosisIn(failure.details ?? undefined)).toHaveLength(5);

    const flaky = waitWith(() => {
      throw ApplicationFailure.retryable('a hiccup', 'Hiccup');
    });
    const retried = (await environment()
      .run(flaky.run, context)
      .catch((error: unknown) => error)) as ApplicationFailure;
    expect({ type: retried.type, nonRetryable: retried.nonRetryable }).toEqual({ type: 'Hiccup', nonRetryable: false });
    expect(diagnosisIn(retried.details ?? undefined)).toBeUndefined();
    expect(flaky.diagnosed()).toBe(0);
  });
});

describe('HAProxy’s CSV stats', () => {
  it('are read by the header’s field names', () => {
    const csv =
      '# pxname,svname,qcur,status,check_status,check_desc\n' +
      'k8s-api,FRONTEND,,OPEN,,\n' +
      'k8s-api,bootstrap,0,UP,L4OK,Layer4 check passed\n' +
      'k8s-api,master1,0,DOWN,L4CON,Layer4 connection problem\n';
    expect(parseHaproxyCsv(csv).slice(1)).toEqual([
      {
        pxname: 'k8s-api',
        svname: 'bootstrap',
        qcur: '0',
        status: 'UP',
        check_status: 'L4OK',
        check_desc: 'Layer4 check passed',
      },
      {
        pxname: 'k8s-api',
        svname: 'master1',
        qcur: '0',
        status: 'DOWN',
        check_status: 'L4CON',
        check_desc: 'Layer4 connection problem',
      },
    ]);
    expect(parseHaproxyCsv('not csv')).toEqual([]);
  });
});
