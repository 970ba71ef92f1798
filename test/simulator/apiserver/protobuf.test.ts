import { describe, expect, it } from '@jest/globals';
import { ApiError } from '../../../simulator/apiserver/errors.js';
import { decodeProtobufObject } from '../../../simulator/apiserver/protobuf.js';
import type { JsonObject } from '../../support/json.js';

// Request bodies captured from kubectl 1.32 (`kubectl create namespace caught`, `kubectl certificate approve csr-x`).
const CREATE_NAMESPACE = 'azhzAAoPCgJ2MRIJTmFtZXNwYWNlEh4KFgoGY2F1Z2h0EgAaACIAKgAyADgAQgASABoCCgAaACIA';
const APPROVE_CSR =
  'azhzAAozChZjZXJ0aWZpY2F0ZXMuazhzLmlvL3YxEhlDZXJ0aWZpY2F0ZVNpZ25pbmdSZXF1ZXN0EuIBCkIKBWNzci14EgAaACIA' +
  'KiQ1Mzk1YmEyYy1mMzVmLTRmMTQtYmYyZS05NTJjMjgxYjIxMTkyATI4AEIICNXcodgGEAASNQoDcmVxEgAaACoLc2VydmVyIGF1' +
  'dGg6HWt1YmVybmV0ZXMuaW8va3ViZWxldC1zZXJ2aW5nGmUKYwoIQXBwcm92ZWQSDkt1YmVjdGxBcHByb3ZlGjVUaGlzIENTUiB3' +
  'YXMgYXBwcm92ZWQgYnkga3ViZWN0bCBjZXJ0aWZpY2F0ZSBhcHByb3ZlLiIICNfcodgGEAAqADIEVHJ1ZRoAIgA=';

describe('protobuf request bodies', () => {
  it('decodes a kubectl namespace create', () => {
    expect(decodeProtobufObject(Buffer.from(CREATE_NAMESPACE, 'base64'))).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'caught', generation: 0 },
      spec: {},
    });
  });

  it('decodes a kubectl CSR approval with its condition and resourceVersion', () => {
    const csr = decodeProtobufObject(Buffer.from(APPROVE_CSR, 'base64')) as JsonObject;
    expect(csr).toMatchObject({
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name: 'csr-x', uid: '5395ba2c-f35f-4f14-bf2e-952c281b2119', resourceVersion: '2' },
      spec: {
        request: Buffer.from('req').toString('base64'),
        usages: ['server auth'],
        signerName: 'kubernetes.io/kubelet-serving',
      },
    });
    expect(csr.status.conditions).toEqual([
      {
        type: 'Approved',
        status: 'True',
        reason: 'KubectlApprove',
        message: 'This CSR was approved by kubectl certificate approve.',
        lastUpdateTime: expect.stringMatching(/^20\d\d-/),
      },
    ]);
  });

  it('refuses kinds it cannot read with 415 and garbage with 400', () => {
    const deployment = Buffer.concat([
      Buffer.from('k8s\0', 'latin1'),
      Buffer.from([0x0a, 0x15, 0x0a, 0x07, ...Buffer.from('apps/v1'), 0x12, 0x0a, ...Buffer.from('Deployment')]),
    ]);
    const unsupported = (() => {
      try {
        decodeProtobufObject(deployment);
      } catch (error) {
        return error as ApiError;
      }
    })();
    expect(unsupported?.code).toBe(415);
    expect(() => decodeProtobufObject(Buffer.from('not protobuf'))).toThrow(ApiError);
  });
});
