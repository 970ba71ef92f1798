/**
 * What an operator does by hand against the simulated lab, written once for the tests that walk the
 * seed: the install folder made with (the simulated) openshift-install run as a program, its .ign
 * files and the RHCOS boot assets put on the PXE/HTTP host, power a libvirt domain over SSH, approve
 * a CSR through the approval subresource, wait for `kube-system/bootstrap` as `openshift-install
 * wait-for bootstrap-complete` does, and follow nodes with `oc get nodes -w`.
 */
import type { KubernetesObject, V1CertificateSigningRequest } from '@kubernetes/client-node';
import { execa } from 'execa';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hostsWith, type Lab } from '../../lab/schema.js';
import { patchSchedulerManifest, renderArtifact, schedulerManifestPath } from '../../render/index.js';
import { renderPxe } from '../../render/pxe.js';
import { writeRendered } from '../../render/write.js';
import type { KubeObject } from '../../simulator/apiserver/store.js';
import type { BootTracker } from '../../simulator/controllers/boot.js';
import { pxeAssetsIn } from '../../simulator/hosts/boot-readiness.js';
import { simulatedInstaller } from '../../simulator/lab-sim.js';
import type { SshSession } from '../../transport/ssh.js';
import type { KubeClients } from '../../transport/kube.js';
import { PhaseRecorder } from '../simulator/day2/seed-infra.js';

/** Writes rendered files to their hosts, then runs each host's check and reload; the check output per host. */
export async function pushAndReload(
  lab: Lab,
  ssh: (host: string) => Promise<SshSession>,
  files: readonly { host?: string; target?: string; content: string }[],
  service: 'dns' | 'dhcp' | 'haproxy',
): Promise<Record<string, string>> {
  const checked: Record<string, string> = {};
  for (const host of new Set(files.map((file) => file.host!))) {
    const session = await ssh(host);
    for (const file of files.filter((candidate) => candidate.host === host)) {
      await session.mkdirp(path.posix.dirname(file.target!));
      await session.writeFileIfChanged(file.target!, file.content);
    }
    const block = lab.hosts.find((candidate) => candidate.name === host)![service]!;
    if (block.check) checked[host] = (await session.execChecked(block.check)).stdout;
    if (block.reload) await session.execChecked(block.reload);
  }
  return checked;
}

/** `openshift-install <args>` (the simulated one, for the lab of `endpointsPath`), as a program. */
export async function openshiftInstall(endpointsPath: string, args: readonly string[]) {
  const installer = simulatedInstaller(endpointsPath);
  return execa(installer.binary, args, { env: installer.env, reject: false });
}

/**
 * The seed's install folder: install-config.yaml (secrets filled, on disk only), `create manifests`,
 * mastersSchedulable set as the lab says, `create ignition-configs`. `edit` changes the lab's
 * install-config first (another cluster's, for the tests that need foreign ignition).
 */
export async function createInstallFolder(
  lab: Lab,
  endpointsPath: string,
  dir: string,
  edit: (text: string) => string = (text) => text,
): Promise<void> {
  const [installConfig] = renderArtifact(lab, 'install.install-config');
  await writeRendered([{ ...installConfig!, path: 'install-config.yaml' }], dir);
  const configPath = path.join(dir, 'install-config.yaml');
  await writeFile(configPath, edit(await readFile(configPath, 'utf8')));
  const run = async (args: string[]) => {
    const result = await openshiftInstall(endpointsPath, [...args, '--dir', dir]);
    if (result.exitCode !== 0) throw new Error(`openshift-install ${args.join(' ')} failed: ${result.stderr}`);
  };
  await run(['create', 'manifests']);
  const scheduler = path.join(dir, schedulerManifestPath);
  await writeFile(scheduler, patchSchedulerManifest(await readFile(scheduler, 'utf8'), lab.cluster.mastersSchedulable));
  await run(['create', 'ignition-configs']);
}

/** `scp -p install-directory/*.ign root@pxe-server:<httpRoot>/`. */
export async function publishIgnition(
  lab: Lab,
  ssh: (host: string) => Promise<SshSession>,
  dir: string,
  files: Partial<Record<'bootstrap' | 'master' | 'worker', string>> = {},
): Promise<void> {
  const host = hostsWith(lab, 'pxe')[0]!;
  const session = await ssh(host.name);
  await session.mkdirp(host.pxe.httpRoot);
  for (const role of ['bootstrap', 'master', 'worker'] as const) {
    const source = files[role] ?? path.join(dir, `${role}.ign`);
    await session.writeFileIfChanged(path.posix.join(host.pxe.httpRoot, `${role}.ign`), await readFile(source, 'utf8'));
  }
}

/** The per-MAC PXE configs and menus on the PXE host. */
export async function pushPxeConfigs(lab: Lab, ssh: (host: string) => Promise<SshSession>): Promise<void> {
  for (const file of renderPxe(lab)) {
    const session = await ssh(file.host!);
    await session.mkdirp(path.posix.dirname(file.target!));
    await session.writeFileIfChanged(file.target!, file.content);
  }
}

/**
 * Small stand-ins for the RHCOS boot assets the rendered PXE configs name (kernel and initramfs on the
 * TFTP root, images on the HTTP root), as a mirror would have delivered them; `except` leaves some out.
 */
