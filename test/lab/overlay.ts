/**
 * Broken labs as overlays: a shipped example lab (runbooks/labs/) plus the few fields one mistake
 * changes, named by the paths the validator prints (`nodes[3].mac`, `nodeSelector["a.b/c"]`). A
 * schema change then touches the example, not every broken lab. The overlay is applied to the
 * example's YAML document, so what it leaves alone keeps its comments and lines (flow lists gain padding).
 *
 * An overlay file:
 *   mistake: two bootstrap nodes          # what is wrong, in words
 *   base: example-4.2-sdn.yaml            # a lab of runbooks/labs/
 *   set: { nodes[7].role: bootstrap }     # path → value; an index one past the end appends
 *   delete: [day2.ceph]                   # paths that must exist
 *   duplicate: { cluster.serviceNetwork: 172.31.0.0/16 }  # the key written a second time (a YAML error)
 *   expect: ["nodes[7].role: a second bootstrap node …"]  # exactly the issues the lab raises
 * Every path names a place in the base: sets go first (in order), then deletes, then duplicates.
 */
import { mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { isMap, isScalar, isSeq, Pair, parse, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import type { PathSegment } from '../../lab/issues.js';
import { exampleSecrets, repoRoot } from './paths.js';

/** Where `base:` names are looked up. */
export const baseLabs = join(repoRoot, 'runbooks', 'labs');

const overlaySchema = z
  .object({
    mistake: z.string().min(1),
    base: z.string().regex(/^[\w.-]+\.yaml$/, 'the file name of a lab in runbooks/labs/'),
    set: z.record(z.string(), z.unknown()).default({}),
    delete: z.array(z.string()).default([]),
    duplicate: z.record(z.string(), z.unknown()).default({}),
    expect: z.array(z.string()).min(1),
  })
  .strict();

export type LabOverlay = z.infer<typeof overlaySchema>;

/** Reads and checks an overlay file; a malformed one throws, naming the file and the field. */
export async function readOverlay(file: string): Promise<LabOverlay> {
  let content: unknown;
  try {
    content = parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: not valid YAML: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
  const parsed = overlaySchema.safeParse(content);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    const keys = issue?.code === 'unrecognized_keys' ? ` ${issue.keys.join(', ')}` : '';
    throw new Error(`${file}: ${issue?.path.join('.') ?? ''}:${keys} ${issue?.message ?? 'not an overlay'}`);
  }
  return parsed.data;
}

const segmentPattern = /^(?:\.?([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\])/;

/** `day2.egress.routers[0].nodeSelector["node-role.kubernetes.io/infra"]` → its segments (the inverse of formatPath). */
export function parsePath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  let rest = path;
  while (rest !== '') {
    const match = segmentPattern.exec(rest);
    if (match === null || (segments.length === 0 && rest.startsWith('.'))) {
      throw new Error(`bad path ${JSON.stringify(path)} at ${JSON.stringify(rest)}: write key.key[0]["key.with.dots"]`);
    }
    const [whole, key, index, quoted] = match;
    segments.push(key ?? (index === undefined ? (JSON.parse(quoted as string) as string) : Number(index)));
    rest = rest.slice(whole.length);
  }
  if (segments.length === 0) throw new Error('an empty path names the whole lab: name a field');
  return segments;
}

/** The collection node at `path`, or a clear error naming the overlay path that does not exist. */
function collectionAt(document: Document, path: readonly PathSegment[], whole: string): unknown {
  const node = path.length === 0 ? document.contents : document.getIn(path, true);
  if (!isMap(node) && !isSeq(node)) throw new Error(`${whole}: the base has no map or list at ${JSON.stringify(path)}`);
  return node;
}

/** Applies the overlay to the base lab's text and returns the broken lab's text. */
export function applyOverlay(baseText: string, overlay: Pick<LabOverlay, 'set' | 'delete' | 'duplicate'>): string {
  const document = parseDocument(baseText);
  for (const [path, value] of Object.entries(overlay.set)) {
    const segments = parsePath(path);
    const last = segments.at(-1) as PathSegment;
    const parent = collectionAt(document, segments.slice(0, -1), path);
    if (isSeq(parent)) {
      if (typeof last !== 'number' || last > parent.items.length) {
        throw new Error(`${path}: the list has ${parent.items.length} items; set an index up to that (it appends)`);
      }
      if (last === parent.items.length) parent.items.push(document.createNode(value));
      else parent.set(last, document.createNode(value));
    } else (parent as { set(key: unknown, value: unknown): void }).set(last, document.createNode(value));
  }
  const deletions = overlay.delete.map((path) => {
    const segments = parsePath(path);
    const parent = collectionAt(document, segments.slice(0, -1), path) as { items: unknown[] };
    const last = segments.at(-1) as PathSegment;
    const item = isSeq(parent)
      ? parent.items[last as number]
      : parent.items.find(
          (pair) => isScalar((pair as Pair).key) && ((pair as Pair).key as { value: unknown }).value === last,
        );
    if (item === undefined) throw new Error(`${path}: not in the base lab, so there is nothing to delete`);
    return { parent, item };
  });
  for (const { parent, item } of deletions) parent.items.splice(parent.items.indexOf(item), 1);
  for (const [path, value] of Object.entries(overlay.duplicate)) {
    const segments = parsePath(path);
    const parent = collectionAt(document, segments.slice(0, -1), path);
    const key = segments.at(-1);
    const at = isMap(parent) ? parent.items.findIndex((pair) => isScalar(pair.key) && pair.key.value === key) : -1;
    if (at < 0) throw new Error(`${path}: not a key of the base lab, so it cannot be written twice`);
    (parent as { items: unknown[] }).items.splice(
      at + 1,
      0,
      new Pair(document.createNode(key), document.createNode(value)),
    );
  }
  return document.toString({ lineWidth: 0, flowCollectionPadding: true });
}

/** The broken lab of an overlay file, as text, with the folder its relative references start from. */
export async function overlaidLab(file: string): Promise<{ overlay: LabOverlay; text: string; baseDir: string }> {
  const overlay = await readOverlay(file);
  const baseText = await readFile(join(baseLabs, overlay.base), 'utf8');
  return { overlay, text: applyOverlay(baseText, overlay), baseDir: baseLabs };
}

/**
 * Writes the broken lab to a new temporary folder, for what reads a file (the command line), beside
 * a link to the example secrets so its relative `file:` references resolve. Returns the lab's path.
 */
export async function materialiseOverlay(file: string): Promise<string> {
  const { text } = await overlaidLab(file);
  const folder = await mkdtemp(join(tmpdir(), 'broken-lab-'));
  await symlink(exampleSecrets, join(folder, basename(exampleSecrets)));
  const path = join(folder, basename(file));
  await writeFile(path, text);
  return path;
}
