import { defineEntity, p } from '@mikro-orm/core';

/** A delivery status Meta reported for a message (each status once per message). */
export const WhatsAppStatus = defineEntity({
  name: 'WhatsAppStatus',
  tableName: 'whatsapp_statuses',
  properties: {
    wamid: p.string().length(128).primary(),
    status: p.string().length(16).primary(),
    at: p.datetime(),
    error: p.text().nullable(),
  },
});
