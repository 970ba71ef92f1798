/**
 * A simulated lab of the example lab file with one node per power type (compute3 manual, compute4
 * IPMI, compute5 Redfish, the rest libvirt), its BMC passwords in the environment, and the power
 * step activities as the worker registers them, run in a rehearsal context against it.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../../activities/index.js';
import { loadLab } from '../../../lab/load.js';
import type { Lab } from '../../../lab/schema.js';
import { adminRequest } from '../../../simulator/admin-client.js';
import { BMC_ROUTE, type NodeBoot } from '../../../simulator/bmc/index.js';
import { startSimulatedLab, type EndpointsFile, type SimulatedLab } from '../../../simulator/lab-sim.js';
import type { JsonValue, StepContext, StepResult } from '../../../contract/step.js';

export const EXAMPLE_LAB = new URL('../../../runbooks/labs/example.yaml', import.meta.url).pathname;

/** Passwords the simulated BMCs expect (by the lab's env: references). */
export const IPMI_PASSWORD = 'ipmi-Canary-7f3a';
export const REDFISH_PASSWORD = 'redfish-Canary-91bc';
export const WRONG_PASSWORD = 'wrong-Canary-0d2e';

process.env.RUNBOOK_TEST_IPMI_PASSWORD = IPMI_PASSWORD;
process.env.RUNBOOK_TEST_REDFISH_PASSWORD = REDFISH_PASSWORD;
process.env.RUNBOOK_TEST_WRONG_PASSWORD = WRONG_PASSWORD;

/** The example lab with compute3 manual, compute4 behind IPMI and compute5 behind Redfish. */
export async function mixedPowerLab(): Promise<Lab> {
  const lab = structuredClone(await loadLab(EXAMPLE_LAB));
  const node = (name: string) => lab.nodes.find((candidate) => candidate.name === name)!;
  node('compute3').power = { type: 'manual' };
  node('compute4').power = {
    type: 'ipmi',
    address: '10.42.44.204',
    username: 'admin',
    password: 'env:RUNBOOK_TEST_IPMI_PASSWORD',
  };
  node('compute5').power = {
    type: 'redfish',
    address: '10.42.44.205',
    systemId: 'System.Embedded.1',
    username: 'root',
    password: 'env:RUNBOOK_TEST_REDFISH_PASSWORD',
    insecure: false,
  };
  return lab;
}

/** The same lab with one node's BMC password reference pointing at a wrong password. */
export function withWrongPassword(lab: Lab, nodeName: string): Lab {
  const copy = structuredClone(lab);
  const power = copy.nodes.find((node) => node.name === nodeName)!.power;
  if (power.type !== 'ipmi' && power.type !== 'redfish') throw new Error(`${nodeName} has no BMC`);
  power.password = 'env:RUNBOOK_TEST_WRONG_PASSWORD';
  return copy;
}

export interface PowerLab {
  lab: Lab;
  sim: SimulatedLab;
  scratch: string;
  logs: string[];
  activities: ReturnType<typeof createActivities>;
  /** Runs a registered step activity for `node` in a rehearsal against the simulated lab. */
  run(
    activity: keyof ReturnType<typeof createActivities>,
    node: string,
    options?: { params?: Record<string, JsonValue>; lab?: Lab; endpointsFile?: string },
  ): Promise<StepResult>;
  /** The failure a step activity ends with (an ApplicationFailure, as the worker reports it). */
  failure(
    activity: keyof ReturnType<typeof createActivities>,
    node: string,
    options?: { params?: Record<string, JsonValue>; lab?: Lab; endpointsFile?: string },
  ): Promise<ApplicationFailure>;
  /** Power and boot devices as the simulated BMCs report them. */
  boards(): Promise<{ power: Record<string, string>; boot: Record<string, NodeBoot> }>;
  /** A copy of endpoints.json changed by `edit`, for rehearsals aimed elsewhere. */
  endpointsWith(name: string, edit: (endpoints: EndpointsFile) => void): Promise<string>;
  stop(): Promise<void>;
}

export async function startPowerLab(): Promise<PowerLab> {
  const lab = await mixedPowerLab();
  const scratch = await mkdtemp(path.join(tmpdir(), 'runbook-power-'));
  const logs: string[] = [];
  const sim = await startSimulatedLab({
    lab,
    stateDir: path.join(scratch, 'sim'),
    from: 'bare',
    timeScale: 0,
    log: { info: (message) => logs.push(message), warn: (message) => logs.push(`warn: ${message}`) },
  });
  const activities = createActivities();
  const context = (
    node: string,
    options: { params?: Record<string, JsonValue>; lab?: Lab; endpointsFile?: string } = {},
  ): StepContext => ({
    runbook: 'power-test',
    stepId: `power[${node}].step`,
    lab: options.lab ?? lab,
    item: node,
    rehearsal: { endpointsFile: options.endpointsFile ?? sim.endpointsPath, kubeconfig: sim.kubeconfigPath },
    ...(options.params && { params: options.params }),
  });
  const run: PowerLab['run'] = (activity, node, options) =>
    new MockActivityEnvironment().run(activities[activity], context(node, options));
  return {
    lab,
    sim,
    scratch,
    logs,
    activities,
    run,
    async failure(activity, node, options) {
      const error = await run(activity, node, options).then(
        (result) => new Error(`expected ${activity} to fail, it returned ${JSON.stringify(result)}`),
        (failure: unknown) => failure,
      );
      if (!(error instanceof ApplicationFailure)) throw error;
      return error;
    },
    async boards() {
      const reply = await adminRequest({ url: sim.apiUrl, token: sim.token, caCert: sim.caCert }, 'GET', BMC_ROUTE);
      return reply.body as { power: Record<string, string>; boot: Record<string, NodeBoot> };
    },
    async endpointsWith(name, edit) {
      const endpoints = JSON.parse(await readFile(sim.endpointsPath, 'utf8')) as EndpointsFile;
      edit(endpoints);
      const file = path.join(scratch, `endpoints-${name}.json`);
      await writeFile(file, JSON.stringify(endpoints));
      return file;
    },
    async stop() {
      await sim.stop();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}
