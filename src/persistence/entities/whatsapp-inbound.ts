import { defineEntity, p } from '@mikro-orm/core';

/**
 * The WhatsApp door's inbox: each message a webhook notification carried, stored before the webhook is
 * answered (one row per message id: Meta's retries add nothing) and claimed by a node to process.
 */
export const WhatsAppInbound = defineEntity({
  name: 'WhatsAppInbound',
  tableName: 'whatsapp_inbox',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    messageId: p.string().length(128).unique(),
    waId: p.string().length(32),
    type: p.string().length(32),
    /** The message as Meta sent it. */
    message: p.json<Record<string, unknown>>(),
    profileName: p.string().length(200).nullable(),
    /** When the user sent it (Meta's timestamp). */
    sentAt: p.datetime(),
    receivedAt: p.datetime().defaultRaw('now()'),
    attempts: p.integer().default(0),
    nextAttemptAt: p.datetime().defaultRaw('now()'),
    /** While claimed: until when the claiming node owns it. */
    lockedUntil: p.datetime().nullable(),
    lastError: p.text().nullable(),
    processedAt: p.datetime().nullable(),
    sessionId: p.string().length(40).nullable(),
    /** What processing ended in: `started`, `handled`, `refused: …`, `unreadable`, `failed: …`. */
    outcome: p.string().length(64).nullable(),
  },
  indexes: [
    {
      name: 'whatsapp_inbox_pending_index',
      expression:
        'create index "whatsapp_inbox_pending_index" on "whatsapp_inbox" ("wa_id", "id") where "processed_at" is null',
    },
  ],
});
