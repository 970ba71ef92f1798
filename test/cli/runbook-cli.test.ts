/**
 * The `runbook` CLI end to end: spawned as `node bin/runbook.js …` against a real dev server, with a
 * product worker in-process (the product `selftest` runbook; its host step fails for a lab marked
 * BROKEN, which is how a run pauses here).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApplicationFailure } from '@temporalio/common';
import { execa } from 'execa';
import { createActivities } from '../../activities/index.js';
import { selftestDeclarations, type StepContext } from '../../activities/engine/index.js';
import { ExitCode } from '../../cli/errors.js';
import { progressQuery, type RunbookProgress } from '../../workflows/engine/api.js';
import { startRunbookWorkers, type RunningRunbookWorkers } from '../../testing/runbook-workers.js';
import { startTestTemporal, type TestTemporal } from '../support/temporal.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const exampleLab = path.join(repo, 'runbooks/labs/example.yaml');

let temporal: TestTemporal;
let workers: RunningRunbookWorkers | undefined;
let dir: string;
let brokenLab: string;

/** Runs the CLI against the test server; never throws on a non-zero exit. */
async function runbook(...args: string[]) {
  const result = await execa('node', [path.join(repo, 'bin/runbook.js'), ...args], {
    cwd: repo,
    env: { ...temporal.env, NO_COLOR: '1', TEMPORAL_UI_URL: 'http://ui.test' },
    reject: false,
  });
  return { code: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

/** Waits (on the condition, polling the server) until `check` returns a value. */
async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function progressOf(workflowId: string): Promise<RunbookProgress> {
  return temporal.client.workflow.getHandle(workflowId).query(progressQuery);
}

beforeAll(async () => {
  temporal = await startTestTemporal();
  dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-cli-'));
  // The worker's state folder (selftest markers), also for the CLI processes.
  process.env.XDG_STATE_HOME = path.join(dir, 'state');
  // The example lab marked BROKEN, its secret references made absolute (the copy lives elsewhere).
  const secrets = path.join(repo, 'runbooks/labs/example-secrets/');
  brokenLab = path.join(dir, 'broken.yaml');
  await writeFile(
    brokenLab,
    (await readFile(exampleLab, 'utf8'))
      .replace(/^description: .*$/m, 'description: BROKEN copy of the example lab')
      .replaceAll('file:example-secrets/', `file:${secrets}`),
  );
  workers = await startRunbookWorkers({
    connection: temporal.connection,
    namespace: temporal.namespace,
    labs: [],
    activities: createActivities({
      replace: {
        async selftestHost(context: StepContext) {
          if (context.item === 'pxe' && context.lab.description?.includes('BROKEN')) {
            throw ApplicationFailure.nonRetryable('host pxe does not answer', 'HostUnreachable');
          }
          return selftestDeclarations.find((declaration) => declaration.name === 'selftestHost')!.run(context);
        },
      },
    }),
  });
});

afterAll(async () => {
  await workers?.stop();
  await temporal?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('runbook CLI', () => {
  it('lists the runbooks with their steps, for-each sub-steps indented', async () => {
    const text = await runbook('list-runbooks');
    expect(text.code).toBe(ExitCode.OK);
    expect(text.stdout).toMatch(/^selftest {2}Engine self-test$/m);
    expect(text.stdout).toMatch(/^ {2}engine\.converge\s+Converge an in-memory marker$/m);
    expect(text.stdout).toMatch(
      /^ {2}hosts\.visit\s+Visit each helper host\s+for each item:\n {4}describe\s+Describe the host$/m,
    );
    expect(text.stdout).toMatch(
      /^ {2}operator\.approve\s+Operator approval\s+waits for an approval, only when its option is set$/m,
    );
    expect(text.stdout).toMatch(/^preflight {2}/m);

    const json = JSON.parse((await runbook('list-runbooks', 'selftest', '--json')).stdout);
    expect(json).toHaveLength(1);
    expect(json[0].steps.find((step: { id: string }) => step.id === 'hosts.visit')).toMatchObject({
      kind: 'for-each',
      steps: [{ id: 'describe', title: 'Describe the host' }],
    });
    expect((await runbook('list-runbooks', 'no-such-runbook')).code).toBe(ExitCode.NOT_FOUND);
  });

  it('refuses a bad lab file with the field named, and starts nothing', async () => {
    const bad = path.join(dir, 'bad.yaml');
    await writeFile(bad, (await readFile(brokenLab, 'utf8')).replace('ip: 10.42.253.10,', 'ip: 10.42.253.300,'));
    const result = await runbook('start', 'selftest', '--lab', bad);
    expect(result.code).toBe(ExitCode.FAILED);
    expect(result.stderr).toMatch(/nodes\[1\]\.ip \(.*bad\.yaml:\d+\): .*IPv4/);
    expect(result.stderr).toMatch(/nothing was started/);
    expect((await temporal.client.workflow.count()).count).toBe(0);
  });

  it('follows a run until it pauses on a failed step, and says how to resume', async () => {
    const result = await runbook('start', 'selftest', '--lab', brokenLab, '--follow');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(ExitCode.PAUSED);
    expect(result.stdout).toMatch(/started selftest\/intra/);
    expect(result.stdout).toMatch(/changed\s+engine\.converge/);
    expect(result.stdout).toMatch(/selftest\/intra: paused at hosts\.visit\[pxe\]\.describe: host pxe does not answer/);
    expect(result.stdout).toMatch(/runbook resume selftest\/intra --skip/);
  });

  it('shows the paused run: step table, error, resume commands, Web UI link', async () => {
    const result = await runbook('status', 'selftest/intra');
    expect(result.code).toBe(ExitCode.PAUSED);
    expect(result.stdout).toMatch(/STEP\s+TITLE\s+STATUS\s+ATTEMPTS\s+TIME\s+LAST MESSAGE/);
    expect(result.stdout).toMatch(/engine\.converge\s+Converge an in-memory marker\s+changed\s+1\s+\d+(ms|s)\s/);
    expect(result.stdout).toMatch(
      /hosts\.visit\[pxe\]\.describe\s+Describe the host\s+paused\s+1\s+\S+\s+host pxe does not answer/,
    );
    // Where the time goes: the total so far and the three longest steps, the paused one counting until now.
    expect(result.stdout).toMatch(/^time: \S+ in total; longest steps: \S+ \S+, \S+ \S+, \S+ \S+$/m);
    expect(result.stdout).toMatch(/^time: .*hosts\.visit\[pxe\]\.describe \d/m);
    expect(result.stdout).toMatch(/error in hosts\.visit\[pxe\]\.describe: host pxe does not answer/);
    expect(result.stdout).toMatch(/runbook resume selftest\/intra --lab <file>/);
    expect(result.stdout).toContain('Web UI: http://ui.test/namespaces/default/workflows/selftest%2Fintra');
  });

  it('lists paused runs by search attribute', async () => {
    const paused = JSON.parse((await runbook('list', '--state', 'paused', '--json')).stdout);
    expect(paused).toEqual([
      expect.objectContaining({
        workflowId: 'selftest/intra',
        runbook: 'selftest',
        lab: 'intra',
        state: 'paused',
        step: 'hosts.visit[pxe].describe',
      }),
    ]);
  });

  it('refuses to start the same runbook for the same lab twice and points at the running one', async () => {
    const result = await runbook('start', 'selftest', '--lab', exampleLab);
    expect(result.code).toBe(ExitCode.FAILED);
    expect(result.stderr).toMatch(/runbook selftest already runs for lab intra: selftest\/intra/);
    expect(result.stderr).toMatch(/runbook status selftest\/intra/);
  });

  it('resumes with a corrected lab at the failed step, and the run completes', async () => {
    const result = await runbook('resume', 'selftest/intra', '--lab', exampleLab, '--reason', 'pxe host back');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(ExitCode.OK);
    expect(result.stdout).toMatch(/^resumed at step hosts\.visit\[pxe\]\.describe/);
    await temporal.client.workflow.getHandle('selftest/intra').result();
    const status = await runbook('status', 'selftest/intra', '--json');
    expect(status.code).toBe(ExitCode.OK);
    const json = JSON.parse(status.stdout);
    expect(json).toMatchObject({ workflowId: 'selftest/intra', status: 'COMPLETED', state: 'completed' });
    const pxe = json.progress.steps
      .find((step: { id: string }) => step.id === 'hosts.visit')
      .items.find((item: { item: string }) => item.item === 'pxe').steps[0];
    // Exactly the failed step ran again: once failing, once after the resume.
    expect(pxe).toMatchObject({ status: 'unchanged', attempts: 2 });
  });

  it('approves a gate, and cancels a run that waits at one', async () => {
    const gated = (id: string) =>
      runbook('start', 'selftest', '--lab', exampleLab, '--id', id, '--option', 'gate=true', '--json');
    const [started] = await Promise.all([gated('selftest/gate'), gated('selftest/stop')]);
    expect(started.code).toBe(ExitCode.OK);
    expect(JSON.parse(started.stdout)).toMatchObject({
      workflowId: 'selftest/gate',
      runbook: 'selftest',
      lab: 'intra',
    });
    for (const id of ['selftest/gate', 'selftest/stop']) {
      await eventually(
        async () => ((await progressOf(id)).state === 'waiting-approval' ? true : undefined),
        `the gate of ${id}`,
      );
    }
    const [approved, cancelled] = await Promise.all([
      runbook('approve', 'selftest/gate', '--step', 'operator.approve', '--note', 'looked fine', '--json'),
      runbook('cancel', 'selftest/stop'),
    ]);
    expect(approved.code).toBe(ExitCode.OK);
    expect(JSON.parse(approved.stdout)).toMatchObject({ workflowId: 'selftest/gate', stepId: 'operator.approve' });
    await temporal.client.workflow.getHandle('selftest/gate').result();
    expect(cancelled.code).toBe(ExitCode.OK);
    expect(cancelled.stdout).toMatch(/cancel requested for selftest\/stop/);
    await expect(temporal.client.workflow.getHandle('selftest/stop').result()).rejects.toThrow();
    expect((await temporal.client.workflow.getHandle('selftest/stop').describe()).status.name).toBe('CANCELLED');
  });

  it('says that no worker runs instead of blocking', async () => {
    const started = await runbook(
      'start',
      'selftest',
      '--lab',
      exampleLab,
      '--id',
      'selftest/idle',
      '--task-queue',
      'no-worker-here',
      '--json',
    );
    expect(JSON.parse(started.stdout)).toMatchObject({ workflowId: 'selftest/idle', workerRunning: false });
    const result = await runbook('resume', 'selftest/idle');
    expect(result.code).toBe(ExitCode.UNAVAILABLE);
    expect(result.stderr).toMatch(/no worker is running for task queue no-worker-here/);
    expect(result.stderr).toMatch(/start one with `runbook worker`/);
    const status = await runbook('status', 'selftest/idle');
    expect(status.stdout).toMatch(/no worker answered for task queue no-worker-here .*start one with `runbook worker`/);
    expect(status.code).toBe(ExitCode.UNAVAILABLE);
    await temporal.client.workflow.getHandle('selftest/idle').terminate('test cleanup');
  });

  it('reports an unknown runbook as not found', async () => {
    const unknown = await runbook('start', 'no-such-runbook', '--lab', exampleLab);
    expect(unknown.code).toBe(ExitCode.NOT_FOUND);
    expect(unknown.stderr).toMatch(/runbooks: .*selftest/);
  });

  it('creates a schedule whose trigger starts a run', async () => {
    const created = await runbook(
      'schedule',
      'create',
      'cli-nightly',
      '--runbook',
      'selftest',
      '--lab',
      exampleLab,
      '--cron',
      '0 2 * * *',
      '--timezone',
      'Europe/Paris',
      '--json',
    );
    expect(created.stderr).toBe('');
    expect(JSON.parse(created.stdout)).toMatchObject({
      name: 'cli-nightly',
      runbook: 'selftest',
      lab: 'intra',
      overlap: 'skip',
    });
    const description = await temporal.client.schedule.getHandle('cli-nightly').describe();
    expect(description.policies).toMatchObject({ overlap: 'SKIP', pauseOnFailure: false, catchupWindow: 3_600_000 });

    expect((await runbook('schedule', 'trigger', 'cli-nightly')).code).toBe(ExitCode.OK);
    const scheduled = await eventually(async () => {
      for await (const run of temporal.client.workflow.list({
        query: 'RunbookName = "selftest" AND WorkflowId STARTS_WITH "selftest/intra/cli-nightly-"',
      })) {
        return run.workflowId;
      }
      return undefined;
    }, 'the scheduled run');
    await temporal.client.workflow.getHandle(scheduled).result();
    const runs = JSON.parse(
      (await runbook('list', '--runbook', 'selftest', '--lab', 'intra', '--state', 'completed', '--json')).stdout,
    );
    expect(runs).toContainEqual(
      expect.objectContaining({ workflowId: scheduled, runbook: 'selftest', lab: 'intra', state: 'completed' }),
    );

    const [paused, listed] = await Promise.all([
      runbook('schedule', 'pause', 'cli-nightly', '--note', 'maintenance').then(async (result) => {
        expect(result.code).toBe(ExitCode.OK);
        return temporal.client.schedule.getHandle('cli-nightly').describe();
      }),
      runbook('schedule', 'list', '--json'),
    ]);
    expect(paused.state.paused).toBe(true);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({
        name: 'cli-nightly',
        cron: '0 2 * * *',
        timezone: 'Europe/Paris',
        lastRun: expect.objectContaining({ workflowId: scheduled }),
      }),
    ]);
    expect((await runbook('schedule', 'delete', 'cli-nightly')).code).toBe(ExitCode.OK);
    await expect(temporal.client.schedule.getHandle('cli-nightly').describe()).rejects.toThrow(/not found/i);
  });
});
