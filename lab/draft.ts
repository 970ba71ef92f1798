/**
 * A best-effort parse of a lab that the schema rejects: every field that is valid on its own is kept
 * (defaults applied), every invalid one is left out. The cross-field rules run on this draft, so a
 * typo in one MAC does not hide a duplicate address three nodes further down: all issues at once.
 * Pure; walks the zod schema itself, so it follows every change to lab/schema.ts.
 */
import { z } from 'zod';
import { labSchema, type Lab } from './schema.js';

/** `T` with every field optional, recursively; array items that could not be read are `undefined`. */
export type Draft<T> = T extends readonly (infer Item)[]
  ? Array<Draft<Item> | undefined>
  : T extends object
    ? { [K in keyof T]?: Draft<T[K]> }
    : T;

export type LabDraft = Draft<Lab>;

export function draftLab(input: unknown): LabDraft {
  const draft = draftOf(labSchema, input);
  return isRecord(draft) ? (draft as LabDraft) : {};
}

function draftOf(schema: z.ZodType, input: unknown): unknown {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  if (schema instanceof z.ZodOptional)
    return input === undefined ? undefined : draftOf(schema.unwrap() as z.ZodType, input);
  if (schema instanceof z.ZodDefault) return draftOf(schema.unwrap() as z.ZodType, input);
  if (schema instanceof z.ZodArray) {
    return Array.isArray(input) ? input.map((item) => draftOf(schema.element as z.ZodType, item)) : undefined;
  }
  if (schema instanceof z.ZodDiscriminatedUnion) {
    if (!isRecord(input)) return undefined;
    const key = schema._zod.def.discriminator;
    const options = schema.options as z.ZodObject[];
    // Unknown discriminator: read the fields the variants share from the first one.
    const option = options.find((candidate) => candidate.shape[key]?.safeParse(input[key]).success) ?? options[0];
    return option === undefined ? undefined : draftOf(option, input);
  }
  if (schema instanceof z.ZodObject) {
    if (!isRecord(input)) return undefined;
    const draft: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
      const value = draftOf(field, input[key]);
      if (value !== undefined) draft[key] = value;
    }
    return draft;
  }
  return undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
