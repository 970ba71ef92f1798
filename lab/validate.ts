/**
 * Validation of a lab object: the zod schema, then the cross-field rules a careful engineer checks
 * before touching hardware (./rules/). Every issue is reported at once, each naming the field and
 * the fix. Pure and synchronous, so a workflow's update validator may call it; checking that secret
 * references resolve needs I/O and is done by the loader (./load.ts).
 */
import { z } from 'zod';
import { draftLab, isRecord, type LabDraft } from './draft.js';
import { formatPath, type LabIssue, type PathSegment, type RawIssue } from './issues.js';
import { labSchema, type Lab } from './schema.js';
import { defaultNetworkType, releaseOf } from './release.js';
import { runRules } from './rules/context.js';
import { addressRules } from './rules/addresses.js';
import { topologyRules } from './rules/topology.js';
import { day2Rules } from './rules/day2.js';

export type LabValidation = { ok: true; lab: Lab } | { ok: false; issues: LabIssue[] };

/** Validates a lab object (e.g. parsed YAML or JSON): the parsed `Lab`, or every issue found. */
export function validateLab(input: unknown): LabValidation {
  const { lab, issues } = checkLab(input);
  if (lab !== undefined && issues.length === 0) return { ok: true, lab };
  return { ok: false, issues: issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })) };
}

export interface LabCheck {
  /** The parsed lab when the schema accepts it (cross-field issues may remain). */
  lab?: Lab;
  /** What the rules ran on: every field that is valid on its own. */
  draft: LabDraft;
  issues: RawIssue[];
}

/** Schema and rule issues with their paths as segments (the loader turns them into lines). */
export function checkLab(input: unknown): LabCheck {
  const prepared = withReleaseDefaults(input);
  const parsed = labSchema.safeParse(prepared, { reportInput: true });
  const schemaIssues = parsed.success ? [] : parsed.error.issues.flatMap((issue) => explain(issue, prepared));
  const draft = parsed.success ? (parsed.data as LabDraft) : draftLab(prepared);
  const issues = [...schemaIssues, ...runRules(draft, [...topologyRules, ...addressRules, ...day2Rules])];
  return parsed.success ? { lab: parsed.data, draft, issues } : { draft, issues };
}

/**
 * Defaults that follow from the release (lab/release.ts), filled in before the schema's own: a lab
 * without `cluster.networkType` gets the plugin its release installs by default. The input is not
 * changed; a copy is.
 */
function withReleaseDefaults(input: unknown): unknown {
  if (!isRecord(input) || !isRecord(input.cluster) || input.cluster.networkType !== undefined) return input;
  const { version } = input.cluster;
  if (typeof version !== 'string' || releaseOf(version) === undefined) return input;
  return { ...input, cluster: { ...input.cluster, networkType: defaultNetworkType(version) } };
}

/** Zod's issue in the project's words: what is wrong and what to write. Never echoes a value. */
function explain(issue: z.core.$ZodIssue, root: unknown): RawIssue[] {
  const path = issue.path.filter((segment): segment is PathSegment => typeof segment !== 'symbol');
  const custom =
    !issue.message.startsWith('Invalid') &&
    !issue.message.startsWith('Too ') &&
    !issue.message.startsWith('Unrecognized');
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeys(root, path);
      const hint = known.length === 0 ? '' : ` (keys here: ${known.join(', ')})`;
      return issue.keys.map((key) => ({
        path: [...path, key],
        message: `unknown key "${key}"; remove it or fix its spelling${hint}`,
      }));
    }
    case 'invalid_type':
      if (issue.input === undefined)
        return [{ path, message: custom ? `is required; it ${issue.message}` : 'is required' }];
      if (custom) return [{ path, message: issue.message }];
      return [
        {
          path,
          message:
            `must be ${article(issue.expected)} ${issue.expected}, not ` +
            `${describeType(issue.input)}${issue.expected === 'string' && typeof issue.input === 'number' ? '; put it in quotes' : ''}`,
        },
      ];
    case 'invalid_value':
      return [
        {
          path,
          message: custom
            ? issue.message
            : `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`,
        },
      ];
    case 'invalid_union':
      if ('discriminator' in issue && typeof issue.discriminator === 'string') {
        const options = (issue as { options?: unknown[] }).options ?? [];
        return [{ path, message: `must be one of ${options.map((value) => JSON.stringify(value)).join(', ')}` }];
      }
      return [{ path, message: issue.message }];
    default:
      return [{ path, message: issue.message }];
  }
}

/** The keys the schema allows on the object at `path`, for "unknown key" hints. */
function knownKeys(root: unknown, path: readonly PathSegment[]): string[] {
  let schema: z.ZodType | undefined = labSchema;
  let value: unknown = root;
  for (const segment of [...path, undefined]) {
    schema = unwrap(schema, value);
    if (segment === undefined || schema === undefined) break;
    if (schema instanceof z.ZodArray && typeof segment === 'number') schema = schema.element as z.ZodType;
    else if (schema instanceof z.ZodObject && typeof segment === 'string')
      schema = (schema.shape as Record<string, z.ZodType>)[segment];
    else return [];
    value = isRecord(value) || Array.isArray(value) ? (value as Record<PathSegment, unknown>)[segment] : undefined;
  }
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

/** Strips optional/default wrappers and picks the variant of a discriminated union. */
function unwrap(schema: z.ZodType | undefined, value: unknown): z.ZodType | undefined {
  let current = schema;
  for (;;) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodDefault) current = current.unwrap() as z.ZodType;
    else if (current instanceof z.ZodDiscriminatedUnion) {
      const key = current._zod.def.discriminator;
      const options = current.options as z.ZodObject[];
      current = options.find((option) => isRecord(value) && option.shape[key]?.safeParse(value[key]).success);
    } else return current;
  }
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

function describeType(value: unknown): string {
  if (value === null) return 'null (an empty value)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${article(typeof value)} ${typeof value}`;
}
