/**
 * A simulated lab from the example lab file, in a temporary state folder, quiet (log lines kept for
 * assertions), with the clients a runbook uses: client-node over HTTPS and SSH to the helper hosts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadLab } from '../../../lab/load.js';
import type { Lab } from '../../../lab/schema.js';
import { renderArtifact } from '../../../render/index.js';
import {
  createInstallFolder,
  publishIgnition,
  pushAndReload,
  pushPxeConfigs,
  stageBootAssets,
} from '../../support/sim-walkthrough.js';
import { adminRequest, type AdminReply } from '../../../simulator/admin-client.js';
import type { Fault } from '../../../simulator/faults.js';
import { startSimulatedLab, type LabStart, type SimulatedLab } from '../../../simulator/lab-sim.js';
import { SshSession } from '../../../transport/ssh.js';
import { sshTargetFor } from '../../../transport/targets.js';
import { kubeClientFor, type KubeClients } from '../../../transport/kube.js';

export { waitFor } from '../day2/fixtures.js';

/** The example lab: OpenShift 4.21 on OVN-Kubernetes. */
export const EXAMPLE_LAB = new URL('../../../runbooks/labs/example.yaml', import.meta.url).pathname;
/** The procedure's lab as written: OpenShift 4.2 on OpenShift SDN (same machines and addresses). */
export const SDN_EXAMPLE_LAB = new URL('../../../runbooks/labs/example-4.2-sdn.yaml', import.meta.url).pathname;

export interface TestLab {
  lab: Lab;
  sim: SimulatedLab;
  kube: KubeClients;
  logs: string[];
  ssh(host: string): Promise<SshSession>;
  admin(method: string, route: string, body?: unknown): Promise<AdminReply>;
  stop(): Promise<void>;
}

export async function startTestLab(
  from: LabStart,
  options: { timeScale?: number; faults?: Fault[]; labFile?: string; realControlPlane?: boolean } = {},
): Promise<TestLab> {
  const lab = await loadLab(options.labFile ?? EXAMPLE_LAB);
  const stateDir = await mkdtemp(path.join(tmpdir(), `sim-${from}-`));
  const logs: string[] = [];
  const sim = await startSimulatedLab({
    lab,
    stateDir,
    from,
    timeScale: options.timeScale ?? 0,
    faults: options.faults ?? [],
    ...(options.realControlPlane && { realControlPlane: true }),
    log: { info: (message) => logs.push(message), warn: (message) => logs.push(`warn: ${message}`) },
  });
  const sessions: SshSession[] = [];
  return {
    lab,
    sim,
    kube: await kubeClientFor({ kubeconfigPath: sim.kubeconfigPath, rehearsal: true }),
    logs,
    async ssh(host) {
      const session = await SshSession.connect(sshTargetFor(lab, host, { endpoints: sim.endpoints.hosts }));
      sessions.push(session);
      return session;
    },
    admin: (method, route, body) =>
      // On the real control plane, the simulator's routes are on the admin port only (apiUrl is the real server).
      adminRequest(
        { url: options.realControlPlane ? sim.adminUrl : sim.apiUrl, token: sim.token, caCert: sim.caCert },
        method,
        route,
        body,
      ),
    async stop() {
      for (const session of sessions) await session.close();
      await sim.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** The HTTP status of a rejected client-node call (ApiException.code), or 0 when it succeeded. */
export async function statusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 0;
  } catch (error) {
    return (error as { code?: number }).code ?? -1;
  }
}

export const CO = { group: 'config.openshift.io', version: 'v1', plural: 'clusteroperators' } as const;

/**
 * What a bare lab needs before its bootstrap node can boot, written over SSH as the seed does: the
 * zones and DHCP config (reloaded), the PXE files and the boot assets they name, HAProxy with the
 * bootstrap node, and this install's ignition files (made in `installDir` by the simulated
 * openshift-install) on the PXE host.
 */
export async function writeBootFiles(t: TestLab, installDir: string): Promise<void> {
  await pushAndReload(t.lab, t.ssh, renderArtifact(t.lab, 'dns'), 'dns');
  await pushAndReload(t.lab, t.ssh, renderArtifact(t.lab, 'dhcp'), 'dhcp');
  await pushPxeConfigs(t.lab, t.ssh);
  await stageBootAssets(t.lab, t.ssh);
  await pushAndReload(t.lab, t.ssh, renderArtifact(t.lab, 'haproxy.bootstrap'), 'haproxy');
  await createInstallFolder(t.lab, t.sim.endpointsPath, installDir);
  await publishIgnition(t.lab, t.ssh, installDir);
}
