import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
/** Sources: this folder (src/web), also when run from the compiled dist/src/web. */
const sources = resolve(here.replace(`${join('dist', 'src')}`, 'src'));

/** Bundles the widget and the agent console (with socket.io-client) and copies the pages. */
export async function buildWeb(outdir = resolve('dist', 'web')): Promise<string> {
  await mkdir(outdir, { recursive: true });
  await build({
    entryPoints: { widget: join(sources, 'widget.ts'), agent: join(sources, 'agent.ts') },
    bundle: true,
    minify: true,
    sourcemap: true,
    format: 'iife',
    target: ['es2020'],
    outdir,
    logLevel: 'warning',
  });
  for (const page of ['index.html', 'agent.html']) await copyFile(join(sources, page), join(outdir, page));
  return outdir;
}

if (
  process.argv[1] &&
  resolve(process.argv[1]).replace(/\.(ts|js)$/, '') ===
    fileURLToPath(import.meta.url).replace(/\.(ts|js)$/, '')
) {
  buildWeb().then(
    (dir) => console.log(`web assets built in ${dir}`),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
