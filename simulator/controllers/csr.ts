/**
 * Certificate signing requests, cluster side:
 * - the signer (kube-controller-manager's csrsigning): an approved, not denied request gets its
 *   certificate in `status.certificate`;
 * - the bootstrap node's approve-csr service: while bootstrap runs, it approves the masters' requests
 *   (workers and infra nodes join later and wait for an operator, as on UPI without Machines);
 * - the `rogue-csr` fault: a client request for a node the lab does not have.
 */
import { NODE_BOOTSTRAPPER_USER } from '../apiserver/identity.js';
import type { KubeObject } from '../apiserver/store.js';
import type { Controller } from '../context.js';
import { watchType } from '../lab-api.js';
import { createClusterSigner, createCsrPem, parseCsrPem, type ClusterSigner } from '../node-certificates.js';
import { R, clientCsrObject, conditionOf, csrName, now } from '../openshift-objects.js';
import { nodeFqdn } from '../../lab/schema.js';
import type { InstallProgress } from './install.js';

interface CsrStatus {
  conditions?: Array<{ type: string; status: string }>;
  certificate?: string;
}

export function csrState(csr: KubeObject): 'Pending' | 'Approved' | 'Denied' | 'Issued' {
  const status = (csr.status ?? {}) as CsrStatus;
  if (conditionOf(csr, 'Denied')?.status === 'True') return 'Denied';
  if (conditionOf(csr, 'Approved')?.status === 'True') return status.certificate ? 'Issued' : 'Approved';
  return 'Pending';
}

/** The PKCS#10 request of a CSR object, decoded. */
export function csrRequestPem(csr: KubeObject): string {
  return Buffer.from(String((csr.spec as { request?: string } | undefined)?.request ?? ''), 'base64').toString('utf8');
}

export function csrController(deps: { progress: InstallProgress }): Controller {
  return (ctx) => {
    const { lab, api, faults, log } = ctx;
    const { progress } = deps;
    const masters = new Set(
      lab.nodes.filter((node) => node.role === 'master').map((node) => `system:node:${nodeFqdn(lab, node)}`),
    );
    const signing = new Set<string>();
    const roguesFiled = new Set<string>();
    let stopped = false;
    let signer: ClusterSigner | undefined;
    const signerReady = createClusterSigner().then((created) => (signer = created));

    const issue = async (csr: KubeObject) => {
      const name = csr.metadata.name;
      if (signing.has(name)) return;
      signing.add(name);
      try {
        await signerReady;
        const usages = ((csr.spec as { usages?: string[] }).usages ?? []) as string[];
        const pem = await signer!.sign(csrRequestPem(csr), usages);
        if (stopped || !api.get(R.csrs, undefined, name)) return;
        await api.mutate(
          R.csrs,
          undefined,
          name,
          (draft) => {
            draft.status = {
              ...((draft.status as object | undefined) ?? {}),
              certificate: Buffer.from(pem).toString('base64'),
            };
          },
          { subresource: 'status' },
        );
      } catch (error) {
        log.warn(`csr signer: cannot issue ${name}: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        signing.delete(name);
      }
    };

    /** approve-csr.sh on the bootstrap node, restricted to the masters the lab names. */
    const approveMaster = async (csr: KubeObject) => {
      let commonName: string;
      try {
        commonName = parseCsrPem(csrRequestPem(csr)).commonName;
      } catch {
        return;
      }
      if (!masters.has(commonName)) return;
      await api.mutate(
        R.csrs,
        undefined,
        csr.metadata.name,
        (draft) => {
          const status = (draft.status ?? {}) as CsrStatus & { conditions?: object[] };
          status.conditions = [
            ...(status.conditions ?? []),
            {
              type: 'Approved',
              status: 'True',
              reason: 'KubectlApprove',
              message: 'This CSR was approved by kubectl certificate approve.',
              lastUpdateTime: now(),
            },
          ];
          draft.status = status;
        },
        { subresource: 'approval' },
      );
      log.info(`bootstrap approved ${csr.metadata.name} (${commonName})`);
    };

    const unwatch = watchType(api, R.csrs, (event) => {
      if (event.type === 'DELETED' || stopped) return;
      const state = csrState(event.object);
      // On the real control plane, kube-controller-manager's csrsigning issues the certificate.
      if (state === 'Approved' && !api.real) void issue(event.object);
      else if (state === 'Pending' && progress.apiUp && !progress.bootstrapComplete) {
        approveMaster(event.object).catch((error: unknown) =>
          log.warn(`bootstrap could not approve ${event.object.metadata.name}: ${String(error)}`),
        );
      }
    });

    const fileRogues = () => {
      if (!progress.apiUp || stopped) return;
      for (const fault of faults.list()) {
        if (fault.kind !== 'rogue-csr' || roguesFiled.has(fault.node)) continue;
        roguesFiled.add(fault.node);
        const names =
          fault.count === undefined
            ? [fault.node]
            : Array.from({ length: fault.count }, (_, index) => `${fault.node}-${index + 1}`);
        for (const node of names) {
          void createCsrPem({ commonName: `system:node:${node}`, organizations: ['system:nodes'] })
            .then(async (pem) => {
              if (stopped) return;
              // Random names, as the API server's: a flood may draw one twice.
              let name = csrName();
              while (api.get(R.csrs, undefined, name)) name = csrName();
              const csr = await api.createAs(NODE_BOOTSTRAPPER_USER, R.csrs, clientCsrObject(name, pem));
              log.warn(
                `a CSR for ${node}, a node this lab does not have, was filed as ${csr.metadata.name} (rogue-csr fault)`,
              );
            })
            .catch((error: unknown) => log.warn(`the rogue-csr fault could not file its CSR: ${String(error)}`));
        }
      }
    };
    faults.on('change', fileRogues);
    progress.on('api-up', fileRogues);
    fileRogues();

    return () => {
      stopped = true;
      unwatch();
      faults.off('change', fileRogues);
      progress.off('api-up', fileRogues);
    };
  };
}
