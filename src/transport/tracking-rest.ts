import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ConversationEngine } from '../conversation/engine.js';
import { type PageVisit, pageTrail } from '../conversation/page-trail.js';
import { AppError } from '../errors.js';
import { errorResponses } from './responses.js';
import type { RestDeps } from './rest.js';
import { sessionParams } from './schemas.js';
import { visitorCalls } from './visitor-calls.js';

const err = errorResponses(400, 404, 409, 422);

/** A field the later version's clients may send as null: left out. */
const given = <T>(value: T | null | undefined): value is T => value !== null && value !== undefined;

/** A page view's tracking id: the session id and the view's `seq` in the session's event log. */
const trackingId = (sessionId: string, seq: number) => `${sessionId}:${seq}`;

const visitSchema = z.object({
  page_tracking_id: z.string(),
  page_url: z.string(),
  title: z.string().nullable(),
  page_type: z.string().nullable(),
  entered_at: z.string(),
  exited_at: z.string().nullable(),
  time_on_page_seconds: z.number().nullable(),
});

const visitOf = (sessionId: string, v: PageVisit) => ({
  page_tracking_id: trackingId(sessionId, v.seq),
  page_url: v.url,
  title: v.title,
  page_type: v.pageType,
  entered_at: v.enteredAt,
  exited_at: v.leftAt,
  time_on_page_seconds: v.seconds,
});

/** The page view at `seq` of a session, from its event log; not_found when that entry is none. */
async function visitAt(engine: ConversationEngine, sessionId: string, seq: number): Promise<PageVisit> {
  const visit = pageTrail(await engine.eventLog(sessionId, seq - 1)).find((v) => v.seq === seq);
  if (!visit) throw new AppError('not_found', 'No page view has this page_tracking_id.');
  return visit;
}

/**
 * The later version's page tracking calls. A page entry is the same visitor command as the widget's
 * `visitor:page`: a session event through the one write path, which moves the agents' board and
 * scores only when the workflow names a page rule for it. Times on page are the server's.
 */
export function registerTrackingRoutes(
  server: FastifyInstance,
  { engine, schemas, metrics }: RestDeps,
): void {
  const app = server.withTypeProvider<ZodTypeProvider>();
  const tags = ['visitor'];
  const { run } = visitorCalls({ engine, schemas, metrics });

  app.post(
    '/api/tracking/page-entry',
    {
      schema: {
        tags,
        summary:
          'The visitor views a page: recorded in the session, shown to agents live; points only for a page rule of the workflow',
        body: schemas.pageEntryBody,
        response: {
          200: z.object({ page_tracking_id: z.string(), score_change: z.number(), lead_score: z.number() }),
          ...err,
        },
      },
    },
    async (req) => {
      const { session_id, page_identifier, page_url, page_type, metadata } = req.body;
      const r = await run(req, 'page_entry', session_id, {
        kind: 'page',
        url: (page_url ?? page_identifier)!,
        ...(given(page_type) ? { pageType: page_type } : {}),
        ...(given(metadata) ? { metadata } : {}),
      });
      return {
        page_tracking_id: trackingId(session_id, r.seq!),
        score_change: r.awarded.reduce((sum, a) => sum + a.points, 0),
        lead_score: r.score,
      };
    },
  );

  app.post(
    '/api/tracking/page-exit',
    {
      schema: {
        tags,
        summary: 'The visitor leaves a page: the server measures the time on it from the entry (once)',
        body: schemas.pageExitBody,
        response: {
          200: z.object({ success: z.boolean(), time_on_page_seconds: z.number().nullable() }),
          ...err,
        },
      },
    },
    async (req) => {
      const [sessionId, seqText] = req.body.page_tracking_id.split(':') as [string, string];
      const seq = Number(seqText);
      let visit = await visitAt(engine, sessionId, seq);
      // Left already (a later page, an earlier exit call): the time stands as measured then.
      if (visit.leftAt === null) {
        await run(req, 'page_exit', sessionId, { kind: 'page_exit', entrySeq: seq });
        visit = await visitAt(engine, sessionId, seq);
      }
      return { success: true, time_on_page_seconds: visit.seconds };
    },
  );

  app.get(
    '/api/tracking/journey/:session_id',
    {
      schema: {
        tags,
        summary: "The session's page trail in order, with the time on each page as the server measured it",
        params: sessionParams,
        response: {
          200: z.object({ session_id: z.string(), total_pages: z.number(), pages: z.array(visitSchema) }),
          ...err,
        },
      },
    },
    async (req) => {
      const sessionId = req.params.session_id;
      const trail = await metrics.track('rest', 'journey', async () =>
        pageTrail(await engine.eventLog(sessionId)),
      );
      return {
        session_id: sessionId,
        total_pages: trail.length,
        pages: trail.map((v) => visitOf(sessionId, v)),
      };
    },
  );
}
