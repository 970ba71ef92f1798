/**
 * What an operator does by hand against the simulated lab, written once for the tests that walk the
 * seed: power a libvirt domain over SSH, approve a CSR through the approval subresource, wait for
 * `kube-system/bootstrap` as `openshift-install wait-for bootstrap-complete` does, and follow nodes
 * with `oc get nodes -w`.
 */
import type { KubernetesObject, V1CertificateSigningRequest } from '@kubernetes/client-node';
import type { Lab } from '../../lab/schema.js';
import type { KubeObject } from '../../simulator/apiserver/store.js';
import type { SshSession } from '../../transport/ssh.js';
import type { KubeClients } from '../../transport/kube.js';
import { PhaseRecorder } from '../simulator/day2/seed-infra.js';

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
