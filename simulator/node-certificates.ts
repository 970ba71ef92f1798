/**
 * The certificates of the kubelet TLS bootstrap: the PKCS#10 requests a joining node files (client
 * and serving, as the kubelet builds them) and the cluster signer that issues certificates for
 * approved requests (kube-controller-manager's csrsigning controller).
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type KeyPair = webcrypto.CryptoKeyPair;

const ecdsa = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const SAN_OID = '2.5.29.17';

export interface CsrSubject {
  commonName: string;
  organizations: string[];
  dnsNames: string[];
  ips: string[];
}

/** A PEM PKCS#10 request with the subject `CN=<commonName>, O=<organization…>` and the given SANs. */
export async function createCsrPem(
  subject: Omit<CsrSubject, 'dnsNames' | 'ips'> & Partial<CsrSubject>,
): Promise<string> {
  const keys = await webcrypto.subtle.generateKey(ecdsa, true, ['sign', 'verify']);
  const names = [
    ...(subject.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(subject.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const request = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [subject.commonName] }, ...subject.organizations.map((o) => ({ O: [o] }))],
    keys: keys as KeyPair,
    signingAlgorithm: ecdsa,
    extensions: names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : [],
  });
  return request.toString('pem');
}

/** The subject and SANs of a PEM request; throws when the text is not a PKCS#10 request. */
export function parseCsrPem(pem: string): CsrSubject {
  const request = new x509.Pkcs10CertificateRequest(pem);
  const san = request.extensions.find((extension) => extension.type === SAN_OID);
  const names = san ? new x509.SubjectAlternativeNameExtension(san.rawData).names.items : [];
  return {
    commonName: request.subjectName.getField('CN')[0] ?? '',
    organizations: request.subjectName.getField('O'),
    dnsNames: names.filter((name) => name.type === 'dns').map((name) => name.value),
    ips: names.filter((name) => name.type === 'ip').map((name) => name.value),
  };
}

export interface ClusterSigner {
  /** The signer's CA certificate (PEM). */
  caPem: string;
  /** Issues a certificate for the request, for `usages` as the CSR lists them. */
  sign(csrPem: string, usages: readonly string[]): Promise<string>;
}

const extendedUsages: Record<string, string> = {
  'client auth': x509.ExtendedKeyUsage.clientAuth,
  'server auth': x509.ExtendedKeyUsage.serverAuth,
};

/** A signing CA held in memory for the life of the simulated cluster. */
export async function createClusterSigner(name = 'kube-csr-signer'): Promise<ClusterSigner> {
  const keys = (await webcrypto.subtle.generateKey(ecdsa, false, ['sign', 'verify'])) as KeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}`,
    keys,
    signingAlgorithm: ecdsa,
    notAfter: new Date(Date.now() + 365 * 86_400_000),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
    ],
  });
  return {
    caPem: ca.toString('pem'),
    async sign(csrPem, usages) {
      const request = new x509.Pkcs10CertificateRequest(csrPem);
      const san = request.extensions.find((extension) => extension.type === SAN_OID);
      const ekus = usages.map((usage) => extendedUsages[usage]).filter((usage): usage is string => usage !== undefined);
      const certificate = await x509.X509CertificateGenerator.create({
        subject: request.subject,
        issuer: ca.subject,
        publicKey: request.publicKey,
        signingKey: keys.privateKey,
        signingAlgorithm: ecdsa,
        notAfter: new Date(Date.now() + 30 * 86_400_000),
        extensions: [
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          ...(ekus.length > 0 ? [new x509.ExtendedKeyUsageExtension(ekus)] : []),
          ...(san ? [new x509.SubjectAlternativeNameExtension(san.rawData)] : []),
        ],
      });
      return certificate.toString('pem');
    },
  };
}
