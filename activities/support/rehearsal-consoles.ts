/**
 * In a rehearsal, what the simulated nodes' consoles show: why a node is stuck (at the PXE prompt, at
 * first boot, after its reboot), read from the simulated lab's admin endpoint (`/simulator/nodes`,
 * loopback only, with the simulated API's CA and token). On hardware the operator looks at the
 * console when a node does not join; a rehearsal's wait can say what that console would show.
 * Outside a rehearsal, or when the endpoint does not answer, there is nothing to say.
 */
import { z } from 'zod';
import type { StepContext } from '../../contract/step.js';
import { simAdminGet } from './sim-admin.js';

/** The admin route of the simulated lab that reports each node's boot state (simulator/lab-sim.ts). */
const NODES_ROUTE = '/simulator/nodes';

const nodesSchema = z.object({ nodes: z.record(z.string(), z.object({ reason: z.string().optional() })) });

/** Node name → what its simulated console says it is stuck on; empty outside a rehearsal. */
export async function simulatedConsoles(context: StepContext): Promise<Record<string, string>> {
  if (!context.rehearsal) return {};
  try {
    const { nodes } = await simAdminGet(context.rehearsal, NODES_ROUTE, nodesSchema);
    return Object.fromEntries(
      Object.entries(nodes).flatMap(([name, node]) => (node.reason ? [[name, node.reason] as const] : [])),
    );
  } catch {
    return {};
  }
}
