/**
 * `runbook plan` against the simulated lab. On a bare lab the install plan lists every helper-host file
 * with its diff, every node's power-on and the cluster steps as unknown; after a real install run (a
 * real worker on a real Temporal dev server) it finds every step it can check unchanged, and one
 * node's new address shows as exactly that node's zone, DHCP, PXE and HAProxy diffs. On the installed
 * lab, infra-nodes lists the nodes it would relabel, in order. Every plan is proved read-only by the
 * simulator's counters: no mutating API request, no file changed on any host or in the install
 * folder, no node switched.
 */
import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { createActivities } from '../../activities/index.js';
import { formatPlanSummary, formatPlannedStep } from '../../cli/commands/plan.js';
import { planCoverage } from '../../activities/plan-registry.js';
import { planRunbook, type RunbookPlanReport } from '../../activities/support/plan-walk.js';
import type { Lab } from '../../lab/schema.js';
import { renderAll } from '../../render/index.js';
import { infraNodesRunbook } from '../../runbooks/infra-nodes.js';
import { installRunbook } from '../../runbooks/install.js';
import type { SimulatedLab } from '../../simulator/lab-sim.js';
import { waitForProgress } from '../../testing/engine-harness.js';
import type { RunbookInput } from '../../workflows/engine/api.js';
import { startRunbookTestLab, type RunbookTestLab } from '../support/runbook-test-lab.js';
import { fileStamps, hostFileStamps } from '../support/file-stamps.js';
import type { TestTemporal } from '../support/temporal.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TASK_QUEUE = 'plan-install';

let temporal: TestTemporal;
let dir: string;
let lab: Lab;
let sim: SimulatedLab;
let testLab: RunbookTestLab | undefined;

beforeAll(async () => {
  testLab = await startRunbookTestLab({ prefix: 'runbook-plan-', taskQueue: TASK_QUEUE });
  ({ temporal, dir, lab, sim } = testLab);
}, 180_000);

afterAll(async () => {
  await testLab?.stop();
});

/**
 * Everything a run could change: API writes, every file of the hosts (the daemons' own logs aside) and the
 * install folder, node power.
 */
async function labState(): Promise<{ apiWrites: number; files: Record<string, string>; power: string[] }> {
  const files: Record<string, string> = {};
  const where = { relativeTo: dir, missingIsEmpty: true };
  Object.assign(files, await hostFileStamps(path.join(dir, 'sim', 'hosts'), where));
  Object.assign(files, await fileStamps(path.join(dir, 'sim', 'install'), where));
  const power = lab.nodes.map((node) => `${node.name}:${sim.hosts.power.state(node.name)}`);
  return { apiWrites: sim.apiWrites(), files, power };
}

/** Plans `definition` for `planned` against the simulated lab and proves the plan wrote nothing. */
async function readOnlyPlan(definition = installRunbook, planned: Lab = lab): Promise<RunbookPlanReport> {
  const before = await labState();
  const plan = await planRunbook({
    definition,
    lab: planned,
    rehearsal: { endpointsFile: sim.endpointsPath, kubeconfig: sim.kubeconfigPath },
  });
  expect(await labState()).toEqual(before);
  return plan;
}

const step = (plan: RunbookPlanReport, path: string) => {
  const found = plan.steps.find((candidate) => candidate.path === path);
  if (!found) throw new Error(`the plan has no step ${path}: ${plan.steps.map((s) => s.path).join(', ')}`);
  return found;
};

const withStatus = (plan: RunbookPlanReport, status: string) =>
  plan.steps.filter((candidate) => candidate.status === status).map((candidate) => candidate.path);

test('every step activity either has a plan half or says why it has none', () => {
  const { planned, withoutPlan } = planCoverage();
  const registered = Object.keys(createActivities()).sort();
  expect([...planned, ...Object.keys(withoutPlan)].sort()).toEqual(registered);
  expect(planned.filter((name) => Object.hasOwn(withoutPlan, name))).toEqual([]);
});

