/**
 * Where a node's BMC is: the lab's address for real runs; in a rehearsal, the simulated BMC on
 * loopback that the simulator publishes in `endpoints.json` (`bmcs`). Only the address changes:
 * credentials always come from the lab, and a rehearsal runs the same ipmitool as a real run.
 */
import { z } from 'zod';
import type { Node, SecretRef } from '../lab/schema.js';
import { readEndpointsFile } from './targets.js';

/** One simulated BMC as the simulator publishes it. */
export const bmcEndpointSchema = z.discriminatedUnion('protocol', [
  z.strictObject({
    protocol: z.literal('ipmi'),
    /** Lab node name. */
    node: z.string().min(1),
    /** Loopback address and port to give ipmitool (`-H`, `-p`). */
    address: z.string().min(1),
    port: z.number().int().min(1).max(65535),
  }),
  z.strictObject({
    protocol: z.literal('redfish'),
    node: z.string().min(1),
    /** Base URL of the Redfish service (`https://127.0.0.1:<port>`). */
    url: z.url(),
    /** PEM of the CA that signed the service's certificate. */
    caCert: z.string().min(1),
  }),
]);
export type BmcEndpoint = z.infer<typeof bmcEndpointSchema>;

export const bmcEndpointsSchema = z.object({
  bmcs: z.array(bmcEndpointSchema).default([]),
  /**
   * Local programs a rehearsal runs instead of the worker's own (RUNBOOK_IPMITOOL or ipmitool on
   * PATH); the simulator names none for ipmitool, its BMCs answer the real one.
   */
  tools: z.object({ ipmitool: z.string().min(1).optional() }).default({}),
});
export type BmcEndpoints = z.infer<typeof bmcEndpointsSchema>;

/** The BMC part of the simulator's `endpoints.json`. */
export function readBmcEndpoints(file: string): Promise<BmcEndpoints> {
  return readEndpointsFile(file, bmcEndpointsSchema);
}

export interface IpmiTarget {
  /** Lab node name, for messages. */
  label: string;
  /** The ipmitool program to run. */
  binary: string;
  host: string;
  /** RMCP+ port; absent means ipmitool's default (623). */
  port?: number;
  username: string;
  password: SecretRef;
  /** A rehearsal target: only loopback is allowed (see ./guard.ts). */
  rehearsal: boolean;
}

export interface RedfishTarget {
  label: string;
  /** `https://host[:port]`, without a path. */
  baseUrl: string;
  systemId: string;
  username: string;
  password: SecretRef;
  /** CA to verify the service with: a PEM (rehearsal) or a reference from the lab; absent: the system CAs. */
  ca?: { pem: string } | { ref: SecretRef };
  /** Skip certificate verification (the lab's explicit `insecure: true`). */
  insecure: boolean;
  rehearsal: boolean;
}

/** The default ipmitool: `RUNBOOK_IPMITOOL` or `ipmitool` on the worker's PATH. */
export function defaultIpmitool(): string {
  return process.env.RUNBOOK_IPMITOOL || 'ipmitool';
}

function simulated<P extends BmcEndpoint['protocol']>(
  node: Node,
  protocol: P,
  endpoints: BmcEndpoints,
): Extract<BmcEndpoint, { protocol: P }> {
  const found = endpoints.bmcs.find((bmc) => bmc.node === node.name && bmc.protocol === protocol);
  if (!found) {
    throw new Error(
      `the simulated lab publishes no ${protocol} BMC for node "${node.name}": restart it with \`runbook sim start\` for this lab`,
    );
  }
  return found as Extract<BmcEndpoint, { protocol: P }>;
}

export function ipmiTargetFor(node: Node, options: { binary?: string; rehearsal?: BmcEndpoints } = {}): IpmiTarget {
  const power = node.power;
  if (power.type !== 'ipmi') throw new Error(`node "${node.name}" has ${power.type} power, not ipmi`);
  const base = { label: node.name, username: power.username, password: power.password };
  if (options.rehearsal) {
    const bmc = simulated(node, 'ipmi', options.rehearsal);
    const binary = options.rehearsal.tools.ipmitool ?? options.binary ?? defaultIpmitool();
    return { ...base, binary, host: bmc.address, port: bmc.port, rehearsal: true };
  }
  return { ...base, binary: options.binary ?? defaultIpmitool(), host: power.address, rehearsal: false };
}

export function redfishTargetFor(node: Node, options: { rehearsal?: BmcEndpoints } = {}): RedfishTarget {
  const power = node.power;
  if (power.type !== 'redfish') throw new Error(`node "${node.name}" has ${power.type} power, not redfish`);
  const base = { label: node.name, systemId: power.systemId, username: power.username, password: power.password };
  if (options.rehearsal) {
    const bmc = simulated(node, 'redfish', options.rehearsal);
    // The simulated service's own CA: a rehearsal verifies it even when the lab says insecure.
    return { ...base, baseUrl: bmc.url.replace(/\/+$/, ''), ca: { pem: bmc.caCert }, insecure: false, rehearsal: true };
  }
  const address = power.address.replace(/^https:\/\//, '').replace(/\/+$/, '');
  return {
    ...base,
    baseUrl: `https://${address}`,
    ...(power.ca !== undefined && { ca: { ref: power.ca } }),
    insecure: power.insecure,
    rehearsal: false,
  };
}
