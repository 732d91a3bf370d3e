import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import helmet from 'helmet';
import secureJson from 'secure-json-parse';
import type { Authenticator } from '../agents/auth.js';
import type { Config } from '../config.js';
import type { ConversationEngine } from '../conversation/engine.js';
import { AppError, toHttpError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';
import { type AddressLimits, requestRefusal } from '../scaling/limits.js';
import { type AgentsRestDeps, registerAgentRoutes } from './agents-rest.js';
import { type AnalyticsRestDeps, registerAnalyticsRoutes } from './analytics-rest.js';
import { trustProxyFn } from './client-address.js';
import { type ExperimentsRestDeps, registerExperimentRoutes } from './experiments-rest.js';
import { registerMetricsRoute } from './metrics.js';
import { type NotificationsRestDeps, registerNotificationRoutes } from './notifications-rest.js';
import { authenticateSecuredRoutes } from './principal.js';
import { responses } from './responses.js';
import { registerRestRoutes } from './rest.js';
import { registerRestV2Routes } from './rest-v2.js';
import { type RoutingRestDeps, registerRoutingRoutes } from './routing-rest.js';
import type { Schemas } from './schemas.js';
import { registerTrackingRoutes } from './tracking-rest.js';
import { illFormedText, isWellFormedText } from './validation.js';
import { registerWebRoutes } from './web.js';
import { registerWhatsAppRoutes, type WhatsAppRestDeps } from './whatsapp-rest.js';
import { registerWorkflowRoutes, type WorkflowRestDeps } from './workflow-rest.js';

export interface HealthProbe {
  database(): Promise<boolean>;
  redis(): Promise<boolean | null>;
}

export interface HttpDeps {
  config: Readonly<Config>;
  logger: Logger;
  /** Checks the credential of every route that declares `security` (the one authentication hook). */
  auth: Authenticator;
  engine: ConversationEngine;
  schemas: Schemas;
  metrics: Metrics;
  /** RATE_LIMIT_PER_MINUTE and SESSION_STARTS_PER_MINUTE per client address. */
  limits: AddressLimits;
  health: HealthProbe;
  agents: AgentsRestDeps;
  notifications: NotificationsRestDeps;
  experiments: ExperimentsRestDeps;
  analytics: AnalyticsRestDeps;
  workflow: WorkflowRestDeps;
  routing: RoutingRestDeps;
  /** The WhatsApp door's routes, when it is configured. */
  whatsapp?: WhatsAppRestDeps | undefined;
}

/** Strict UTF-8: a byte sequence that is not UTF-8 is an error, not U+FFFD. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Whether an Origin header may talk to us (REST CORS and the WebSocket handshake alike). */
export function originAllowed(allowed: readonly string[], origin: string | undefined): boolean {
  return origin === undefined || allowed.includes('*') || allowed.includes(origin);
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `false`: requests to the route do not count against RATE_LIMIT_PER_MINUTE. */
    rateLimit?: false;
  }
}

