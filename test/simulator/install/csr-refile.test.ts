/**
 * A kubelet whose CSR stays unapproved gives up on it and files another (OpenShift's install docs:
 * approve within the hour, or more CSRs appear), so an approval that looks once, or by name only,
 * misses the request the kubelet waits for. Watched and approved with kubectl on a bare lab whose
 * clock runs fast enough (time scale 1/2000: an hour of lab time is 1.8 s) to see it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { nodeFqdn } from '../../../lab/schema.js';
import type { KubeObject } from '../../../simulator/apiserver/store.js';
import { csrRequestPem, csrState } from '../../../simulator/controllers/csr.js';
import { parseCsrPem } from '../../../simulator/node-certificates.js';
import { NODE_BOOTSTRAPPER } from '../../../simulator/openshift-objects.js';
import { virsh } from '../../support/sim-walkthrough.js';
import { startTestLab, writeBootFiles, type TestLab } from './support.js';

const CSRS = 'certificatesigningrequests.certificates.k8s.io';
let t: TestLab;
let installDir: string;

beforeAll(async () => {
  t = await startTestLab('bare', { timeScale: 1 / 2000 });
  installDir = await mkdtemp(path.join(tmpdir(), 'csr-refile-install-'));
});
afterAll(async () => {
  await t?.stop();
  if (installDir) await rm(installDir, { recursive: true, force: true });
});

const fqdn = (name: string) => nodeFqdn(t.lab, { name });

async function kubectl(...args: string[]): Promise<string> {
  return (await execa('kubectl', ['--kubeconfig', t.sim.kubeconfigPath, ...args], { timeout: 60_000 })).stdout;
}

/** compute1's client CSRs as `kubectl get csr` lists them: name, requestor, condition. */
async function clientCsrs(): Promise<{ name: string; requestor: string; condition: string }[]> {
  const csrs = JSON.parse(await kubectl('get', 'csr', '-o', 'json')) as { items: KubeObject[] };
  return csrs.items
    .filter((csr) => {
      const spec = csr.spec as { username?: string };
      return (
        spec.username === NODE_BOOTSTRAPPER &&
        parseCsrPem(csrRequestPem(csr)).commonName === `system:node:${fqdn('compute1')}`
      );
    })
    .sort((a, b) => a.metadata.creationTimestamp!.localeCompare(b.metadata.creationTimestamp!))
    .map((csr) => ({
      name: csr.metadata.name,
      requestor: (csr.spec as { username: string }).username,
      condition: csrState(csr),
    }));
}

/**
 * Resolves once `predicate` holds, re-checked at every change in the lab's API objects: lab time
 * passes between changes here, so there is no settling to detect, only the test's own timeout.
 */
function whenLab<T>(predicate: () => T | undefined | false): Promise<T> {
  return new Promise((resolve) => {
    const check = () => {
      const value = predicate();
      if (!value) return;
      unsubscribe();
      resolve(value);
    };
    const unsubscribe = t.sim.store.onChange(check);
    check();
  });
}

const clientCsrsInStore = () =>
  t.sim.store.list(CSRS).items.filter((csr) => {
    try {
      return parseCsrPem(csrRequestPem(csr)).commonName === `system:node:${fqdn('compute1')}`;
    } catch {
      return false;
    }
  });

describe('kubelets re-file unapproved CSRs', () => {
  it('brings the bare lab API up (DHCP, PXE and ignition files in place, bootstrap node on)', async () => {
    await writeBootFiles(t, installDir);
    await virsh(t.lab, t.ssh, 'start', 'bootstrap');
    await whenLab(() => t.sim.progress.apiUp);
  });

  it('files a new client CSR when the first waits an hour; approving the old one by name does not join the node', async () => {
    await virsh(t.lab, t.ssh, 'start', 'compute1');
    await whenLab(() => clientCsrsInStore().length >= 2);
    const [first, second] = await clientCsrs();
    expect(first).toMatchObject({ requestor: NODE_BOOTSTRAPPER, condition: 'Pending' });
    expect(second).toMatchObject({ requestor: NODE_BOOTSTRAPPER, condition: 'Pending' });
    expect(t.logs).toContain(`warn: compute1 gave up waiting for its client CSR ${first!.name} and files a new one`);

    // The approval of the abandoned request is issued, but no kubelet waits for it any more.
    expect(await kubectl('certificate', 'approve', first!.name)).toBe(
      `certificatesigningrequest.certificates.k8s.io/${first!.name} approved`,
    );
    await whenLab(() => {
      const csr = t.sim.store.get(CSRS, undefined, first!.name);
      return csr && csrState(csr) === 'Issued';
    });
    expect(t.sim.store.get('nodes', undefined, fqdn('compute1'))).toBeUndefined();

    // Approving what is pending now (the way to do it: look again, approve every pending request) joins it.
    const pending = (await clientCsrs()).filter((csr) => csr.condition === 'Pending').map((csr) => csr.name);
    expect(pending.length).toBeGreaterThanOrEqual(1);
    await kubectl('certificate', 'approve', ...pending);
    await whenLab(() => t.sim.store.get('nodes', undefined, fqdn('compute1')));
    expect(await kubectl('get', 'node', fqdn('compute1'), '-o', 'name')).toBe(`node/${fqdn('compute1')}`);
  });
});
