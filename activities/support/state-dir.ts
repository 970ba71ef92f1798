/**
 * The project's per-user state folder: the dev server's state file, rehearsals' simulated labs, and
 * what a worker keeps across restarts.
 */
import os from 'node:os';
import path from 'node:path';
import envPaths from 'env-paths';

/** `$XDG_STATE_HOME/openshift-runbooks` (~/.local/state/…) on Linux. */
export function defaultStateDir(): string {
  if (process.platform === 'linux') {
    return path.join(process.env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state'), 'openshift-runbooks');
  }
  return envPaths('openshift-runbooks', { suffix: '' }).data;
}
