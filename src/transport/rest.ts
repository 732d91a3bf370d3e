import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from '../config.js';
import { reportedAction } from '../conversation/commands.js';
import type { ConversationEngine } from '../conversation/engine.js';
import { touchFrom } from '../leads/attribution.js';
import { visitorKeys } from '../leads/identity.js';
import { crmExport, leadSummary, menu, questionList, scoreBreakdown } from '../leads/views.js';
import type { Metrics } from '../observability/metrics.js';
import type { AddressLimits } from '../scaling/limits.js';
import { supportedLocale } from '../workflow/locale-switch.js';
import { negotiateLocale, workflowIn } from '../workflow/locales.js';
import { errorResponses, responses } from './responses.js';
import type { Schemas } from './schemas.js';
import { answerCommand, gained, visitorCalls } from './visitor-calls.js';

export interface RestDeps {
  engine: ConversationEngine;
  schemas: Schemas;
  metrics: Metrics;
  limits: Pick<AddressLimits, 'sessionStart'>;
  config: Pick<Config, 'identitySecret'>;
}

const err = errorResponses(400, 404, 409, 422);

/**
 * The seed's REST API, path for path and field for field. Handlers only validate (by schema), call
 * the engine and shape the answer; errors are shaped by the server's one error handler.
 */
export function registerRestRoutes(
  server: FastifyInstance,
  { engine, schemas, metrics, limits, config }: RestDeps,
): void {
  const app = server.withTypeProvider<ZodTypeProvider>();
  const workflow = engine.workflow;
  const tags = ['visitor'];
  const { run, answerReply } = visitorCalls({ engine, schemas, metrics });

  app.post(
    '/api/session/start',
    {
      schema: {
        tags,
        summary: 'Start a session: awards session_opened and returns the greeting',
        body: schemas.sessionStartBody,
        response: { 200: responses.sessionStart, ...errorResponses(403, 422, 429) },
      },
    },
    async (req) => {
      // SESSION_STARTS_PER_MINUTE: the same budget of the same address as a socket handshake's.
      // A wrongly signed identity is refused before anything is counted or stored.
      const keys = visitorKeys(
        config.identitySecret,
        req.body?.visitor_id,
        identityClaim(req.body?.identity),
      );
      await limits.sessionStart(req.ip);
      const attribution = touchFrom(req.body);
      const locale = negotiateLocale(workflow.locales, {
        locale: req.body?.locale,
        acceptLanguage: req.headers['accept-language'],
      });
      const started = await metrics.track('rest', 'session.start', () =>
        engine.startSession({ ...(attribution ? { attribution } : {}), locale, ...keys }),
      );
      return {
        session_id: started.sessionId,
        message: 'Session started',
        timestamp: new Date().toISOString(),
        greeting: started.prompts[0]!,
        variants: started.variants,
        locale,
      };
    },
  );

  app.get(
    '/api/questions',
    {
      schema: {
        tags,
        summary:
          "The question flow, in ?locale= (or the best of Accept-Language, else the default language; ids never change with it); with session_id, only the questions on that session's path",
        querystring: schemas.questionsQuery,
        response: { 200: responses.questions, ...errorResponses(404, 422) },
      },
    },
    async (req, reply) => {
      const locale = req.query.locale
        ? supportedLocale(workflow, req.query.locale)
        : negotiateLocale(workflow.locales, { acceptLanguage: req.headers['accept-language'] });
      void reply.header('content-language', locale);
      const sessionId = req.query.session_id;
      if (!sessionId) return questionList(workflowIn(workflow, locale));
      // A session's own path, in the workflow version it runs on.
      const view = await engine.view(sessionId);
      return questionList(workflowIn(view.workflow, locale), view.path);
    },
  );

  app.post(
    '/api/session/locale',
    {
      schema: {
        tags,
        summary:
          'Switch the language of a session: the prompt the bot waits on is put again in it; a language the workflow does not speak is 422 unsupported_locale',
        body: schemas.sessionLocaleBody,
        response: { 200: responses.sessionLocale, ...err },
      },
    },
    async (req) => {
      const { session_id, locale } = req.body;
      const r = await run(req, 'locale', session_id, { kind: 'locale', locale });
      const prompt = r.prompts.at(-1) ?? null;
      return {
        message: 'Language changed',
        locale: prompt?.locale ?? supportedLocale(workflow, locale),
        next_question: prompt,
      };
    },
  );

  app.post(
    '/api/answer',
    {
      schema: {
        tags,
        summary: 'Answer a question by id (1 is the greeting); choices by label, comma-separated for several',
        body: schemas.answerBody,
        response: { 200: responses.answer, ...err },
      },
    },
    async (req) => {
      const r = await run(req, 'answer', req.body.session_id, answerCommand(req.body));
      return answerReply(r);
    },
  );

  app.post(
    '/api/behavior',
    {
      schema: {
        tags,
        summary: 'Report a click: clicked_product, clicked_demo, clicked_pricing or cta_clicked',
        body: schemas.behaviorBody,
        response: { 200: responses.behavior, ...err },
      },
    },
    async (req) => {
      const { session_id, action, metadata } = req.body;
      const targetId = metadata?.target_id;
      const r = await run(req, 'action', session_id, {
        kind: 'action',
        action: reportedAction(action),
        ...(targetId === undefined ? {} : { targetId }),
        ...(metadata === undefined ? {} : { metadata }),
      });
      return {
        message: r.duplicate ? 'Behavior already recorded' : 'Behavior recorded',
        score_change: gained(r),
        lead_score: r.score,
        lead_type: r.classification,
      };
    },
  );

  app.post(
    '/api/lead/profile',
    {
      schema: {
        tags,
        summary: 'Update profile fields; a valid e-mail or phone awards shared_contact once',
        body: schemas.profileBody,
        response: { 200: responses.profile, ...err },
      },
    },
    async (req) => {
      const r = await run(req, 'profile', req.body.session_id, {
        kind: 'profile',
        profile: req.body.profile_data,
      });
      return {
        message: 'Profile updated',
        score_earned: gained(r),
        lead_score: r.score,
        lead_type: r.classification,
      };
    },
  );

  const readLead = { params: schemas.sessionParams };

  app.get(
    '/api/lead/summary/:session_id',
    {
      schema: {
        tags,
        summary:
          "Profile, score and behaviors: flat keys (the earlier service's code) and lead_data (its README)",
        ...readLead,
        response: { 200: responses.summary, ...err },
      },
    },
    async (req) => {
      const { lead, ledger } = await engine.record(req.params.session_id);
      return leadSummary(lead, ledger);
    },
  );

  app.get(
    '/api/lead/export/:session_id',
    {
      schema: {
        tags,
        summary: 'The lead in CRM format',
        ...readLead,
        response: { 200: responses.export, ...err },
      },
    },
    async (req) => crmExport((await engine.record(req.params.session_id)).lead),
  );

  app.get(
    '/api/score/:session_id',
    {
      schema: {
        tags,
        summary: 'Score with its breakdown',
        ...readLead,
        response: { 200: responses.score, ...err },
      },
    },
    async (req) => {
      const { lead, ledger } = await engine.record(req.params.session_id);
      return {
        lead_score: lead.score,
        lead_type: lead.classification,
        fit_score: lead.fitScore,
        engagement_score: lead.engagementScore,
        breakdown: scoreBreakdown(ledger),
      };
    },
  );

  const menuRoute = (url: string, summary: string, items: Parameters<typeof menu>[0]) =>
    app.get(url, { schema: { tags, summary, response: { 200: responses.menu } } }, async () => menu(items));
  menuRoute('/api/product-menu', 'The product menu', workflow.products);
  menuRoute('/api/cta-options', 'The call-to-action options', workflow.cta.options);
}

/** The REST body's identity (`user_id`, `signature`) as a claim to verify. */
function identityClaim(identity: { user_id: string; signature: string } | undefined) {
  return identity ? { userId: identity.user_id, signature: identity.signature } : undefined;
}
