/**
 * Decoding of the Kubernetes protobuf request bodies kubectl and oc send for built-in types
 * (`Content-Type: application/vnd.kubernetes.protobuf`): `kubectl create namespace|configmap|
 * secret|serviceaccount|pdb`, `kubectl certificate approve|deny` (PUT …/approval) and the evictions of
 * `kubectl drain`. The envelope is `k8s\0` + runtime.Unknown{typeMeta, raw}; `raw` is decoded with
 * the field numbers of k8s.io/api's generated.proto for the kinds below. Other kinds answer 415,
 * as a server that cannot read them would.
 */
import { ApiError } from './errors.js';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type Scalar = 'string' | 'bytes' | 'int' | 'bool' | 'time' | 'stringMap' | 'bytesMap' | 'intOrString';
interface Schema {
  [field: number]: readonly [name: string, kind: Scalar | Schema, repeated?: 'repeated'];
}

const TIME = 'time' as const;
const OWNER_REFERENCE: Schema = {
  1: ['kind', 'string'],
  3: ['name', 'string'],
  4: ['uid', 'string'],
  5: ['apiVersion', 'string'],
  6: ['controller', 'bool'],
  7: ['blockOwnerDeletion', 'bool'],
};
const OBJECT_META: Schema = {
  1: ['name', 'string'],
  2: ['generateName', 'string'],
  3: ['namespace', 'string'],
  5: ['uid', 'string'],
  6: ['resourceVersion', 'string'],
  7: ['generation', 'int'],
  8: ['creationTimestamp', TIME],
  9: ['deletionTimestamp', TIME],
  11: ['labels', 'stringMap'],
  12: ['annotations', 'stringMap'],
  13: ['ownerReferences', OWNER_REFERENCE, 'repeated'],
  14: ['finalizers', 'string', 'repeated'],
};
const LOCAL_OBJECT_REFERENCE: Schema = { 1: ['name', 'string'] };
const CSR_CONDITION: Schema = {
  1: ['type', 'string'],
  6: ['status', 'string'],
  2: ['reason', 'string'],
  3: ['message', 'string'],
  4: ['lastUpdateTime', TIME],
  5: ['lastTransitionTime', TIME],
};
const LABEL_SELECTOR: Schema = {
  1: ['matchLabels', 'stringMap'],
  2: [
    'matchExpressions',
    { 1: ['key', 'string'], 2: ['operator', 'string'], 3: ['values', 'string', 'repeated'] },
    'repeated',
  ],
};
const PRECONDITIONS: Schema = { 1: ['uid', 'string'], 2: ['resourceVersion', 'string'] };
const DELETE_OPTIONS: Schema = {
  1: ['gracePeriodSeconds', 'int'],
  2: ['preconditions', PRECONDITIONS],
  3: ['orphanDependents', 'bool'],
  4: ['propagationPolicy', 'string'],
  5: ['dryRun', 'string', 'repeated'],
};

/** Kinds whose protobuf bodies are understood, by `apiVersion/kind`. */
const KINDS: Record<string, Schema> = {
  'v1/Namespace': { 1: ['metadata', OBJECT_META], 2: ['spec', { 1: ['finalizers', 'string', 'repeated'] }] },
  'v1/ConfigMap': {
    1: ['metadata', OBJECT_META],
    2: ['data', 'stringMap'],
    3: ['binaryData', 'bytesMap'],
    4: ['immutable', 'bool'],
  },
  'v1/Secret': {
    1: ['metadata', OBJECT_META],
    2: ['data', 'bytesMap'],
    3: ['type', 'string'],
    4: ['stringData', 'stringMap'],
    5: ['immutable', 'bool'],
  },
  'v1/ServiceAccount': {
    1: ['metadata', OBJECT_META],
    2: ['secrets', { 1: ['kind', 'string'], 2: ['namespace', 'string'], 3: ['name', 'string'] }, 'repeated'],
    3: ['imagePullSecrets', LOCAL_OBJECT_REFERENCE, 'repeated'],
    4: ['automountServiceAccountToken', 'bool'],
  },
  'certificates.k8s.io/v1/CertificateSigningRequest': {
    1: ['metadata', OBJECT_META],
    2: [
      'spec',
      {
        1: ['request', 'bytes'],
        7: ['signerName', 'string'],
        8: ['expirationSeconds', 'int'],
        5: ['usages', 'string', 'repeated'],
        2: ['username', 'string'],
        3: ['uid', 'string'],
        4: ['groups', 'string', 'repeated'],
      },
    ],
    3: ['status', { 1: ['conditions', CSR_CONDITION, 'repeated'], 2: ['certificate', 'bytes'] }],
  },
  'policy/v1/PodDisruptionBudget': {
    1: ['metadata', OBJECT_META],
    2: [
      'spec',
      {
        1: ['minAvailable', 'intOrString'],
        2: ['selector', LABEL_SELECTOR],
        3: ['maxUnavailable', 'intOrString'],
        4: ['unhealthyPodEvictionPolicy', 'string'],
      },
    ],
  },
  'policy/v1/Eviction': { 1: ['metadata', OBJECT_META], 2: ['deleteOptions', DELETE_OPTIONS] },
  'v1/DeleteOptions': DELETE_OPTIONS,
  'meta.k8s.io/v1/DeleteOptions': DELETE_OPTIONS,
};

