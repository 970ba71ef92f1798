/**
 * A wait's diagnosis with its pause, end to end: the install runbook on a real Temporal dev server and a
 * bare simulated lab at the fastest time scale, one run meeting the lab's faults one after the other,
 * each pause asserted in the run's error (what `runbook status` prints), the UI's current details and
 * the pause notice a webhook on loopback receives:
 * - a DNS host whose named answers a wrong address for api-int (fault dns-wrong-address, turned on
 *   once the DNS wait has passed, before the nodes boot): the bootstrap wait's diagnosis names api-int
 *   on that host, the masters that filed no CSR, and the bundle `openshift-install gather bootstrap`
 *   wrote (the bootstrap node runs, so it answers);
 * - a load balancer whose HAProxy sends 6443 nowhere (fault lb-port-nowhere): the diagnosis names that
 *   balancer's 6443 and its k8s-api servers down in HAProxy, the other balancer answering;
 * - a node that never files its CSR (fault csr-never-appears): the CSR wait's diagnosis names it;
 * - an operator stuck Degraded: the operators wait's diagnosis quotes its conditions.
 * The lab's install deadlines are cut to seconds so that the waits give up quickly.
 */
import 'reflect-metadata';
import { execa } from 'execa';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { WorkflowHandle } from '@temporalio/client';
import { installActivities } from '../../activities/install/index.js';
import type { PostedNotice } from '../../activities/notify/index.js';
import type { Finding } from '../../contract/diagnosis.js';
import type { StepContext } from '../../contract/step.js';
import type { Lab } from '../../lab/schema.js';
import type { SimulatedLab } from '../../simulator/lab-sim.js';
import { loadExampleLab, runbookCli } from '../../testing/engine-harness.js';
import { installWorkerRuntime } from '../../worker/worker.js';
import { resumeUpdate, type RunbookProgress } from '../../workflows/engine/api.js';
import {
  faultAdmin,
  finished,
  leafSteps,
  settled,
  startBareLab,
  startInstall,
  startInstallWorkers,
  type InstallWorkers,
} from '../support/install-runs.js';
import { startTestTemporal, type TestTemporal } from '../support/temporal.js';

/** Longest a stretch of the install takes on a loaded machine before it pauses or completes. */
const STRETCH_MS = 4 * 60_000;
const WEBHOOK_ENV = 'RUNBOOK_TEST_DIAGNOSIS_WEBHOOK';
const DOMAIN = 'intra.example.com';
const WRONG = '10.42.253.77';

let temporal: TestTemporal;
let dir: string;
let lab: Lab;

