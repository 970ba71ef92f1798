/**
 * The CSR approval wait: while the nodes join, approves every pending request whose identity checks
 * out (./csr-identity.ts), as it appears (kubelets file again when a request waits too long, so each
 * request is judged on what it says, never on its name), until every node of the step is Ready.
 * Requests that do not check out stay pending and are named in the outcome. While more are pending
 * than the nodes plus the lab's margin, none is approved and the step pauses (./csr-flood.ts).
 */
import type { V1CertificateSigningRequest } from '@kubernetes/client-node';
import type { StepContext, StepOutcome } from '../../contract/step.js';
import type { KubeClients } from '../../transport/kube.js';
import { kubeFor } from '../support/kube-access.js';
import { hasCondition } from './conditions.js';
import { refuseCsrFlood } from './csr-flood.js';
import { csrViewOf, judgeCsr } from './csr-identity.js';
import { describeNotReady, inventoryNodes, nodeObjectOf, withLabDeadline } from './waits.js';
import { watchedPoll } from './watch-wait.js';

type Progress = { approved: string[]; leftPending: string[] };

function isPending(csr: V1CertificateSigningRequest): boolean {
  return !(csr.status?.conditions ?? []).some(
    (condition) => ['Approved', 'Denied', 'Failed'].includes(condition.type) && condition.status === 'True',
  );
}

/** `oc adm certificate approve`: the Approved condition through the approval subresource. */
async function approve(kube: KubeClients, csr: V1CertificateSigningRequest, why: string): Promise<boolean> {
  const body: V1CertificateSigningRequest = {
    ...csr,
    status: {
      ...csr.status,
      conditions: [
        ...(csr.status?.conditions ?? []),
        {
          type: 'Approved',
          status: 'True',
          reason: 'RunbookApprove',
          message: `Approved by openshift-runbooks: the ${why}, identity checked`,
        },
      ],
    },
  };
  try {
    await kube.certificates.replaceCertificateSigningRequestApproval({ name: csr.metadata!.name!, body });
    return true;
  } catch (error) {
    // Changed under us (409) or gone (404): the next poll sees it as it is now.
    if ([404, 409].includes((error as { code?: number }).code ?? 0)) return false;
    throw error;
  }
}

const merged = (list: readonly string[], more: readonly string[]) => [...new Set([...list, ...more])];

/**
 * Bounded by the lab's `install.deadlines.installComplete` too: the nodes join while the cluster
 * initializes, what `openshift-install wait-for install-complete` waits for.
 */
export async function clusterApproveCsrs(stepContext: StepContext): Promise<StepOutcome> {
  const context = withLabDeadline(stepContext, stepContext.lab.install.deadlines.installComplete);
  const kube = await kubeFor(context);
  const nodes = inventoryNodes(context);
  return watchedPoll<Progress>(
    context,
    kube,
    {
      what: `the CSRs of ${nodes.map((node) => node.name).join(', ')} to be approved and those nodes Ready`,
      watches: [{ path: '/apis/certificates.k8s.io/v1/certificatesigningrequests' }, { path: '/api/v1/nodes' }],
    },
    async ({ progress, save }) => {
      const approvedNow: string[] = [];
      const refused: string[] = [];
      const pending = (await kube.certificates.listCertificateSigningRequest()).items.filter(isPending);
      await refuseCsrFlood(pending, {
        nodes: nodes.length,
        margin: context.lab.install.csrPendingMargin,
        approvedBefore: progress?.approved ?? [],
      });
      for (const csr of pending) {
        const name = csr.metadata!.name!;
        const verdict = await judgeCsr(context.lab, csrViewOf(csr));
        if (!verdict.approve) refused.push(`${name} (${verdict.why})`);
        else if (await approve(kube, csr, verdict.why)) approvedNow.push(`${name} (${verdict.node} ${verdict.kind})`);
      }
      const approved = merged(progress?.approved ?? [], approvedNow);
      const leftPending = merged(progress?.leftPending ?? [], refused);
      // Approved is done: kept even if reading the nodes fails next and this probe ends in an error.
      save({ approved, leftPending });
      const items = (await kube.core.listNode()).items;
      const waiting = nodes.filter((node) => !hasCondition(nodeObjectOf(context.lab, node, items), 'Ready'));
      // A node with no Node object and no approved request (`<csr> (<node> <kind>)`) has filed no CSR that checks out.
      const filed = (node: (typeof nodes)[number]) => approved.some((entry) => entry.includes(`(${node.name} `));
      const unjoined = waiting.filter((node) => !nodeObjectOf(context.lab, node, items) && !filed(node));
      const tally = [
        `approved ${approved.length ? approved.join(', ') : 'none'}`,
        ...(leftPending.length ? [`left pending: ${leftPending.join(', ')}`] : []),
      ].join('; ');
      if (waiting.length === 0)
        return { done: true, changed: approved.length > 0, detail: `all ${nodes.length} nodes Ready; ${tally}` };
      return {
        done: false,
        detail:
          `not Ready yet: ${describeNotReady(context.lab, waiting, items, 'no Node object')}; ${tally}` +
          (unjoined.length
            ? `; no CSR from ${unjoined.map((node) => node.name).join(', ')}: look at ` +
              `${unjoined.length > 1 ? 'their consoles' : 'its console'} (booted? reaching api-int:22623 ` +
              `and the API?)`
            : ''),
        progress: { approved, leftPending },
      };
    },
  );
}
