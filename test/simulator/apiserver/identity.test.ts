/**
 * Who asked: a CSR's spec.username, groups and uid come from the requester's identity, never from
 * the body, and the admin kubeconfig may impersonate (`kubectl --as … --as-group … --as-uid …`), so a
 * CSR can be filed as a node or as the node-bootstrapper service account the way they file theirs.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { startTestApi } from './helpers.js';
import type { TestApi } from './helpers.js';

const KUBECTL = process.env.KUBECTL ?? 'kubectl';
const CSRS = 'certificatesigningrequests.certificates.k8s.io';
const BOOTSTRAPPER = 'system:serviceaccount:openshift-machine-config-operator:node-bootstrapper';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
});

const kubectl = async (args: string[], input?: string) =>
  (
    await execa(KUBECTL, ['--kubeconfig', api.server.kubeconfigPath, ...args], {
      timeout: 30_000,
      ...(input !== undefined ? { input } : {}),
    })
  ).stdout;

/** A CSR whose body claims to come from someone it does not. */
function csr(name: string): string {
  return JSON.stringify({
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name },
    spec: {
      request: Buffer.from('request').toString('base64'),
      signerName: 'kubernetes.io/kubelet-serving',
      usages: ['digital signature', 'server auth'],
      username: 'system:node:forged',
      groups: ['system:nodes', 'system:masters'],
      uid: 'forged-uid',
    },
  });
}

const specOf = (name: string) => api.store.get(CSRS, undefined, name)?.spec as Record<string, unknown>;

describe('the requester of a CertificateSigningRequest', () => {
  it('is the authenticated admin, whatever the body claims', async () => {
    await kubectl(['create', '-f', '-'], csr('csr-admin'));
    expect(specOf('csr-admin')).toMatchObject({
      username: 'system:admin',
      groups: ['system:masters', 'system:authenticated'],
    });
    expect(specOf('csr-admin').uid).toBeUndefined();
  });

  it('is the impersonated node, with the groups asked for plus system:authenticated', async () => {
    const node = 'system:node:compute1.nodes.example.com';
    await kubectl(
      ['--as', node, '--as-group', 'system:nodes', '--as-uid', 'node-uid', 'create', '-f', '-'],
      csr('csr-node'),
    );
    expect(specOf('csr-node')).toMatchObject({
      username: node,
      groups: ['system:nodes', 'system:authenticated'],
      uid: 'node-uid',
    });
    expect((await kubectl(['get', 'csr', 'csr-node', '--no-headers'])).split(/\s{2,}/)[3]).toBe(node);
  });

  it('is the impersonated service account, with its groups when none are given', async () => {
    await kubectl(['--as', BOOTSTRAPPER, 'create', '-f', '-'], csr('csr-bootstrap'));
    expect(specOf('csr-bootstrap')).toMatchObject({
      username: BOOTSTRAPPER,
      groups: [
        'system:serviceaccounts',
        'system:serviceaccounts:openshift-machine-config-operator',
        'system:authenticated',
      ],
    });
  });

  it('is what oc whoami (users/~) reports', async () => {
    const me = JSON.parse(await kubectl(['--as', 'alice', 'get', '--raw', '/apis/user.openshift.io/v1/users/~']));
    expect(me).toMatchObject({ metadata: { name: 'alice' }, groups: ['system:authenticated'] });
  });
});
