/**
 * Errors no retry can cure are marked where they are thrown, and the run pauses after the first
 * attempt instead of retrying them (an action has 4 attempts, 14 s of backoff). The `preflight`
 * runbook runs on a real dev server against a real sshd on loopback; an unknown host fails before any
 * socket opens. A connection that is refused stays retryable: the host may be rebooting.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { execa } from 'execa';
import getPort from 'get-port';
import { createActivities } from '../../activities/index.js';
import type { Lab } from '../../lab/schema.js';
import { loadExampleLab, startEngineWorker, startRunbook, waitForProgress } from '../../testing/engine-harness.js';
import { installWorkerRuntime } from '../../worker/worker.js';
import type { RunbookProgress, StepProgress } from '../../workflows/engine/api.js';
import { StepErrorType } from '../../contract/error-types.js';
import type { StepContext } from '../../contract/step.js';
import { describeWithSshd, startSshd, type TestSshd } from '../support/sshd.js';
import { startTestTemporal, type TestTemporal } from '../support/temporal.js';

/** The lab's first helper host, reached over SSH at `port` on loopback. */
function labWithHostAt(lab: Lab, sshd: TestSshd, ssh: { port: number; hostKey: string; identity?: string }): Lab {
  const copy = structuredClone(lab);
  const host = copy.hosts[0]!;
  host.ssh = {
    host: sshd.host,
    port: ssh.port,
    user: sshd.user,
    hostKey: ssh.hostKey,
    identity: ssh.identity ?? `file:${sshd.clientKeyPath}`,
  };
  copy.hosts = [host];
  return copy;
}

/** A sub-step of a for-each item in the progress tree. */
function subStep(progress: RunbookProgress, forEach: string, item: string, id: string): StepProgress | undefined {
  return progress.steps
    .find((step) => step.id === forEach)
    ?.items?.find((entry) => entry.item === item)
    ?.steps.find((step) => step.id === id);
}

describeWithSshd('permanent step errors', () => {
  let sshd: TestSshd;
  let temporal: TestTemporal;
  let stopWorker: () => Promise<void>;
  let lab: Lab;
  let dir: string;
  /** A valid public key that is not the host's. */
  let otherKey: string;

  beforeAll(async () => {
    installWorkerRuntime({ logLevel: 'ERROR' });
    dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-permanent-'));
    [sshd, temporal, lab] = await Promise.all([startSshd(), startTestTemporal(), loadExampleLab()]);
    otherKey = (await readFile(`${sshd.clientKeyPath}.pub`, 'utf8')).trim().split(' ').slice(0, 2).join(' ');
    const worker = await startEngineWorker({ connection: temporal.connection, namespace: temporal.namespace, dir });
    stopWorker = () => worker.stop();
  });

  afterAll(async () => {
    await stopWorker?.();
    await temporal?.stop();
    await sshd?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a host key that does not match pauses the run after one attempt', async () => {
    const wrongKey = labWithHostAt(lab, sshd, { port: sshd.port, hostKey: otherKey });
    const host = wrongKey.hosts[0]!.name;
    const handle = await startRunbook(temporal.client, 'preflight', {
      lab: wrongKey,
      workflowId: 'preflight/host-key',
    });
    const paused = await waitForProgress(handle, (p) => p.state === 'paused', 'the pause at the SSH check');
    expect(paused.error).toMatchObject({ stepId: `hosts[${host}].ssh`, type: 'SshError' });
    expect(paused.error?.message).toMatch(/presented a host key that DIFFERS from the known one/);
    expect(subStep(paused, 'hosts', host, 'ssh')).toMatchObject({ status: 'paused', attempts: 1 });
    await handle.terminate('test done');
  });

  it('a host the lab does not name pauses the run after one attempt, before any connection', async () => {
    // Every node's hypervisor is missing from hosts[]: the power check cannot know where to go.
    const noHosts = structuredClone(lab);
    noHosts.hosts = [];
    const node = noHosts.nodes.find((candidate) => candidate.power.type === 'libvirt')!;
    const handle = await startRunbook(temporal.client, 'preflight', { lab: noHosts, workflowId: 'preflight/unknown' });
    const paused = await waitForProgress(handle, (p) => p.state === 'paused', 'the pause at the power check');
    expect(paused.error).toMatchObject({
      stepId: `power[${node.name}].domain-state`,
      type: StepErrorType.UnknownHost,
    });
    expect(paused.error?.message).toMatch(/the lab has no helper host named/);
    expect(subStep(paused, 'power', node.name, 'domain-state')).toMatchObject({ status: 'paused', attempts: 1 });
    await handle.terminate('test done');
  });

  describe('as the worker registers the activities', () => {
    const activities = createActivities();
    const sshCheck = async (target: Lab): Promise<ApplicationFailure> => {
      const context: StepContext = {
        runbook: 'preflight',
        stepId: 'hosts[x].ssh',
        lab: target,
        item: target.hosts[0]!.name,
      };
      const failure: unknown = await new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') })
        .run(activities.preflightSsh, context)
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      if (!(failure instanceof ApplicationFailure))
        throw new Error(`expected an ApplicationFailure, got ${String(failure)}`);
      return failure;
    };

    it('a key the host refuses is not retried', async () => {
      const stranger = path.join(dir, 'stranger');
      await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
      const refused = await sshCheck(
        labWithHostAt(lab, sshd, { port: sshd.port, hostKey: sshd.hostKey, identity: `file:${stranger}` }),
      );
      expect(refused.message).toMatch(/refused the key/);
      expect(refused.nonRetryable).toBe(true);
    });

    it('a refused connection is retried (the host may be rebooting)', async () => {
      const closedPort = await getPort({ host: '127.0.0.1' });
      const failure = await sshCheck(labWithHostAt(lab, sshd, { port: closedPort, hostKey: sshd.hostKey }));
      expect(failure.message).toMatch(/connection refused/);
      expect(failure.nonRetryable).toBe(false);
    });
  });
});
