/**
 * Which way the imports point. The product's layers must not import in a circle (the step contract
 * sits in contract/, a leaf that the engine, the activities and the transports import), and nothing
 * but the tests and the benchmarks imports test code: test/ is the tests' own, testing/ is what the
 * tests and the benchmarks share. Type-only and dynamic imports count too: a type-only circle is
 * still a circle for whoever reads the code, and a dynamic import is still a dependency.
 *
 * The imports are read with TypeScript's own pre-processor (`ts.preProcessFile`), so comments and
 * strings that look like imports do not count.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import ts from 'typescript';

const repo = fileURLToPath(new URL('../..', import.meta.url));

/** The folders whose imports must not form a circle, at the folder level. */
const LAYERS = ['contract', 'workflows', 'activities', 'runbooks', 'transport', 'temporal', 'worker', 'lab', 'render'];

/** Every tracked TypeScript file, relative to the repository. */
const files = (await execa('git', ['ls-files', '*.ts'], { cwd: repo })).stdout.split('\n').filter(Boolean);

/** The repository files a file imports (relative specifiers only; packages are not the project's). */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(path.join(repo, file), 'utf8'), true, true);
  return info.importedFiles
    .map((entry) => entry.fileName)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => path.relative(repo, path.resolve(repo, path.dirname(file), specifier)).replace(/\.js$/, '.ts'));
}

const graph = new Map(files.map((file) => [file, importsOf(file)]));
const top = (file: string) => file.split('/')[0]!;

/** The first circle in a graph, as the list of its nodes (first = last), or undefined. */
function findCycle(edges: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 'open') return [...stack.slice(stack.indexOf(next)), next];
      if (state.get(next) === undefined) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of [...edges.keys()].sort()) {
    if (state.get(node) !== undefined) continue;
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

/** One file-level import that makes the folder edge `from → to`, to name in a failure. */
function exampleEdge(from: string, to: string): string {
  for (const [file, imports] of graph) {
    const target = top(file) === from ? imports.find((imported) => top(imported) === to) : undefined;
    if (target) return `${file} imports ${target}`;
  }
  return `${from} → ${to}`;
}

describe('the import graph', () => {
  it('is read from the files (a positive control: the engine imports the contract)', () => {
    expect(graph.get('workflows/engine/interpreter.ts')).toContain('contract/step.ts');
    expect(
      findCycle(
        new Map([
          ['a', new Set(['b'])],
          ['b', new Set(['a'])],
        ]),
      ),
    ).toEqual(['a', 'b', 'a']);
  });

  it('has no circle among the product folders', () => {
    const edges = new Map(LAYERS.map((layer) => [layer, new Set<string>()]));
    for (const [file, imports] of graph) {
      for (const imported of imports) {
        if (edges.has(top(file)) && edges.has(top(imported)) && top(file) !== top(imported)) {
          edges.get(top(file))!.add(top(imported));
        }
      }
    }
    const cycle = findCycle(edges);
    const named = cycle?.slice(1).map((to, i) => exampleEdge(cycle[i]!, to));
    expect(named ? `import circle ${cycle!.join(' → ')}: ${named.join('; ')}` : 'no circle').toBe('no circle');
  });

  it('keeps the contract a leaf: it imports only the lab types', () => {
    const outside = [...graph]
      .filter(([file]) => top(file) === 'contract')
      .flatMap(([file, imports]) =>
        imports.filter((imported) => !['contract', 'lab'].includes(top(imported))).map((i) => `${file} → ${i}`),
      );
    expect(outside).toEqual([]);
  });

  it('lets only the tests and the benchmarks import test code', () => {
    const allowed: Record<string, readonly string[]> = {
      test: ['test', 'testing'],
      bench: ['testing'],
      testing: ['testing'],
    };
    const wrong = [...graph].flatMap(([file, imports]) =>
      imports
        .filter((imported) => ['test', 'testing'].includes(top(imported)))
        .filter((imported) => !(allowed[top(file)] ?? []).includes(top(imported)))
        .map((imported) => `${file} imports ${imported}`),
    );
    expect(wrong).toEqual([]);
  });
});
