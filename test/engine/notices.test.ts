/**
 * Notices to a lab's webhooks, against a real dev server and a receiver on loopback: a run that pauses
 * and completes while its receiver answers 500 is never held up, the notices arrive once the receiver
 * recovers (after retries, the "completed" one after the run has closed), the URL (a secret) is in no
 * history, and a rehearsal refuses a webhook off loopback before any connection.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { readFileSync } from 'node:fs';
import { parseLab } from '../../lab/load.js';
import type { Lab } from '../../lab/schema.js';
import { NOTICE_EVENTS } from '../../lab/schema.js';
import { markerFile } from '../../testing/engine-activities.js';
import {
  loadExampleLab,
  startEngineWorker,
  startRunbook,
  waitForProgress,
  type RunningWorker,
} from '../../testing/engine-harness.js';
import { approveUpdate, resumeUpdate } from '../../workflows/engine/api.js';
import type { NoticeResult } from '../../workflows/engine/notices.js';
import type { PostedNotice } from '../../activities/notify/index.js';
import { startTestTemporal, type TestTemporal } from '../support/temporal.js';

const SECRET_PATH = `/hooks/T0KEN-${process.pid}-${Date.now()}`;
const WEBHOOK_ENV = 'RUNBOOK_TEST_WEBHOOK_URL';
const UI = 'http://ui.test';

/** A webhook receiver on loopback that answers 500 until healed. */
class Receiver {
  readonly server: Server;
  failing = true;
  /** Every request, with the status it was answered. */
  readonly seen: Array<{ status: number; body: PostedNotice; path: string }> = [];
  private waiters: Array<() => void> = [];

