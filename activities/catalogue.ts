/**
 * The one list of step activities: every declaration (./engine/declare.ts) of every domain. The
 * worker's registry (./index.ts), the plan registry (./plan-registry.ts), the README catalogue
 * (checked by test/activities/catalogue.test.ts) and the typed runbook builders (runbooks/steps.ts,
 * through the types below) derive from it. A new activity is declared in its domain module, in that
 * module's list; nothing here changes.
 */
import type { z } from 'zod';
import { clusterDeclarations } from './cluster/index.js';
import { day2Declarations } from './day2/index.js';
import type { Declaration } from './engine/declare.js';
import { selftestDeclarations } from './engine/selftest.js';
import { hostDeclarations } from './hosts/index.js';
import { installDeclarations } from './install/index.js';
import { labFileDeclarations } from './lab-file.js';
import { powerDeclarations } from './power/index.js';
import { preflightDeclarations } from './preflight.js';
import { rebuildDeclarations } from './rebuild.js';

export const declarations = [
  ...selftestDeclarations,
  ...preflightDeclarations,
  ...hostDeclarations,
  ...clusterDeclarations,
  ...installDeclarations,
  ...powerDeclarations(),
  ...day2Declarations,
  ...rebuildDeclarations,
  ...labFileDeclarations,
] as const satisfies readonly Declaration[];

type Declared = (typeof declarations)[number];

/** The name of a built-in step activity: what a runbook step may name. */
export type StepActivityName = Declared['name'];

/** The declaration of the activity `Name`. */
export type DeclarationOf<Name extends StepActivityName> = Extract<Declared, { name: Name }>;

/** The parameters a step of `Name` takes (undefined among them when it may take none). */
export type ParamsOf<Name extends StepActivityName> = z.input<DeclarationOf<Name>['params']>;

/** What a runbook may name in `action(…)`, and in `wait(…)`. */
export type ActionName = Extract<Declared, { kind: 'action' }>['name'];
export type WaitName = Extract<Declared, { kind: 'wait' }>['name'];

/** `'lab'` when the wait's deadline is the lab's (the step says `deadline: 'lab'`), else `'step'`. */
export type DeadlineOf<Name extends StepActivityName> =
  DeclarationOf<Name> extends { deadline: infer Source } ? (Source extends 'step' ? 'step' : 'lab') : 'step';
