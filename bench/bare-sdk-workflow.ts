/**
 * The bench's reference for the engine's per-step cost: a plain Temporal SDK workflow that runs `steps`
 * no-op activities one after another (proxyActivities, no engine). Bundled on its own by
 * bench/bare-sdk-worker.ts; nothing in the product imports it.
 */
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from './bare-sdk-activities.js';

const { bareNoop } = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });

export async function bareSdkNoop(steps: number): Promise<number> {
  for (let step = 0; step < steps; step += 1) await bareNoop();
  return steps;
}
