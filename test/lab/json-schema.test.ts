/** lab.schema.json at the repository root is the generated one, and the example lab points editors at it. */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { labJsonSchema, labJsonSchemaText } from '../../lab/json-schema.js';
import { exampleLab, repoRoot } from './paths.js';
import type { JsonObject } from '../support/json.js';

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

  it('is referenced by the example lab', () => {
    expect(readFileSync(exampleLab, 'utf8').split('\n')[0]).toBe(
      '# yaml-language-server: $schema=../../lab.schema.json',
    );
  });
});
