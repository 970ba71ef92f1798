/** The plans' unified diffs agree with GNU `diff -u` hunk for hunk. */
import { expect, it } from '@jest/globals';
import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { unifiedDiff } from '../../activities/support/unified-diff.js';

const base = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`);
const cases: Array<[string, string[]]> = [
  ['one line changed', base.map((line, i) => (i === 19 ? 'line twenty' : line))],
  ['two changes far apart', base.map((line, i) => (i === 2 ? 'x' : i === 35 ? 'y' : line))],
  ['two changes close together', base.map((line, i) => (i === 10 || i === 15 ? `${line}!` : line))],
  ['lines added and removed', [...base.slice(0, 5), 'new a', 'new b', ...base.slice(8, 30), ...base.slice(31)]],
  ['everything new', ['only', 'this']],
];

it.each(cases)('%s: the same hunks as diff -u', async (_, after) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'udiff-'));
  try {
    const before = `${base.join('\n')}\n`;
    const next = `${after.join('\n')}\n`;
    await writeFile(path.join(dir, 'a'), before);
    await writeFile(path.join(dir, 'b'), next);
    const gnu = await execa('diff', ['-u', 'a', 'b'], { cwd: dir, reject: false });
    const hunks = (text: string) => text.split('\n').slice(2).join('\n');
    expect(hunks(unifiedDiff('/f', before, next))).toBe(hunks(gnu.stdout + '\n'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

it('is empty for equal texts, and adds every line of a new file', () => {
  expect(unifiedDiff('/f', 'a\n', 'a\n')).toBe('');
  expect(unifiedDiff('/etc/x', undefined, 'a\nb\n')).toBe('--- /dev/null\n+++ b/etc/x\n@@ -0,0 +1,2 @@\n+a\n+b\n');
});
