/**
 * The install runbook on a lab whose nodes are powered four ways: libvirt (the rest of the example
 * lab), IPMI (the bootstrap node and compute4, the real ipmitool against the simulated RMCP+ BMCs),
 * Redfish (master2 and compute5, HTTPS to the simulated BMCs) and by hand (master3 and compute3). A real worker
 * pair (the run's queue and the lab's own) on a real dev server runs it from a bare simulated lab. The
 * run stops at each manual node's gate; the test does what the step's instruction tells an operator,
 * with the `runbook` CLI: press the node's power button (in a rehearsal, `runbook sim power`), then
 * `runbook approve`. The run completes, every inventory node is Ready, the BMC nodes booted from the
 * network and the bootstrap node is off again (switched off over IPMI).
 *
 * The IPMI nodes' BMCs speak real RMCP+ and the driver runs the real ipmitool. The run starts with the
 * bootstrap BMC's password reference pointing at a wrong password: it pauses at that node's power-on
 * with ipmitool's own refusal, and is resumed with the corrected lab, as an operator would.
 */
import 'reflect-metadata';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { nodeFqdn, type Lab } from '../../lab/schema.js';
import { adminRequest } from '../../simulator/admin-client.js';
import { BMC_ROUTE, type NodeBoot } from '../../simulator/bmc/index.js';
import type { SimulatedLab } from '../../simulator/lab-sim.js';
import { runbookCli, waitForProgress } from '../../testing/engine-harness.js';
import {
  resumeUpdate,
  TASK_QUEUE,
  workflowIdFor,
  type RunbookInput,
  type StepProgress,
} from '../../workflows/engine/api.js';
import { mixedPowerLab, WRONG_PASSWORD, withWrongPassword } from '../activities/power/support.js';
import { startRunbookTestLab, type RunbookTestLab } from '../support/runbook-test-lab.js';
import type { TestTemporal } from '../support/temporal.js';

const RUN_TIMEOUT_MS = 10 * 60_000;
/** The manual nodes' gates, in the order the run reaches them. */
const MANUAL_GATES = ['masters.power-on.manual[master3].done', 'nodes.power-on.manual[compute3].done'];

let temporal: TestTemporal;
let lab: Lab;
let sim: SimulatedLab;
let rehearsal: RunbookTestLab;

beforeAll(async () => {
  lab = await powerMixLab();
  rehearsal = await startRunbookTestLab({ lab, prefix: 'runbook-install-power-' });
  ({ temporal, sim } = rehearsal);
}, 180_000);

afterAll(() => rehearsal?.stop());

/**
 * mixedPowerLab (compute3 manual, compute4 IPMI, compute5 Redfish) with the bootstrap node on IPMI,
 * master2 on Redfish and master3 by hand: every power type in both the bootstrap and the node phase.
 */
async function powerMixLab(): Promise<Lab> {
  const mixed = await mixedPowerLab();
  const node = (name: string) => mixed.nodes.find((candidate) => candidate.name === name)!;
  node('bootstrap').power = { ...node('compute4').power, address: '10.42.44.209' } as Lab['nodes'][number]['power'];
  node('master2').power = { ...node('compute5').power, address: '10.42.44.211' } as Lab['nodes'][number]['power'];
  node('master3').power = { type: 'manual' };
  return mixed;
}

/** The sub-step `id` of for-each step `forEach`'s item `item`. */
function subStep(steps: StepProgress[], forEach: string, item: string, id: string): StepProgress | undefined {
  const items = steps.find((step) => step.id === forEach)?.items;
  return items?.find((entry) => entry.item === item)?.steps.find((step) => step.id === id);
}

