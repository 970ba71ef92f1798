/**
 * The JSON Schema of the lab file, for editors (`# yaml-language-server: $schema=…`), generated from
 * the zod schema: `runbook schema > lab.schema.json`. The input side, so fields with defaults are
 * optional, as they are to whoever writes the file.
 */
import { z } from 'zod';
import { labSchema } from './schema.js';

export const labSchemaId = 'urn:openshift-runbooks:lab:v1';

/**
 * The formats JSON Schema 2020-12 defines. zod also emits its own (`cidrv4`), which validators in
 * strict mode (Ajv) reject as unknown and editors ignore; zod puts the same check in a `pattern`
 * next to it, so dropping such a format loses nothing and keeps the schema portable.
 */
const standardFormats = new Set([
  'date-time',
  'date',
  'time',
  'duration',
  'email',
  'idn-email',
  'hostname',
  'idn-hostname',
  'ipv4',
  'ipv6',
  'uri',
  'uri-reference',
  'iri',
  'iri-reference',
  'uuid',
  'uri-template',
  'json-pointer',
  'relative-json-pointer',
  'regex',
]);

export function labJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(labSchema, {
    io: 'input',
    target: 'draft-2020-12',
    override: ({ jsonSchema }) => {
      if (typeof jsonSchema.format === 'string' && !standardFormats.has(jsonSchema.format)) {
        if (jsonSchema.pattern === undefined)
          throw new Error(`format "${jsonSchema.format}" has no pattern to stand for it in the lab's JSON Schema`);
        delete jsonSchema.format;
      }
    },
  });
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: labSchemaId,
    title: 'openshift-runbooks lab',
    description:
      'One lab: cluster, node subnet, nodes, helper hosts, secret references and day-2 settings. Validate ' +
      'with `runbook validate --lab <file>`.',
    ...rest,
  };
}

/** The text of lab.schema.json as checked in at the repository root. */
export function labJsonSchemaText(): string {
  return `${JSON.stringify(labJsonSchema(), null, 2)}\n`;
}
