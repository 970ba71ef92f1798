/**
 * Runbooks that exist only for the engine's tests and the bench (not in the product catalogue):
 * 50 no-op steps, a step that fails until a marker file exists, a gate with a for-each, long waits
 * that poll a file, a step that finishes despite a cancel, and a step placed on the lab. Retry
 * intervals are short so failures pause within a second.
 */
import type { StepActivityName } from '../activities/index.js';
import { catalogue } from '../runbooks/index.js';
import { defineRunbook, type RunbookDefinition } from '../workflows/engine/definition.js';
import { activityStepsFor, forEach, gate } from '../workflows/engine/steps.js';
import type { EngineTestActivityName } from './engine-activities.js';

const { action, wait } = activityStepsFor<StepActivityName | EngineTestActivityName>();

const FAST_RETRY = { initialInterval: '50ms', maximumInterval: '100ms' };

export const NOOP_STEPS = 50;

export const noopRunbook = defineRunbook({
  name: 'engine-noop',
  title: 'Fifty no-op steps',
  description: 'Measures the engine overhead per step.',
  steps: Array.from({ length: NOOP_STEPS }, (_, index) =>
    action(`noop.${String(index + 1).padStart(2, '0')}`, `No-op step ${index + 1}`, 'testNoop'),
  ),
});

/**
 * The same fifty no-op steps, every second one placed on the lab (`on: 'lab'`): the bench runs it on a
 * shared worker process and a lab worker process, to measure each one's memory.
 */
export const noopLabRunbook = defineRunbook({
  name: 'engine-noop-lab',
  title: 'Fifty no-op steps, half on the lab worker',
  description: "Measures the shared worker's and the lab worker's memory apart.",
  steps: Array.from({ length: NOOP_STEPS }, (_, index) =>
    action(`noop.${String(index + 1).padStart(2, '0')}`, `No-op step ${index + 1}`, 'testNoop', {
      ...(index % 2 === 1 && { on: 'lab' as const }),
    }),
  ),
});

export const flakyRunbook = defineRunbook({
  name: 'engine-flaky',
  title: 'A step that fails until its marker file exists',
  description: 'Pauses on the failing step; resume retries, skips or aborts it.',
  steps: [
    action('prepare', 'Prepare', 'testNoop'),
    action('flaky.step', 'Fail until the marker exists', 'testFailUntilMarker', {
      params: { marker: 'fixed' },
      retry: { ...FAST_RETRY, maximumAttempts: 2 },
    }),
    action('bad.input', 'Reject bad input at once', 'testFailUntilMarker', {
      params: { marker: 'input-fixed', nonRetryable: true },
      retry: FAST_RETRY,
    }),
    action('finish', 'Finish', 'testNoop'),
  ],
});

export const gateRunbook = defineRunbook({
  name: 'engine-gate',
  title: 'A gate, then a for-each over the helper hosts',
  description: 'Waits for approval, then runs two sub-steps per helper host.',
  steps: [
    action('before', 'Before the gate', 'testNoop'),
    gate('approve.hosts', 'Approve the host changes', { prompt: 'Check the host list, then approve.' }),
    forEach('hosts.each', 'Each helper host', {
      items: (lab) => lab.hosts.map((host) => host.name),
      steps: [action('first', 'First sub-step', 'testNoop'), action('second', 'Second sub-step', 'testChanged')],
    }),
    action('after', 'After the hosts', 'testNoop'),
  ],
});

export const labFixRunbook = defineRunbook({
  name: 'engine-lab-fix',
  title: 'A step that needs a host the lab lacks',
  description: 'Pauses until resumed with a corrected lab; the for-each after it follows the corrected lab.',
  steps: [
    action('check.host', 'Require the extra host', 'testRequireHost', { params: { host: 'extra1' } }),
    forEach('hosts.each', 'Each helper host', {
      items: (lab) => lab.hosts.map((host) => host.name),
      steps: [action('visit', 'Visit', 'testNoop')],
    }),
  ],
});

/** A wait on the `release` marker between two actions; the heartbeat timeout is a parameter. */
function waitRunbook(name: string, heartbeatTimeout: string): RunbookDefinition {
  return defineRunbook({
    name,
    title: 'Wait for a file',
    description: 'Polls for the release marker file; survives a killed worker.',
    steps: [
      action('before', 'Before the wait', 'testNoop'),
      wait('wait.release', 'Wait for the release marker', 'testWaitForMarker', {
        deadline: '10m',
        pollInterval: '200ms',
        heartbeatTimeout,
        params: { marker: 'release' },
        retry: { initialInterval: '100ms', maximumInterval: '200ms' },
      }),
      action('after', 'After the wait', 'testNoop'),
    ],
  });
}

/** A for-each whose sub-step fails for one host until its marker exists (a pause inside a for-each). */
export const nestedFailRunbook = defineRunbook({
  name: 'engine-nested-fail',
  title: 'A sub-step that fails for the second host',
  description: 'Pauses inside a for-each.',
  steps: [
    forEach('hosts.each', 'Each helper host', {
      items: (lab) => lab.hosts.slice(0, 3).map((host) => host.name),
      steps: [
        action('check', 'Check the host', 'testFailUntilMarker', {
          params: { marker: 'fixed', nonRetryable: true, onlyItem: 1 },
        }),
      ],
    }),
    action('after', 'After the hosts', 'testNoop'),
  ],
});

