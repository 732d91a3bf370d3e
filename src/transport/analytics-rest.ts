import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Analytics, Range } from '../analytics/analytics.js';
import type { PageAnalytics } from '../analytics/pages.js';
import { AppError } from '../errors.js';
import { errorResponses } from './responses.js';
import { bearerAuth } from './schemas.js';

const rangeQuery = z.strictObject({
  days: z.coerce.number().int().min(1).max(3650).optional().describe('The last N days (default 30).'),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

function rangeOf(q: z.output<typeof rangeQuery>, now = Date.now()): Range {
  if (q.days !== undefined && (q.from || q.to)) {
    throw new AppError('validation_failed', 'Give either days or from/to, not both.', {
      fields: ['days', 'from', 'to'],
    });
  }
  const to = q.to ? new Date(q.to) : new Date(now);
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - (q.days ?? 30) * 86_400_000);
  if (from >= to)
    throw new AppError('validation_failed', 'from must be before to.', { fields: ['from', 'to'] });
  return { from, to };
}

export interface AnalyticsRestDeps {
  analytics: Analytics;
  pages: PageAnalytics;
}

/** The seed's analytics endpoints, with real values (authenticated). */
export function registerAnalyticsRoutes(
  server: FastifyInstance,
  { analytics, pages }: AnalyticsRestDeps,
): void {
  const app = server.withTypeProvider<ZodTypeProvider>();
  const schema = (summary: string) => ({
    tags: ['analytics'],
    security: bearerAuth,
    summary,
    querystring: rangeQuery,
    response: { 200: z.record(z.string(), z.unknown()), ...errorResponses(401, 422) },
  });
  app.get(
    '/api/analytics/leads',
    {
      schema: schema(
        'Lead totals, classification mix, rates, response time, by source, by variant, per-question funnel',
      ),
    },
    async (req) => analytics.leads(rangeOf(req.query)),
  );
  app.get(
    '/api/analytics/enhanced',
    { schema: schema('Conversion metrics, funnel, channel performance and recent hot leads') },
    async (req) => analytics.enhanced(rangeOf(req.query)),
  );
  app.get(
    '/api/analytics/drop-off-points',
    {
      schema: schema(
        'Where visitors left (the step and question of each exit and idle abandonment) and, per exit reason, how many completed',
      ),
    },
    async (req) => pages.dropOffPoints(rangeOf(req.query)),
  );
  app.get(
    '/api/analytics/page-performance',
    { schema: schema('Per page: views, sessions and the average time on it, measured by the server') },
    async (req) => pages.pagePerformance(rangeOf(req.query)),
  );
}
