/**
 * The example labs the render tests start from, loaded by the real loader: runbooks/labs/example.yaml
 * (a current release on OVN-Kubernetes) and runbooks/labs/example-4.2-sdn.yaml (the procedure's
 * OpenShift 4.2 on OpenShift SDN), same machines and addresses.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLab } from '../../lab/load.js';
import type { Lab } from '../../lab/schema.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const exampleLabPath = join(repoRoot, 'runbooks', 'labs', 'example.yaml');
export const sdnExampleLabPath = join(repoRoot, 'runbooks', 'labs', 'example-4.2-sdn.yaml');

export function loadExampleLab(): Promise<Lab> {
  return loadLab(exampleLabPath);
}

export function loadSdnExampleLab(): Promise<Lab> {
  return loadLab(sdnExampleLabPath);
}
