/**
 * Bounded CSR approval, end to end (a real worker on a real Temporal dev server, a simulated lab that
 * starts bare, at the fastest time scale): 200 rogue CSRs filed while the install's CSR step waits
 * for a node that has not filed yet. None is approved, the step pauses naming who filed them; once the
 * rogues are deleted (as `oc delete csr` would) and the run resumed, the real node's CSR is approved.
 */
import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { CertificatesV1Api, KubeConfig, type V1CertificateSigningRequest } from '@kubernetes/client-node';
import { Pkcs10CertificateRequest } from '@peculiar/x509';
import type { Lab } from '../../lab/schema.js';
import type { SimulatedLab } from '../../simulator/lab-sim.js';
import { loadExampleLab, waitForProgress } from '../../testing/engine-harness.js';
import { installWorkerRuntime } from '../../worker/worker.js';
import { resumeUpdate } from '../../workflows/engine/api.js';
import { faultAdmin, finished, leafSteps, settled, startBareLab, startInstall } from '../support/install-runs.js';
import { startRunbookWorkers, type RunningRunbookWorkers } from '../../testing/runbook-workers.js';
import { startTestTemporal, type TestTemporal } from '../support/temporal.js';

/** Longest a stretch of the install takes on a loaded machine before it pauses or completes. */
const STRETCH_MS = 4 * 60_000;
const TASK_QUEUE = 'install-csr-flood';
const FLOOD = 200;

let temporal: TestTemporal;
let dir: string;
let lab: Lab;
let sim: SimulatedLab;
let workers: RunningRunbookWorkers | undefined;

beforeAll(async () => {
  installWorkerRuntime({ logLevel: 'ERROR' });
  dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-csr-flood-'));
  lab = await loadExampleLab();
  temporal = await startTestTemporal();
  // compute1 files its CSR only when told: the step is still waiting for it when the flood comes.
  sim = await startBareLab(lab, path.join(dir, 'sim'), [{ kind: 'csr-never-appears', node: 'compute1' }]);
  workers = await startRunbookWorkers({
    connection: temporal.connection,
    namespace: temporal.namespace,
    taskQueue: TASK_QUEUE,
    labs: [lab.name],
  });
}, 180_000);

afterAll(async () => {
  await workers?.stop();
  await sim?.stop();
  await temporal?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const subject = (csr: V1CertificateSigningRequest) =>
  new Pkcs10CertificateRequest(Buffer.from(csr.spec.request, 'base64').toString()).subject;

test(
  `${FLOOD} rogue CSRs during the CSR wait: none approved, the step pauses naming them; deleted, resume approves the real node`,
  async () => {
    const admin = faultAdmin(sim);
    const handle = await startInstall(temporal.client, {
      taskQueue: TASK_QUEUE,
      workflowId: 'install/intra/csr-flood',
      lab,
      sim,
    });
    await waitForProgress(
      handle,
      (progress) => progress.state !== 'running' || progress.currentStep === 'nodes.csrs',
      'the CSR wait',
      STRETCH_MS,
    );
    await admin.add({ kind: 'rogue-csr', node: 'rogue', count: FLOOD });

    const paused = await settled(handle, 'the pause for the flood', STRETCH_MS);
    expect({ state: paused.state, at: paused.currentStep }).toEqual({ state: 'paused', at: 'nodes.csrs' });
    const message = paused.error!.message;
    const pendingCount = Number(
      /^(\d+) CSRs are pending, more than the 11 nodes this step waits for plus /.exec(message)?.[1],
    );
    expect(pendingCount).toBeGreaterThan(11 + 100);
    expect(message).toContain('install.csrPendingMargin (100): none is approved while so many wait');
    // The requester named, with the subjects it asks for: three of them, in the order the API lists the
    // requests, so a real node's may come before the rogues'.
    expect(message).toMatch(
      /Filed by system:serviceaccount:openshift-machine-config-operator:node-bootstrapper: \d+ \(for ([^;]*, )?system:node:rogue-\d+/,
    );
    expect(message).toContain('`oc delete csr <name>…`');

    const kubeconfig = new KubeConfig();
    kubeconfig.loadFromFile(sim.kubeconfigPath);
    const certificates = kubeconfig.makeApiClient(CertificatesV1Api);
    const rogues = (await certificates.listCertificateSigningRequest()).items.filter((csr) =>
      subject(csr).includes('CN=system:node:rogue-'),
    );
    expect(rogues).toHaveLength(FLOOD);
    for (const csr of rogues) expect(csr.status?.conditions ?? []).toEqual([]);

    // The operator deletes the flood, lets compute1 file, and resumes.
    await admin.clear('rogue-csr');
    for (const csr of rogues) await certificates.deleteCertificateSigningRequest({ name: csr.metadata!.name! });
    await admin.clear('csr-never-appears');
    await handle.executeUpdate(resumeUpdate, { args: [{ action: 'retry' }] });
    const steps = leafSteps((await finished(handle, 'nodes.csrs', STRETCH_MS)).steps);
    expect(steps['nodes.csrs']!.status).toBe('changed');
    expect(steps['nodes.csrs']!.message).toMatch(/^all 11 nodes Ready; approved .*\(compute1 client\)/);
    await handle.terminate('the test is done with it');
  },
  3 * STRETCH_MS,
);
