/**
 * The certificates and keys of a lab's real control plane, made fresh for each start: one lab CA
 * (it signs kube-apiserver's serving certificate and the client certificates, and it is
 * kube-controller-manager's cluster signing CA, so the certificates of approved CSRs authenticate
 * to the same API server, as a kubelet's do), client certificates per identity, and the service
 * account token keys. ECDSA P-256 keeps generation fast; Go and Node accept it.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ecdsa = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
type KeyPair = webcrypto.CryptoKeyPair;

export interface CertifiedKey {
  certPem: string;
  keyPem: string;
}

/** A client identity as kube-apiserver reads it from a certificate: CN the user, O the groups. */
export interface ClientIdentity {
  user: string;
  groups: readonly string[];
}

export interface LabPki {
  ca: CertifiedKey;
  /** kube-apiserver's serving certificate (loopback names and the in-cluster `kubernetes` names). */
  serving: CertifiedKey;
  /** Service account token signing key (private, PKCS#8) and its public key (SPKI). */
  serviceAccount: { privatePem: string; publicPem: string };
  /** A client certificate for the identity, signed by the lab CA. */
  issueClient(identity: ClientIdentity): Promise<CertifiedKey>;
  /** A serving certificate signed by the lab CA (the simulator's own loopback servers, e.g. its webhooks). */
  issueServing(commonName: string, dnsNames: readonly string[], ips: readonly string[]): Promise<CertifiedKey>;
}

async function keyPair(): Promise<KeyPair> {
  return (await webcrypto.subtle.generateKey(ecdsa, true, ['sign', 'verify'])) as KeyPair;
}

async function privatePem(keys: KeyPair): Promise<string> {
  return pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
}

let serial = 1;

/** PEM text of DER bytes, 64 columns a line. */
export function pem(label: string, der: ArrayBuffer): string {
  const body = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

/** kube-apiserver reads the user from CN and the groups from O; x509.Name escapes what needs it. */
function subjectOf(identity: ClientIdentity): string {
  return new x509.Name([...identity.groups.map((group) => ({ O: [group] })), { CN: [identity.user] }]).toString();
}

export interface CertificateAuthority extends CertifiedKey {
  /** A certificate for a fresh key, signed by this CA, with `extensions` beside the usual ones. */
  issue(subject: string, extensions: x509.Extension[]): Promise<CertifiedKey>;
}

/** A self-signed CA (ECDSA P-256) valid from yesterday for a year, its key exportable (kube-controller-manager signs with it). */
export async function createCertificateAuthority(commonName: string): Promise<CertificateAuthority> {
  const notBefore = new Date(Date.now() - DAY_MS);
  const notAfter = new Date(Date.now() + 365 * DAY_MS);
  const caKeys = await keyPair();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: (serial++).toString(16).padStart(2, '0'),
    name: new x509.Name([{ CN: [commonName] }]).toString(),
    keys: caKeys,
    signingAlgorithm: ecdsa,
    notBefore,
    notAfter,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  return {
    certPem: ca.toString('pem'),
    keyPem: await privatePem(caKeys),
    async issue(subject, extensions) {
      const keys = await keyPair();
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: (serial++).toString(16).padStart(2, '0'),
        subject,
        issuer: ca.subject,
        publicKey: keys.publicKey,
        signingKey: caKeys.privateKey,
        signingAlgorithm: ecdsa,
        notBefore,
        notAfter,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
          await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
          ...extensions,
        ],
      });
      return { certPem: cert.toString('pem'), keyPem: await privatePem(keys) };
    },
  };
}

/** A server certificate of `ca` for the given names and addresses. */
export function issueServing(
  ca: CertificateAuthority,
  commonName: string,
  dnsNames: readonly string[],
  ips: readonly string[],
): Promise<CertifiedKey> {
  return ca.issue(new x509.Name([{ CN: [commonName] }]).toString(), [
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    new x509.SubjectAlternativeNameExtension([
      ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
      ...ips.map((value) => ({ type: 'ip' as const, value })),
    ]),
  ]);
}

export async function createLabPki(serviceIp: string): Promise<LabPki> {
  const ca = await createCertificateAuthority('openshift-runbooks-lab-ca');
  const dnsNames = ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'];
  const serving = await issueServing(ca, 'kube-apiserver', dnsNames, ['127.0.0.1', '::1', serviceIp]);
  const saKeys = await keyPair();
  return {
    ca: { certPem: ca.certPem, keyPem: ca.keyPem },
    serving,
    serviceAccount: {
      privatePem: await privatePem(saKeys),
      publicPem: pem('PUBLIC KEY', await webcrypto.subtle.exportKey('spki', saKeys.publicKey)),
    },
    issueClient: (identity) =>
      ca.issue(subjectOf(identity), [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])]),
    issueServing: (commonName, names, ips) => issueServing(ca, commonName, names, ips),
  };
}

/** The subject CN and issuer CN of a PEM certificate (to check what kube-controller-manager signed). */
export function describeCertificate(certPem: string): { subject: string; issuer: string; notAfter: Date } {
  const cert = new x509.X509Certificate(certPem);
  return { subject: cert.subject, issuer: cert.issuer, notAfter: cert.notAfter };
}

/** Whether `certPem` verifies against the CA certificate `caPem`. */
export async function signedBy(certPem: string, caPem: string): Promise<boolean> {
  const cert = new x509.X509Certificate(certPem);
  const ca = new x509.X509Certificate(caPem);
  return cert.verify({ publicKey: await ca.publicKey.export(), signatureOnly: true });
}

/** A PKCS#10 request for `identity` (CN the user, O the groups) with its private key, as a kubelet files one. */
export async function createClientCsr(identity: ClientIdentity): Promise<{ csrPem: string; keyPem: string }> {
  const keys = await keyPair();
  const request = await x509.Pkcs10CertificateRequestGenerator.create({
    name: subjectOf(identity),
    keys,
    signingAlgorithm: ecdsa,
  });
  return { csrPem: request.toString('pem'), keyPem: await privatePem(keys) };
}
