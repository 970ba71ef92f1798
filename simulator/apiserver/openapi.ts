/**
 * The OpenAPI documents kubectl and oc read, built from the kinds' schemas (./schemas.ts):
 * - `/openapi/v3` (index) and `/openapi/v3/api/v1`, `/openapi/v3/apis/<g>/<v>`: per kind a
 *   component schema tagged `x-kubernetes-group-version-kind` (what `kubectl explain` walks) and
 *   its PATCH operation with the `fieldValidation` parameter (so kubectl lets the server validate)
 *   and the patch media types it accepts (no strategic merge patch, so `kubectl apply` computes a
 *   JSON merge patch for custom resources and its built-in strategic patch for the others);
 * - `/openapi/v2`: one Swagger 2.0 document with every kind's definition, in JSON or in the
 *   gnostic protobuf encoding kubectl asks for, which kubectl validates with client side whenever
 *   the server cannot (a `kind: List` file, as `kubectl get … -o yaml` writes).
 */
import { createHash } from 'node:crypto';
import type { ResourceRegistry, ResourceType } from './resources.js';
import { schemaOf } from './schemas.js';
import type { Schema } from './schemas.js';

/** What clients ask for (`@v1.0`) and what the server labels its answer with (`.v1.0`, a valid media type). */
export const OPENAPI_V2_PROTOBUF = 'com.github.proto-openapi.spec.v2';
export const OPENAPI_V2_PROTOBUF_ANSWER = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

function groupVersionPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

const K8S_GROUPS = new Set([
  '',
  'apps',
  'policy',
  'storage.k8s.io',
  'certificates.k8s.io',
  'rbac.authorization.k8s.io',
]);

/** `io.k8s.api.core.v1.Node`, `io.openshift.machineconfiguration.v1.MachineConfigPool`. */
export function definitionName(type: Pick<ResourceType, 'group' | 'version' | 'kind'>): string {
  if (K8S_GROUPS.has(type.group)) {
    const short = type.group === '' ? 'core' : type.group.split('.')[0]!;
    return `io.k8s.api.${short}.${type.version}.${type.kind}`;
  }
  return `${type.group.split('.').reverse().join('.')}.${type.version}.${type.kind}`;
}

const gvkOf = (type: ResourceType) => [{ group: type.group, kind: type.kind, version: type.version }];

function hashOf(text: string): string {
  return createHash('sha512').update(text).digest('hex').slice(0, 32).toUpperCase();
}

/** A schema in OpenAPI v3 words: int-or-string as the anyOf the API server publishes. */
function toV3(schema: Schema): Record<string, unknown> {
  const { properties, items, additionalProperties, ...rest } = schema;
  return {
    ...rest,
    ...(schema['x-kubernetes-int-or-string'] ? { anyOf: [{ type: 'integer' }, { type: 'string' }] } : {}),
    ...(properties ? { properties: Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, toV3(v)])) } : {}),
    ...(items ? { items: toV3(items) } : {}),
    ...(additionalProperties ? { additionalProperties: toV3(additionalProperties) } : {}),
  };
}

/** A schema in Swagger 2.0 words: int-or-string is `type: string, format: int-or-string`. */
function toV2(schema: Schema): Schema {
  if (schema['x-kubernetes-int-or-string']) {
    const { 'x-kubernetes-int-or-string': _i, ...rest } = schema;
    return { ...rest, type: 'string', format: 'int-or-string' };
  }
  const { properties, items, additionalProperties, ...rest } = schema;
  return {
    ...rest,
    ...(properties ? { properties: Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, toV2(v)])) } : {}),
    ...(items ? { items: toV2(items) } : {}),
    ...(additionalProperties ? { additionalProperties: toV2(additionalProperties) } : {}),
  };
}

export function openApiIndex(registry: ResourceRegistry): Record<string, unknown> {
  const versions = [{ group: '', versions: ['v1'] }, ...registry.groups()];
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const { group, versions: list } of versions) {
    for (const version of list) {
      const gv = groupVersionPath(group, version);
      paths[gv] = {
        serverRelativeURL: `/openapi/v3/${gv}?hash=${hashOf(JSON.stringify(openApiGroupVersion(registry, group, version)))}`,
      };
    }
  }
  return { paths };
}

const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];