/** The pause notices a webhook on loopback receives. */
class Receiver {
  readonly notices: PostedNotice[] = [];
  readonly server: Server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      this.notices.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as PostedNotice);
      response.writeHead(204).end();
    });
  });

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/diagnosis`;
  }

  /** The pause notice of `step` (the latest), once it has come. */
  async pausedAt(step: string): Promise<PostedNotice> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const notice = this.notices.findLast((entry) => entry.event === 'paused' && entry.step === step);
      if (notice) return notice;
      if (Date.now() > deadline) throw new Error(`no paused notice for ${step}: ${JSON.stringify(this.notices)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

beforeAll(async () => {
  installWorkerRuntime({ logLevel: 'ERROR' });
  dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-install-diagnosis-'));
  process.env.XDG_STATE_HOME = path.join(dir, 'state');
  lab = await loadExampleLab();
  temporal = await startTestTemporal();
}, 120_000);

afterAll(async () => {
  await temporal?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const resume = (handle: WorkflowHandle, request: { lab?: Lab } = {}) =>
  handle.executeUpdate(resumeUpdate, { args: [{ action: 'retry', ...request }] });

function pausedWith(progress: RunbookProgress, stepId: string): Finding[] {
  // A pause elsewhere shows its message in the failure (undefined equals absent when it is the one).
  const elsewhere = progress.error?.stepId === stepId ? undefined : progress.error?.message;
  expect({ state: progress.state, at: progress.currentStep, step: progress.error?.stepId, elsewhere }).toEqual({
    state: 'paused',
    at: stepId,
    step: stepId,
  });
  return progress.error?.diagnosis ?? [];
}

const problems = (findings: Finding[], probe: string) =>
  findings.filter((finding) => finding.probe === probe && finding.verdict === 'problem').map((finding) => finding.text);

describe('each pause of a wait carries its diagnosis', () => {
  const TASK_QUEUE = 'install-diagnosis';
  let sim: SimulatedLab;
  let admin: ReturnType<typeof faultAdmin>;
  let handle: WorkflowHandle;
  let workers: InstallWorkers | undefined;
  const receiver = new Receiver();

  /**
   * The lab with a webhook on loopback and install deadlines of seconds (lab time; at the lab's time
   * scale 0 that is real time). Paused waits do not keep watching (`waits.keepWatching: 0s`): each
   * pause here is resumed by the test once its cause is cleared, so the run cannot go on by itself
   * first (test/engine/soft-deadline.test.ts and install-faults cover that).
   */
  let hurried: (installComplete: string) => Lab;

  /** The ignition check, the first time: once the DNS wait has passed, netserv1 answers api-int wrongly. */
  let turned = false;
  const ignitionFreshWithWrongDns = async (context: StepContext) => {
    if (!turned) {
      turned = true;
      await admin.add({ kind: 'dns-wrong-address', host: 'netserv1', name: 'api-int', address: WRONG });
    }
    return installActivities.installIgnitionFresh(context);
  };

  beforeAll(async () => {
    process.env[WEBHOOK_ENV] = await receiver.listen();
    hurried = (installComplete) => ({
      ...structuredClone(lab),
      install: { ...lab.install, deadlines: { bootstrapApi: '5s', bootstrapComplete: '10s', installComplete } },
      notify: { webhooks: [{ name: 'ops', url: `env:${WEBHOOK_ENV}`, on: ['paused'] }] },
      waits: { keepWatching: '0s' },
    });
    sim = await startBareLab(lab, path.join(dir, 'sim'), [
      { kind: 'csr-never-appears', node: 'compute1' },
      { kind: 'operator-degraded', operator: 'console' },
    ]);
    admin = faultAdmin(sim);
    workers = await startInstallWorkers(temporal, TASK_QUEUE, lab, { installIgnitionFresh: ignitionFreshWithWrongDns });
  }, 180_000);

  afterAll(async () => {
    await handle?.terminate('the test is over').catch(() => undefined);
    await workers?.stop();
    await sim?.stop();
    await new Promise((resolve) => receiver.server.close(resolve));
    delete process.env[WEBHOOK_ENV];
  });

  it(
    'api-int answered wrongly by a DNS host: the bootstrap wait pauses naming it, and the gather bundle',
    async () => {
      handle = await startInstall(temporal.client, {
        taskQueue: TASK_QUEUE,
        workflowId: 'install/intra/diagnosis',
        lab: hurried('20s'),
        sim,
      });
      const progress = await settled(handle, 'the bootstrap wait', 2 * STRETCH_MS);
      const findings = pausedWith(progress, 'bootstrap.complete');
      expect(progress.error!.message).toMatch(/^Timed out after 15s of lab time waiting for bootstrap-complete/);

      expect(problems(findings, 'dns')).toEqual([
        `netserv1 answers ${WRONG} for api-int.${DOMAIN}; the lab says 10.42.253.150 10.42.253.151 (the load balancers)`,
      ]);
      expect(findings).toContainEqual({
        probe: 'dns',
        verdict: 'ok',
        text: 'netserv2 answers all 15 names (api, api-int, the nodes) as the lab says',
      });
      // The masters never reached the API, so none filed a CSR; each balancer's two ports were looked at.
      expect(problems(findings, 'csrs')).toEqual([
        expect.stringMatching(/^no CSR from master1, master2, master3 through the node-bootstrapper/),
      ]);
      expect(findings.filter((finding) => finding.probe === 'load balancer')).toHaveLength(4);
      expect(findings).toContainEqual(
        expect.objectContaining({
          probe: 'ignition',
          verdict: 'ok',
          text: expect.stringMatching(/h old \(valid 24 h\)$/),
        }),
      );

      // The bootstrap node runs: the gather bundle, with the real one's layout.
      const gather = findings.find((finding) => finding.probe === 'gather');
      expect(gather).toMatchObject({ verdict: 'ok' });
      const bundle = /wrote (\/\S+\.tar\.gz)$/.exec(gather!.text)?.[1];
      expect(bundle).toMatch(/\/install\/log-bundle-\d{14}\.tar\.gz$/);
      const listing = (await execa('tar', ['-tzf', bundle!])).stdout.split('\n');
      const top = path.basename(bundle!, '.tar.gz');
      expect(listing).toEqual(
        expect.arrayContaining([
          `${top}/bootstrap/journals/bootkube.log`,
          `${top}/bootstrap/journals/kubelet.log`,
          `${top}/control-plane/10.42.253.10/journals/kubelet.log`,
          `${top}/resources/nodes.json`,
          `${top}/failed-units.txt`,
        ]),
      );

      // The same in `runbook status`, the UI's current details and the pause notice.
      const status = await runbookCli(temporal.env)('status', 'install/intra/diagnosis');
      expect(status.code).toBe(5);
      expect(status.stdout).toContain(
        'diagnosis (what the wait’s probes found when it paused):\n' +
          `  PROBLEM  dns: netserv1 answers ${WRONG} for api-int.${DOMAIN}`,
      );
      const { currentDetails } = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      expect(currentDetails).toContain(`- PROBLEM  dns: netserv1 answers ${WRONG} for api-int.${DOMAIN}`);
      const notice = await receiver.pausedAt('bootstrap.complete');
      expect(notice.diagnosis).toEqual(findings);
    },
    3 * STRETCH_MS,
  );

  it(
    'a load balancer that sends 6443 nowhere: the next pause of the bootstrap wait names it and its servers',
    async () => {
      await admin.add({ kind: 'lb-port-nowhere', host: 'haproxy1', port: 6443 });
      await admin.clear('dns-wrong-address');
      await resume(handle);
      const findings = pausedWith(await settled(handle, 'the bootstrap wait', STRETCH_MS), 'bootstrap.complete');
      expect(problems(findings, 'load balancer')).toEqual([
        expect.stringMatching(
          /^haproxy1 \(10\.42\.253\.150:6443\) accepts and closes the connection at once: no backend server takes the API/,
        ),
      ]);
      expect(findings).toContainEqual({
        probe: 'load balancer',
        verdict: 'ok',
        text: 'the API through haproxy2 (10.42.253.151:6443) answers HTTP 200 on /readyz',
      });
      expect(findings).toContainEqual({
        probe: 'load balancer',
        verdict: 'ok',
        text: 'the machine config server through haproxy1 (10.42.253.150:22623) answers HTTP 200 on /healthz',
      });
      expect(problems(findings, 'haproxy')).toEqual([
        expect.stringMatching(/^haproxy1 backend k8s-api: bootstrap DOWN .*no server is up/),
      ]);
      expect(problems(findings, 'dns')).toEqual([]);
      expect(problems(findings, 'csrs')).toEqual([]);

      await admin.clear('lb-port-nowhere');
      await resume(handle);
      await finished(handle, 'bootstrap.complete', STRETCH_MS);
    },
    2 * STRETCH_MS,
  );

  it(
    'a node that never files its CSR: the CSR wait pauses, its diagnosis names the node',
    async () => {
      const findings = pausedWith(await settled(handle, 'the CSR wait', STRETCH_MS), 'nodes.csrs');
      expect(problems(findings, 'csrs')).toEqual([
        expect.stringMatching(/^no CSR at all from compute1 \(and no Node object\): it has not reached the API/),
      ]);
      expect((await receiver.pausedAt('nodes.csrs')).diagnosis).toEqual(findings);

      await admin.clear('csr-never-appears');
      await resume(handle);
      const steps = leafSteps((await finished(handle, 'nodes.csrs', STRETCH_MS)).steps);
      expect(steps['nodes.csrs']!.status).toBe('changed');
    },
    2 * STRETCH_MS,
  );

  it(
    'an operator stuck Degraded: the operators wait pauses, its diagnosis quotes the operator’s conditions',
    async () => {
      const findings = pausedWith(
        await settled(handle, 'the operators wait', STRETCH_MS),
        'operators.settled-except-registry',
      );
      expect(problems(findings, 'operators')).toEqual([
        expect.stringMatching(/^console: Available=.*; Degraded=True \(.*operator-degraded fault.*\); Progressing=/),
      ]);
    },
    2 * STRETCH_MS,
  );
});