interface Field {
  field: number;
  wire: number;
  value: bigint | Buffer;
}

class Reader {
  private offset = 0;
  constructor(private readonly buf: Buffer) {}

  done(): boolean {
    return this.offset >= this.buf.length;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.offset >= this.buf.length) throw malformed();
      const byte = this.buf[this.offset++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  }

  take(length: number): Buffer {
    if (this.offset + length > this.buf.length) throw malformed();
    const slice = this.buf.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  fields(): Field[] {
    const fields: Field[] = [];
    while (!this.done()) {
      const key = Number(this.varint());
      const field = key >>> 3;
      const wire = key & 7;
      if (wire === 0) fields.push({ field, wire, value: this.varint() });
      else if (wire === 2) fields.push({ field, wire, value: this.take(Number(this.varint())) });
      else if (wire === 1) fields.push({ field, wire, value: this.take(8) });
      else if (wire === 5) fields.push({ field, wire, value: this.take(4) });
      else throw malformed();
    }
    return fields;
  }
}

function malformed(): ApiError {
  return new ApiError(400, 'BadRequest', 'the body of the request was not a valid protobuf-encoded object');
}

const fieldsOf = (buf: Buffer) => new Reader(buf).fields();

/** metav1.Time; an empty message is the zero time, which JSON leaves out. */
function decodeTime(buf: Buffer): string | undefined {
  if (buf.length === 0) return undefined;
  const parts = fieldsOf(buf);
  const seconds = Number((parts.find((p) => p.field === 1)?.value as bigint | undefined) ?? 0n);
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** intstr.IntOrString{type (0 int, 1 string), intVal, strVal}. */
function decodeIntOrString(buf: Buffer): number | string {
  const parts = fieldsOf(buf);
  const type = Number((parts.find((p) => p.field === 1)?.value as bigint | undefined) ?? 0n);
  if (type === 1) return (parts.find((p) => p.field === 3)?.value as Buffer | undefined)?.toString('utf8') ?? '';
  return Number(BigInt.asIntN(32, (parts.find((p) => p.field === 2)?.value as bigint | undefined) ?? 0n));
}

function decodeMapEntry(buf: Buffer, bytes: boolean): [string, string] {
  const parts = fieldsOf(buf);
  const key = (parts.find((p) => p.field === 1)?.value as Buffer | undefined)?.toString('utf8') ?? '';
  const raw = (parts.find((p) => p.field === 2)?.value as Buffer | undefined) ?? Buffer.alloc(0);
  return [key, bytes ? raw.toString('base64') : raw.toString('utf8')];
}

function decodeScalar(kind: Scalar, value: bigint | Buffer): unknown {
  switch (kind) {
    case 'string':
      return (value as Buffer).toString('utf8');
    case 'bytes':
      return (value as Buffer).toString('base64');
    case 'int':
      return Number(BigInt.asIntN(64, value as bigint));
    case 'bool':
      return value !== 0n;
    case 'time':
      return decodeTime(value as Buffer);
    case 'intOrString':
      return decodeIntOrString(value as Buffer);
    default:
      throw malformed();
  }
}

function decodeWith(schema: Schema, buf: Buffer): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { field, value } of fieldsOf(buf)) {
    const spec = schema[field];
    if (!spec) continue; // a field this simulator does not model
    const [name, kind, repeated] = spec;
    if (kind === 'stringMap' || kind === 'bytesMap') {
      const [key, entry] = decodeMapEntry(value as Buffer, kind === 'bytesMap');
      out[name] = { ...((out[name] as object | undefined) ?? {}), [key]: entry };
      continue;
    }
    const decoded = typeof kind === 'string' ? decodeScalar(kind, value) : decodeWith(kind, value as Buffer);
    if ((decoded === '' || decoded === undefined) && !repeated) continue; // Go writes empty strings and zero times; JSON omits them
    if (repeated) out[name] = [...((out[name] as unknown[] | undefined) ?? []), decoded];
    else out[name] = decoded;
  }
  return out;
}

/** The JSON form of a protobuf-encoded request body; 415 for kinds this simulator cannot read. */
export function decodeProtobufObject(body: Buffer): Record<string, unknown> {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) throw malformed();
  const envelope = fieldsOf(body.subarray(MAGIC.length));
  const typeMeta = envelope.find((p) => p.field === 1)?.value as Buffer | undefined;
  const raw = (envelope.find((p) => p.field === 2)?.value as Buffer | undefined) ?? Buffer.alloc(0);
  const meta = typeMeta ? decodeWith({ 1: ['apiVersion', 'string'], 2: ['kind', 'string'] }, typeMeta) : {};
  const apiVersion = String(meta.apiVersion ?? '');
  const kind = String(meta.kind ?? '');
  const schema = KINDS[`${apiVersion}/${kind}`];
  if (!schema) {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json, ` +
        `application/yaml (protobuf is read only for ${Object.keys(KINDS).join(', ')})`,
    );
  }
  return { apiVersion, kind, ...decodeWith(schema, raw) };
}
