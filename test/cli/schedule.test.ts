/**
 * Scheduled runs through the CLI (`node bin/runbook.js …`) against a real dev server and a product
 * worker: a run reads its lab file when it starts (an invalid file pauses its first step with every
 * finding), a second trigger while the first run is paused is skipped and `schedule list` says so,
 * `runbook resume <runbook>/<lab>` finds the scheduled run and finishes it, and one run per lab holds
 * for `runbook start` against a scheduled run.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ExitCode } from '../../cli/errors.js';
import { progressQuery, type RunbookProgress } from '../../workflows/engine/api.js';
import { startRunbookWorkers, type RunningRunbookWorkers } from '../../testing/runbook-workers.js';
import { cliRunner, eventually, REPO as repo } from '../support/cli.js';
import { startTestTemporal, type TestTemporal } from '../support/temporal.js';

const exampleLab = path.join(repo, 'runbooks/labs/example.yaml');

let temporal: TestTemporal;
let workers: RunningRunbookWorkers | undefined;
let dir: string;
let labFile: string;
let validText: string;

const runbook = cliRunner(() => temporal.env);

beforeAll(async () => {
  temporal = await startTestTemporal();
  dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-schedule-'));
  process.env.XDG_STATE_HOME = path.join(dir, 'state');
  const secrets = path.join(repo, 'runbooks/labs/example-secrets/');
  labFile = path.join(dir, 'lab.yaml');
  validText = (await readFile(exampleLab, 'utf8')).replaceAll('file:example-secrets/', `file:${secrets}`);
  await writeFile(labFile, validText);
  workers = await startRunbookWorkers({
    connection: temporal.connection,
    namespace: temporal.namespace,
    labs: [],
  });
});

afterAll(async () => {
  await workers?.stop();
  await temporal?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('runbook schedule', () => {
  it('reads the lab when a run starts; a trigger while it is paused is skipped and listed; resume finishes it', async () => {
    const created = await runbook(
      'schedule',
      'create',
      'nightly',
      '--runbook',
      'selftest',
      '--lab',
      labFile,
      '--cron',
      '0 2 * * *',
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(ExitCode.OK);

    // Edited after the schedule was created: the run reads the file as it is now, and pauses with every finding.
    await writeFile(
      labFile,
      validText.replace('ip: 10.42.253.10,', 'ip: 10.42.253.300,').replace('pool: kube', 'pool: 42'),
    );
    const first = await runbook('schedule', 'trigger', 'nightly', '--json');
    expect(first.code).toBe(ExitCode.OK);
    const firstRun = JSON.parse(first.stdout) as { skipped: boolean; workflowId: string };
    expect(firstRun.skipped).toBe(false);
    expect(firstRun.workflowId).toMatch(/^selftest\/intra\/nightly-/);
    const paused = await eventually(async () => {
      const progress: RunbookProgress = await temporal.client.workflow
        .getHandle(firstRun.workflowId)
        .query(progressQuery)
        .catch(() => undefined as unknown as RunbookProgress);
      return progress?.state === 'paused' ? progress : undefined;
    }, 'the scheduled run to pause');
    expect(paused.currentStep).toBe('lab.load');
    expect(paused.error?.message).toMatch(/2 findings/);
    expect(paused.error?.message).toMatch(/nodes\[1\]\.ip/);
    expect(paused.error?.message).toMatch(/day2\.ceph\.pool/);

    // The second trigger finds the first run paused: skipped, and `schedule list` says so.
    const second = await runbook('schedule', 'trigger', 'nightly');
    expect(second.code).toBe(ExitCode.OK);
    expect(second.stdout).toMatch(/skipped/);
    expect(second.stdout).toContain(firstRun.workflowId);
    const listed = await runbook('schedule', 'list', '--json');
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({
        name: 'nightly',
        skipped: 1,
        openRun: expect.objectContaining({
          workflowId: firstRun.workflowId,
          state: 'paused',
          step: 'lab.load',
          since: expect.any(String),
          // Triggered by hand: no night of the timetable came due meanwhile.
          nightsMissed: [],
        }),
      }),
    ]);
    const table = await runbook('schedule', 'list');
    expect(table.stdout).toMatch(new RegExp(`${firstRun.workflowId} paused at lab\\.load since \\S+`));
    expect(table.stdout).toMatch(/ 1\s*$/m);

    // One run per lab, whoever starts it: a start by hand is refused and names the scheduled run.
    const validFile = path.join(dir, 'valid.yaml');
    await writeFile(validFile, validText);
    const refused = await runbook('start', 'selftest', '--lab', validFile);
    expect(refused.code).toBe(ExitCode.FAILED);
    expect(refused.stderr).toContain(`already runs for lab intra: ${firstRun.workflowId} (paused at lab.load)`);

    // Fixed, then resumed by its runbook and lab: the scheduled run reads the file again and completes.
    await writeFile(labFile, validText);
    const status = await runbook('status', 'selftest/intra');
    expect(status.code).toBe(ExitCode.PAUSED);
    expect(status.stdout).toContain(firstRun.workflowId);
    const resumed = await runbook('resume', 'selftest/intra');
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(ExitCode.OK);
    await temporal.client.workflow.getHandle(firstRun.workflowId).result();
    const done = await temporal.client.workflow.getHandle(firstRun.workflowId).query(progressQuery);
    expect(done.state).toBe('completed');
    expect(done.steps[0]).toMatchObject({ id: 'lab.load', status: 'unchanged' });
    const after = JSON.parse((await runbook('schedule', 'list', '--json')).stdout) as Array<{ openRun?: unknown }>;
    expect(after[0]?.openRun).toBeUndefined();
  }, 600_000);
});
