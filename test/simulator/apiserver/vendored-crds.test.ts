/**
 * Kinds served from a vendored upstream CRD (simulator/crds/): EgressIP of ovn-org/ovn-kubernetes is
 * listed by discovery with its CRD's names and scope, and its openAPIV3Schema validates and prunes
 * what is written, as kube-apiserver does for a CRD.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApisApi, CustomObjectsApi } from '@kubernetes/client-node';
import { ovnEgressIp, toSchema } from '../../../simulator/apiserver/vendored-crds.js';
import { rejection, startTestApi, statusOf, type TestApi } from './helpers.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api?.close());

const EIP = { group: 'k8s.ovn.org', version: 'v1', plural: 'egressips' } as const;

describe('the EgressIP CRD of ovn-kubernetes', () => {
  it('takes names, scope and fields from the vendored file', () => {
    expect(ovnEgressIp).toMatchObject({
      group: 'k8s.ovn.org',
      version: 'v1',
      kind: 'EgressIP',
      plural: 'egressips',
      namespaced: false,
      shortNames: ['eip'],
      subresources: [],
    });
    expect(ovnEgressIp.fields.spec?.required).toEqual(['egressIPs', 'namespaceSelector']);
    expect(ovnEgressIp.fields.status?.properties?.items?.items?.required).toEqual(['egressIP', 'node']);
    expect(
      toSchema({ type: 'object', properties: { a: { type: 'string', 'x-kubernetes-list-type': 'atomic' } } }),
    ).toEqual({ type: 'object', properties: { a: { type: 'string' } } });
  });

  it('is served cluster-scoped, validated by its schema and pruned of unknown fields', async () => {
    const groups = await api.kc.makeApiClient(ApisApi).getAPIVersions();
    expect(groups.groups.map((group) => group.name)).toContain('k8s.ovn.org');
    const custom = api.kc.makeApiClient(CustomObjectsApi);
    const body = {
      apiVersion: 'k8s.ovn.org/v1',
      kind: 'EgressIP',
      metadata: { name: 'egress-toto' },
      spec: {
        egressIPs: ['10.42.253.45'],
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'toto' } },
        bogus: true,
      },
    };
    const created = (await custom.createClusterCustomObject({ ...EIP, body })) as { spec: Record<string, unknown> };
    expect(created.spec).toEqual({
      egressIPs: ['10.42.253.45'],
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'toto' } },
    });
    const wrong = await rejection(
      custom.createClusterCustomObject({
        ...EIP,
        body: { ...body, metadata: { name: 'wrong' }, spec: { egressIPs: '10.42.253.46', namespaceSelector: {} } },
      }),
    );
    expect(statusOf(wrong)).toMatchObject({ code: 422, reason: 'Invalid' });
    const missing = await rejection(
      custom.createClusterCustomObject({
        ...EIP,
        body: { ...body, metadata: { name: 'missing' }, spec: { egressIPs: ['10.42.253.47'] } },
      }),
    );
    expect(statusOf(missing).message).toContain('spec.namespaceSelector');
  });
});
