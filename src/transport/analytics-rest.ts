import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Analytics, Range } from '../analytics/analytics.js';
import type { PageAnalytics } from '../analytics/pages.js';
import { AppError } from '../errors.js';
import type { SpeedReport } from '../routing/speed.js';
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
  /** Speed to lead (routing): routed → first agent action. */
  speed: SpeedReport;
}

/** The seed's analytics endpoints, with real values (authenticated). */
export function registerAnalyticsRoutes(
  server: FastifyInstance,
  { analytics, pages, speed }: AnalyticsRestDeps,
): void {
  const app = server.withTypeProvider<ZodTypeProvider>();
  const schema = (summary: string) => ({
    tags: ['analytics'],
    security: bearerAuth,
    summary,
    querystring: rangeQuery,
    response: { 200: z.record(z.string(), z.unknown()), ...errorResponses(401, 422) },
  });
  const reports: [
    path: string,
    summary: string,
    report: (range: ReturnType<typeof rangeOf>) => Promise<Record<string, unknown>>,
  ][] = [
    [
      '/api/analytics/leads',
      'Lead totals, classification mix, rates, response time, by source, by variant, per-question funnel, speed to lead',
      async (range) => {
        const [leads, speedToLead] = await Promise.all([analytics.leads(range), speed.report(range)]);
        return { ...leads, speed_to_lead: speedToLead };
      },
    ],
    [
      '/api/analytics/enhanced',
      'Conversion metrics, funnel, channel performance and recent hot leads',
      (range) => analytics.enhanced(range),
    ],
    [
      '/api/analytics/drop-off-points',
      'Where visitors left (the step and question of each exit and idle abandonment) and, per exit reason, how many completed',
      (range) => pages.dropOffPoints(range),
    ],
    [
      '/api/analytics/page-performance',
      'Per page: views, sessions and the average time on it, measured by the server',
      (range) => pages.pagePerformance(range),
    ],
  ];
  for (const [path, summary, report] of reports) {
    app.get(path, { schema: schema(summary) }, async (req) => report(rangeOf(req.query)));
  }
}
