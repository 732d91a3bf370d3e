import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { WhatsAppDoor } from '../whatsapp/door.js';
import { principalOf } from './principal.js';
import { errorResponses } from './responses.js';
import { bearerAuth, sessionParams } from './schemas.js';

export interface WhatsAppRestDeps {
  door: WhatsAppDoor;
}

/** The largest notification taken (larger ones are refused 413, and Meta retries them in vain). */
const WEBHOOK_BODY_BYTES = 4 * 1024 * 1024;

const challengeQuery = z.object({
  'hub.mode': z.string().optional(),
  'hub.verify_token': z.string().optional(),
  'hub.challenge': z.string().max(200).optional(),
});

const threadMessage = z.object({
  direction: z.enum(['in', 'out']),
  id: z.string(),
  kind: z.string(),
  at: z.string(),
  outcome: z.string().optional(),
  text: z.string().optional(),
  status: z.string().optional(),
  statuses: z
    .array(z.object({ status: z.string(), at: z.string(), error: z.string().nullable() }))
    .optional(),
  ref: z.string().optional(),
});

/**
 * The WhatsApp door (Cloud API webhook): Meta's verification, its signed notifications (read as raw
 * bytes, which the signature covers), and a session's WhatsApp messages with their delivery statuses
 * for agents. Meta's posts are not counted against the per-address rate limit: the signature is the
 * gate.
 */
export async function registerWhatsAppRoutes(
  server: FastifyInstance,
  { door }: WhatsAppRestDeps,
): Promise<void> {
  const tags = ['whatsapp'];
  const unlimited = { rateLimit: false } as const;
  server.withTypeProvider<ZodTypeProvider>().get(
    '/webhooks/whatsapp',
    {
      config: unlimited,
      schema: {
        tags,
        summary: "Meta's webhook verification: echoes hub.challenge when hub.verify_token matches",
        querystring: challengeQuery,
        response: { 200: z.string(), ...errorResponses(403) },
      },
    },
    async (req, reply) => reply.type('text/plain').send(door.verify(req.query)),
  );

  // A scope of its own, so that this route alone gets its body as the bytes Meta signed.
  await server.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    scope.withTypeProvider<ZodTypeProvider>().post(
      '/webhooks/whatsapp',
      {
        config: unlimited,
        // Meta batches many messages and statuses into one notification: more than a visitor's request.
        bodyLimit: WEBHOOK_BODY_BYTES,
        schema: {
          tags,
          summary:
            'WhatsApp Cloud API notifications (X-Hub-Signature-256 over the raw body); stored, then 200',
          response: { 200: z.object({ ok: z.literal(true) }), ...errorResponses(400, 401, 413, 422) },
        },
      },
      async (req) => {
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const signature = req.headers['x-hub-signature-256'];
        await door.receive(raw, typeof signature === 'string' ? signature : undefined);
        return { ok: true as const };
      },
    );
  });

  server.withTypeProvider<ZodTypeProvider>().get(
    '/api/whatsapp/:session_id/messages',
    {
      schema: {
        tags,
        security: bearerAuth,
        summary: "A WhatsApp session's messages both ways; sent ones with their delivery statuses",
        params: sessionParams,
        response: { 200: z.object({ messages: z.array(threadMessage) }), ...errorResponses(401, 422) },
      },
    },
    async (req) => {
      principalOf(req);
      return { messages: await door.thread(req.params.session_id) };
    },
  );
}