/**
 * Cancellation: an action that ignores cancels (its wrapper heartbeats, but the activity never looks
 * at the cancel signal, so it finishes once its marker exists), then steps that must never run; and
 * a wait whose polls are an hour apart, with the product's heartbeat timeout, that a cancel must
 * still reach at once.
 */
export const cancelRunbook = defineRunbook({
  name: 'engine-cancel',
  title: 'Cancel around a step that finishes anyway',
  description: 'The steps after a step that finished despite a cancel never run.',
  steps: [
    action('deaf', 'Finish once the marker exists, deaf to cancels', 'testActUntilMarker', {
      params: { marker: 'finish' },
    }),
    forEach('hosts.each', 'Each helper host', {
      items: (lab) => lab.hosts.map((host) => host.name),
      steps: [action('visit', 'Visit', 'testNoop')],
    }),
    action('after', 'After', 'testNoop'),
  ],
});

export const longWaitRunbook = defineRunbook({
  name: 'engine-wait-long',
  title: 'A wait that polls once an hour',
  description: 'A cancel reaches it between two polls.',
  steps: [
    action('before', 'Before the wait', 'testNoop'),
    wait('wait.release', 'Wait for the release marker', 'testWaitForMarker', {
      deadline: '2h',
      pollInterval: '1h',
      params: { marker: 'release' },
    }),
    action('after', 'After the wait', 'testNoop'),
  ],
});

/** Short heartbeat timeout: the tests' killed worker is noticed within about two seconds. */
export const waitRunbookFast = waitRunbook('engine-wait', '2s');
/** The product default heartbeat timeout, for the bench's resume-after-kill figure. */
export const waitRunbookDefault = waitRunbook('engine-wait-default', '10s');

/**
 * An action that runs until its marker exists, with an attempt timeout far longer than any test: a
 * worker killed during it must be noticed by the action heartbeat timeout (30 s), not by that timeout.
 */
export const actionKillRunbook = defineRunbook({
  name: 'engine-action-kill',
  title: 'A long action whose worker is killed',
  description: 'A new worker takes the action over once the heartbeats of the killed one stop.',
  steps: [
    action('before', 'Before the action', 'testNoop'),
    action('act.release', 'Run until the release marker exists', 'testActUntilMarker', {
      params: { marker: 'release' },
      timeout: '1h',
    }),
    action('after', 'After the action', 'testNoop'),
  ],
});

/** One step placed on the lab: only a worker of the lab's queue (`runbook worker --lab`) runs it. */
export const labStepRunbook = defineRunbook({
  name: 'engine-lab-step',
  title: 'A step that needs the lab machine',
  description: 'The middle step runs only on a worker of the lab queue; the others on any worker.',
  steps: [
    action('before', 'Before', 'testNoop'),
    action('install.folder', 'Use the install folder', 'testNoop', { on: 'lab' }),
    action('after', 'After', 'testNoop'),
  ],
});

/**
 * The bootstrap wait as a rehearsal meets it, without the install before it: ConfigMap
 * kube-system/bootstrap until it says complete, with a deadline of two minutes (lab time).
 */
export const softDeadlineRunbook = defineRunbook({
  name: 'engine-soft-deadline',
  title: 'A bootstrap wait that outlasts its deadline',
  description: 'The wait pauses at its deadline, keeps watching, and the run goes on by itself.',
  steps: [
    wait('bootstrap.complete', 'Wait for bootstrap-complete', 'clusterWaitCondition', {
      deadline: '2m',
      pollInterval: '1s',
      params: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        name: 'bootstrap',
        namespace: 'kube-system',
        path: 'data.status',
        equals: 'complete',
      },
    }),
    action('after', 'After the wait', 'testNoop'),
  ],
});

/** A worker that forgets its labs between two steps, as one restarted then would (the lab by reference). */
export const forgetLabRunbook = defineRunbook({
  name: 'engine-forget-lab',
  title: 'A step after the worker forgot its labs',
  description: "The last step finds the lab by its reference in the run's history.",
  steps: [
    action('before', 'Before', 'testNoop'),
    action('forget', 'Forget the labs', 'testForgetLabs'),
    action('after', 'Needs a host of the lab', 'testRequireHost', { params: { host: 'netserv1' } }),
  ],
});

export const engineTestCatalogue: Readonly<Record<string, RunbookDefinition>> = Object.fromEntries(
  [
    ...Object.values(catalogue),
    noopRunbook,
    noopLabRunbook,
    flakyRunbook,
    gateRunbook,
    labFixRunbook,
    waitRunbookFast,
    waitRunbookDefault,
    cancelRunbook,
    longWaitRunbook,
    nestedFailRunbook,
    labStepRunbook,
    actionKillRunbook,
    softDeadlineRunbook,
    forgetLabRunbook,
  ].map((definition) => [definition.name, definition]),
);