export async function stageBootAssets(
  lab: Lab,
  ssh: (host: string) => Promise<SshSession>,
  except: (remotePath: string) => boolean = () => false,
): Promise<string[]> {
  const host = hostsWith(lab, 'pxe')[0]!;
  const session = await ssh(host.name);
  const base = host.pxe.httpUrl.replace(/\/+$/, '');
  const targets = new Set<string>();
  for (const file of renderPxe(lab)) {
    const { tftp, urls } = pxeAssetsIn(file.content);
    for (const relative of tftp) targets.add(path.posix.join(host.pxe.tftpRoot, relative));
    for (const url of urls) targets.add(path.posix.join(host.pxe.httpRoot, url.slice(base.length + 1)));
  }
  const staged = [...targets].filter((target) => !except(target)).sort();
  for (const target of staged) {
    await session.mkdirp(path.posix.dirname(target));
    await session.writeFileIfChanged(target, `stand-in for ${path.posix.basename(target)}\n`);
  }
  return staged;
}

/**
 * Resolves with `probe`'s value once it gives one, looking again at every boot event; fails naming
 * `what` and every node's boot state when the lab has gone quiet (no boot event for 10 s) without it.
 */
function onBoot<T>(boot: BootTracker, what: string, probe: () => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    let quiet: NodeJS.Timeout | undefined;
    const events = ['running', 'stuck', 'down'] as const;
    const stop = () => {
      clearTimeout(quiet);
      for (const event of events) boot.off(event, check);
    };
    function check(): void {
      const value = probe();
      if (value !== undefined) {
        stop();
        resolve(value);
        return;
      }
      clearTimeout(quiet);
      quiet = setTimeout(() => {
        stop();
        reject(new Error(`no boot event for 10 s without: ${what}\nnodes: ${JSON.stringify(boot.states(), null, 1)}`));
      }, 10_000);
    }
    for (const event of events) boot.on(event, check);
    check();
  });
}

/** Resolves with the node's reason once it is stuck and the reason satisfies `match`. */
export function stuckWith(boot: BootTracker, node: string, match: (reason: string) => boolean): Promise<string> {
  return onBoot(boot, `${node} stuck as expected`, () => {
    const reason = boot.stuck()[node];
    return reason !== undefined && match(reason) ? reason : undefined;
  });
}

/** Resolves once the node runs RHCOS (booted and through first boot). */
export async function running(boot: BootTracker, node: string): Promise<void> {
  await onBoot(boot, `${node} running`, () => (boot.isRunning(node) ? true : undefined));
}

/** `virsh -c qemu:///system start|destroy <domain>` on the node's hypervisor. */
export async function virsh(
  lab: Lab,
  ssh: (host: string) => Promise<SshSession>,
  action: 'start' | 'destroy',
  nodeName: string,
): Promise<void> {
  const node = lab.nodes.find((candidate) => candidate.name === nodeName);
  if (node?.power.type !== 'libvirt') throw new Error(`${nodeName} is not a libvirt domain of the lab`);
  const session = await ssh(node.power.hypervisor);
  await session.execChecked(['virsh', '-c', 'qemu:///system', action, node.power.domain]);
}

/** `oc adm certificate approve`, through client-node's approval subresource. */
export async function approveCsr(kube: KubeClients, name: string): Promise<void> {
  const current = await kube.certificates.readCertificateSigningRequest({ name });
  const body: V1CertificateSigningRequest = {
    ...current,
    status: {
      ...current.status,
      conditions: [
        ...(current.status?.conditions ?? []),
        {
          type: 'Approved',
          status: 'True',
          reason: 'KubectlApprove',
          message: 'This CSR was approved by kubectl certificate approve.',
        },
      ],
    },
  };
  await kube.certificates.replaceCertificateSigningRequestApproval({ name, body });
}

/** Resolves once `kube-system/bootstrap` says `status: complete`, seen on a watch. */
export async function bootstrapComplete(kube: KubeClients): Promise<void> {
  let watching: AbortController | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      void kube.watch
        .watch(
          '/api/v1/namespaces/kube-system/configmaps',
          { fieldSelector: 'metadata.name=bootstrap' },
          (type, object: { data?: Record<string, string> }) => {
            if ((type === 'ADDED' || type === 'MODIFIED') && object.data?.status === 'complete') resolve();
          },
          (error) => (error ? reject(error) : undefined),
        )
        .then((controller) => (watching = controller), reject);
    });
  } finally {
    watching?.abort();
  }
}

/** `oc get nodes -w`: each node's phases as the watch stream delivers them, and waits on them. */
export interface NodeWatch {
  recorder: PhaseRecorder;
  /** Resolves once the watch has shown node `name` in a phase sequence that satisfies `done`. */
  seen(name: string, done: (summary: string[]) => boolean): Promise<string[]>;
  stop(): void;
}

export async function watchNodes(kube: KubeClients, watched: readonly string[]): Promise<NodeWatch> {
  const recorder = new PhaseRecorder(watched);
  const waiters = new Set<() => void>();
  const request = await kube.watch.watch(
    '/api/v1/nodes',
    {},
    (_type, node: KubernetesObject) => {
      recorder.see(node as KubeObject);
      for (const wake of waiters) wake();
    },
    () => {},
  );
  return {
    recorder,
    seen: (name, done) =>
      new Promise((resolve) => {
        const check = () => {
          const summary = recorder.summary(name);
          if (!done(summary)) return;
          waiters.delete(check);
          resolve(summary);
        };
        waiters.add(check);
        check();
      }),
    stop: () => request.abort(),
  };
}

/** Whether a node's watch summary shows a full MCO update: drained, rebooted NotReady, back Done. */
export const updatedThroughReboot = (summary: string[]): boolean =>
  summary.includes('Working,cordoned,NotReady') && summary[summary.length - 1] === 'Done';
