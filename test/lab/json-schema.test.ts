/**
 * lab.schema.json at the repository root is the generated one, every property in it carries help for
 * editors, it compiles in Ajv's strict mode and accepts the example lab; the example points editors at it.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { labJsonSchema, labJsonSchemaText } from '../../lab/json-schema.js';
import { exampleLab, repoRoot } from './paths.js';
import type { JsonObject } from '../support/json.js';

type JsonSchema = Record<string, unknown>;

/** Every property schema in the document, with its JSON pointer-ish path. */
function propertiesOf(schema: unknown, path = '#'): Array<{ path: string; schema: JsonSchema }> {
  if (Array.isArray(schema)) return schema.flatMap((item, index) => propertiesOf(item, `${path}/${index}`));
  if (typeof schema !== 'object' || schema === null) return [];
  const found: Array<{ path: string; schema: JsonSchema }> = [];
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties' && typeof value === 'object' && value !== null) {
      for (const [name, property] of Object.entries(value)) {
        found.push({ path: `${path}/properties/${name}`, schema: property as JsonSchema });
        found.push(...propertiesOf(property, `${path}/properties/${name}`));
      }
    } else if (key !== 'default') found.push(...propertiesOf(value, `${path}/${key}`));
  }
  return found;
}

function strictAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats.default(ajv);
  return ajv;
}

const example = parse(readFileSync(exampleLab, 'utf8')) as Record<string, unknown>;

describe('lab.schema.json', () => {
  it('is up to date (regenerate with: node bin/runbook.js schema > lab.schema.json)', () => {
    expect(readFileSync(join(repoRoot, 'lab.schema.json'), 'utf8')).toBe(labJsonSchemaText());
  });

  it('describes the input side: fields with defaults are optional', () => {
    const schema = labJsonSchema() as { title: string; required: string[]; properties: JsonObject };
    expect(schema.title).toBe('openshift-runbooks lab');
    expect(schema.required).toEqual(['apiVersion', 'kind', 'name', 'cluster', 'network', 'nodes', 'hosts', 'secrets']);
    expect(schema.properties.nodes.items.required).toEqual(['name', 'role', 'mac', 'ip', 'installDisk']);
  });

  it('gives every property a description, for field help in editors', () => {
    const properties = propertiesOf(labJsonSchema());
    // Nested objects, variants of the power and egress unions, and list items are all walked.
    expect(properties.length).toBeGreaterThan(100);
    expect(properties.map(({ path }) => path)).toEqual(
      expect.arrayContaining([
        '#/properties/nodes/items/properties/power/oneOf/2/properties/systemId',
        '#/properties/day2/properties/egress/properties/routers/items/oneOf/0/properties/destinations/items/properties/targetPort',
        '#/properties/day2/properties/ldap/properties/attributes/properties/preferredUsername',
      ]),
    );
    const missing = properties
      .filter(({ schema }) => typeof schema.description !== 'string' || schema.description.trim() === '')
      .map(({ path }) => path);
    expect(missing).toEqual([]);
  });

  it("compiles in Ajv's strict mode (only formats JSON Schema defines)", () => {
    expect(() => strictAjv().compile(labJsonSchema())).not.toThrow();
  });

  it('accepts the example lab and rejects a broken copy of it', () => {
    const validate = strictAjv().compile(labJsonSchema());
    expect([validate(example), validate.errors ?? []]).toEqual([true, []]);
    const broken = structuredClone(example) as {
      network: Record<string, unknown>;
      nodes: Array<Record<string, unknown>>;
    };
    broken.network.cidr = '10.42.253.0/33';
    broken.nodes[0] = { ...broken.nodes[0], macc: '52:54:00:00:00:01' };
    expect(validate(broken)).toBe(false);
    expect((validate.errors ?? []).map((error) => error.instancePath).sort()).toEqual(
      expect.arrayContaining(['/network/cidr', '/nodes/0']),
    );
  });

  it('is referenced by the example lab', () => {
    expect(readFileSync(exampleLab, 'utf8').split('\n')[0]).toBe(
      '# yaml-language-server: $schema=../../lab.schema.json',
    );
  });
});