describe('install', () => {
  test('on a bare lab: every host file and power-on is a change, the cluster steps are unknown, nothing is written', async () => {
    const plan = await readOnlyPlan();

    const targets = new Map(plan.steps.flatMap((s) => (s.changes ?? []).map((change) => [change.target, change])));
    const hostFiles = renderAll(lab).filter((file) => file.host !== undefined && file.target !== undefined);
    expect(hostFiles.length).toBeGreaterThan(10);
    for (const file of hostFiles) {
      const change = targets.get(`${file.host}:${file.target}`);
      expect({ file: file.path, action: change?.action }).toEqual({ file: file.path, action: 'create' });
      expect(change?.diff).toContain(`+++ b${file.target}`);
    }

    const poweredOn = plan.steps
      .filter((s) => s.path.endsWith('.power-on') && s.status === 'change')
      .map((s) => s.changes?.[0]?.action === 'power-on' && s.path.match(/\[(.+)\]/)![1]);
    expect(poweredOn.sort()).toEqual(lab.nodes.map((node) => node.name).sort());
    // The bootstrap node is off now, but the run switches it on first.
    expect(step(plan, 'bootstrap.power-off[bootstrap].power-off')).toMatchObject({
      status: 'unknown',
      after: 'bootstrap.power-on[bootstrap].power-on',
    });

    for (const path of ['registry.emptydir', 'ldap.configure', 'openshift-install.publish']) {
      expect(step(plan, path)).toMatchObject({ status: 'unknown', after: expect.any(String) });
    }
    expect(step(plan, 'openshift-install.config').changes?.[0]?.diff).toMatch(/pullSecret: \(secret file:/);
    expect(step(plan, 'bootstrap.complete')).toMatchObject({ status: 'wait', detail: expect.stringContaining('3h') });
  }, 120_000);

  test('after an install: unchanged wherever it can check; a node’s new address is exactly its zone, DHCP and HAProxy diffs', async () => {
    const handle = await temporal.client.workflow.start('install', {
      taskQueue: TASK_QUEUE,
      workflowId: 'install/intra/plan',
      args: [
        {
          lab,
          rehearsal: { endpointsFile: sim.endpointsPath, kubeconfig: sim.kubeconfigPath },
        } satisfies RunbookInput,
      ],
    });
    const progress = await waitForProgress(handle, (p) => p.state !== 'running', 'the install run', 600_000);
    expect({ state: progress.state, error: progress.error?.message }).toEqual({ state: 'completed', error: undefined });

    const plan = await readOnlyPlan();
    expect(withStatus(plan, 'change')).toEqual([]);
    expect(withStatus(plan, 'unknown')).toEqual([]);
    expect(plan.counts.unchanged).toBeGreaterThan(40);

    const infra1 = lab.nodes.find((node) => node.name === 'infra1')!;
    const moved: Lab = {
      ...lab,
      nodes: lab.nodes.map((node) => (node.name === 'infra1' ? { ...node, ip: '10.42.253.19' } : node)),
    };
    const movedPlan = await readOnlyPlan(installRunbook, moved);
    expect(withStatus(movedPlan, 'unknown')).toEqual([]);
    // The files whose rendering mentions the address: the zones, dhcpd.conf and the HAProxy backends.
    // (The example's PXE configs boot with ip=dhcp: they name no address, so pxe.publish stays unchanged.)
    const rendered = (of: Lab) =>
      new Map(renderAll(of).flatMap((file) => (file.host ? [[`${file.host}:${file.target}`, file.content]] : [])));
    const [was, now] = [rendered(lab), rendered(moved)];
    const differing = [...now.keys()].filter((target) => now.get(target) !== was.get(target));
    expect(withStatus(movedPlan, 'change')).toEqual(['dns.publish', 'dhcp.publish', 'haproxy.without-bootstrap']);
    const fileChanges = movedPlan.steps.flatMap((s) => (s.changes ?? []).filter((c) => c.action !== 'reload'));
    expect(fileChanges.map((change) => change.target).sort()).toEqual(differing.sort());
    expect(step(movedPlan, 'pxe.publish').status).toBe('unchanged');
    for (const change of fileChanges) {
      const lines = change.diff!.split('\n').filter((line) => /^[-+](?![-+]{2} )/.test(line));
      // Each changed line is about infra1 (its address, its reverse name, its name) or a zone's serial.
      const aboutInfra1 = lines.filter(
        (line) =>
          !/(10\.42\.253\.(13|19)|^[-+]\s*(13|19)\s|infra1|serial)/i.test(line) && !/^[-+]\s*\d{10}\s*;/.test(line),
      );
      expect({ target: change.target, others: aboutInfra1 }).toEqual({ target: change.target, others: [] });
      expect(change.diff).toMatch(/10\.42\.253\.19|^\+19\s/m);
    }
    expect(fileChanges.map((change) => change.diff).join('\n')).toContain(infra1.mac);
    // PLAN_EXAMPLE_OUT=<file> keeps the plan as the terminal shows it (the README's example).
    if (process.env.PLAN_EXAMPLE_OUT) {
      const text = movedPlan.steps.map(formatPlannedStep).join('\n');
      await writeFile(process.env.PLAN_EXAMPLE_OUT, `${text}\n${formatPlanSummary(movedPlan)}\n`);
    }
  }, 900_000);

  test('infra-nodes on the installed lab lists the nodes it would relabel, in order', async () => {
    const plan = await readOnlyPlan(infraNodesRunbook);
    const relabelled = plan.steps
      .filter((s) => s.path.endsWith('.relabel') && s.status === 'change')
      .map((s) => s.changes?.map((change) => `${change.target}: ${change.diff}`).join());
    expect(relabelled).toEqual(
      ['infra1', 'infra2', 'infra3'].map((name) =>
        expect.stringMatching(new RegExp(`^Node ${name}\\b.*node-role.kubernetes.io/infra: \\(none\\) → ""`, 's')),
      ),
    );
    expect(step(plan, 'nodes.check').status).toBe('unchanged');
    expect(step(plan, 'pool.apply').status).toBe('change');
    expect(step(plan, 'nodes[infra2].previous-back')).toMatchObject({
      status: 'unknown',
      after: 'nodes[infra1].updated',
    });
  }, 120_000);
});

test('runbook rehearse --plan --json: the same structure from the command line, on a fresh simulated lab', async () => {
  const result = await execa(
    'node',
    [
      path.join(repo, 'bin/runbook.js'),
      'rehearse',
      'infra-nodes',
      '--lab',
      path.join(repo, 'runbooks/labs/example.yaml'),
      '--plan',
      '--json',
      '--time-scale',
      '0',
      '--state-dir',
      path.join(dir, 'cli-rehearsal'),
    ],
    { cwd: repo, env: { NO_COLOR: '1', XDG_STATE_HOME: path.join(dir, 'cli-state') }, reject: false },
  );
  expect({ code: result.exitCode, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  const plan = JSON.parse(result.stdout) as RunbookPlanReport;
  expect(plan).toMatchObject({ runbook: 'infra-nodes', lab: 'intra', against: 'simulated' });
  expect(withStatus(plan, 'change').filter((p) => p.endsWith('.relabel'))).toEqual([
    'nodes[infra1].relabel',
    'nodes[infra2].relabel',
    'nodes[infra3].relabel',
  ]);
}, 120_000);
