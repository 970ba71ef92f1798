/**
 * The lab's BMCs, simulated on loopback for rehearsals: Redfish services over HTTPS (./redfish.ts),
 * IPMI BMCs reached by the stand-in ipmitool (./ipmi.ts, ./ipmitool-cli.ts), and the boot device each
 * one holds (./boot-overrides.ts), all acting on the hosts' PowerBoard.
 *
 * Admin endpoint `/simulator/bmc` (on the API server, behind its token):
 * - `GET /simulator/bmc`: the BMCs, every node's power and boot override, the device of its last boot.
 * - `POST /simulator/bmc/ipmi`: one ipmitool session (what the stand-in sends).
 * - `POST /simulator/bmc/power-button` `{ "node": "compute3", "state": "on" }`: the operator at the
 *   machine, for nodes with manual power.
 *
 * `runbook sim start` writes `<state dir>/bin/ipmitool`, the stand-in wired to this lab; the BMCs and
 * the wrapper are listed in endpoints.json (`bmcs`, `tools.ipmitool`) for the power drivers.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Lab } from '../../lab/schema.js';
import { readBody } from '../apiserver/http-util.js';
import type { BmcEndpoint } from '../../transport/bmc-targets.js';
import { quoteArg } from '../../transport/shell.js';
import type { SimLogger } from '../context.js';
import type { PowerBoard } from '../hosts/power-board.js';
import { BootOverrides } from './boot-overrides.js';
import { ipmiSessionRequestSchema, runIpmiSession, startIpmiBmcs } from './ipmi.js';
import { IPMI_ROUTE } from './ipmi-wire.js';
import { startRedfishBmcs } from './redfish.js';

export { BootOverrides, type BootDevice, type NodeBoot } from './boot-overrides.js';
export { IPMI_ROUTE } from './ipmi-wire.js';

export const BMC_ROUTE = '/simulator/bmc';
export const POWER_BUTTON_ROUTE = `${BMC_ROUTE}/power-button`;

const LAUNCHER = fileURLToPath(new URL('./ipmitool.mjs', import.meta.url));

export interface SimulatedBmcsOptions {
  lab: Lab;
  stateDir: string;
  power: PowerBoard;
  /** The lab's kubeconfig: the stand-in ipmitool finds the admin endpoint with it. */
  kubeconfigPath: string;
  log?: SimLogger;
}

export interface SimulatedBmcs {
  endpoints: BmcEndpoint[];
  /** The stand-in ipmitool wired to this lab. */
  ipmitool: string;
  boot: BootOverrides;
  /** Mount on the API server at BMC_ROUTE. */
  adminHandler: (request: IncomingMessage, response: ServerResponse) => Promise<void>;
  stop(): Promise<void>;
}

const powerButtonSchema = z.strictObject({ node: z.string().min(1), state: z.enum(['on', 'off']) });

export async function startSimulatedBmcs(options: SimulatedBmcsOptions): Promise<SimulatedBmcs> {
  const { lab, power, log } = options;
  const boot = new BootOverrides(power);
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    boot.stop();
    await Promise.all(stops.map((stopOne) => stopOne()));
  };
  let ipmi: Awaited<ReturnType<typeof startIpmiBmcs>>;
  let redfish: Awaited<ReturnType<typeof startRedfishBmcs>>;
  const ipmitool = path.join(options.stateDir, 'bin', 'ipmitool');
  try {
    ipmi = await startIpmiBmcs(lab);
    stops.push(ipmi.stop);
    redfish = await startRedfishBmcs({ lab, power, boot, ...(log && { log }) });
    stops.push(redfish.stop);
    await mkdir(path.dirname(ipmitool), { recursive: true });
    await writeFile(
      ipmitool,
      [
        '#!/bin/sh',
        `# ipmitool of the simulated lab ${lab.name}: the stand-in in simulator/bmc, wired to this lab's admin endpoint.`,
        `export RUNBOOK_SIM_KUBECONFIG=${quoteArg(options.kubeconfigPath)}`,
        `exec ${quoteArg(process.execPath)} ${quoteArg(LAUNCHER)} "$@"`,
        '',
      ].join('\n'),
    );
    await chmod(ipmitool, 0o755);
  } catch (error) {
    await stop();
    throw error;
  }
  const endpoints: BmcEndpoint[] = [
    ...ipmi.bmcs.map((bmc) => ({ protocol: 'ipmi' as const, ...bmc })),
    ...redfish.bmcs.map((bmc) => ({ protocol: 'redfish' as const, ...bmc, caCert: redfish.caCert })),
  ];

  const ipmiContext = { lab, bmcs: ipmi.bmcs, power, boot, ...(log && { log }) };
  const adminHandler = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const reply = (code: number, body: unknown) => {
      response.writeHead(code, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const route = new URL(request.url ?? '/', 'https://127.0.0.1').pathname.replace(/\/+$/, '');
    if (route === BMC_ROUTE && request.method === 'GET') {
      return reply(200, { bmcs: endpoints, power: power.list(), boot: boot.list() });
    }
    if ((route === IPMI_ROUTE || route === POWER_BUTTON_ROUTE) && request.method === 'POST') {
      let body: unknown;
      try {
        body = JSON.parse((await readBody(request)).toString('utf8'));
      } catch {
        return reply(400, { message: 'the body must be JSON' });
      }
      if (route === IPMI_ROUTE) {
        const parsed = ipmiSessionRequestSchema.safeParse(body);
        if (!parsed.success)
          return reply(422, { message: `not an IPMI session request: ${z.prettifyError(parsed.error)}` });
        return reply(200, await runIpmiSession(parsed.data, ipmiContext));
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
    return reply(route === BMC_ROUTE || route === IPMI_ROUTE || route === POWER_BUTTON_ROUTE ? 405 : 404, {
      message: `use GET ${BMC_ROUTE}, POST ${IPMI_ROUTE} or POST ${POWER_BUTTON_ROUTE}`,
    });
  };

  return {
    endpoints,
    ipmitool,
    boot,
    adminHandler,
    stop,
  };
}
