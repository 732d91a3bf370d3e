import { relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importsOf, sources } from '../support/imports.js';

describe('transports forward to services', () => {
  it('no module of src/transport/ imports src/persistence/ (entities, rows and queries stay behind the services)', () => {
    const persistence = resolve('src/persistence');
    const files = sources('src/transport').map((f) => resolve(f));
    const graph = new Map(files.map((f) => [f, importsOf(f)]));
    // The walk sees the imports at all: the HTTP server imports every route file.
    expect(graph.get(resolve('src/transport/http.ts'))!.length).toBeGreaterThan(10);
    const reaches = [...graph].flatMap(([file, imports]) =>
      imports
        .filter((target) => target.startsWith(`${persistence}/`))
        .map((target) => `${relative('.', file)} → ${relative('.', target)}`),
    );
    expect(reaches).toEqual([]);
  });
});
