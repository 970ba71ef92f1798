/**
 * A real control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler) for a test
 * file: one per file (beforeAll / afterAll), it starts in a few seconds.
 *
 *   let plane: ControlPlane;
 *   beforeAll(async () => { plane = await startTestControlPlane(); });
 *   afterAll(() => plane?.stop());
 *
 * Missing binaries fail the test with what to run; never a skip (CI builds them in install-deps), and never
 * a build from a test (it takes minutes).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { findControlPlaneBinaries } from '../../simulator/control-plane/binaries.js';
import {
  startControlPlane,
  type ControlPlane,
  type ControlPlaneOptions,
} from '../../simulator/control-plane/control-plane.js';

export async function startTestControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const version = options.version ?? 'v1.37.2';
  let binaries;
  try {
    binaries = await findControlPlaneBinaries(version, { install: false });
  } catch (error) {
    const details = (error as { details?: readonly string[] }).details ?? [];
    throw new Error(
      `the tests need the real control plane binaries: ${(error as Error).message}\n${details.join('\n')}\n` +
        'build them once with `npx runbook sim --install` (bash scripts/install-deps.sh does it)',
      { cause: error },
    );
  }
  return startControlPlane({ ...options, version, binaries });
}

/** Polls `read` until `done` holds for its value: the controllers act on their own time (Jest's timeout bounds it). */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    await delay(200);
  }
}
