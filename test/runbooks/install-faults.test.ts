/**
 * The install runbook against the simulator's faults and a worker that dies, end to end (a real worker
 * on a real Temporal dev server, a simulated lab that starts bare, at the fastest time scale).
 *
 * Faults: one install run meets them one after the other, in the procedure's order, each where a real
 * lab would show it: a helper host refusing SSH, ignition configs that expired while the run sat
 * (a day passes between creating them and powering the nodes on), a master that never comes back from
 * its reboot, the API answering 503 for a while, a node that never files its CSR, an operator stuck
 * Degraded, and a rogue CSR. Each pause is asserted at its step with a message that says what to look
 * at; the cause is cleared through the simulator's admin endpoint (or the install folder moved away,
 * as the message says). A wait paused at its deadline keeps watching and the run goes on by itself
 * once the cause is cleared; the others are resumed. The lab runs at time scale 0.005 and the waits'
 * deadlines count its time (30 and 60 minutes of lab time take 9 and 18 real seconds): a loaded
 * machine slows the lab and its deadlines together, so it cannot make a healthy wait time out.
 *
 * Worker crashes: worker processes (the product's runWorker, serving the lab's queue as `runbook worker
 * --lab intra` does) SIGKILLed while the run waits for bootstrap-complete and while it approves CSRs;
 * a new worker finishes the run, and the history shows every step scheduled once, the killed waits
 * finished by a second attempt and every other step by its first.
 */
import 'reflect-metadata';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CertificatesV1Api, KubeConfig } from '@kubernetes/client-node';
import { Pkcs10CertificateRequest } from '@peculiar/x509';
import type { WorkflowHandle } from '@temporalio/client';
import { installFolder, readFolderState, writeFolderState } from '../../activities/install/folder.js';
import { installActivities } from '../../activities/install/index.js';
import type { Lab } from '../../lab/schema.js';
import type { SimulatedLab } from '../../simulator/lab-sim.js';
import {
  loadExampleLab,
  spawnEngineWorker,
  waitForProgress,
  writeEngineBundle,
  type WorkerProcess,
} from '../../testing/engine-harness.js';
import { installWorkerRuntime } from '../../worker/worker.js';
import { resumeUpdate, type RunbookProgress } from '../../workflows/engine/api.js';
import type { StepContext } from '../../contract/step.js';
import {
  activityAttempts,
  eventually,
  faultAdmin,
  finished,
  leafSteps,
  pendingActivity,
  runningDetail,
  settled,
  startBareLab,
  startInstall,
  startInstallWorkers,
  type InstallWorkers,
} from '../support/install-runs.js';
import { startTestTemporal, type TestTemporal } from '../support/temporal.js';

/** Longest a stretch of the install takes on a loaded machine before it pauses or completes: a hang catcher. */
const STRETCH_MS = 4 * 60_000;
/** Lab time passes 200 times as fast as real time. */
const TIME_SCALE = 0.005;

let temporal: TestTemporal;
let dir: string;
let lab: Lab;

beforeAll(async () => {
  installWorkerRuntime({ logLevel: 'ERROR' });
  dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-install-faults-'));
  process.env.XDG_STATE_HOME = path.join(dir, 'state');
  lab = await loadExampleLab();
  temporal = await startTestTemporal();
}, 120_000);

