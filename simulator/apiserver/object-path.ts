/** Reading and writing nested fields of JSON objects by path (`spec.replicas` or `['spec', 'replicas']`). */

const partsOf = (path: string | readonly string[]) => (typeof path === 'string' ? path.split('.') : path);

export function valueAt(obj: unknown, path: string | readonly string[]): unknown {
  let node = obj;
  for (const part of partsOf(path)) {
    node =
      node !== null && typeof node === 'object' && !Array.isArray(node)
        ? (node as Record<string, unknown>)[part]
        : undefined;
  }
  return node;
}

/** Sets a nested field, creating the objects on the way. */
export function setValueAt(obj: Record<string, unknown>, path: string | readonly string[], value: unknown): void {
  const parts = partsOf(path);
  let node = obj;
  for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
  node[parts[parts.length - 1]!] = value;
}
