/**
 * The broken-lab corpus: each file of test/fixtures/labs/broken/ is an overlay (test/lab/overlay.ts)
 * that puts one mistake into an example lab of runbooks/labs/, and its `expect` list is exactly the
 * issues the broken lab must raise (`<repo>` stands for the repository root in absolute paths).
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatIssue, LabValidationError, loadLab, parseLab } from '../../lab/load.js';
import { baseLabs, overlaidLab, readOverlay } from './overlay.js';
import { fixtureLabs, repoRoot } from './paths.js';

const folder = join(fixtureLabs, 'broken');
const files = readdirSync(folder)
  .filter((file) => file.endsWith('.yaml'))
  .sort();

async function issuesOf(text: string, source: string, baseDir: string): Promise<string[]> {
  try {
    await parseLab(text, source, { baseDir });
  } catch (error) {
    if (error instanceof LabValidationError)
      return error.issues.map((issue) => formatIssue(issue).replaceAll(repoRoot, '<repo>'));
    throw error;
  }
  return [];
}

describe('broken lab corpus', () => {
  it('has at least 25 overlays, on example labs that are themselves valid', async () => {
    expect(files.length).toBeGreaterThanOrEqual(25);
    const bases = new Set(await Promise.all(files.map(async (file) => (await readOverlay(join(folder, file))).base)));
    for (const base of bases) await expect(loadLab(join(baseLabs, base))).resolves.toBeDefined();
  });

  it.each(files)('%s is rejected with exactly the expected issues', async (file) => {
    const path = join(folder, file);
    const { overlay, text, baseDir } = await overlaidLab(path);
    expect((await issuesOf(text, path, baseDir)).sort()).toEqual([...overlay.expect].sort());
  });
});