afterAll(async () => {
  await temporal?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const resume = (handle: WorkflowHandle, request: { from?: string; lab?: Lab } = {}) =>
  handle.executeUpdate(resumeUpdate, { args: [{ action: 'retry', ...request }] });

/**
 * Waits until the run pauses at `stepId` (or stops otherwise): a wait elsewhere that passed its
 * deadline and goes on by itself is part of the install, not the pause awaited.
 */
function pausedAt(handle: WorkflowHandle, stepId: string, what: string): Promise<RunbookProgress> {
  return waitForProgress(
    handle,
    (p) => (p.state === 'paused' && p.currentStep === stepId) || !['running', 'paused'].includes(p.state),
    what,
    STRETCH_MS,
  );
}

function expectPausedAt(progress: RunbookProgress, stepId: string): string {
  expect({ state: progress.state, at: progress.currentStep }).toEqual({ state: 'paused', at: stepId });
  expect(progress.error?.stepId).toBe(stepId);
  return progress.error!.message;
}

describe('faults met one after the other by one install run', () => {
  const TASK_QUEUE = 'install-faults';
  let sim: SimulatedLab;
  let admin: ReturnType<typeof faultAdmin>;
  let handle: WorkflowHandle;
  let workers: InstallWorkers | undefined;
  let expiredFolder: string | undefined;

  /**
   * The ignition check, after a day has passed since `create ignition-configs` (the first time only):
   * the install folder's record of when they were made, which is what the step reads, is set back 25 h.
   */
  let aged = false;
  const ignitionFreshADayLater = async (context: StepContext) => {
    if (!aged) {
      aged = true;
      const folder = installFolder(context);
      const state = (await readFolderState(folder))!;
      await writeFolderState(folder, {
        ...state,
        ignitionCreatedAt: new Date(Date.now() - 25 * 3_600_000).toISOString(),
      });
    }
    return installActivities.installIgnitionFresh(context);
  };

  /**
   * The example lab with install deadlines (lab time) that leave healthy waits ample room and end
   * those a fault holds: the bootstrap wait 30 minutes in all, the CSR and operator waits an hour.
   */
  const hurried = (installComplete: string): Lab => {
    const copy = structuredClone(lab);
    copy.install.deadlines = { bootstrapApi: '20m', bootstrapComplete: '10m', installComplete };
    return copy;
  };

  beforeAll(async () => {
    sim = await startBareLab(
      lab,
      path.join(dir, 'sim-faults'),
      [
        { kind: 'node-never-returns', node: 'master2' },
        { kind: 'csr-never-appears', node: 'compute1' },
        { kind: 'operator-degraded', operator: 'console' },
        { kind: 'rogue-csr', node: 'rogue1' },
      ],
      TIME_SCALE,
    );
    admin = faultAdmin(sim);
    workers = await startInstallWorkers(temporal, TASK_QUEUE, lab, { installIgnitionFresh: ignitionFreshADayLater });
  }, 180_000);

  afterAll(async () => {
    await workers?.stop();
    await sim?.stop();
    if (expiredFolder) await rm(expiredFolder, { recursive: true, force: true });
  });

  it(
    'a helper host refusing SSH pauses the preflight at that host’s SSH check; cleared, resume goes on',
    async () => {
      await admin.add({ kind: 'ssh-refused', host: 'pxe' });
      handle = await startInstall(temporal.client, {
        taskQueue: TASK_QUEUE,
        workflowId: 'install/intra/faults',
        // An hour of lab time for the CSR wait, which also meets the API outage (real seconds).
        lab: hurried('60m'),
        sim,
      });
      const message = expectPausedAt(await settled(handle, 'the pause on pxe', STRETCH_MS), 'preflight.hosts[pxe].ssh');
      expect(message).toMatch(/^pxe \(root@127\.0\.0\.1:\d+\) closed the connection before the SSH handshake/);
      expect(message).toContain('check that sshd accepts connections from this machine');

      await admin.clear('ssh-refused');
      await resume(handle);
      await finished(handle, 'preflight.hosts[pxe].ssh', STRETCH_MS);
    },
    2 * STRETCH_MS,
  );

  it(
    'ignition configs a day old pause at ignition.fresh with the rewind command; moved away and rewound, the run goes on',
    async () => {
      const message = expectPausedAt(await settled(handle, 'the expired ignition', STRETCH_MS), 'ignition.fresh');
      const folder = path.join(path.dirname(sim.endpointsPath), 'install');
      expect(message).toContain(`the ignition configs in ${folder} were created 25.0 h ago`);
      expect(message).toContain('no node is known to have joined the cluster (its API: HTTP 503: ');
      expect(message).toContain(`Move ${folder} away`);
      expect(message).toContain('runbook resume <run> --from openshift-install.config');

      expiredFolder = `${folder}.expired`;
      await rename(folder, expiredFolder);
      await resume(handle, { from: 'openshift-install.config' });
      const progress = await finished(handle, 'ignition.fresh', STRETCH_MS);
      const steps = leafSteps(progress.steps);
      // Made again in the new folder (the earlier outcome kept), and published again for the nodes.
      expect(steps['openshift-install.ignition']).toMatchObject({ status: 'changed' });
      expect(steps['openshift-install.ignition']!.earlier).toHaveLength(1);
      expect(steps['openshift-install.publish']!.status).toBe('changed');
      expect(steps['ignition.fresh']!.status).toBe('unchanged');
    },
    2 * STRETCH_MS,
  );

  it(
    'a master that never comes back from its reboot pauses at bootstrap.complete naming it; cleared, the run goes on by itself',
    async () => {
      const paused = await pausedAt(handle, 'bootstrap.complete', 'the bootstrap wait');
      const message = expectPausedAt(paused, 'bootstrap.complete');
      expect(message).toMatch(/^Timed out after 30m of lab time waiting for bootstrap-complete/);
      expect(message).toContain(
        'masters not Ready yet: master2 (no Node object: it has not joined, look at its console; ' +
          'its console (simulated) says never came back from its reboot (node-never-returns fault)',
      );
      expect(message).not.toMatch(/master1|master3/);

      await admin.clear('node-never-returns');
      const steps = leafSteps((await finished(handle, 'bootstrap.complete', STRETCH_MS)).steps);
      expect(steps['bootstrap.complete']!.status).toBe('unchanged');
      expect(steps['bootstrap.complete']!.message).toMatch(/^resumed by itself at \S+ after \S+ of lab time: /);
    },
    2 * STRETCH_MS,
  );

  it(
    'the API answering 503 for a while during a wait (nodes.csrs) is waited through: the run does not pause for it',
    async () => {
      const waiting = await waitForProgress(
        handle,
        (p) => p.state !== 'running' || p.currentStep === 'nodes.csrs',
        'the CSR wait',
        STRETCH_MS,
      );
      expect({ state: waiting.state, at: waiting.currentStep }).toEqual({ state: 'running', at: 'nodes.csrs' });
      await admin.add({ kind: 'api-down', answer: '503' });
      const during = await eventually(async () => {
        const detail = await runningDetail(handle);
        return detail?.includes('the API server did not answer') ? detail : undefined;
      }, 'the CSR wait to meet the outage');
      expect(during).toMatch(/503/);
      await admin.clear('api-down');
      // The same attempt goes on: its next checks see the nodes again (the wait itself, or its watch
      // once its deadline has passed: compute1 files no CSR).
      await eventually(async () => {
        const detail = await runningDetail(handle);
        return detail?.startsWith('not Ready yet') ? detail : undefined;
      }, 'the CSR wait to see the nodes again');
      const progress = await waitForProgress(handle, () => true, 'the progress');
      expect(progress.currentStep).toBe('nodes.csrs');
      expect(await pendingActivity(handle)).toMatchObject({
        activityId: expect.stringMatching(/^nodes\.csrs/),
        attempt: 1,
      });
    },
    2 * STRETCH_MS,
  );

  it(
    'a node that never files its CSR pauses at nodes.csrs naming it and where to look; cleared, the run goes on by itself',
    async () => {
      const message = expectPausedAt(await pausedAt(handle, 'nodes.csrs', 'the CSR wait'), 'nodes.csrs');
      expect(message).toMatch(/^Timed out after 1h of lab time waiting for the CSRs of /);
      expect(message).toContain('last check: not Ready yet: compute1 (no Node object);');
      expect(message).toContain('no CSR from compute1: look at its console');
      // What was approved and what was left alone, by name.
      expect(message).toMatch(/approved .*\(compute2 client\)/);
      expect(message).toMatch(/left pending: .*rogue1/);
      expect(message).not.toContain('did not answer');

      await admin.clear('csr-never-appears');
      // The paused wait watches on: it approves compute1's CSRs once they come, and the run goes on.
      const steps = leafSteps((await finished(handle, 'nodes.csrs', STRETCH_MS)).steps);
      expect(steps['nodes.csrs']!.status).toBe('changed');
      expect(steps['nodes.csrs']!.message).toMatch(
        /^resumed by itself at \S+ after \S+ of lab time: all 11 nodes Ready; approved .*\(compute1 client\)/,
      );
    },
    2 * STRETCH_MS,
  );

  it(
    'an operator stuck Degraded pauses at operators.settled-except-registry naming it; cleared, resume completes the run',
    async () => {
      const paused = await pausedAt(handle, 'operators.settled-except-registry', 'the operators wait');
      const message = expectPausedAt(paused, 'operators.settled-except-registry');
      expect(message).toMatch(/^Timed out after 1h of lab time waiting for the cluster operators to settle/);
      expect(message).toContain('console Degraded=True (console is stuck Degraded (operator-degraded fault))');
      // A degraded operator needs a fix: this wait does not go on by itself.
      expect(leafSteps(paused.steps)['operators.settled-except-registry']!.afterDeadline).toMatchObject({
        staysPaused: expect.stringContaining('needs a fix'),
      });

      await admin.clear('operator-degraded');
      // The waits after it get the lab's own deadlines again (`runbook resume --lab`).
      await resume(handle, { lab: hurried('40m') });
      const done = await settled(handle, 'the end of the run', STRETCH_MS);
      expect({ state: done.state, error: done.error }).toEqual({ state: 'completed', error: undefined });
    },
    2 * STRETCH_MS,
  );

  it('the rogue CSR was never approved: it is still Pending once the run has completed', async () => {
    const kubeconfig = new KubeConfig();
    kubeconfig.loadFromFile(sim.kubeconfigPath);
    const requests = (await kubeconfig.makeApiClient(CertificatesV1Api).listCertificateSigningRequest()).items;
    const rogue = requests.filter((csr) =>
      new Pkcs10CertificateRequest(Buffer.from(csr.spec.request, 'base64').toString()).subject.includes(
        'CN=system:node:rogue1',
      ),
    );
    expect(rogue).toHaveLength(1);
    expect(rogue[0]!.status?.conditions ?? []).toEqual([]);
    expect(requests.filter((csr) => csr.status?.conditions?.some((c) => c.type === 'Approved')).length).toBeGreaterThan(
      0,
    );
  });
});

describe('the worker SIGKILLed', () => {
  it(
    'during the bootstrap wait and during CSR approval: a new worker finishes the run, no completed step runs again',
    async () => {
      const taskQueue = 'install-killed';
      // The two faults hold the waits long enough to kill the worker in them; cleared after each kill.
      const sim = await startBareLab(lab, path.join(dir, 'sim-killed'), [
        { kind: 'node-never-returns', node: 'master2' },
        { kind: 'csr-never-appears', node: 'compute1' },
      ]);
      const admin = faultAdmin(sim);
      const bundlePath = await writeEngineBundle(dir);
      const spawned: WorkerProcess[] = [];
      const worker = async () => {
        const started = spawnEngineWorker({ ...temporal, dir, bundlePath, taskQueue, labs: [lab.name] });
        spawned.push(started);
        await started.ready;
        return started;
      };
      /** The run waits in `step` and its attempt has checkpointed what it saw of `node`. */
      const waitingIn = (handle: WorkflowHandle, step: string, node: string) =>
        eventually(
          async () => {
            const progress = await waitForProgress(handle, () => true, 'the progress');
            if (progress.state !== 'running' || progress.currentStep !== step) return undefined;
            return (await runningDetail(handle))?.includes(node) ? true : undefined;
          },
          `the run to wait in ${step} for ${node}`,
          STRETCH_MS,
        );
      try {
        const first = await worker();
        const handle = await startInstall(temporal.client, { taskQueue, workflowId: 'install/intra/killed', lab, sim });
        await waitingIn(handle, 'bootstrap.complete', 'master2');
        await first.kill('SIGKILL');
        await admin.clear('node-never-returns');

        const second = await worker();
        await waitingIn(handle, 'nodes.csrs', 'compute1');
        await second.kill('SIGKILL');
        await admin.clear('csr-never-appears');

        await worker();
        const done = await settled(handle, 'the end of the run', STRETCH_MS);
        expect({ state: done.state, error: done.error }).toEqual({ state: 'completed', error: undefined });

        // Every activity scheduled once; the killed waits finished by their second attempt, all else by its first.
        const attempts = await activityAttempts(handle);
        expect(Object.keys(attempts).length).toBeGreaterThan(40);
        expect(Object.entries(attempts).filter(([, seen]) => seen.scheduled !== 1)).toEqual([]);
        expect(Object.fromEntries(Object.entries(attempts).filter(([, seen]) => seen.attempts.join() !== '1'))).toEqual(
          { 'bootstrap.complete': { scheduled: 1, attempts: [2] }, 'nodes.csrs': { scheduled: 1, attempts: [2] } },
        );
        const steps = leafSteps(done.steps);
        expect(steps['bootstrap.complete']!.status).toBe('unchanged');
        expect(steps['nodes.csrs']!.status).toBe('changed');
      } finally {
        for (const each of spawned) await each.kill('SIGKILL');
        await sim.stop();
      }
    },
    3 * STRETCH_MS,
  );
});