/** The `runbook …` commands an instruction names between backticks, as argument arrays. */
function commandsIn(text: string): string[][] {
  return [...text.matchAll(/`(runbook [^`]+)`/g)].map((match) => {
    expect(match[1]).not.toMatch(/['"\\]/); // plain words only: split as a shell would
    return match[1]!.split(/\s+/).slice(1);
  });
}

test(
  'libvirt, IPMI, Redfish and manual nodes: the install completes through the manual gates',
  async () => {
    const runbook = runbookCli(temporal.env);
    const workflowId = workflowIdFor('install', lab.name);
    const handle = await temporal.client.workflow.start('install', {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: [
        {
          lab: withWrongPassword(lab, 'bootstrap'),
          rehearsal: { endpointsFile: sim.endpointsPath, kubeconfig: sim.kubeconfigPath },
        } satisfies RunbookInput,
      ],
    });

    // The wrong password: the bootstrap node's power-on pauses with what ipmitool said, not retried.
    const refused = await waitForProgress(handle, (p) => p.state !== 'running', 'the wrong password', RUN_TIMEOUT_MS);
    expect({ state: refused.state, at: refused.currentStep }).toEqual({
      state: 'paused',
      at: 'bootstrap.power-on[bootstrap].power-on',
    });
    expect(refused.error?.message).toMatch(
      /the BMC of bootstrap \(127\.0\.0\.1\) opened no IPMI session for user admin: Error: Unable to establish IPMI v2 \/ RMCP\+ session/,
    );
    expect(refused.error?.message).toContain('env:RUNBOOK_TEST_WRONG_PASSWORD');
    expect(refused.error?.message).not.toContain(WRONG_PASSWORD);
    expect(subStep(refused.steps, 'bootstrap.power-on', 'bootstrap', 'power-on')?.attempts).toBe(1);
    await handle.executeUpdate(resumeUpdate, { args: [{ action: 'retry', lab, reason: 'IPMI password corrected' }] });

    const approvedGates: string[] = [];
    for (;;) {
      const stopped = await waitForProgress(
        handle,
        (p) => p.state !== 'running',
        `the run to stop at ${MANUAL_GATES[approvedGates.length] ?? 'its end'}`,
        RUN_TIMEOUT_MS,
      );
      if (stopped.state !== 'waiting-approval') break;
      expect({ at: stopped.currentStep, error: stopped.error?.message }).toEqual({
        at: MANUAL_GATES[approvedGates.length],
        error: undefined,
      });
      const [, forEach, name] = /^(.+)\[(\w+)\]\.done$/.exec(stopped.currentStep!)!;
      const instruction = subStep(stopped.steps, forEach!, name!, 'instructions')?.message ?? '';
      const node = lab.nodes.find((candidate) => candidate.name === name)!;
      expect(instruction).toContain(`Power on ${name} (MAC ${node.mac})`);
      // Do what it says: the power button first (the rehearsal's), then the approval.
      const commands = commandsIn(instruction);
      const button = commands.find((args) => args[0] === 'sim')!;
      const approve = commands.find((args) => args[0] === 'approve')!;
      expect(button).toEqual(['sim', 'power', name, 'on', '--state-dir', path.dirname(sim.endpointsPath)]);
      expect(approve).toEqual(['approve', workflowId]);
      expect(await runbook(...button)).toMatchObject({ code: 0 });
      expect(await runbook(...approve)).toMatchObject({ code: 0 });
      approvedGates.push(stopped.currentStep!);
    }
    expect(approvedGates).toEqual(MANUAL_GATES);

    const done = await waitForProgress(handle, (p) => p.state !== 'running', 'the install to end', RUN_TIMEOUT_MS);
    expect({ state: done.state, at: done.currentStep, error: done.error?.message }).toEqual({
      state: 'completed',
      at: undefined,
      error: undefined,
    });
    // The BMC nodes were switched by their own drivers.
    expect(subStep(done.steps, 'bootstrap.power-on', 'bootstrap', 'power-on')?.status).toBe('changed');
    expect(subStep(done.steps, 'masters.power-on', 'master2', 'power-on')?.status).toBe('changed');
    for (const node of ['compute4', 'compute5']) {
      expect(subStep(done.steps, 'nodes.power-on', node, 'power-on')?.status).toBe('changed');
    }
    expect(subStep(done.steps, 'bootstrap.power-off', 'bootstrap', 'power-off')?.status).toBe('changed');

    // Every inventory node but the bootstrap one is Ready, as client-node reads it.
    const kubeconfig = new KubeConfig();
    kubeconfig.loadFromFile(sim.kubeconfigPath);
    const ready = new Map(
      (await kubeconfig.makeApiClient(CoreV1Api).listNode()).items.map((node) => [
        node.metadata!.name!,
        node.status?.conditions?.find((condition) => condition.type === 'Ready')?.status,
      ]),
    );
    const expected = lab.nodes.filter((node) => node.role !== 'bootstrap');
    expect(expected.map((node) => [node.name, ready.get(nodeFqdn(lab, node)) ?? ready.get(node.name)])).toEqual(
      expected.map((node) => [node.name, 'True']),
    );
    expect(ready.size).toBe(expected.length);

    // The BMCs saw a network boot (the install's PXE override) and report the nodes on.
    const boards = (await adminRequest({ url: sim.apiUrl, token: sim.token, caCert: sim.caCert }, 'GET', BMC_ROUTE))
      .body as { power: Record<string, string>; boot: Record<string, NodeBoot> };
    const bmcNodes = ['bootstrap', 'master2', 'compute4', 'compute5'];
    expect(bmcNodes.map((node) => boards.power[node])).toEqual(['off', 'on', 'on', 'on']);
    expect(bmcNodes.map((node) => boards.boot[node]?.lastBoot)).toEqual(['pxe', 'pxe', 'pxe', 'pxe']);
  },
  2 * RUN_TIMEOUT_MS,
);
