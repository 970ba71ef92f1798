/** The example lab moved to another OpenShift release, validated by the real rules (render tests only). */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { validateLab } from '../../lab/validate.js';
import type { Lab } from '../../lab/schema.js';
import { exampleLabPath } from './example.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The example with `cluster` fields replaced; throws with the issues when the result is not a valid lab. */
export function exampleAt(cluster: Json, change: (lab: Json) => void = () => undefined, base = exampleLabPath): Lab {
  const input = parse(readFileSync(base, 'utf8')) as Json;
  input.cluster = { ...input.cluster, ...cluster };
  change(input);
  const result = validateLab(input);
  if (!result.ok)
    throw new Error(`not a valid lab: ${result.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`);
  return result.lab;
}
