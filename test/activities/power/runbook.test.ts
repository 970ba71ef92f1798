/**
 * Power steps end to end: a runbook built with `powerSteps`, run by a real worker on a real Temporal
 * dev server, in a rehearsal against the simulated lab whose computes are powered by libvirt, IPMI,
 * Redfish and by hand. The manual node stops the run at its gate with the instruction; the operator
 * presses the (simulated) power button and approves; a second run changes nothing on the remote nodes.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { WorkflowHandle } from '@temporalio/client';
import { execa } from 'execa';
import { bundleRunbookWorkflows } from '../../../worker/worker.js';
import { approveUpdate, progressQuery, type RunbookInput, type StepProgress } from '../../../workflows/engine/api.js';
import { waitForProgress } from '../../../testing/engine-harness.js';
import { startRunbookWorkers, type RunningRunbookWorkers } from '../../../testing/runbook-workers.js';
import { startTestTemporal, type TestTemporal } from '../../support/temporal.js';
import { startPowerLab, type PowerLab } from './support.js';

const TASK_QUEUE = 'power-end-to-end';
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const COMPUTES = ['compute1', 'compute2', 'compute3', 'compute4', 'compute5'];
let temporal: TestTemporal;
let t: PowerLab;
let workers: RunningRunbookWorkers;

beforeAll(async () => {
  [temporal, t] = await Promise.all([startTestTemporal(), startPowerLab()]);
  workers = await startRunbookWorkers({
    connection: temporal.connection,
    namespace: temporal.namespace,
    taskQueue: TASK_QUEUE,
    workflowBundle: await bundleRunbookWorkflows(
      path.join(path.dirname(fileURLToPath(import.meta.url)), 'power-workflows.ts'),
    ),
    labs: [t.lab.name],
  });
}, 180_000);

afterAll(async () => {
  await workers?.stop();
  await temporal?.stop();
  await t?.stop();
});

function start(workflowId: string): Promise<WorkflowHandle> {
  return temporal.client.workflow.start('power-on-computes', {
    taskQueue: TASK_QUEUE,
    workflowId,
    args: [
      {
        lab: t.lab,
        rehearsal: { endpointsFile: t.sim.endpointsPath, kubeconfig: t.sim.kubeconfigPath },
      } satisfies RunbookInput,
    ],
  });
}

function items(progress: { steps: StepProgress[] }, id: string) {
  const step = progress.steps.find((candidate) => candidate.id === id)!;
  return Object.fromEntries(
    (step.items ?? []).map((item) => [item.item, item.steps.map((sub) => [sub.id, sub.status, sub.message])]),
  );
}

test('remote nodes switch on by their drivers, the manual one at its gate; a second run is unchanged', async () => {
  const handle = await start('power-on-computes/intra');
  const waiting = await waitForProgress(handle, (p) => p.state === 'waiting-approval', 'the manual gate', 120_000);
  const stateDir = path.dirname(t.sim.endpointsPath);
  expect(waiting.currentStep).toBe('computes.power-on.manual[compute3].done');
  const remote = items(waiting, 'computes.power-on');
  expect(Object.keys(remote)).toEqual(['compute1', 'compute2', 'compute4', 'compute5']);
  for (const node of Object.keys(remote)) expect(remote[node]![0]![1]).toBe('changed');
  expect(items(waiting, 'computes.power-on.manual').compute3).toEqual([
    [
      'instructions',
      'unchanged',
      'Power on compute3 (MAC 52:54:00:ff:37:14) and make it PXE boot (one-time boot menu or BIOS ' +
        'boot order), then run `runbook approve power-on-computes/intra`' +
        ` (rehearsal: \`runbook sim power compute3 on --state-dir ${stateDir}\` is its power button)`,
    ],
    [
      'done',
      'waiting-approval',
      'Power on the node this step is for, as the step before says (PXE boot), then approve.',
    ],
  ]);
  let boards = await t.boards();
  expect(COMPUTES.map((node) => boards.power[node])).toEqual(['on', 'on', 'off', 'on', 'on']);
  expect([boards.boot.compute4?.lastBoot, boards.boot.compute5?.lastBoot]).toEqual(['pxe', 'pxe']);

  // The operator presses compute3's (simulated) power button as the instruction says, then approves.
  const pressed = await execa(
    'node',
    [path.join(repo, 'bin/runbook.js'), 'sim', 'power', 'compute3', 'on', '--state-dir', stateDir],
    { reject: false },
  );
  expect(pressed).toMatchObject({ exitCode: 0 });
  expect(JSON.parse(pressed.stdout)).toEqual({ node: 'compute3', power: 'on' });
  await handle.executeUpdate(approveUpdate, { args: [{ stepId: 'computes.power-on.manual[compute3].done' }] });
  expect(await handle.result()).toMatchObject({ state: 'completed', changed: 4 });
  boards = await t.boards();
  expect(COMPUTES.map((node) => boards.power[node])).toEqual(['on', 'on', 'on', 'on', 'on']);

  const again = await start('power-on-computes/intra-again');
  await waitForProgress(again, (p) => p.state === 'waiting-approval', 'the manual gate again', 120_000);
  await again.executeUpdate(approveUpdate, { args: [{}] });
  expect(await again.result()).toMatchObject({ state: 'completed', changed: 0 });
  const progress = await again.query(progressQuery);
  for (const steps of Object.values(items(progress, 'computes.power-on'))) expect(steps[0]![1]).toBe('unchanged');
}, 240_000);
