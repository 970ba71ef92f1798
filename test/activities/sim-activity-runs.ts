/** Step activities run one by one against a simulated test lab, as a rehearsal's worker runs them. */
import type { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import type { StepContext, StepResult } from '../../contract/step.js';
import type { TestLab } from '../simulator/install/support.js';

export const activities = createActivities();

/** The install steps that make this install's ignition with openshift-install and publish it, in order. */
export const IGNITION_STEPS = [
  'installCheckBinary',
  'installWriteConfig',
  'installCreateManifests',
  'installMastersSchedulable',
  'installCreateIgnition',
  'installPublishIgnition',
] as const;

/** `lab()` is read at each call: the test lab starts in beforeAll. */
export function simActivityRunner(lab: () => TestLab) {
  const context = (stepId: string, overrides: Partial<StepContext> = {}): StepContext => ({
    runbook: 'install',
    stepId,
    lab: lab().lab,
    rehearsal: { endpointsFile: lab().sim.endpointsPath, kubeconfig: lab().sim.kubeconfigPath },
    poll: { intervalMs: 1_000, deadlineMs: 120_000 },
    ...overrides,
  });
  const mock = () => new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
  const run = (name: keyof typeof activities, ctx: StepContext) =>
    mock().run(activities[name], ctx) as Promise<StepResult>;
  const failureOf = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => error as ApplicationFailure,
    );
  return { context, run, failureOf, mock };
}