/** The document for `/openapi/v3/api/v1` or `/openapi/v3/apis/<g>/<v>`; undefined if nothing is served there. */
export function openApiGroupVersion(
  registry: ResourceRegistry,
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const types = registry.inGroupVersion(group, version);
  if (types.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  const parameters = ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({
    name,
    in: 'query',
    schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true },
  }));
  for (const type of types) {
    const ref = { $ref: `#/components/schemas/${definitionName(type)}` };
    schemas[definitionName(type)] = { ...toV3(schemaOf(type)), 'x-kubernetes-group-version-kind': gvkOf(type) };
    const base = `/${groupVersionPath(group, version)}${type.namespaced ? '/namespaces/{namespace}' : ''}/${type.plural}/{name}`;
    paths[base] = {
      patch: {
        operationId: `patch${type.namespaced ? 'Namespaced' : ''}${type.kind}`,
        parameters,
        requestBody: {
          content: Object.fromEntries(PATCH_TYPES.map((media) => [media, { schema: { type: 'object' } }])),
          required: true,
        },
        responses: { '200': { description: 'OK', content: { 'application/json': { schema: ref } } } },
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': { group: type.group, version: type.version, kind: type.kind },
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'unversioned' },
    paths,
    components: { schemas },
  };
}

/** `/openapi/v2` as JSON: every kind's definition, tagged with its group/version/kind. */
export function openApiV2(registry: ResourceRegistry): Record<string, unknown> {
  const definitions: Record<string, unknown> = {};
  for (const type of registry.table) {
    definitions[definitionName(type)] = { ...toV2(schemaOf(type)), 'x-kubernetes-group-version-kind': gvkOf(type) };
  }
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: 'unversioned' },
    paths: {},
    definitions,
  };
}

// ---------------------------------------------------------------------------------------------
// The gnostic openapi_v2.Document protobuf (github.com/google/gnostic openapiv2/OpenAPIv2.proto)
// that client-go's discovery OpenAPISchema() unmarshals.

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** A length-delimited field (strings and embedded messages). */
function field(number: number, payload: Buffer | string): Buffer {
  const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  return Buffer.concat([varint((number << 3) | 2), varint(bytes.length), bytes]);
}

/** NamedAny{name, Any{yaml}}: vendor extensions carry their value as YAML text (JSON is YAML). */
function namedAny(number: number, name: string, value: unknown): Buffer {
  return field(number, Buffer.concat([field(1, name), field(2, field(2, JSON.stringify(value)))]));
}

function schemaMessage(schema: Record<string, unknown>): Buffer {
  const parts: Buffer[] = [];
  if (typeof schema.format === 'string') parts.push(field(2, schema.format));
  if (typeof schema.description === 'string') parts.push(field(4, schema.description));
  for (const name of (schema.required as string[] | undefined) ?? []) parts.push(field(19, name));
  if (schema.additionalProperties)
    parts.push(field(21, field(1, schemaMessage(schema.additionalProperties as Record<string, unknown>))));
  if (typeof schema.type === 'string') parts.push(field(22, field(1, schema.type)));
  if (schema.items) parts.push(field(23, field(1, schemaMessage(schema.items as Record<string, unknown>))));
  if (schema.properties) {
    const named = Object.entries(schema.properties as Record<string, Record<string, unknown>>).map(([name, inner]) =>
      field(1, Buffer.concat([field(1, name), field(2, schemaMessage(inner))])),
    );
    parts.push(field(25, Buffer.concat(named)));
  }
  for (const [key, value] of Object.entries(schema)) if (key.startsWith('x-')) parts.push(namedAny(31, key, value));
  return Buffer.concat(parts);
}

/** `/openapi/v2` in the protobuf encoding kubectl asks for. */
export function openApiV2Protobuf(registry: ResourceRegistry): Buffer {
  const document = openApiV2(registry);
  const info = document.info as { title: string; version: string };
  const definitions = Object.entries(document.definitions as Record<string, Record<string, unknown>>).map(
    ([name, schema]) => field(1, Buffer.concat([field(1, name), field(2, schemaMessage(schema))])),
  );
  return Buffer.concat([
    field(1, '2.0'),
    field(2, Buffer.concat([field(1, info.title), field(2, info.version)])),
    field(8, Buffer.alloc(0)),
    field(9, Buffer.concat(definitions)),
  ]);
}
