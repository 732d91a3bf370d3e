import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';

const FILES: Record<string, { file: string; type: string; crossOrigin?: boolean }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/agent': { file: 'agent.html', type: 'text/html; charset=utf-8' },
  // The widget's loader, embedded by other sites' pages: a stable URL, cached briefly; it loads the
  // bundle named for its content hash (below).
  '/widget.js': { file: 'widget.js', type: 'text/javascript; charset=utf-8', crossOrigin: true },
  '/agent.js': { file: 'agent.js', type: 'text/javascript; charset=utf-8' },
  '/agent.js.map': { file: 'agent.js.map', type: 'application/json' },
};

/** Serves the built pages and bundles (`npm run build` puts them in `webRoot`). */
export function registerWebRoutes(app: FastifyInstance, webRoot: string): void {
  const cache = new Map<string, Buffer>();
  for (const [path, { file, type, crossOrigin }] of Object.entries(FILES)) {
    app.get(path, { schema: { hide: true } }, async (_req, reply) => {
      let body = cache.get(file);
      if (!body) {
        body = await readFile(join(webRoot, file)).catch(() => {
          throw new AppError('unavailable', 'The web assets are not built; run npm run build.');
        });
        cache.set(file, body);
      }
      if (crossOrigin) void reply.header('cross-origin-resource-policy', 'cross-origin');
      return reply
        .type(type)
        .header('cache-control', type.startsWith('text/html') ? 'no-cache' : 'public, max-age=300')
        .send(body);
    });
  }
  // The widget's bundle, named for its content: a new build is a new name, so it is cached for good.
  app.get<{ Params: { asset: string } }>('/widget.:asset', { schema: { hide: true } }, async (req, reply) => {
    const { asset } = req.params;
    const match = /^[A-Z0-9]{8}\.js(\.map)?$/.exec(asset);
    if (!match) throw new AppError('not_found', `No route for GET ${req.url}.`);
    const file = `widget.${asset}`;
    let body = cache.get(file);
    if (!body) {
      body = await readFile(join(webRoot, file)).catch(() => {
        throw new AppError('not_found', `No route for GET ${req.url}.`);
      });
      cache.set(file, body);
    }
    return reply
      .type(match[1] ? 'application/json' : 'text/javascript; charset=utf-8')
      .header('cross-origin-resource-policy', 'cross-origin')
      .header('cache-control', 'public, max-age=31536000, immutable')
      .send(body);
  });
}