  constructor() {
    this.server = createServer((request: IncomingMessage, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const status = this.failing ? 500 : 204;
        this.seen.push({
          status,
          path: request.url ?? '',
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as PostedNotice,
        });
        response.writeHead(status).end();
        for (const wake of this.waiters.splice(0)) wake();
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${SECRET_PATH}`;
  }

  delivered(event: string) {
    return this.seen.find((entry) => entry.status === 204 && entry.body.event === event);
  }

  /** Resolves once `check` holds, re-checked on every request (no polling, no sleeps). */
  async until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; seen ${JSON.stringify(this.seen)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 1000).unref();
      });
    }
  }
}

/** Every string of a history, payload bytes decoded, so a secret is found wherever it hides. */
function textOf(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (Array.isArray(value)) value.forEach((item) => textOf(item, out));
  else if (typeof value === 'object' && value !== null) Object.values(value).forEach((item) => textOf(item, out));
  return out;
}

let temporal: TestTemporal;
let worker: RunningWorker;
let receiver: Receiver;
let dir: string;
let url: string;

function labWithWebhook(base: Lab, name: string): Lab {
  return { ...base, name, notify: { webhooks: [{ name: 'ops', url: `env:${WEBHOOK_ENV}`, on: [...NOTICE_EVENTS] }] } };
}

/** The notice children a run started, from its history, with their results. */
async function noticeChildren(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    const id = event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
    return id ? [id] : [];
  });
}

beforeAll(async () => {
  temporal = await startTestTemporal();
  dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-notices-'));
  receiver = new Receiver();
  url = await receiver.listen();
  process.env[WEBHOOK_ENV] = url;
  process.env.TEMPORAL_UI_URL = UI;
  worker = await startEngineWorker({ connection: temporal.connection, namespace: temporal.namespace, dir });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await temporal?.stop();
  await new Promise((resolve) => receiver?.server.close(resolve));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('notices', () => {
  it('never holds a run up: it pauses and completes while the receiver fails, the notices arrive after retries', async () => {
    const lab = labWithWebhook(await loadExampleLab(), 'hooked');
    const handle = await startRunbook(temporal.client, 'engine-flaky', { lab });
    await waitForProgress(handle, (p) => p.state === 'paused' && p.currentStep === 'flaky.step', 'the pause');
    // The receiver has failed the "paused" notice at least twice (retries), and the run waits regardless.
    await receiver.until(() => receiver.seen.filter((s) => s.body.event === 'paused').length >= 2, 'two attempts');
    expect(receiver.delivered('paused')).toBeUndefined();

    // Resumed and completed while every notice still fails: nothing waits for a delivery.
    writeFileSync(markerFile(dir, handle.workflowId, 'fixed'), '');
    writeFileSync(markerFile(dir, handle.workflowId, 'input-fixed'), '');
    await handle.executeUpdate(resumeUpdate, { args: [{ action: 'retry' }] });
    await handle.result();
    expect(receiver.seen.every((entry) => entry.status === 500)).toBe(true);

    receiver.failing = false;
    await receiver.until(
      () => receiver.delivered('paused') !== undefined && receiver.delivered('completed') !== undefined,
      'the paused and completed notices',
    );
    const paused = receiver.delivered('paused')!.body;
    expect(paused).toMatchObject({
      event: 'paused',
      runbook: 'engine-flaky',
      lab: 'hooked',
      workflowId: handle.workflowId,
      step: 'flaky.step',
      command: `runbook resume ${handle.workflowId}`,
      ui: `${UI}/namespaces/${temporal.namespace}/workflows/${encodeURIComponent(handle.workflowId)}`,
    });
    expect(paused.message).toContain('marker fixed is missing');
    expect(receiver.delivered('completed')!.body).toMatchObject({ event: 'completed', runbook: 'engine-flaky' });
    expect(receiver.seen.every((entry) => entry.path === SECRET_PATH)).toBe(true);

    // Each notice is a child workflow that outlived its parent; it reports which webhook got it.
    const children = await noticeChildren(handle);
    expect(children).toHaveLength(2); // paused at flaky.step, completed
    for (const id of children) {
      const result = (await temporal.client.workflow.getHandle(id).result()) as NoticeResult;
      expect(result).toEqual({ delivered: ['ops'], undelivered: [] });
    }

    // The URL is a secret: in no history, neither the run's nor its notices'.
    const histories = [handle.workflowId, ...children].map((id) =>
      temporal.client.workflow.getHandle(id).fetchHistory(),
    );
    for (const history of await Promise.all(histories)) {
      const text = textOf(history).join('\n');
      expect(text).toContain('engine-flaky');
      expect(text).not.toContain(SECRET_PATH);
      expect(text).not.toContain(Buffer.from(url).toString('base64'));
    }
  }, 120_000);

  it('tells of a run aborted by the operator, naming the step and the reason', async () => {
    receiver.failing = false;
    const handle = await startRunbook(temporal.client, 'engine-flaky', {
      lab: labWithWebhook(await loadExampleLab(), 'aborted'),
    });
    await waitForProgress(handle, (p) => p.state === 'paused', 'the pause');
    await handle.executeUpdate(resumeUpdate, { args: [{ action: 'abort', reason: 'lab reserved' }] });
    const failure = await handle.result().catch((error: unknown) => error as Error & { cause?: Error });
    expect(failure.cause?.message).toMatch(/aborted by the operator/);
    await receiver.until(
      () => receiver.seen.some((s) => s.status === 204 && s.body.event === 'aborted' && s.body.lab === 'aborted'),
      'the aborted notice',
    );
    const notice = receiver.seen.find((s) => s.body.event === 'aborted' && s.body.lab === 'aborted')!.body;
    expect(notice).toMatchObject({ runbook: 'engine-flaky', step: 'flaky.step', workflowId: handle.workflowId });
    expect(notice.message).toMatch(/aborted by the operator \(lab reserved\); the step had failed: marker fixed/);
  }, 120_000);

  it('tells of a step skipped by the operator, with the reason the skip recorded', async () => {
    receiver.failing = false;
    const handle = await startRunbook(temporal.client, 'engine-flaky', {
      lab: labWithWebhook(await loadExampleLab(), 'skipped'),
    });
    await waitForProgress(handle, (p) => p.state === 'paused', 'the pause');
    await handle.executeUpdate(resumeUpdate, {
      args: [{ action: 'skip', reason: 'check passes now: marker set by hand' }],
    });
    await receiver.until(
      () => receiver.seen.some((s) => s.status === 204 && s.body.event === 'skipped' && s.body.lab === 'skipped'),
      'the skipped notice',
    );
    const notice = receiver.seen.find((s) => s.body.event === 'skipped' && s.body.lab === 'skipped')!.body;
    expect(notice).toMatchObject({ runbook: 'engine-flaky', step: 'flaky.step', workflowId: handle.workflowId });
    expect(notice.message).toMatch(
      /^skipped by the operator \(check passes now: marker set by hand\) after: marker fixed is missing/,
    );
    await handle.terminate('the test is over').catch(() => undefined);
  }, 120_000);

  it('a rehearsal refuses a webhook off loopback before any connection, and the run goes on', async () => {
    const before = receiver.seen.length;
    process.env.RUNBOOK_TEST_WEBHOOK_FAR = 'http://10.42.253.250/hooks/far';
    const base = await loadExampleLab();
    const lab: Lab = {
      ...base,
      name: 'far',
      notify: { webhooks: [{ name: 'far', url: 'env:RUNBOOK_TEST_WEBHOOK_FAR', on: ['waiting-approval'] }] },
    };
    const handle = await startRunbook(temporal.client, 'engine-gate', {
      lab,
      input: {
        rehearsal: { endpointsFile: path.join(dir, 'endpoints.json'), kubeconfig: path.join(dir, 'kubeconfig') },
      },
    });
    await waitForProgress(handle, (p) => p.state === 'waiting-approval', 'the gate');
    const [child] = await noticeChildren(handle);
    expect(child).toBeDefined();
    const result = (await temporal.client.workflow.getHandle(child!).result()) as NoticeResult;
    expect(result).toEqual({ delivered: [], undelivered: ['far'] });
    const childHistory = await temporal.client.workflow.getHandle(child!).fetchHistory();
    const childText = textOf(childHistory).join('\n');
    expect(childText).toContain('rehearsal refuses to post to webhook far: its URL is not on loopback');
    expect(childText).toContain('RehearsalTargetError');
    expect(childText).not.toContain('10.42.253.250');
    // One attempt: the refusal is not retried.
    expect(childHistory.events?.filter((event) => event.activityTaskStartedEventAttributes)).toHaveLength(1);
    await handle.executeUpdate(approveUpdate, { args: [{}] });
    await handle.result();
    // Only the "waiting-approval" event was wanted: the completion sent nothing.
    expect(await noticeChildren(handle)).toHaveLength(1);
    expect(receiver.seen.length).toBe(before);
  }, 120_000);
});

describe('the notify block of a lab file', () => {
  const labsDir = path.join(path.dirname(new URL(import.meta.url).pathname), '../../runbooks/labs');
  const example = () => readFileSync(path.join(labsDir, 'example.yaml'), 'utf8');
  const withNotify = (block: string) =>
    parseLab(`${example()}\nnotify:\n  webhooks:\n${block}`, 'lab.yaml', { baseDir: labsDir });

  it('takes a webhook by secret reference, every event by default, a relative file made absolute', async () => {
    const file = path.join(dir, 'ops-webhook');
    writeFileSync(file, `${url}\n`);
    const lab = await withNotify(`    - name: ops\n      url: file:${path.relative(labsDir, file)}\n`);
    expect(lab.notify?.webhooks).toEqual([{ name: 'ops', url: `file:${file}`, on: [...NOTICE_EVENTS] }]);
  });

  it('refuses a URL written in place of a reference, a value that is no URL, and a name given twice', async () => {
    const file = path.join(dir, 'not-a-url');
    writeFileSync(file, 'hunter2\n');
    const error = await withNotify(
      [
        `    - name: ops\n      url: ${url}`,
        `    - name: chat\n      url: file:${file}`,
        `    - name: chat\n      url: env:${WEBHOOK_ENV}\n`,
      ].join('\n'),
    ).catch((caught: unknown) => caught as Error);
    const issues = (error as Error & { issues?: Array<{ path: string; message: string }> }).issues ?? [];
    const message = issues.map((issue) => `${issue.path}: ${issue.message}`).join('\n');
    expect(message).toMatch(/notify\.webhooks\[0\]\.url.*must be a secret reference/s);
    expect(message).toMatch(/notify\.webhooks\[1\]\.url.*is not a webhook URL/s);
    expect(message).toMatch(/notify\.webhooks\[2\]\.name.*names the webhook "chat" a second time/s);
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain(SECRET_PATH);
  });
});
