/**
 * An API that is down is down: the `api-down` fault refuses connections (the default), resets them,
 * or answers 503, for REAL seconds whatever the lab's time scale, while the admin port stays up to
 * clear it; kubectl and client-node see what they would see against a cluster whose load balancer
 * has no API server behind it. Driven as a user would: `runbook sim fault add|clear`, kubectl.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { adminRequest } from '../../simulator/admin-client.js';
import type { Fault } from '../../simulator/faults.js';
import { startTestLab, type TestLab } from './install/support.js';

const RUNBOOK = new URL('../../bin/runbook.js', import.meta.url).pathname;
let t: TestLab;

beforeAll(async () => {
  t = await startTestLab('installed');
});
afterAll(async () => {
  await t?.stop();
});

const stateDir = () => path.dirname(t.sim.kubeconfigPath);
const kubectl = (...args: string[]) =>
  execa('kubectl', ['--kubeconfig', t.sim.kubeconfigPath, '--request-timeout=10s', ...args], {
    reject: false,
    timeout: 30_000,
  });
const runbook = (...args: string[]) => execa(process.execPath, [RUNBOOK, ...args], { timeout: 60_000 });
/** The admin endpoints on their own port, as `runbook sim fault` reaches them during an outage. */
const admin = (method: string, route: string, body?: unknown) =>
  adminRequest({ url: t.sim.adminUrl, token: t.sim.token, caCert: t.sim.caCert }, method, route, body);
/** The error code client-node's fetch fails with (ECONNREFUSED, ECONNRESET…), or 'ok'. */
async function clientError(): Promise<string> {
  try {
    await t.kube.core.listNode();
    return 'ok';
  } catch (error) {
    const cause = (error as { cause?: { code?: string; cause?: { code?: string } } }).cause;
    return cause?.code ?? cause?.cause?.code ?? String(error);
  }
}
/** Resolves once no fault of `kind` is in force. */
const cleared = (kind: Fault['kind']) =>
  new Promise<void>((resolve) => {
    const check = (list: readonly Fault[]) => {
      if (list.some((fault) => fault.kind === kind)) return;
      t.sim.faults.off('change', check);
      resolve();
    };
    t.sim.faults.on('change', check);
    check(t.sim.faults.list());
  });

describe('api-down', () => {
  it('refuses connections until `runbook sim fault clear`, the admin port still answering', async () => {
    await runbook('sim', 'fault', 'add', 'api-down', '--state-dir', stateDir());
    expect(t.sim.faults.list()).toEqual([{ kind: 'api-down', answer: 'refused' }]);
    const down = await kubectl('get', 'nodes');
    expect(down.exitCode).not.toBe(0);
    expect(down.stderr).toContain('connection refused');
    expect(await clientError()).toBe('ECONNREFUSED');
    expect((await admin('GET', '/simulator/faults')).status).toBe(200);
    await runbook('sim', 'fault', 'clear', 'api-down', '--state-dir', stateDir());
    expect((await kubectl('get', 'nodes')).exitCode).toBe(0);
    expect(await clientError()).toBe('ok');
  });

  it('resets connections with answer=reset', async () => {
    expect((await admin('POST', '/simulator/faults', { kind: 'api-down', answer: 'reset' })).status).toBe(201);
    const down = await kubectl('get', 'nodes');
    expect(down.exitCode).not.toBe(0);
    expect(down.stderr).toMatch(/connection reset by peer|EOF/);
    expect(await clientError()).toBe('ECONNRESET');
    await admin('DELETE', '/simulator/faults?kind=api-down');
    expect(await clientError()).toBe('ok');
  });

  it('answers 503 with Retry-After with answer=503', async () => {
    await admin('POST', '/simulator/faults', { kind: 'api-down', answer: '503', seconds: 600 });
    const reply = await adminRequest(
      { url: t.sim.apiUrl, token: t.sim.token, caCert: t.sim.caCert },
      'GET',
      '/api/v1/nodes',
    );
    expect(reply.status).toBe(503);
    expect(Number(reply.headers['retry-after'])).toBeGreaterThan(500);
    await admin('DELETE', '/simulator/faults?kind=api-down');
  });

  it('lasts its seconds of real time, even in a lab running at time scale 0', async () => {
    await admin('POST', '/simulator/faults', { kind: 'api-down', seconds: 2 });
    const over = cleared('api-down');
    // At time scale 0 a lab-time outage would already be over; this one is still on.
    expect(await clientError()).toBe('ECONNREFUSED');
    await over;
    expect(await clientError()).toBe('ok');
  });
});