/** Turns what Fastify and its plugins throw into our error codes. */
function asAppError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  if (hasZodFastifySchemaValidationErrors(err)) {
    const issues = err.validation.map((v) => ({
      path: v.instancePath.replace(/^\//, '').replaceAll('/', '.'),
      message: v.message ?? 'invalid',
    }));
    const where = issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; ');
    return new AppError('validation_failed', `The request is not valid: ${where}`, { issues });
  }
  const { statusCode, code } = err as { statusCode?: number; code?: string };
  if (statusCode === 413 || code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new AppError('payload_too_large');
  if (statusCode === 415 || code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return new AppError('unsupported_media_type');
  if (statusCode === 400) return new AppError('malformed_request', 'The request body is not valid JSON.');
  return err;
}

/** The HTTP server: security headers, CORS, rate limit, OpenAPI, the seed's REST API, health and metrics. */
export async function createHttpServer(deps: HttpDeps): Promise<FastifyInstance> {
  const { config, logger, metrics, health } = deps;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.limits.bodyBytes,
    // One trust function for REST and the socket.io handshake (a hop count works: see client-address).
    trustProxy: trustProxyFn(config.trustProxy),
    // Per-request access lines carry client addresses (PII): off. Failures are logged by the handler,
    // with the request id; so no request needs a child logger of its own (building one per request
    // was about 1 % of the REST path's CPU).
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (logger) => logger,
  });
  // JSON only: an empty body is no body (POST /api/session/start may have none); anything that is
  // not JSON is refused with 415 instead of reaching a handler as a string. The body is decoded here,
  // strictly: Fastify's string decoding would turn bytes that are not UTF-8 into U+FFFD and store that.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      return done(new AppError('malformed_request', 'The request body is not valid UTF-8.'), undefined);
    }
    if (text === '') return done(null, undefined);
    let value: unknown;
    try {
      value = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
    } catch {
      return done(new AppError('malformed_request', 'The request body is not valid JSON.'), undefined);
    }
    if (!isWellFormedText(value)) return done(illFormedText(), undefined);
    done(null, value);
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.setErrorHandler((error, req, reply) => {
    const { status, body } = toHttpError(asAppError(error));
    if (status >= 500) req.log.error({ err: error, reqId: req.id }, 'request failed');
    if (status === 429) {
      const wait = (body.error.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
      void reply.header('retry-after', String(wait ?? 60));
    }
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    const { status, body } = toHttpError(new AppError('not_found', `No route for ${req.method} ${req.url}.`));
    void reply.status(status).send(body);
  });

  // Security headers on every answer, errors and 404s included.
  const headers = securityHeaders();
  app.addHook('onRequest', (_req, reply, done) => {
    void reply.headers(headers);
    done();
  });
  await app.register(cors, {
    origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
    methods: ['GET', 'POST', 'OPTIONS'],
  });
  // Before anything else reads the request (a refused request is not parsed); with Redis the count is
  // shared by every node, so N nodes do not allow N × the limit.
  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.config.rateLimit === false) return;
    const verdict = await deps.limits.requests.take(req.ip);
    void reply.headers({
      'x-ratelimit-limit': verdict.limit,
      'x-ratelimit-remaining': verdict.remaining,
      'x-ratelimit-reset': verdict.retryAfterSeconds,
    });
    if (!verdict.allowed) throw requestRefusal(verdict);
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'lead-capture-bot',
        description:
          'Lead-qualification chat server: the REST API (the socket.io protocol is in docs/socket-protocol.md).',
        version: '0.1.0',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'Agent token or API key' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  const unlimited = { config: { rateLimit: false } } as const;
  app.get('/openapi.json', { ...unlimited, schema: { hide: true } }, async () => app.swagger());

  app
    .withTypeProvider()
    .get(
      '/health',
      { ...unlimited, schema: { tags: ['ops'], response: { 200: responses.health, 503: responses.health } } },
      async (_req, reply) => {
        const [database, redis] = await Promise.all([health.database().catch(() => false), health.redis()]);
        const ok = database && redis !== false;
        return reply.status(ok ? 200 : 503).send({
          status: ok ? 'healthy' : 'unhealthy',
          database: database ? 'up' : 'down',
          redis: redis === null ? 'not_configured' : redis ? 'up' : 'down',
          timestamp: new Date().toISOString(),
        });
      },
    );

  // Not public: only with METRICS_TOKEN, and only when METRICS_PORT does not give it a listener of its own.
  if (config.metrics.token !== undefined && config.metrics.port === undefined)
    registerMetricsRoute(app, metrics, config.metrics.token);

  authenticateSecuredRoutes(app, deps.auth);

  registerWebRoutes(app, config.webRoot);
  registerRestRoutes(app, deps);
  registerRestV2Routes(app, deps);
  registerTrackingRoutes(app, deps);
  registerAgentRoutes(app, deps.agents);
  registerRoutingRoutes(app, deps.routing);
  registerNotificationRoutes(app, deps.notifications);
  registerExperimentRoutes(app, deps.experiments);
  registerAnalyticsRoutes(app, deps.analytics);
  registerWorkflowRoutes(app, deps.workflow);
  if (deps.whatsapp) await registerWhatsAppRoutes(app, deps.whatsapp);
  return app;
}

/**
 * The headers helmet sets with its defaults, worked out once: they are the same for every answer, and
 * building helmet's middleware for each request (as its Fastify plugin does) cost about 5 % of the
 * REST path's CPU.
 */
export function securityHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string) => {
      headers[name.toLowerCase()] = value;
    },
    removeHeader: () => {},
  };
  helmet()({} as IncomingMessage, recorder as unknown as ServerResponse, () => {});
  return headers;
}
