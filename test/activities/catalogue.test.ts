/**
 * The one list of declarations (activities/catalogue.ts) and what derives from it: the worker's
 * registry, the plan registry and the README's catalogue agree with it, name for name.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import { declarations } from '../../activities/catalogue.js';
import { createActivities } from '../../activities/index.js';
import { planCoverage } from '../../activities/plan-registry.js';
import { README, renderCatalogue, withCatalogue } from '../../activities/readme-catalogue.js';
import { catalogue } from '../../runbooks/index.js';
import type { Step } from '../../workflows/engine/steps.js';

/** The activity names of a step tree. */
const stepActivities = (steps: readonly Step[]): string[] =>
  steps.flatMap((step) =>
    step.kind === 'for-each' ? stepActivities(step.steps) : step.kind === 'gate' ? [] : [step.activity],
  );

const names = declarations.map((declaration) => declaration.name);

describe('the activity catalogue', () => {
  it('declares each activity once, and the worker registers exactly those', () => {
    expect(new Set(names).size).toBe(names.length);
    expect(Object.keys(createActivities()).sort()).toEqual([...names].sort());
  });

  it('gives the plan registry a plan half or a reason for every activity', () => {
    const { planned, withoutPlan } = planCoverage();
    expect([...planned, ...Object.keys(withoutPlan)].sort()).toEqual([...names].sort());
    expect(planned).toContain('clusterApply');
    expect(withoutPlan.infraWaitNodeUpdated).toMatch(/a wait/);
  });

  it('is what the README shows (node --import tsx activities/readme-catalogue.ts --write renders it)', async () => {
    const readme = await readFile(README, 'utf8');
    expect(readme).toContain(renderCatalogue());
    expect(withCatalogue(readme)).toBe(readme);
  });

  it('declares every activity a catalogue runbook names', () => {
    const used = Object.values(catalogue).flatMap((definition) => stepActivities(definition.steps));
    expect(used.filter((name) => !(names as readonly string[]).includes(name))).toEqual([]);
  });
});
