/**
 * The CSR identity checks on real PKCS#10 requests built with @peculiar/x509: the kubelet's own
 * client and serving requests are approved; a rogue CN, an extra SAN, a wrong signer, a wrong
 * requester, a tampered request are left pending with the reason.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from '@jest/globals';
import * as x509 from '@peculiar/x509';
import {
  CLIENT_SIGNER,
  judgeCsr,
  NODE_BOOTSTRAPPER,
  SERVING_SIGNER,
  type CsrView,
} from '../../activities/cluster/csr-identity.js';
import { loadLab } from '../../lab/load.js';
import type { Lab } from '../../lab/schema.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const ecdsa = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let lab: Lab;

beforeAll(async () => {
  lab = await loadLab(path.join(repo, 'runbooks/labs/example.yaml'));
});

async function request(
  cn: string,
  options: { o?: string[]; dns?: string[]; ips?: string[]; emails?: string[] } = {},
): Promise<string> {
  const keys = (await webcrypto.subtle.generateKey(ecdsa, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const names = [
    ...(options.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
    ...(options.emails ?? []).map((value) => ({ type: 'email' as const, value })),
  ];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [cn] }, ...(options.o ?? ['system:nodes']).map((o) => ({ O: [o] }))],
    keys,
    signingAlgorithm: ecdsa,
    extensions: names.length ? [new x509.SubjectAlternativeNameExtension(names)] : [],
  });
  return csr.toString('pem');
}

const client = (pem: string, over: Partial<CsrView> = {}): CsrView => ({
  name: 'csr-client',
  signerName: CLIENT_SIGNER,
  username: NODE_BOOTSTRAPPER,
  usages: ['digital signature', 'key encipherment', 'client auth'],
  request: pem,
  ...over,
});
const serving = (node: string, pem: string, over: Partial<CsrView> = {}): CsrView => ({
  name: 'csr-serving',
  signerName: SERVING_SIGNER,
  username: `system:node:${node}`,
  usages: ['digital signature', 'key encipherment', 'server auth'],
  request: pem,
  ...over,
});

describe('kubelet client requests', () => {
  it('approves the node-bootstrapper request for an inventory node (FQDN or short name)', async () => {
    await expect(judgeCsr(lab, client(await request('system:node:compute1.nodes.example.com')))).resolves.toEqual({
      approve: true,
      node: 'compute1',
      kind: 'client',
      why: 'kubelet client certificate of compute1',
    });
    await expect(judgeCsr(lab, client(await request('system:node:infra2')))).resolves.toMatchObject({
      approve: true,
      node: 'infra2',
    });
  });

  it('leaves a rogue CN pending: not an inventory node, or the bootstrap node', async () => {
    const rogue = await judgeCsr(lab, client(await request('system:node:evil.nodes.example.com')));
    expect(rogue).toEqual({
      approve: false,
      why: 'a kubelet client request for system:node:evil.nodes.example.com, which is not an inventory node',
    });
    const bootstrap = await judgeCsr(lab, client(await request('system:node:bootstrap.nodes.example.com')));
    expect(bootstrap.approve).toBe(false);
    const notNode = await judgeCsr(lab, client(await request('system:admin')));
    expect(notNode.approve).toBe(false);
  });

  it('leaves pending a request with SANs, another O, a wrong requester or usages beyond client auth', async () => {
    const cn = 'system:node:compute2.nodes.example.com';
    const withSan = await judgeCsr(lab, client(await request(cn, { dns: ['compute2.nodes.example.com'] })));
    expect(withSan).toMatchObject({ approve: false, why: expect.stringContaining('with SANs') });
    const masters = await judgeCsr(lab, client(await request(cn, { o: ['system:masters'] })));
    expect(masters).toMatchObject({ approve: false, why: expect.stringContaining('not ["system:nodes"]') });
    const twoOs = await judgeCsr(lab, client(await request(cn, { o: ['system:nodes', 'system:masters'] })));
    expect(twoOs.approve).toBe(false);
    const requester = await judgeCsr(
      lab,
      client(await request(cn), { username: 'system:serviceaccount:default:builder' }),
    );
    expect(requester).toMatchObject({ approve: false, why: expect.stringContaining('not by the node-bootstrapper') });
    const usages = await judgeCsr(lab, client(await request(cn), { usages: ['client auth', 'server auth'] }));
    expect(usages).toMatchObject({ approve: false, why: expect.stringContaining('server auth') });
  });
});

describe('kubelet serving requests', () => {
  const fqdn = 'compute3.nodes.example.com';

  it("approves the node's own request with SANs among its name, FQDN and IP", async () => {
    const pem = await request(`system:node:${fqdn}`, { dns: [fqdn, 'compute3'], ips: ['10.42.253.22'] });
    await expect(judgeCsr(lab, serving(fqdn, pem))).resolves.toEqual({
      approve: true,
      node: 'compute3',
      kind: 'serving',
      why: 'kubelet serving certificate of compute3',
    });
  });

  it('leaves pending an extra SAN: another name, another IP, an e-mail address', async () => {
    const cn = `system:node:${fqdn}`;
    for (const extra of [
      { dns: [fqdn, 'api.intra.example.com'] },
      { dns: [fqdn], ips: ['10.42.253.22', '10.42.253.10'] },
      { dns: [fqdn], emails: ['root@example.com'] },
    ]) {
      const verdict = await judgeCsr(lab, serving(fqdn, await request(cn, extra)));
      expect(verdict).toMatchObject({ approve: false, why: expect.stringContaining('beyond its name, FQDN and IP') });
    }
  });

  it('leaves pending a request filed by another node, or by someone else for this node', async () => {
    const pem = await request(`system:node:${fqdn}`, { dns: [fqdn] });
    const otherNode = await judgeCsr(lab, serving('compute4.nodes.example.com', pem));
    expect(otherNode).toMatchObject({ approve: false, why: expect.stringContaining('for another subject') });
    const bootstrapper = await judgeCsr(lab, serving(fqdn, pem, { username: NODE_BOOTSTRAPPER }));
    expect(bootstrapper).toMatchObject({ approve: false, why: expect.stringContaining('not an inventory node') });
  });

  it('leaves pending the serving subject sent to the client signer, and any other signer', async () => {
    const pem = await request(`system:node:${fqdn}`, { dns: [fqdn] });
    const asClient = await judgeCsr(lab, client(pem, { username: `system:node:${fqdn}` }));
    expect(asClient.approve).toBe(false);
    const legacy = await judgeCsr(lab, serving(fqdn, pem, { signerName: 'kubernetes.io/legacy-unknown' }));
    expect(legacy).toEqual({
      approve: false,
      why: 'it asks the signer kubernetes.io/legacy-unknown, which the install never approves',
    });
  });
});

it('leaves pending a request whose signature does not verify, and text that is no request', async () => {
  const pem = await request('system:node:compute1.nodes.example.com');
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  der.writeUInt8(der.readUInt8(der.length - 5) ^ 0xff, der.length - 5); // inside the signature
  const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
  const verdict = await judgeCsr(lab, client(tampered));
  expect(verdict).toEqual({ approve: false, why: 'the signature of its request does not verify' });
  const garbage = await judgeCsr(lab, client('not a request'));
  expect(garbage).toMatchObject({ approve: false, why: expect.stringContaining('not a PKCS#10 request') });
});
