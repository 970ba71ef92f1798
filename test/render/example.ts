/** The example lab the render tests start from (runbooks/labs/example.yaml), loaded by the real loader. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLab } from '../../lab/load.js';
import type { Lab } from '../../lab/schema.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const exampleLabPath = join(repoRoot, 'runbooks', 'labs', 'example.yaml');

export function loadExampleLab(): Promise<Lab> {
  return loadLab(exampleLabPath);
}
