/** The step DSL and definitions: ids, defaults, the pending progress tree. No server needed. */
import { describe, expect, it } from '@jest/globals';
import { msToNumber } from '@temporalio/common/lib/time.js';
import { catalogue, findRunbook } from '../../runbooks/index.js';
import { findStep } from '../../workflows/engine/current-details.js';
import {
  currentStepPath,
  defineRunbook,
  outlineRunbook,
  pendingProgress,
  skipReason,
  stepPaths,
} from '../../workflows/engine/definition.js';
import {
  ACTION_HEARTBEAT_TIMEOUT,
  ACTION_RETRY,
  activityStepsFor,
  allOf,
  condition,
  forEach,
  gate,
  optionOn,
  WAIT_HEARTBEAT_TIMEOUT,
} from '../../workflows/engine/steps.js';
import { loadExampleLab } from '../../testing/engine-harness.js';

// The builders themselves are under test here, with names of no registry.
const { action, wait } = activityStepsFor<string>();
const lab = await loadExampleLab();

describe('step builders', () => {
  it('give actions a bounded retry policy with backoff and a timeout', () => {
    const step = action('dns.publish-zones', 'Publish the zones', 'publishZones', { retry: { maximumAttempts: 2 } });
    expect(step).toMatchObject({ kind: 'action', activity: 'publishZones', startToCloseTimeout: '5m' });
    expect(step.retry).toEqual({ ...ACTION_RETRY, maximumAttempts: 2 });
    // The step wrapper heartbeats every action: a killed worker is noticed after this, not after 5 minutes.
    expect(step.heartbeatTimeout).toBe(ACTION_HEARTBEAT_TIMEOUT);
  });

  it('give waits a heartbeat timeout and an attempt timeout longer than the deadline', () => {
    const step = wait('bootstrap.api', 'Wait for the API', 'waitApi', { deadline: '30m', pollInterval: '15s' });
    expect(step.heartbeatTimeout).toBe(WAIT_HEARTBEAT_TIMEOUT);
    expect(step.poll).toEqual({ intervalMs: 15_000, deadlineMs: 1_800_000 });
    expect(msToNumber(step.startToCloseTimeout)).toBeGreaterThan(1_800_000);
  });

  it('reject ids that are not stable dotted names, and duplicates', () => {
    expect(() => action('DNS publish', 'x', 'a')).toThrow(/lower-case words joined by dots or dashes/);
    expect(() => wait('w', 'x', 'a', { deadline: 0 })).toThrow(/positive durations/);
    expect(() =>
      defineRunbook({
        name: 'twice',
        title: 't',
        description: 'd',
        steps: [action('a', 'A', 'x'), gate('a', 'A', { prompt: 'p' })],
      }),
    ).toThrow(/step id "a" is used twice/);
    expect(() => forEach('f', 'F', { items: () => [], steps: [action('s', 'S', 'x'), action('s', 'S', 'x')] })).toThrow(
      /used twice/,
    );
    expect(() =>
      defineRunbook({ name: 'Bad Name', title: 't', description: 'd', steps: [action('a', 'A', 'x')] }),
    ).toThrow(/lower-case words joined by dashes/);
  });
});

