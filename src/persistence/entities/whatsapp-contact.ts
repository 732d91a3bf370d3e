import { defineEntity, p } from '@mikro-orm/core';

/** Which session each WhatsApp user (`wa_id`) talks to. */
export const WhatsAppContact = defineEntity({
  name: 'WhatsAppContact',
  tableName: 'whatsapp_contacts',
  properties: {
    waId: p.string().length(32).primary(),
    sessionId: p.string().length(40).index(),
    linkedAt: p.datetime().defaultRaw('now()'),
  },
});
