/**
 * `watchedPoll` against the simulated API server: a wait wakes on a watch event (its poll window is
 * made far longer than the test may run, so only the event can end it), starts the watch again when
 * the server ends it, and carries on through the API being unreachable.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { readObject, watchedPoll, type WatchTarget } from '../../activities/cluster/watch-wait.js';
import { kubeClientFor } from '../../transport/kube.js';
import type { StepContext } from '../../contract/step.js';
import { startTestLab, type TestLab } from '../simulator/install/support.js';

let t: TestLab;
beforeAll(async () => {
  t = await startTestLab('installed');
}, 60_000);
afterAll(() => t?.stop());

/** Poll windows of 5 minutes: a wait that ends within the test's timeout was woken by an event. */
const env = () => new MockActivityEnvironment({ heartbeatTimeoutMs: 600_000 }, { logger: new DefaultLogger('ERROR') });
const context = (): StepContext => ({
  runbook: 'test',
  stepId: 'wait',
  lab: t.lab,
  poll: { intervalMs: 300_000, deadlineMs: 600_000 },
});
const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', name, namespace: 'default' });
const watchOf = (name: string, extra: Record<string, string> = {}): WatchTarget => ({
  path: '/api/v1/namespaces/default/configmaps',
  query: { fieldSelector: `metadata.name=${name}`, ...extra },
});
const create = (name: string) =>
  t.kube.core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name }, data: { go: 'yes' } } });

/** A wait for ConfigMap `name` with data.go = yes; `onMiss(probe)` runs after each probe that did not see it. */
function waitFor(name: string, watch: WatchTarget, onMiss: (probe: number) => void) {
  let probes = 0;
  const outcome = env().run(() =>
    watchedPoll(context(), t.kube, { what: `ConfigMap ${name}`, watches: [watch] }, async () => {
      probes += 1;
      const live = (await readObject(t.kube, configMap(name))) as { data?: { go?: string } } | undefined;
      if (live?.data?.go === 'yes') return { done: true, detail: `seen after ${probes} probes` };
      setImmediate(() => onMiss(probes));
      return { done: false, detail: 'not yet' };
    }),
  );
  return outcome;
}

it('wakes on the watch event: the object created during the wait is seen at the next probe', async () => {
  const outcome: unknown = await waitFor('woken', watchOf('woken'), (probe) => {
    if (probe === 1) void create('woken');
  });
  expect(outcome).toEqual({ changed: false, detail: 'seen after 2 probes' });
}, 30_000);

it('starts the watch again when the server ends it, and is woken by the new one', async () => {
  // The server ends each watch after 1 s: the end wakes probe 2, which starts a new watch; the
  // object created then can only be seen in time through that new watch.
  const outcome = await waitFor('rewatched', watchOf('rewatched', { timeoutSeconds: '1' }), (probe) => {
    if (probe === 2) void create('rewatched');
  });
  expect(outcome).toEqual({ changed: false, detail: 'seen after 3 probes' });
}, 30_000);

it('keeps waiting through an API server that does not answer, and says so', async () => {
  // The same kubeconfig aimed at a loopback port nothing listens on.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as { port: number }).port;
  await new Promise((resolve) => closed.close(resolve));
  const kubeconfig = path.join(path.dirname(t.sim.kubeconfigPath), 'unreachable.kubeconfig');
  const text = await readFile(t.sim.kubeconfigPath, 'utf8');
  await writeFile(kubeconfig, text.replace(/server: https:\/\/127\.0\.0\.1:\d+/, `server: https://127.0.0.1:${port}`));
  const kube = await kubeClientFor({ kubeconfigPath: kubeconfig, rehearsal: true });
  const unreachable: StepContext = { ...context(), poll: { intervalMs: 10, deadlineMs: 300 } };
  const failure = (await new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') })
    .run(() =>
      watchedPoll(unreachable, kube, { what: 'ConfigMap never', watches: [watchOf('never')] }, async () => {
        await readObject(kube, configMap('never'));
        return { done: false, detail: 'not yet' };
      }),
    )
    .catch((error: unknown) => error)) as Error;
  expect(failure.message).toMatch(
    /^Timed out after 0s waiting for ConfigMap never \((\d{2,}|[2-9]) checks\); last check: the API server did not answer: /,
  );
});
