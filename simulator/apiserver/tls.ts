/**
 * The API server's TLS material: a self-signed CA and a serving certificate for the loopback
 * names (127.0.0.1, ::1, localhost) signed by it, as a kubeconfig's certificate-authority-data
 * expects. ECDSA P-256 keeps generation fast; Node, Go (kubectl/oc) and client-node accept it.
 */
import { createCertificateAuthority, issueServing } from '../control-plane/pki.js';

export interface ServingCertificates {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export async function createServingCertificates(
  dnsNames: readonly string[] = ['localhost'],
  ips: readonly string[] = ['127.0.0.1', '::1'],
): Promise<ServingCertificates> {
  const ca = await createCertificateAuthority('kube-apiserver-simulator-ca');
  const serving = await issueServing(ca, 'kube-apiserver', dnsNames, ips);
  return { caPem: ca.certPem, ...serving };
}
