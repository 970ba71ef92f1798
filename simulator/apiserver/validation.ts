/**
 * Field validation as kube-apiserver does it on create, update, patch and apply:
 * - unknown fields (not in the kind's schema) are dropped; `?fieldValidation=Strict` (what kubectl
 *   sends) rejects them, `Warn` (the default) answers a `Warning: 299 - "unknown field \"…\""`
 *   header per field, `Ignore` drops them silently;
 * - values of the wrong type are always refused: 422 Invalid listing every field for custom
 *   resources (schema validation), the JSON decoding error (400 on create/update, 422 on patch)
 *   for built-in kinds, whose Go types cannot hold them;
 * - null values are dropped (an unset field), fields a schema requires must be there.
 */
import type { ServerResponse } from 'node:http';
import { ApiError, badRequest, invalid } from './errors.js';
import type { StatusCause } from './errors.js';
import type { ResourceType } from './resources.js';
import { schemaOf } from './schemas.js';
import type { Schema } from './schemas.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';
export type WriteVerb = 'create' | 'update' | 'patch' | 'apply';

/** The `fieldValidation` query parameter; `Warn` when absent, as on Kubernetes 1.27 and later. */
export function fieldValidationOf(query: URLSearchParams): FieldValidation {
  const given = query.get('fieldValidation');
  if (given === null || given === '') return 'Warn';
  if (given === 'Strict' || given === 'Warn' || given === 'Ignore') return given;
  throw badRequest(`fieldValidation must be one of "Ignore", "Warn" or "Strict", not "${given}"`);
}

interface WrongType {
  path: string;
  expected: string;
  actual: string;
}

interface Findings {
  unknown: string[];
  wrongTypes: WrongType[];
  missing: string[];
}

function jsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function fits(schema: Schema, value: unknown): boolean {
  if (schema['x-kubernetes-int-or-string']) return typeof value === 'string' || Number.isInteger(value);
  switch (schema.type) {
    case undefined:
      return true;
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    default:
      return typeof value === schema.type;
  }
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** Checks `value` against `schema`, deleting unknown fields and nulls in place. */
function walk(value: unknown, schema: Schema, path: string, findings: Findings): void {
  if (!fits(schema, value)) {
    const expected = schema['x-kubernetes-int-or-string'] ? 'integer,string' : schema.type!;
    findings.wrongTypes.push({ path, expected, actual: jsonType(value) });
    return;
  }
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((item, i) => walk(item, schema.items!, `${path}[${i}]`, findings));
    return;
  }
  if (schema.type !== 'object' || typeof value !== 'object' || value === null) return;
  const record = value as Record<string, unknown>;
  for (const [key, inner] of Object.entries(record)) {
    if (inner === null) {
      delete record[key];
      continue;
    }
    const child = schema.properties?.[key] ?? schema.additionalProperties;
    if (child) walk(inner, child, join(path, key), findings);
    else if (!schema['x-kubernetes-preserve-unknown-fields']) {
      findings.unknown.push(join(path, key));
      delete record[key];
    }
  }
  for (const key of schema.required ?? []) if (!(key in record)) findings.missing.push(join(path, key));
}

/** Go's name for what a field of this schema decodes into, as `json.Unmarshal` errors say it. */
function goType(expected: string): string {
  const names: Record<string, string> = {
    boolean: 'bool',
    integer: 'int64',
    number: 'float64',
    array: 'slice',
    object: 'struct',
    'integer,string': 'intstr.IntOrString',
  };
  return names[expected] ?? expected;
}

function goJsonType(actual: string): string {
  return { integer: 'number', boolean: 'bool' }[actual] ?? actual;
}

export interface ValidateOptions {
  verb: WriteVerb;
  mode: FieldValidation;
  /** Where Warn-mode warnings go. */
  res: ServerResponse;
}

/** The Status of a patch whose result cannot be decoded (`patch: Invalid value: "<object>": …`). */
function invalidPatch(patched: unknown, why: string): ApiError {
  return invalid({ group: '', kind: '' }, '', [
    {
      reason: 'FieldValueInvalid',
      field: 'patch',
      message: `Invalid value: ${JSON.stringify(JSON.stringify(patched))}: ${why}`,
    },
  ]);
}

/**
 * Validates a whole object of `type` (the body of a create or update, or the result of a patch or
 * apply) and prunes it in place; throws the error the real server answers, or sets Warning headers.
 */
export function validateObject(type: ResourceType, obj: Record<string, unknown>, options: ValidateOptions): void {
  const { verb, mode, res } = options;
  const original = verb === 'patch' ? structuredClone(obj) : undefined;
  const findings: Findings = { unknown: [], wrongTypes: [], missing: [] };
  walk(obj, schemaOf(type), '', findings);
  const name = String((obj.metadata as { name?: unknown } | undefined)?.name ?? '');
  const decodeFailure = `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}`;
  if (!type.custom && findings.wrongTypes.length > 0) {
    const [first] = findings.wrongTypes;
    const why =
      `json: cannot unmarshal ${goJsonType(first!.actual)} into Go struct field ` +
      `${type.kind}.${first!.path} of type ${goType(first!.expected)}`;
    throw verb === 'patch' ? invalidPatch(original, why) : badRequest(`${decodeFailure}: ${why}`);
  }
  if (findings.unknown.length > 0) {
    const listed = findings.unknown.map((path) => `unknown field "${path}"`);
    if (mode === 'Strict') {
      if (verb === 'patch') throw invalidPatch(original, `strict decoding error: ${listed.join(', ')}`);
      if (verb === 'apply') {
        const gvk = `${type.group ? `${type.group}/` : ''}${type.version}, Kind=${type.kind}`;
        throw badRequest(
          `failed to create typed patch object (${gvk}): ` +
            `${findings.unknown.map((path) => `.${path}: field not declared in schema`).join(', ')}`,
        );
      }
      throw badRequest(`${decodeFailure}: strict decoding error: ${listed.join(', ')}`);
    }
    if (mode === 'Warn') for (const text of listed) res.appendHeader('Warning', `299 - ${JSON.stringify(text)}`);
  }
  const causes: StatusCause[] = [
    ...findings.wrongTypes.map(({ path, expected, actual }) => ({
      reason: 'FieldValueTypeInvalid',
      field: path,
      message: `Invalid value: "${actual}": ${path} in body must be of type ${expected}: "${actual}"`,
    })),
    ...findings.missing.map((path) => ({ reason: 'FieldValueRequired', field: path, message: 'Required value' })),
  ];
  if (causes.length > 0) throw invalid(type, name, causes);
}
