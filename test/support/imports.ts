import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';

/** How the project's modules reach each other, read from their source: what the structure tests walk. */

/** Every .ts file under a directory. */
export function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

/** The project files a file imports (type-only imports count: they tie the modules together all the same). */
export function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles
    .map((f) => f.fileName)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => {
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      return existsSync(target) && statSync(target).isDirectory() ? join(target, 'index.ts') : target;
    })
    .filter((target) => existsSync(target));
}
