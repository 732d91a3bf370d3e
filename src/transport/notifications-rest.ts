import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ConversationEngine } from '../conversation/engine.js';
import { CRM_CHANNELS } from '../crm/channels.js';
import { AppError } from '../errors.js';
import type { Outbox } from '../notifications/outbox.js';
import { notificationStatuses } from '../notifications/status.js';
import { errorResponses } from './responses.js';
import { bearerAuth, type Schemas, text } from './schemas.js';

export interface NotificationsRestDeps {
  outbox: Outbox;
  engine: ConversationEngine;
  schemas: Schemas;
  /** The channels that are configured. */
  channels: readonly string[];
  /** Wakes the dispatchers. */
  wake: () => void;
  /** The Odoo id of a lead's crm.lead, when it has been pushed there (src/crm). */
  odooLeadId: (sessionId: string) => Promise<number | null>;
}

const errors = errorResponses(401, 403, 404, 422);

/** Seeing and re-driving notifications, and the seed's manual notification endpoints (authenticated). */
export function registerNotificationRoutes(
  server: FastifyInstance,
  { outbox, engine, schemas, channels: configured, wake, odooLeadId }: NotificationsRestDeps,
): void {
  const app = server.withTypeProvider<ZodTypeProvider>();
  const tags = ['notifications'];
  const note = text().trim().min(1).max(2000).optional();

  /** Queues a hand-made notification on the given channels of a lead that must exist. */
  const enqueue = async (sessionId: string, channels: string[] | undefined, message: string | undefined) => {
    await engine.record(sessionId);
    // Unnamed, the alerts go to people: the CRMs get their own triggers (and /api/lead/sync-odoo).
    const wanted = channels ?? configured.filter((c) => !CRM_CHANNELS.includes(c));
    const unknown = wanted.filter((c) => !configured.includes(c));
    if (unknown.length > 0 || wanted.length === 0) {
      throw new AppError(
        'validation_failed',
        `Not a configured channel: ${unknown.join(', ') || '(none configured)'}.`,
        { configured },
      );
    }
    const ids = await outbox.enqueue(sessionId, `manual:${randomUUID()}`, wanted, message ?? null);
    wake();
    return ids;
  };

  app.get(
    '/api/notifications',
    {
      schema: {
        tags,
        security: bearerAuth,
        summary: 'Notifications, newest first, by status',
        querystring: z.strictObject({ status: z.enum(notificationStatuses).optional() }),
        response: {
          200: z.object({
            notifications: z.array(z.record(z.string(), z.unknown())),
            counts: z.record(z.string(), z.number()),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const [rows, counts] = await Promise.all([outbox.list(req.query.status), outbox.counts()]);
      return {
        notifications: rows.map((r) => ({
          id: r.id,
          session_id: r.leadId,
          trigger: r.trigger,
          channel: r.channel,
          status: r.status,
          attempts: r.attempts,
          next_attempt_at: r.nextAttemptAt.toISOString(),
          last_error: r.lastError ?? null,
          created_at: r.createdAt.toISOString(),
          sent_at: r.sentAt ? r.sentAt.toISOString() : null,
        })),
        counts,
      };
    },
  );

  app.post(
    '/api/notifications/:id/retry',
    {
      schema: {
        tags,
        security: bearerAuth,
        summary: 'Send a failed or dead-lettered notification again',
        params: z.strictObject({ id: z.coerce.number().int().positive() }),
        response: { 200: z.object({ id: z.number(), status: z.literal('pending') }), ...errors },
      },
    },
    async (req) => {
      if (!(await outbox.retry(req.params.id)))
        throw new AppError('not_found', 'No failed notification with this id.');
      wake();
      return { id: req.params.id, status: 'pending' as const };
    },
  );

  app.post(
    '/api/notifications/send',
    {
      schema: {
        tags,
        security: bearerAuth,
        summary: 'Notify the sales team about a lead now',
        body: z.strictObject({
          session_id: schemas.sessionId,
          channels: z.array(text()).min(1).optional(),
          message: note,
        }),
        response: {
          200: z.object({ message: z.string(), notification_ids: z.array(z.number()) }),
          ...errors,
        },
      },
    },
    async (req) => {
      const ids = await enqueue(req.body.session_id, req.body.channels, req.body.message);
      return { message: 'Notification queued', notification_ids: ids };
    },
  );

  app.post(
    '/api/lead/notify',
    {
      schema: {
        tags,
        security: bearerAuth,
        summary: "The seed's manual notification: every configured channel",
        body: z.strictObject({ session_id: schemas.sessionId, message: note }),
        response: {
          200: z.object({ message: z.string(), notification_ids: z.array(z.number()) }),
          ...errors,
        },
      },
    },
    async (req) => {
      const ids = await enqueue(req.body.session_id, undefined, req.body.message);
      return { message: 'Sales team notified', notification_ids: ids };
    },
  );

  app.post(
    '/api/lead/sync-odoo',
    {
      schema: {
        tags,
        security: bearerAuth,
        summary:
          "The seed's Odoo sync: queues a push of the lead to Odoo (one crm.lead per lead, however often)",
        body: z.strictObject({ session_id: schemas.sessionId }),
        response: {
          200: z.object({
            message: z.string(),
            odoo_lead_id: z.number().nullable(),
            notification_ids: z.array(z.number()),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const ids = await enqueue(req.body.session_id, ['odoo'], undefined);
      const odoo = await odooLeadId(req.body.session_id);
      return {
        message: odoo === null ? 'Odoo sync queued' : 'Odoo sync queued: the lead is updated in place',
        odoo_lead_id: odoo,
        notification_ids: ids,
      };
    },
  );
}
