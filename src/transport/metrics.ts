import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { AppError, toHttpError } from '../errors.js';
import type { Metrics } from '../observability/metrics.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * `GET /metrics` on `app`: the Prometheus text of this node, behind the bearer `token` when there is
 * one. The metrics name routes, outbox counts and process details: not for the public. Unlimited by
 * the REST rate limit (a scrape must not be refused); the token is compared as a digest in constant
 * time, and is long enough (≥ 16 characters) that guessing it is no way in.
 */
export function registerMetricsRoute(
  app: FastifyInstance,
  metrics: Metrics,
  token: string | undefined,
): void {
  const expected = token === undefined ? undefined : digest(token);
  app.get('/metrics', { config: { rateLimit: false }, schema: { hide: true } }, async (req, reply) => {
    if (expected) {
      const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
      if (!m || !timingSafeEqual(digest(m[1]!), expected)) {
        const { status, body } = toHttpError(new AppError('unauthorized', 'A metrics token is required.'));
        return reply.status(status).header('www-authenticate', 'Bearer realm="metrics"').send(body);
      }
    }
    return reply.type(metrics.registry.contentType).send(await metrics.scrape());
  });
}

/**
 * The METRICS_PORT listener: `/metrics` and nothing else, on METRICS_HOST (loopback by default), so
 * only what can reach that address can scrape — the public port never serves it.
 */
export async function startMetricsServer(
  config: Readonly<Config>,
  metrics: Metrics,
): Promise<{ url: string; close: () => Promise<void> }> {
  const app = Fastify({ logger: false });
  registerMetricsRoute(app, metrics, config.metrics.token);
  app.setNotFoundHandler((req, reply) => {
    const { status, body } = toHttpError(new AppError('not_found', `No route for ${req.method} ${req.url}.`));
    void reply.status(status).send(body);
  });
  await app.listen({ port: config.metrics.port ?? 0, host: config.metrics.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.metrics.port;
  const host = config.metrics.host.includes(':') ? `[${config.metrics.host}]` : config.metrics.host;
  return { url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`, close: () => app.close() };
}
