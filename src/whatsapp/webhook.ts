import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { InboundMessage, StatusReport } from './store.js';

/**
 * Meta's webhook for the WhatsApp Business Account (`object: whatsapp_business_account`), the part of it
 * the door reads: `messages` changes carry the users' messages (with their profile) and the statuses of
 * messages sent. Anything else in a notification is let through unread.
 */
const message = z.looseObject({
  id: z.string().min(1).max(128),
  from: z.string().min(1).max(32),
  timestamp: z.string().regex(/^\d{1,12}$/),
  type: z.string().min(1).max(32),
});
const status = z.looseObject({
  id: z.string().min(1).max(128),
  status: z.string().min(1).max(16),
  timestamp: z.string().regex(/^\d{1,12}$/),
  errors: z.array(z.looseObject({ code: z.number().optional(), title: z.string().optional() })).optional(),
});
export const webhookPayload = z.looseObject({
  object: z.string(),
  entry: z.array(
    z.looseObject({
      changes: z.array(
        z.looseObject({
          field: z.string(),
          value: z.looseObject({
            metadata: z.looseObject({ phone_number_id: z.string() }).optional(),
            contacts: z
              .array(
                z.looseObject({ wa_id: z.string(), profile: z.looseObject({ name: z.string() }).optional() }),
              )
              .optional(),
            messages: z.array(message).optional(),
            statuses: z.array(status).optional(),
          }),
        }),
      ),
    }),
  ),
});

/** Whether `header` (`sha256=<hex>`) is the HMAC-SHA256 of the raw body under the app secret. */
export function signatureValid(raw: Buffer, header: string | undefined, appSecret: string): boolean {
  const m = /^sha256=([0-9a-f]{64})$/i.exec(header?.trim() ?? '');
  if (!m) return false;
  const expected = createHmac('sha256', appSecret).update(raw).digest();
  return timingSafeEqual(expected, Buffer.from(m[1]!, 'hex'));
}

export interface Notification {
  messages: InboundMessage[];
  statuses: StatusReport[];
}

/** The messages and statuses of a notification for our phone number (others' are not ours to take). */
export function readNotification(
  payload: z.infer<typeof webhookPayload>,
  phoneNumberId: string,
): Notification {
  const out: Notification = { messages: [], statuses: [] };
  if (payload.object !== 'whatsapp_business_account') return out;
  for (const entry of payload.entry) {
    for (const change of entry.changes) {
      const v = change.value;
      if (change.field !== 'messages' || v.metadata?.phone_number_id !== phoneNumberId) continue;
      for (const m of v.messages ?? []) {
        const profile = v.contacts?.find((c) => c.wa_id === m.from)?.profile?.name ?? null;
        out.messages.push({
          messageId: m.id,
          waId: m.from,
          type: m.type,
          message: m,
          profileName: profile?.slice(0, 200) ?? null,
          sentAt: new Date(Number(m.timestamp) * 1000),
        });
      }
      for (const s of v.statuses ?? []) {
        const error = s.errors?.map((e) => `${e.code ?? ''} ${e.title ?? ''}`.trim()).join('; ') || null;
        out.statuses.push({ wamid: s.id, status: s.status, at: new Date(Number(s.timestamp) * 1000), error });
      }
    }
  }
  return out;
}
