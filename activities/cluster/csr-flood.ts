/**
 * The CSR step's safety valve, after cluster-machine-approver's (`reconcileLimits`: it ignores every
 * CSR while more are pending than machines + 100, and alerts): while more requests are pending than
 * the nodes the step waits for plus the lab's `install.csrPendingMargin`, none is approved and the
 * step pauses naming who files them. A flood can then neither be approved wholesale nor hide a
 * request that should not be there among real nodes' ones.
 */
import type { V1CertificateSigningRequest } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { loadX509 } from './x509.js';

export type X509 = Awaited<ReturnType<typeof loadX509>>;

/** How many subjects and CSR names a pause quotes per requester: enough to recognise them. */
const QUOTED = 3;

/** The request's subject CN (`system:node:<name>`), or what stands in for it. */
export function csrSubject(x509: X509, csr: V1CertificateSigningRequest): string {
  try {
    const pem = Buffer.from(csr.spec.request, 'base64').toString('utf8');
    return new x509.Pkcs10CertificateRequest(pem).subjectName.getField('CN')[0] ?? 'no common name';
  } catch {
    return 'an unreadable request';
  }
}

function quoted(values: readonly string[]): string {
  const shown = values.slice(0, QUOTED).join(', ');
  return values.length > QUOTED ? `${shown} and ${values.length - QUOTED} more` : shown;
}

/** Who filed the pending requests, most first: `<user>: <n> (for <subject>, … ; e.g. <csr>, …)`. */
function requesters(x509: X509, pending: readonly V1CertificateSigningRequest[]): string {
  const byUser = new Map<string, V1CertificateSigningRequest[]>();
  for (const csr of pending) {
    const user = csr.spec.username ?? 'an unknown user';
    byUser.set(user, [...(byUser.get(user) ?? []), csr]);
  }
  return [...byUser.entries()]
    .sort(([, a], [, b]) => b.length - a.length)
    .map(
      ([user, csrs]) =>
        `${user}: ${csrs.length} (for ${quoted([...new Set(csrs.map((csr) => csrSubject(x509, csr)))])}; ` +
        `${quoted(csrs.map((csr) => csr.metadata?.name ?? '?'))})`,
    )
    .join('; ');
}

/**
 * Refuses to approve anything while the pending requests exceed the step's nodes plus the margin:
 * a non-retryable failure, so the run pauses at the step with the requesters named.
 */
export async function refuseCsrFlood(
  pending: readonly V1CertificateSigningRequest[],
  limits: { nodes: number; margin: number; approvedBefore: readonly string[] },
): Promise<void> {
  if (pending.length <= limits.nodes + limits.margin) return;
  const x509 = await loadX509();
  throw ApplicationFailure.nonRetryable(
    `${pending.length} CSRs are pending, more than the ${limits.nodes} nodes this step waits for plus ` +
      `install.csrPendingMargin (${limits.margin}): none is approved while so many wait` +
      (limits.approvedBefore.length ? ` (approved before: ${limits.approvedBefore.join(', ')})` : '') +
      `. Filed by ${requesters(x509, pending)}. Delete the requests that are not your nodes' (\`oc get csr\`, ` +
      '`oc delete csr <name>…`) and stop what files them, then resume the run; if they are real, raise ' +
      'install.csrPendingMargin and resume with --lab',
    'CsrFlood',
  );
}
