/**
 * Whom a certificate signing request may be approved for. Never "approve all": a request is approved
 * only when who filed it, the signer it asks for and what the PKCS#10 request itself says all name
 * the same inventory node:
 * - a kubelet CLIENT request comes from the node-bootstrapper service account, asks the
 *   kube-apiserver-client-kubelet signer for `CN=system:node:<node>, O=system:nodes`, with no SANs;
 * - a kubelet SERVING request comes from `system:node:<node>` itself, asks the kubelet-serving signer
 *   for that same subject, with SANs among the node's name, FQDN and IP.
 * Anything else is left pending, with the reason.
 */
import type { V1CertificateSigningRequest } from '@kubernetes/client-node';
import { nodeFqdn, type Lab, type Node } from '../../lab/schema.js';
import { loadX509 } from './x509.js';

export const NODE_BOOTSTRAPPER = 'system:serviceaccount:openshift-machine-config-operator:node-bootstrapper';
export const CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
export const SERVING_SIGNER = 'kubernetes.io/kubelet-serving';

const SAN_OID = '2.5.29.17';
const CLIENT_USAGES = new Set(['digital signature', 'key encipherment', 'client auth']);
const SERVING_USAGES = new Set(['digital signature', 'key encipherment', 'server auth']);

/** The parts of a CertificateSigningRequest the judgement reads. */
export interface CsrView {
  name: string;
  signerName: string;
  username: string;
  usages: readonly string[];
  /** The PEM PKCS#10 request (`spec.request`, base64-decoded). */
  request: string;
}

/** The view of a CertificateSigningRequest object (its request decoded from base64). */
export function csrViewOf(csr: V1CertificateSigningRequest): CsrView {
  return {
    name: csr.metadata?.name ?? '?',
    signerName: csr.spec.signerName,
    username: csr.spec.username ?? '',
    usages: csr.spec.usages ?? [],
    request: Buffer.from(csr.spec.request, 'base64').toString('utf8'),
  };
}

export type CsrVerdict =
  { approve: true; node: string; kind: 'client' | 'serving'; why: string } | { approve: false; why: string };

interface ParsedRequest {
  commonNames: string[];
  organizations: string[];
  /** Every SAN, typed: `dns:master1`, `ip:10.0.0.1`, `email:…`, `url:…`. */
  sans: Array<{ type: string; value: string }>;
  signatureValid: boolean;
}

async function parseRequest(pem: string): Promise<ParsedRequest> {
  const x509 = await loadX509();
  const request = new x509.Pkcs10CertificateRequest(pem);
  const extension = request.extensions.find((candidate) => candidate.type === SAN_OID);
  const sans = extension
    ? new x509.SubjectAlternativeNameExtension(extension.rawData).names.items.map((name) => ({
        type: name.type,
        value: name.value,
      }))
    : [];
  return {
    commonNames: request.subjectName.getField('CN'),
    organizations: request.subjectName.getField('O'),
    sans,
    signatureValid: await request.verify(),
  };
}

/** The inventory node `system:node:<name>` stands for (name = its FQDN or short name), never the bootstrap node. */
function nodeOfUser(lab: Lab, user: string): Node | undefined {
  const prefix = 'system:node:';
  if (!user.startsWith(prefix)) return undefined;
  const name = user.slice(prefix.length);
  return lab.nodes.find((node) => node.role !== 'bootstrap' && (node.name === name || nodeFqdn(lab, node) === name));
}

function usagesProblem(usages: readonly string[], allowed: Set<string>, required: string): string | undefined {
  const extra = usages.filter((usage) => !allowed.has(usage));
  if (extra.length) return `asks for usages ${extra.join(', ')}`;
  if (!usages.includes(required)) return `does not ask for ${required}`;
  return undefined;
}

export async function judgeCsr(lab: Lab, csr: CsrView): Promise<CsrVerdict> {
  const refuse = (why: string): CsrVerdict => ({ approve: false, why });
  let parsed: ParsedRequest;
  try {
    parsed = await parseRequest(csr.request);
  } catch (error) {
    return refuse(`its request is not a PKCS#10 request (${(error as Error).message})`);
  }
  if (!parsed.signatureValid) return refuse('the signature of its request does not verify');
  if (parsed.commonNames.length !== 1) return refuse(`its subject has ${parsed.commonNames.length} common names`);
  const commonName = parsed.commonNames[0]!;
  if (parsed.organizations.length !== 1 || parsed.organizations[0] !== 'system:nodes')
    return refuse(`its subject's O is ${JSON.stringify(parsed.organizations)}, not ["system:nodes"]`);

  if (csr.signerName === CLIENT_SIGNER) {
    if (csr.username !== NODE_BOOTSTRAPPER)
      return refuse(`a kubelet client request filed by ${csr.username}, not by the node-bootstrapper service account`);
    const node = nodeOfUser(lab, commonName);
    if (!node) return refuse(`a kubelet client request for ${commonName}, which is not an inventory node`);
    if (parsed.sans.length)
      return refuse(
        `a kubelet client request for ${commonName} with SANs (${parsed.sans.map((san) => san.value).join(', ')})`,
      );
    const usages = usagesProblem(csr.usages, CLIENT_USAGES, 'client auth');
    if (usages) return refuse(`a kubelet client request for ${commonName} that ${usages}`);
    return { approve: true, node: node.name, kind: 'client', why: `kubelet client certificate of ${node.name}` };
  }

  if (csr.signerName === SERVING_SIGNER) {
    const node = nodeOfUser(lab, csr.username);
    if (!node) return refuse(`a kubelet serving request filed by ${csr.username}, which is not an inventory node`);
    if (commonName !== csr.username)
      return refuse(`a kubelet serving request filed by ${csr.username} for another subject, ${commonName}`);
    const allowed = new Set([`dns:${node.name}`, `dns:${nodeFqdn(lab, node)}`, `ip:${node.ip}`]);
    const foreign = parsed.sans.filter((san) => !allowed.has(`${san.type}:${san.value}`));
    if (foreign.length)
      return refuse(
        `a kubelet serving request of ${node.name} with SANs beyond its name, FQDN and IP: ` +
          `${foreign.map((san) => `${san.type}:${san.value}`).join(', ')}`,
      );
    if (parsed.sans.length === 0) return refuse(`a kubelet serving request of ${node.name} without any SAN`);
    const usages = usagesProblem(csr.usages, SERVING_USAGES, 'server auth');
    if (usages) return refuse(`a kubelet serving request of ${node.name} that ${usages}`);
    return { approve: true, node: node.name, kind: 'serving', why: `kubelet serving certificate of ${node.name}` };
  }

  return refuse(`it asks the signer ${csr.signerName}, which the install never approves`);
}
