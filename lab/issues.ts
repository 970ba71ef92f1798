/**
 * What lab validation reports: one issue per mistake, each naming the field (`nodes[3].ip`), what is
 * wrong and what to write instead, and, when the lab came from a file, the line. Pure.
 */

export type PathSegment = string | number;

export interface LabIssue {
  /** Field path as written in the lab file: `nodes[3].ip`, `day2.egress.routers[0].sourceIP`; '' for the whole file. */
  path: string;
  message: string;
  /** 1-based line in the lab file, when the lab was parsed from text. */
  line?: number;
}

/** An issue before it is placed in the file: the path as segments, so the loader can find its line. */
export interface RawIssue {
  path: readonly PathSegment[];
  message: string;
}

const identifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `['nodes', 3, 'ip']` → `nodes[3].ip`; keys that are not identifiers are quoted (`nodeSelector["a.b/c"]`). */
export function formatPath(path: readonly PathSegment[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (identifier.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/** One line per issue: `nodes[3].ip (example.yaml:42): must be …`. */
export function formatIssue(issue: LabIssue, source?: string): string {
  const where = source === undefined ? undefined : issue.line === undefined ? source : `${source}:${issue.line}`;
  if (issue.path === '') return where === undefined ? issue.message : `${where}: ${issue.message}`;
  return where === undefined ? `${issue.path}: ${issue.message}` : `${issue.path} (${where}): ${issue.message}`;
}

/** Thrown by `parseLab` / `loadLab` when the lab is invalid; `issues` lists every problem found. */
export class LabValidationError extends Error {
  constructor(
    /** The lab file (or a label for where the text came from). */
    public readonly source: string,
    public readonly issues: readonly LabIssue[],
  ) {
    super(`${source}: the lab is invalid (${issues.length} ${issues.length === 1 ? 'issue' : 'issues'})`);
    this.name = 'LabValidationError';
  }

  /** Every issue, one line each, ready to print. */
  lines(): string[] {
    return this.issues.map((issue) => formatIssue(issue, this.source));
  }
}
