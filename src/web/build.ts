import { copyFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, type Plugin } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
/** Sources: this folder (src/web), also when run from the compiled dist/src/web. */
const sources = resolve(here.replace(`${join('dist', 'src')}`, 'src'));

/**
 * The stable `/widget.js` that sites embed: it loads the widget's bundle, named for its content hash
 * (cached for good), next to itself, carrying over the tag's data-* attributes and nonce, so that the
 * bundle reads them from its own tag. `FILE` is replaced with the bundle's name.
 */
const LOADER = `(function(){var c=document.currentScript;if(!c)return;var s=document.createElement('script');for(var k in c.dataset)s.dataset[k]=c.dataset[k];if(!s.dataset.server)s.dataset.server=new URL(c.src).origin;if(c.nonce)s.nonce=c.nonce;s.src=new URL('FILE',c.src).href;s.async=true;(document.head||document.body).appendChild(s)})();`;

/**
 * socket.io-client brings its WebTransport transport along; our server offers only polling and WebSocket
 * (engine.io never lists it among the upgrades), so the widget leaves it out and stays within its budget.
 */
const withoutWebTransport: Plugin = {
  name: 'without-webtransport',
  setup(b) {
    b.onResolve({ filter: /\/webtransport\.js$/ }, (args) =>
      args.importer.includes('engine.io-client') ? { path: 'webtransport', namespace: 'stub' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'export const WT = undefined;' }));
  },
};

/** Bundles the widget (hashed, behind its loader) and the agent console, and copies the pages. */
export async function buildWeb(outdir = resolve('dist', 'web')): Promise<string> {
  await mkdir(outdir, { recursive: true });
  const common: BuildOptions = {
    bundle: true,
    minify: true,
    sourcemap: true,
    format: 'iife',
    target: ['es2020'],
    outdir,
    logLevel: 'warning',
  };
  // Bundles of earlier builds go: a server serves the one its loader names.
  for (const f of await readdir(outdir))
    if (/^widget(\.[A-Z0-9]+)?\.js(\.map)?$/.test(f)) await rm(join(outdir, f));
  const widget = await build({
    ...common,
    entryPoints: { widget: join(sources, 'widget.ts') },
    entryNames: '[name].[hash]',
    metafile: true,
    plugins: [withoutWebTransport],
  });
  const bundle = Object.keys(widget.metafile?.outputs ?? {})
    .map((f) => basename(f))
    .find((f) => f.endsWith('.js'));
  if (!bundle) throw new Error('esbuild wrote no widget bundle');
  await writeFile(join(outdir, 'widget.js'), `${LOADER.replace('FILE', bundle)}\n`);
  await build({ ...common, entryPoints: { agent: join(sources, 'agent.ts') } });
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
