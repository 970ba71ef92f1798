/**
 * The JSON Schema of the lab file, for editors (`# yaml-language-server: $schema=…`), generated from
 * the zod schema: `runbook schema > lab.schema.json`. The input side, so fields with defaults are
 * optional, as they are to whoever writes the file.
 */
import { z } from 'zod';
import { labSchema } from './schema.js';

export const labSchemaId = 'urn:openshift-runbooks:lab:v1';

export function labJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(labSchema, { io: 'input', target: 'draft-2020-12' });
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: labSchemaId,
    title: 'openshift-runbooks lab',
    description:
      'One lab: cluster, node subnet, nodes, helper hosts, secret references and day-2 settings. Validate with `runbook validate --lab <file>`.',
    ...rest,
  };
}

/** The text of lab.schema.json as checked in at the repository root. */
export function labJsonSchemaText(): string {
  return `${JSON.stringify(labJsonSchema(), null, 2)}\n`;
}
