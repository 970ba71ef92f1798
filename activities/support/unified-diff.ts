/**
 * A unified diff of two texts (`diff -u` style, 3 lines of context), for plans and step details.
 * Line-based longest common subsequence: the files a runbook pushes are a few hundred lines at most.
 */

type Edit = { op: ' ' | '-' | '+'; line: string };

function lines(text: string): string[] {
  if (text === '') return [];
  const parts = text.split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

function edits(a: string[], b: string[]): Edit[] {
  const n = a.length;
  const m = b.length;
  // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: Edit[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push({ op: ' ', line: a[i++]! });
      j++;
    } else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      // Removals before additions, as diff -u shows them.
      out.push({ op: '-', line: a[i++]! });
    } else {
      out.push({ op: '+', line: b[j++]! });
    }
  }
  return out;
}

/** The diff from `before` (undefined: no such file) to `after`, labelled with `path`; '' when equal. */
export function unifiedDiff(path: string, before: string | undefined, after: string, context = 3): string {
  if (before === after) return '';
  const all = edits(lines(before ?? ''), lines(after));
  const header = [`--- ${before === undefined ? '/dev/null' : `a${path}`}`, `+++ b${path}`];
  const hunks: string[] = [];
  let k = 0;
  while (k < all.length) {
    if (all[k]!.op === ' ') {
      k++;
      continue;
    }
    // A hunk: from `context` lines before this change to `context` lines after the last change that
    // is at most 2 * context lines away.
    const start = Math.max(0, k - context);
    let end = k;
    for (let scan = k; scan < all.length && scan - end <= 2 * context; scan++) if (all[scan]!.op !== ' ') end = scan;
    const stop = Math.min(all.length, end + context + 1);
    const before0 = all.slice(0, start).filter((edit) => edit.op !== '+').length;
    const after0 = all.slice(0, start).filter((edit) => edit.op !== '-').length;
    const body = all.slice(start, stop);
    const oldCount = body.filter((edit) => edit.op !== '+').length;
    const newCount = body.filter((edit) => edit.op !== '-').length;
    const range = (first: number, count: number) => `${count === 0 ? first : first + 1},${count}`;
    hunks.push(`@@ -${range(before0, oldCount)} +${range(after0, newCount)} @@`);
    for (const edit of body) hunks.push(`${edit.op}${edit.line}`);
    k = stop;
  }
  return [...header, ...hunks].join('\n') + '\n';
}
