import { relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importsOf, sources } from '../support/imports.js';

/** The cycles of an import graph, each as the chain of files that closes it (one per back edge found). */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (file: string) => {
    const at = path.indexOf(file);
    if (at >= 0) {
      found.push([...path.slice(at), file]);
      return;
    }
    if (done.has(file)) return;
    path.push(file);
    for (const next of graph.get(file) ?? []) visit(next);
    path.pop();
    done.add(file);
  };
  for (const file of graph.keys()) visit(file);
  return found;
}

describe('module structure', () => {
  it('no module of src/ or machines/ imports itself through others (no import cycle)', () => {
    const files = [...sources('src'), ...sources('machines')].map((f) => resolve(f));
    const graph = new Map(files.map((f) => [f, importsOf(f)]));
    // The walk sees the imports at all: the composition root reaches into every part.
    expect(graph.get(resolve('src/app.ts'))!.length).toBeGreaterThan(20);
    expect(cycles(graph).map((c) => c.map((f) => relative('.', f)).join(' → '))).toEqual([]);
  });
});
