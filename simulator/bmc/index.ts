/**
 * The lab's BMCs, simulated on loopback for rehearsals: Redfish services over HTTPS (./redfish.ts),
 * IPMI BMCs speaking real RMCP+ over UDP to the real ipmitool (./ipmi.ts, python3-pyghmi's BMC
 * server), and the boot device each one holds (./boot-overrides.ts), all acting on the hosts'
 * PowerBoard.
 *
 * Admin endpoint `/simulator/bmc` (on the API server, behind its token):
 * - `GET /simulator/bmc`: the BMCs, every node's power and boot override, the device of its last boot.
 * - `POST /simulator/bmc/power-button` `{ "node": "compute3", "state": "on" }`: the operator at the
 *   machine, for nodes with manual power.
 *
 * The BMCs are listed in endpoints.json (`bmcs`) for the power drivers: a rehearsal runs the
 * worker's own ipmitool against them, as a real run does against the lab's BMCs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Lab } from '../../lab/schema.js';
import { readBody } from '../apiserver/http-util.js';
import type { BmcEndpoint } from '../../transport/bmc-targets.js';
import type { SimLogger } from '../context.js';
import type { Faults } from '../faults.js';
import type { PowerBoard } from '../hosts/power-board.js';
import { BootOverrides } from './boot-overrides.js';
import { startIpmiBmcs, type IpmiBmcs } from './ipmi.js';
import { startRedfishBmcs } from './redfish.js';

export { BootOverrides, type BootDevice, type NodeBoot } from './boot-overrides.js';

export const BMC_ROUTE = '/simulator/bmc';
export const POWER_BUTTON_ROUTE = `${BMC_ROUTE}/power-button`;

export interface SimulatedBmcsOptions {
  lab: Lab;
  power: PowerBoard;
  faults?: Faults;
  log?: SimLogger;
}

export interface SimulatedBmcs {
  endpoints: BmcEndpoint[];
  boot: BootOverrides;
  /** The IPMI BMC server's process id (undefined: the lab has no IPMI node). */
  ipmiPid?: number;
  /** Mount on the API server at BMC_ROUTE. */
  adminHandler: (request: IncomingMessage, response: ServerResponse) => Promise<void>;
  stop(): Promise<void>;
}

const powerButtonSchema = z.strictObject({ node: z.string().min(1), state: z.enum(['on', 'off']) });

export async function startSimulatedBmcs(options: SimulatedBmcsOptions): Promise<SimulatedBmcs> {
  const { lab, power, faults, log } = options;
  const boot = new BootOverrides(power);
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    boot.stop();
    await Promise.all(stops.map((stopOne) => stopOne()));
  };
  let ipmi: IpmiBmcs;
  let redfish: Awaited<ReturnType<typeof startRedfishBmcs>>;
  try {
    ipmi = await startIpmiBmcs({ lab, power, boot, ...(faults && { faults }), ...(log && { log }) });
    stops.push(ipmi.stop);
    redfish = await startRedfishBmcs({ lab, power, boot, ...(log && { log }) });
    stops.push(redfish.stop);
  } catch (error) {
    await stop();
    throw error;
  }
  const endpoints: BmcEndpoint[] = [
    ...ipmi.bmcs.map((bmc) => ({ protocol: 'ipmi' as const, ...bmc })),
    ...redfish.bmcs.map((bmc) => ({ protocol: 'redfish' as const, ...bmc, caCert: redfish.caCert })),
  ];

  const adminHandler = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const reply = (code: number, body: unknown) => {
      response.writeHead(code, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const route = new URL(request.url ?? '/', 'https://127.0.0.1').pathname.replace(/\/+$/, '');
    if (route === BMC_ROUTE && request.method === 'GET') {
      return reply(200, { bmcs: endpoints, power: power.list(), boot: boot.list() });
    }
    if (route === POWER_BUTTON_ROUTE && request.method === 'POST') {
      let body: unknown;
      try {
        body = JSON.parse((await readBody(request)).toString('utf8'));
      } catch {
        return reply(400, { message: 'the body must be JSON' });
      }
      const parsed = powerButtonSchema.safeParse(body);
      if (!parsed.success) {
        return reply(422, { message: 'the body must be {"node": "<lab node>", "state": "on" | "off"}' });
      }
      if (!lab.nodes.some((node) => node.name === parsed.data.node)) {
        return reply(404, { message: `no node named "${parsed.data.node}" in lab ${lab.name}` });
      }
      power.set(parsed.data.node, parsed.data.state);
      log?.info(`power button: ${parsed.data.node} ${parsed.data.state}`);
      return reply(200, { node: parsed.data.node, power: power.state(parsed.data.node) });
    }
    response.setHeader('Allow', route === BMC_ROUTE ? 'GET' : 'POST');
    return reply(route === BMC_ROUTE || route === POWER_BUTTON_ROUTE ? 405 : 404, {
      message: `use GET ${BMC_ROUTE} or POST ${POWER_BUTTON_ROUTE}`,
    });
  };

  return { endpoints, boot, ...(ipmi.pid !== undefined && { ipmiPid: ipmi.pid }), adminHandler, stop };
}
