/**
 * Kinds served from upstream CustomResourceDefinitions vendored under simulator/crds/ (each with its
 * licence and source commit): the CRD gives the kind's names, scope and subresources, and its
 * `openAPIV3Schema` becomes the schema the server validates and prunes with, as kube-apiserver
 * does for a CRD. Only the OpenAPI subset ./schemas.ts models is kept (types, properties, items,
 * maps, required, enums, the x-kubernetes-* markers it knows); descriptions stay for /openapi.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { ResourceType, Subresource } from './resources.js';
import type { Schema } from './schemas.js';

interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema: { openAPIV3Schema: Record<string, unknown> };
  subresources?: { status?: unknown; scale?: unknown };
}

interface Crd {
  spec: {
    group: string;
    names: { kind: string; plural: string; singular?: string; shortNames?: string[]; categories?: string[] };
    scope: 'Cluster' | 'Namespaced';
    versions: CrdVersion[];
  };
}

/** What the resource table needs of a vendored CRD (./resources.ts makes it a `crd(…)` entry). */
export type VendoredKind = Pick<
  ResourceType,
  'group' | 'version' | 'plural' | 'singular' | 'kind' | 'namespaced' | 'shortNames' | 'categories' | 'subresources'
> & {
  /** The kind's own top-level fields (spec, status…), as ./schemas.ts's KIND_FIELDS holds them. */
  fields: Record<string, Schema>;
};

const KEPT_TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);

/** An OpenAPI v3 schema of a CRD, reduced to the subset the simulated server validates with. */
export function toSchema(source: Record<string, unknown>): Schema {
  const schema: Schema = {};
  if (typeof source.type === 'string' && KEPT_TYPES.has(source.type)) schema.type = source.type as Schema['type'];
  if (typeof source.description === 'string') schema.description = source.description;
  if (typeof source.format === 'string') schema.format = source.format;
  if (Array.isArray(source.required)) schema.required = source.required.map(String);
  if (Array.isArray(source.enum)) schema.enum = source.enum.map(String);
  if (source['x-kubernetes-int-or-string'] === true) schema['x-kubernetes-int-or-string'] = true;
  if (source['x-kubernetes-preserve-unknown-fields'] === true) schema['x-kubernetes-preserve-unknown-fields'] = true;
  const properties = source.properties as Record<string, Record<string, unknown>> | undefined;
  if (properties !== undefined)
    schema.properties = Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, toSchema(value)]));
  if (typeof source.items === 'object' && source.items !== null)
    schema.items = toSchema(source.items as Record<string, unknown>);
  if (typeof source.additionalProperties === 'object' && source.additionalProperties !== null)
    schema.additionalProperties = toSchema(source.additionalProperties as Record<string, unknown>);
  // `metadata: { type: object }` in a CRD means ObjectMeta, which the server knows already.
  return schema;
}

/** The served storage version of a vendored CRD file (`simulator/crds/<project>/<file>`). */
export function vendoredKind(relativePath: string): VendoredKind {
  const crd = parse(readFileSync(new URL(`../crds/${relativePath}`, import.meta.url), 'utf8')) as Crd;
  const version = crd.spec.versions.find((candidate) => candidate.served && candidate.storage);
  if (version === undefined) throw new Error(`${relativePath}: the CRD serves no storage version`);
  const { names } = crd.spec;
  const properties = (version.schema.openAPIV3Schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  const fields = Object.fromEntries(
    Object.entries(properties)
      .filter(([key]) => !['apiVersion', 'kind', 'metadata'].includes(key))
      .map(([key, value]) => [key, toSchema(value)]),
  );
  return {
    group: crd.spec.group,
    version: version.name,
    plural: names.plural,
    singular: names.singular ?? names.kind.toLowerCase(),
    kind: names.kind,
    namespaced: crd.spec.scope === 'Namespaced',
    ...(names.shortNames ? { shortNames: names.shortNames } : {}),
    ...(names.categories ? { categories: names.categories } : {}),
    subresources: [
      ...(version.subresources?.status !== undefined ? ['status' as Subresource] : []),
      ...(version.subresources?.scale !== undefined ? ['scale' as Subresource] : []),
    ],
    fields,
  };
}

/** `EgressIP` (k8s.ovn.org/v1) of ovn-org/ovn-kubernetes: cluster-scoped, no status subresource. */
export const ovnEgressIp = vendoredKind('ovn-kubernetes/k8s.ovn.org_egressips.yaml');
