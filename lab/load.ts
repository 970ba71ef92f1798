/**
 * Loading a lab file: YAML → schema → cross-field rules → secret references checked, every issue at
 * once with its line (`example.yaml:42`). The parsed lab holds secret references only; relative
 * `file:` references (and knownHosts paths) are made absolute against the lab file's folder, so a
 * worker started elsewhere resolves them the same way. `~/` is left for the resolving side's home.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { formatPath, LabValidationError, type LabIssue, type PathSegment, type RawIssue } from './issues.js';
import type { Lab } from './schema.js';
import { checkSecretRef } from './secrets.js';
import { secretRefsOf, valuesAt } from './secret-refs.js';
import { checkLab } from './validate.js';

export { validateLab, type LabValidation } from './validate.js';
export { LabValidationError, formatIssue, type LabIssue } from './issues.js';

export interface ParseLabOptions {
  /** Folder that relative `file:` references start from; defaults to the folder of `source`. */
  baseDir?: string;
  /** Check that every secret reference resolves to a plausible secret (default true). */
  checkSecrets?: boolean;
}

/** Reads and validates a lab file; throws `LabFileError` when it cannot be read, `LabValidationError` listing every issue. */
export async function loadLab(path: string, options: Omit<ParseLabOptions, 'baseDir'> = {}): Promise<Lab> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new LabFileError(path, (error as NodeJS.ErrnoException).code);
  }
  return parseLab(text, path, options);
}

/** The lab file is missing or unreadable: nothing to validate, so no "invalid lab" report either. */
export class LabFileError extends Error {
  constructor(
    public readonly path: string,
    public readonly code: string | undefined,
  ) {
    super(
      code === 'ENOENT'
        ? `the lab file ${path} does not exist`
        : code === 'EISDIR'
          ? `the lab file ${path} is a folder, not a file`
          : `the lab file ${path} cannot be read (${code ?? 'unknown error'})`,
    );
    this.name = 'LabFileError';
  }

  /** What to do about it. */
  hints(): string[] {
    const absolute = resolve(this.path);
    if (this.code === 'ENOENT' || this.code === 'EISDIR') {
      return [
        `looked for ${absolute}`,
        'check the path (a relative one starts from the current folder), or write a lab file from the example: runbooks/labs/example.yaml',
      ];
    }
    return [`check the permissions of ${absolute}`];
  }
}

/** Validates the text of a lab file; `source` names it in messages (and locates relative references). */
export async function parseLab(text: string, source: string, options: ParseLabOptions = {}): Promise<Lab> {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  if (document.errors.length > 0) {
    throw new LabValidationError(
      source,
      document.errors.map((error) => ({
        path: '',
        message: `not valid YAML: ${error.message.split('\n')[0]}`,
        line: lineCounter.linePos(error.pos[0]).line,
      })),
    );
  }
  const input: unknown = document.toJS();
  anchorPaths(input, options.baseDir ?? dirname(resolve(source)));
  const { lab, draft, issues } = checkLab(input);
  if (options.checkSecrets ?? true) {
    for (const { path, ref, kind } of secretRefsOf(draft)) {
      const problem = await checkSecretRef(ref, kind);
      if (problem !== undefined) issues.push({ path, message: problem });
    }
  }
  if (issues.length > 0 || lab === undefined) {
    const located = issues.map((issue) => locate(issue, document, lineCounter));
    throw new LabValidationError(
      source,
      located.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)),
    );
  }
  return lab;
}

/** Paths on the worker that the lab may write relative to its own folder. */
const localPaths = [['hosts', '*', 'ssh', 'knownHosts']] as const;

/** Rewrites relative `file:` references and local paths, in place, to absolute ones under `baseDir`. */
function anchorPaths(input: unknown, baseDir: string): void {
  const absolute = (path: string) =>
    isAbsolute(path) || path === '~' || path.startsWith('~/') ? path : resolve(baseDir, path);
  const targets = [
    ...secretRefsOf(input)
      .filter(({ ref }) => ref.startsWith('file:') && ref.length > 'file:'.length)
      .map(({ path, ref }) => ({ path, value: `file:${absolute(ref.slice('file:'.length))}` })),
    ...localPaths
      .flatMap((pattern) => valuesAt(input, pattern, []))
      .flatMap(({ path, value }) =>
        typeof value === 'string' && value !== '' ? [{ path, value: absolute(value) }] : [],
      ),
  ];
  for (const { path, value } of targets) {
    const parent = path
      .slice(0, -1)
      .reduce<unknown>((node, segment) => (node as Record<PathSegment, unknown>)[segment], input);
    (parent as Record<PathSegment, unknown>)[path.at(-1) as PathSegment] = value;
  }
}

/** The issue with its path formatted and the line of the deepest part of the path present in the file. */
function locate(issue: RawIssue, document: Document, lineCounter: LineCounter): LabIssue {
  let node: unknown = document.contents;
  let offset: number | undefined = (document.contents as { range?: [number] } | null)?.range?.[0];
  for (const segment of issue.path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && item.key.value === segment);
      if (pair === undefined) break;
      offset = (pair.key as { range?: [number] }).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (item === undefined) break;
      offset = (item as { range?: [number] }).range?.[0] ?? offset;
      node = item;
    } else break;
  }
  const path = formatPath(issue.path);
  return offset === undefined
    ? { path, message: issue.message }
    : { path, message: issue.message, line: lineCounter.linePos(offset).line };
}
