/**
 * The broken-lab corpus: each file of test/fixtures/labs/broken/ is the example lab with one small
 * mistake, and its leading `# expect: <path>: <message>` lines are exactly the issues it must raise
 * (`<repo>` stands for the repository root in absolute paths).
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatIssue, LabValidationError, parseLab } from '../../lab/load.js';
import { fixtureLabs, repoRoot } from './paths.js';

const folder = join(fixtureLabs, 'broken');
const files = readdirSync(folder)
  .filter((file) => file.endsWith('.yaml'))
  .sort();

function expectations(text: string): string[] {
  return text.split('\n').flatMap((line) => (line.startsWith('# expect: ') ? [line.slice('# expect: '.length)] : []));
}

async function issuesOf(file: string, text: string): Promise<string[]> {
  try {
    await parseLab(text, file);
  } catch (error) {
    if (error instanceof LabValidationError)
      return error.issues.map((issue) => formatIssue(issue).replaceAll(repoRoot, '<repo>'));
    throw error;
  }
  return [];
}

describe('broken lab corpus', () => {
  it('has at least 25 labs, each with an expectation', () => {
    expect(files.length).toBeGreaterThanOrEqual(25);
    for (const file of files)
      expect([file, expectations(readFileSync(join(folder, file), 'utf8')).length > 0]).toEqual([file, true]);
  });

  it.each(files)('%s is rejected with exactly the expected issues', async (file) => {
    const path = join(folder, file);
    const text = readFileSync(path, 'utf8');
    expect((await issuesOf(path, text)).sort()).toEqual(expectations(text).sort());
  });
});
