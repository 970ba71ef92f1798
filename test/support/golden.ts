/**
 * Golden files: `expectGolden('dns/db.nodes.example.com', text)` compares with
 * test/golden/dns/db.nodes.example.com. Run with UPDATE_GOLDEN=1 to (re)write them, then review the diff.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from '@jest/globals';

const goldenRoot = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden');

export function expectGolden(name: string, actual: string): void {
  const file = join(goldenRoot, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) {
    throw new Error(`golden file ${file} is missing: run the test with UPDATE_GOLDEN=1 and review it`);
  }
  expect(actual).toBe(readFileSync(file, 'utf8'));
}
