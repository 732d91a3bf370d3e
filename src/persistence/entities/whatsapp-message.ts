import { defineEntity, p } from '@mikro-orm/core';
import { Lead } from './lead.js';

/**
 * A WhatsApp message the Graph API accepted, by what it carried (`ref`: a session event's seq, or a
 * door note) and the id the Graph API gave it, which the delivery statuses name.
 */
export const WhatsAppMessage = defineEntity({
  name: 'WhatsAppMessage',
  tableName: 'whatsapp_messages',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    lead: () => p.manyToOne(Lead).deleteRule('cascade'),
    ref: p.string().length(64),
    waId: p.string().length(32),
    kind: p.string().length(16),
    wamid: p.string().length(128).unique(),
    sentAt: p.datetime(),
  },
  uniques: [{ properties: ['lead', 'ref'] }],
});
