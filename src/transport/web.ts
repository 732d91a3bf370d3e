import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';

const FILES: Record<string, { file: string; type: string; crossOrigin?: boolean }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/agent': { file: 'agent.html', type: 'text/html; charset=utf-8' },
  // The widget is loaded by other sites' pages.
  '/widget.js': { file: 'widget.js', type: 'text/javascript; charset=utf-8', crossOrigin: true },
  '/widget.js.map': { file: 'widget.js.map', type: 'application/json', crossOrigin: true },
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
}