describe('runbook defaults, conditions and renamed steps', () => {
  const input = { lab };
  const placed = defineRunbook({
    name: 'placed',
    title: 'Placed',
    description: 'Defaults.',
    defaults: { on: 'lab' },
    steps: [
      action('a', 'A', 'a'),
      action('b', 'B', 'b', { on: 'any' }),
      forEach('each', 'Each', { items: () => ['x'], steps: [action('c', 'C', 'c')] }),
      gate('g', 'G', { prompt: 'approve' }),
    ],
  });

  it('place every action and wait by the runbook default unless a step says otherwise', () => {
    const [a, b, each] = placed.steps;
    expect(a).toMatchObject({ on: 'lab' });
    expect(b).toMatchObject({ on: 'any' });
    expect(each?.kind === 'for-each' && each.steps[0]).toMatchObject({ on: 'lab' });
    expect(pendingProgress(b!, lab, input).on).toBeUndefined();
    expect(pendingProgress(a!, lab, input).on).toBe('lab');
  });

  it('keep the placement of steps taken from another runbook', () => {
    const composed = defineRunbook({
      name: 'composed',
      title: 'Composed',
      description: 'Steps of another runbook, whose default differs.',
      steps: [...placed.steps.map((step) => ({ ...step, id: `placed.${step.id}` })), action('own', 'Own', 'own')],
    });
    expect(composed.steps.map((step) => (step.kind === 'action' ? step.on : step.kind))).toEqual([
      'lab',
      'any',
      'for-each',
      'gate',
      'any',
    ]);
  });

  it('give a condition its skip reason, and all of several the reason of the first that fails', () => {
    const gateOn = condition('option gate is off', (_lab, run) => optionOn(run, 'gate'));
    const noLdap = condition('the lab has no day2.ldap block', () => false);
    const step = action('s', 'S', 's', { when: allOf(gateOn, noLdap) });
    expect(skipReason(step, lab, input)).toBe('option gate is off');
    expect(skipReason(step, lab, { lab, options: { gate: 'true' } })).toBe('the lab has no day2.ldap block');
    expect(skipReason(action('t', 'T', 't', { when: () => false }), lab, input)).toBe('not applicable to this lab');
  });

  it('read a renamed step’s old id as its current path (install’s operators wait)', () => {
    const install = findRunbook('install')!;
    expect(currentStepPath(install.steps, 'operators.settled-but-registry')).toBe('operators.settled-except-registry');
    expect(currentStepPath(findRunbook('rebuild')!.steps, 'install.operators.settled-but-registry')).toBe(
      'install.operators.settled-except-registry',
    );
    expect(currentStepPath(install.steps, 'dns.publish')).toBe('dns.publish');
  });
});

describe('definitions', () => {
  const definition = defineRunbook({
    name: 'sample',
    title: 'Sample',
    description: 'A sample',
    steps: [
      action('first', 'First', 'x'),
      gate('approve', 'Approve', { prompt: 'Look first' }),
      forEach('hosts', 'Hosts', {
        items: (l) => l.hosts.map((host) => host.name),
        steps: [action('visit', 'Visit', 'y')],
      }),
      action('never', 'Never', 'z', { when: () => false }),
    ],
  });

  it('render a pending progress tree with for-each items from the lab', () => {
    const steps = definition.steps.map((step) => pendingProgress(step, lab, { lab }));
    expect(steps.map((step) => [step.id, step.kind, step.status])).toEqual([
      ['first', 'action', 'pending'],
      ['approve', 'gate', 'pending'],
      ['hosts', 'for-each', 'pending'],
      ['never', 'action', 'pending'],
    ]);
    expect(steps[1]?.message).toBe('Look first');
    expect(steps[2]?.items?.map((item) => item.item)).toEqual(lab.hosts.map((host) => host.name));
    const paths = stepPaths(steps);
    const host = lab.hosts[0]!.name;
    expect(paths).toContain(`hosts[${host}].visit`);
    expect(findStep(steps, `hosts[${host}].visit`)?.title).toBe('Visit');
  });

  it('outline as JSON for list-runbooks', () => {
    expect(outlineRunbook(definition).steps.map((step) => step.activity ?? step.kind)).toEqual([
      'x',
      'gate',
      'for-each',
      'z',
    ]);
    expect(outlineRunbook(definition).steps[3]?.conditional).toBe(true);
    expect(JSON.parse(JSON.stringify(outlineRunbook(definition)))).toEqual(outlineRunbook(definition));
  });

  it('make up the product catalogue', () => {
    expect(Object.keys(catalogue)).toContain('selftest');
    expect(findRunbook('selftest')?.title).toBe('Engine self-test');
    expect(findRunbook('toString')).toBeUndefined();
  });
});
