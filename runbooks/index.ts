/**
 * The runbook catalogue: name → definition. Definitions are data (plus the pure `items`/`when`
 * functions), so the CLI lists them (`list-runbooks`, via `outlineRunbook`) and renders a run's
 * pending steps (`pendingProgress`) from the same objects the workflows interpret.
 */
import type { RunbookDefinition } from '../workflows/engine/definition.js';
import { cephCsiRunbook } from './ceph-csi.js';
import { egressRouterRunbook } from './egress-router.js';
import { infraNodesRunbook } from './infra-nodes.js';
import { preflightRunbook } from './preflight.js';
import { registryStorageRunbook } from './registry-storage.js';
import { selftestRunbook } from './selftest.js';
import { installRunbook } from './install.js';
import { rebuildRunbook } from './rebuild.js';

export const catalogue: Readonly<Record<string, RunbookDefinition>> = Object.freeze(
  Object.fromEntries(
    [
      preflightRunbook,
      selftestRunbook,
      installRunbook,
      infraNodesRunbook,
      cephCsiRunbook,
      registryStorageRunbook,
      egressRouterRunbook,
      rebuildRunbook,
    ].map((definition) => [definition.name, definition]),
  ),
);

/** The definition of a runbook, or undefined when the name is unknown. */
export function findRunbook(name: string): RunbookDefinition | undefined {
  return Object.hasOwn(catalogue, name) ? catalogue[name] : undefined;
}
