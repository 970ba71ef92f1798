/**
 * Manual power: no driver, a gate. The instruction step names the node, its MAC and the approve
 * command; `powerSteps` routes each node to the converging step or to the gate by its power type.
 */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../../activities/index.js';
import type { Lab } from '../../../lab/schema.js';
import { powerSteps } from '../../../runbooks/power-steps.js';
import type { ActivityStep, ForEachStep, GateStep, StepResult } from '../../../workflows/engine/steps.js';
import { mixedPowerLab } from './support.js';

const activities = createActivities();
let lab: Lab;

beforeAll(async () => {
  lab = await mixedPowerLab();
});

function inRun(workflowId: string) {
  return new MockActivityEnvironment({
    workflowExecution: { workflowId, runId: '00000000-0000-0000-0000-000000000001' },
  } as ConstructorParameters<typeof MockActivityEnvironment>[0]);
}

describe('the instruction step', () => {
  test('names the node, its MAC, what to do and the approve command of the run', async () => {
    const result = await inRun('install/intra').run(activities.powerManualInstructions, {
      runbook: 'install',
      stepId: 'computes.power-on.manual[compute3].instructions',
      lab,
      item: 'compute3',
      params: { to: 'on', pxe: true },
    });
    expect(result).toMatchObject({
      changed: false,
      detail:
        'Power on compute3 (MAC 52:54:00:ff:37:14) and make it PXE boot (one-time boot menu or BIOS ' +
        'boot order), then run `runbook approve install/intra`',
    });
  });

  test('says power off for a power-off step', async () => {
    const result: StepResult = await inRun('rebuild/intra').run(activities.powerManualInstructions, {
      runbook: 'rebuild',
      stepId: 'teardown.manual[compute3].instructions',
      lab,
      item: 'compute3',
      params: { to: 'off' },
    });
    expect(result.detail).toBe('Power off compute3 (MAC 52:54:00:ff:37:14), then run `runbook approve rebuild/intra`');
  });
});

test('a converging power step refuses a manual node at once, pointing at the gate', async () => {
  const failure = await new MockActivityEnvironment()
    .run(activities.powerOn, { runbook: 'install', stepId: 'x', lab, item: 'compute3' })
    .catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: 'ManualPower', nonRetryable: true });
  expect((failure as Error).message).toMatch(
    /node compute3 has manual power: .*powerSteps in runbooks\/power-steps\.ts/,
  );
});

test('an unknown node pauses at once', async () => {
  const failure = await new MockActivityEnvironment()
    .run(activities.powerOn, { runbook: 'install', stepId: 'x', lab, item: 'compute9' })
    .catch((error: unknown) => error);
  expect(failure).toMatchObject({ type: 'UnknownNode', nonRetryable: true });
});

describe('powerSteps', () => {
  const computes = (of: Lab) => of.nodes.filter((node) => node.role === 'worker').map((node) => node.name);
  const [remote, manual] = powerSteps('computes.power-on', 'Power on the computes', {
    nodes: computes,
    to: 'on',
    pxe: true,
  }) as [ForEachStep, ForEachStep];

  test('remote nodes converge with powerOn (PXE), manual ones get the instruction and a gate', () => {
    expect(remote.id).toBe('computes.power-on');
    expect(remote.items(lab)).toEqual(['compute1', 'compute2', 'compute4', 'compute5']);
    expect(remote.when?.(lab, { lab })).toBe(true);
    const [switchOn] = remote.steps as [ActivityStep];
    expect(switchOn).toMatchObject({ id: 'power-on', kind: 'action', activity: 'powerOn', params: { pxe: true } });

    expect(manual.id).toBe('computes.power-on.manual');
    expect(manual.items(lab)).toEqual(['compute3']);
    expect(manual.when?.(lab, { lab })).toBe(true);
    const [instructions, done] = manual.steps as [ActivityStep, GateStep];
    expect(instructions).toMatchObject({
      activity: 'powerManualInstructions',
      params: { to: 'on', pxe: true },
    });
    expect(done).toMatchObject({ id: 'done', kind: 'gate' });
    expect(done.prompt).toMatch(
      /^Power on the node this step is for, as the step before says \(PXE boot\), then approve\.$/,
    );
  });

  test('a lab without manual nodes skips the gate step; one with only manual nodes skips the other', () => {
    const allRemote = structuredClone(lab);
    allRemote.nodes.find((node) => node.name === 'compute3')!.power = {
      type: 'libvirt',
      hypervisor: 'kvm1',
      domain: 'ocp4-compute3',
    };
    expect(manual.when?.(allRemote, { lab: allRemote })).toBe(false);
    const allManual = structuredClone(lab);
    for (const node of allManual.nodes) node.power = { type: 'manual' };
    expect(remote.when?.(allManual, { lab: allManual })).toBe(false);
    expect(manual.items(allManual)).toEqual(['compute1', 'compute2', 'compute3', 'compute4', 'compute5']);
  });

  test('a power-off step uses powerOff and no PXE parameter', () => {
    const [off] = powerSteps('bootstrap.power-off', 'Power off the bootstrap node', {
      nodes: () => ['bootstrap'],
      to: 'off',
      pxe: true,
    }) as [ForEachStep];
    expect(off.steps[0]).toMatchObject({ activity: 'powerOff', params: {} });
  });
});
