/** Where the lab fixtures live, for the tests of test/lab/. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const exampleLab = join(repoRoot, 'runbooks', 'labs', 'example.yaml');
/** The procedure's OpenShift 4.2 / SDN lab, whose lines and egress routers the loader tests name. */
export const sdnExampleLab = join(repoRoot, 'runbooks', 'labs', 'example-4.2-sdn.yaml');
export const exampleSecrets = join(repoRoot, 'runbooks', 'labs', 'example-secrets');
export const fixtureLabs = join(repoRoot, 'test', 'fixtures', 'labs');
