/**
 * A minimal OpenAPI v3 surface: the `/openapi/v3` index and, per group/version, the PATCH
 * operations of each resource with their `x-kubernetes-group-version-kind` and the
 * `fieldValidation` query parameter. That is what kubectl/oc read to decide that the server
 * validates fields itself (`--validate=strict` then sends `fieldValidation=Strict` instead of
 * validating against full schemas, which this simulator does not publish).
 */
import { createHash } from 'node:crypto';
import type { ResourceRegistry } from './resources.js';

function groupVersionPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

function hashOf(text: string): string {
  return createHash('sha512').update(text).digest('hex').slice(0, 32).toUpperCase();
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

/** The document for `/openapi/v3/api/v1` or `/openapi/v3/apis/<g>/<v>`; undefined if nothing is served there. */
export function openApiGroupVersion(
  registry: ResourceRegistry,
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const types = registry.inGroupVersion(group, version);
  if (types.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  const parameters = ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({
    name,
    in: 'query',
    schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true },
  }));
  for (const type of types) {
    const base = `/${groupVersionPath(group, version)}${type.namespaced ? '/namespaces/{namespace}' : ''}/${type.plural}/{name}`;
    paths[base] = {
      patch: {
        operationId: `patch${type.namespaced ? 'Namespaced' : ''}${type.kind}`,
        parameters,
        responses: { '200': { description: 'OK' } },
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': { group: type.group, version: type.version, kind: type.kind },
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'unversioned' },
    paths,
    components: { schemas: {} },
  };
}
