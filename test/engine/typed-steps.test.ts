/**
 * The runbook builders are typed by the activities' declarations: these steps must NOT type-check.
 * `npm run typecheck` covers this file, and each `@ts-expect-error` fails the type-check when the
 * line below it compiles (a builder that lost its types). At run time the worker refuses the same
 * params (InvalidStepParams), shown by the last test.
 */
import { describe, expect, it } from '@jest/globals';
import { createActivities } from '../../activities/index.js';
import { action, wait } from '../../runbooks/steps.js';
import { loadExampleLab } from '../../testing/engine-harness.js';
import { MockActivityEnvironment } from '@temporalio/testing';

describe('typed runbook steps', () => {
  it('refuse a wrong object set, a misspelt param, a missing param and a duplicated lab deadline', () => {
    // @ts-expect-error: 'ldapp' is not an object set (activities/cluster/objects.ts)
    action('ldap.configure', 'Configure LDAP', 'clusterApply', { params: { objects: 'ldapp' } });
    // @ts-expect-error: clusterApply needs params.objects
    action('apply', 'Apply', 'clusterApply');
    // @ts-expect-error: the operators wait takes `except`, not `exclude`
    wait('settled', 'Settled', 'clusterWaitOperatorsSettled', { deadline: '1m', params: { exclude: ['x'] } });
    // @ts-expect-error: the node wait's deadline is the lab's day2.infra.nodeDeadline: say 'lab'
    wait('updated', 'Updated', 'infraWaitNodeUpdated', { deadline: '6h' });
    // @ts-expect-error: a wait is not an action
    action('dns', 'DNS', 'hostsWaitDns');
    // @ts-expect-error: no such activity
    action('x', 'X', 'clusterApplly', { params: { objects: 'ldap' } });
    // Right: these compile.
    const steps = [
      action('ldap.configure', 'Configure LDAP', 'clusterApply', { params: { objects: 'ldap' } }),
      wait('updated', 'Updated', 'infraWaitNodeUpdated', { deadline: 'lab' }),
    ];
    expect(steps.map((step) => step.activity)).toEqual(['clusterApply', 'infraWaitNodeUpdated']);
    expect(steps[1]?.poll?.deadlineMs).toBe(6 * 3600_000);
  });

  it('and the worker refuses wrong params before the activity runs, naming the field', async () => {
    const lab = await loadExampleLab();
    const activities = createActivities();
    const failure = await new MockActivityEnvironment()
      .run(activities.clusterApply, { runbook: 'x', stepId: 'ldap.configure', lab, params: { objects: 'ldapp' } })
      .catch((error: unknown) => error as { type?: string; message: string; nonRetryable?: boolean });
    expect(failure).toMatchObject({ type: 'InvalidStepParams', nonRetryable: true });
    expect((failure as { message: string }).message).toMatch(
      /step ldap\.configure \(clusterApply\) has wrong parameters: params\.objects/,
    );
  });
});
