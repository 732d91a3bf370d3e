import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { toHttpError } from '../errors.js';
import type { Logger } from '../logger.js';

export interface HealthProbe {
  database(): Promise<boolean>;
  redis(): Promise<boolean | null>;
}

/** The HTTP server: health today; the REST API of the seed mounts here. */
export function createHttpServer(logger: Logger, health: HealthProbe): FastifyInstance {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: 16 * 1024,
  });

  app.setErrorHandler((err, _req, reply) => {
    const { status, body } = toHttpError(err);
    if (status >= 500) logger.error({ err }, 'request failed');
    void reply.status(status).send(body);
  });

  app.get('/health', async (_req, reply) => {
    const [database, redis] = await Promise.all([health.database(), health.redis()]);
    const ok = database && redis !== false;
    return reply.status(ok ? 200 : 503).send({
      status: ok ? 'healthy' : 'unhealthy',
      database: database ? 'up' : 'down',
      redis: redis === null ? 'not_configured' : redis ? 'up' : 'down',
      timestamp: new Date().toISOString(),
    });
  });
  return app;
}
