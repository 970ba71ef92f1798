/**
 * Discovery documents: `/version`, `/api`, `/apis`, `/apis/<group>`, `/api/v1`, `/apis/<g>/<v>`
 * (legacy discovery, what client-node's KubernetesObjectApi reads), and the aggregated
 * `APIGroupDiscoveryList` (apidiscovery.k8s.io/v2) that kubectl asks for with its Accept header.
 */
import { createHash } from 'node:crypto';
import { apiVersionOf, subresourceVerbs } from './resources.js';
import type { ResourceRegistry, ResourceType } from './resources.js';

export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
}

/** `/version`: what `discovery.ServerVersion()` (openshift-install, kubectl version) reads. */
export function versionDocument(gitVersion: string): Record<string, string> {
  const [, major = '1', minor = '0'] = /^v?(\d+)\.(\d+)/.exec(gitVersion) ?? [];
  return {
    major,
    minor,
    gitVersion,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2024-01-01T00:00:00Z',
    goVersion: 'go1.22.0',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function apiVersionsDocument(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupEntry(group: string, versions: readonly string[]) {
  const list = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { name: group, versions: list, preferredVersion: list[0] };
}

export function apiGroupListDocument(registry: ResourceRegistry): Record<string, unknown> {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: registry.groups().map(({ group, versions }) => groupEntry(group, versions)),
  };
}

export function apiGroupDocument(registry: ResourceRegistry, group: string): Record<string, unknown> | undefined {
  const found = registry.groups().find((entry) => entry.group === group);
  return found && { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(found.group, found.versions) };
}

function storageVersionHash(type: ResourceType): string {
  return createHash('sha256').update(`${type.group}/${type.version}/${type.kind}`).digest('base64').slice(0, 11);
}

/** `/api/v1` or `/apis/<g>/<v>`; each main resource is listed before its subresources. */
export function apiResourceListDocument(
  registry: ResourceRegistry,
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const types = registry.inGroupVersion(group, version);
  if (types.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const type of types) {
    resources.push({
      name: type.plural,
      singularName: type.singular,
      namespaced: type.namespaced,
      kind: type.kind,
      verbs: type.verbs,
      ...(type.shortNames ? { shortNames: type.shortNames } : {}),
      ...(type.categories ? { categories: type.categories } : {}),
      storageVersionHash: storageVersionHash(type),
    });
    for (const sub of [...type.subresources].sort()) {
      resources.push({
        name: `${type.plural}/${sub}`,
        singularName: '',
        namespaced: type.namespaced,
        ...subresourceKind(type, sub),
        verbs: subresourceVerbs(sub),
      });
    }
  }
  const gv = apiVersionOf({ group, version });
  return group === ''
    ? { kind: 'APIResourceList', groupVersion: gv, resources }
    : { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources };
}

/** The kind a subresource speaks: Scale, Eviction, or the object's own kind. */
function subresourceKind(type: ResourceType, sub: string): { kind: string; group?: string; version?: string } {
  if (sub === 'scale') return { group: 'autoscaling', version: 'v1', kind: 'Scale' };
  if (sub === 'eviction') return { group: 'policy', version: 'v1', kind: 'Eviction' };
  return { kind: type.kind };
}

export const AGGREGATED_MEDIA_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
export const AGGREGATED_MEDIA_V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

/** Which aggregated discovery media type the Accept header asks for, if any (v2 preferred). */
export function aggregatedMediaType(accept: string | undefined): string | undefined {
  const wanted = (accept ?? '').replace(/\s+/g, '').toLowerCase();
  if (wanted.includes('g=apidiscovery.k8s.io;v=v2;as=apigroupdiscoverylist')) return AGGREGATED_MEDIA_V2;
  if (wanted.includes('g=apidiscovery.k8s.io;v=v2beta1;as=apigroupdiscoverylist')) return AGGREGATED_MEDIA_V2BETA1;
  return undefined;
}

/** Aggregated discovery for the core group (`/api`) or all named groups (`/apis`). */
export function aggregatedDocument(
  registry: ResourceRegistry,
  core: boolean,
  mediaType: string,
): Record<string, unknown> {
  const groups = core ? [{ group: '', versions: ['v1'] }] : registry.groups();
  const apiVersion = mediaType === AGGREGATED_MEDIA_V2 ? 'apidiscovery.k8s.io/v2' : 'apidiscovery.k8s.io/v2beta1';
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion,
    metadata: {},
    items: groups.map(({ group, versions }) => ({
      metadata: core ? {} : { name: group },
      versions: versions.map((version) => ({
        version,
        freshness: 'Current',
        resources: registry.inGroupVersion(group, version).map((type) => ({
          resource: type.plural,
          responseKind: { group: type.group, version: type.version, kind: type.kind },
          scope: type.namespaced ? 'Namespaced' : 'Cluster',
          singularResource: type.singular,
          verbs: type.verbs,
          ...(type.shortNames ? { shortNames: type.shortNames } : {}),
          ...(type.categories ? { categories: type.categories } : {}),
          ...(type.subresources.length
            ? {
                subresources: [...type.subresources].sort().map((sub) => {
                  const { kind, group: g = type.group, version: v = type.version } = subresourceKind(type, sub);
                  return {
                    subresource: sub,
                    responseKind: { group: g, version: v, kind },
                    verbs: subresourceVerbs(sub),
                  };
                }),
              }
            : {}),
        })),
      })),
    })),
  };
}
