/**
 * Kubernetes objects as the runbooks apply them (through @kubernetes/client-node) and as YAML files.
 * Renderers build plain objects with keys in the conventional order (apiVersion, kind, metadata,
 * spec…); the YAML files are their serialisation, so the two never disagree.
 */
import { stringify } from 'yaml';
import type { Lab } from '../lab/schema.js';
import { header } from './text.js';
import type { RenderedFile, SecretSlot } from './types.js';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** A JSON merge patch (RFC 7386) for an existing object, as `oc patch --type merge` sends it. */
export interface MergePatch {
  target: { apiVersion: string; kind: string; name: string; namespace?: string };
  patch: Record<string, unknown>;
  /**
   * Dotted paths of maps in `patch` that stand for the whole field: the keys the live object holds
   * there and the patch does not set are removed (sent as null). A merge patch alone merges maps, so
   * a node selector patched onto one with other terms would keep them and select fewer nodes.
   */
  replace?: readonly string[];
}

export function namespaceObject(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

export function serviceAccountObject(namespace: string, name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } };
}

/** The user name of a service account, as SCC `users` lists it. */
export function serviceAccountUser(namespace: string, serviceAccount: string): string {
  return `system:serviceaccount:${namespace}:${serviceAccount}`;
}

/**
 * YAML with a stable layout: no line folding, block scalars for multi-line strings, and no
 * anchors/aliases when an object is reused (each object spelled out, as kubectl would read it).
 */
export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}

interface ManifestOptions {
  path: string;
  artifact: string;
  secrets?: SecretSlot[];
}

/** A file of one or more objects (a multi-document YAML stream). */
export function manifestFile(lab: Lab, objects: KubeObject[], options: ManifestOptions): RenderedFile {
  const what = objects.map((object) => `${object.kind} ${object.metadata.name}`).join(', ');
  const content = header(lab, '#', what) + objects.map(toYaml).join('---\n');
  return withSecrets({ path: options.path, content, artifact: options.artifact }, options.secrets);
}

/** A merge patch body, headed by the object it applies to. */
export function patchFile(lab: Lab, patch: MergePatch, options: ManifestOptions): RenderedFile {
  const { target } = patch;
  const where = target.namespace === undefined ? '' : ` in ${target.namespace}`;
  const what = `Merge patch for ${target.kind} ${target.name}${where} (${target.apiVersion})`;
  return withSecrets(
    { path: options.path, content: header(lab, '#', what) + toYaml(patch.patch), artifact: options.artifact },
    options.secrets,
  );
}

function withSecrets(file: RenderedFile, secrets: SecretSlot[] | undefined): RenderedFile {
  return secrets === undefined || secrets.length === 0 ? file : { ...file, secrets };
}
