/** The step activity registry: every activity a catalogue runbook names is there, and names are unique. */
import { describe, expect, it } from '@jest/globals';
import { createActivities } from '../../activities/index.js';
import { mergeStepActivities } from '../../activities/engine/registry.js';
import { catalogue } from '../../runbooks/index.js';
import type { Step, StepContext, StepOutcome } from '../../workflows/engine/steps.js';

/** Every activity the steps name, for-each sub-steps included. */
function activitiesNamed(steps: readonly Step[]): string[] {
  return steps.flatMap((step) => {
    switch (step.kind) {
      case 'action':
      case 'wait':
        return [step.activity];
      case 'for-each':
        return activitiesNamed(step.steps);
      case 'gate':
        return [];
    }
  });
}

const noop = async (_context: StepContext): Promise<StepOutcome> => ({ changed: false, detail: 'noop' });

describe('step activity registry', () => {
  const registered: Record<string, unknown> = createActivities();

  it.each(Object.values(catalogue))('registers every activity runbook $name names', (definition) => {
    const named = activitiesNamed(definition.steps);
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((name) => typeof registered[name] !== 'function')).toEqual([]);
  });

  it('refuses a name defined by two groups, naming it', () => {
    expect(() => mergeStepActivities({ checkDns: noop, other: noop }, { checkDns: noop })).toThrow(
      'step activity "checkDns" is defined twice',
    );
  });

  it('refuses an extra activity that would replace a built-in one', () => {
    expect(() => createActivities({ extra: { selftestConverge: noop } })).toThrow(
      'step activity "selftestConverge" is defined twice',
    );
  });

  it('replaces a built-in activity only when asked to, and only one that exists', () => {
    const replaced = createActivities({ replace: { selftestHost: noop } });
    expect(Object.keys(replaced).sort()).toEqual(Object.keys(registered).sort());
    expect(() => createActivities({ replace: { selftestHots: noop } as never })).toThrow(
      'cannot replace step activities that are not registered: selftestHots',
    );
  });
});
