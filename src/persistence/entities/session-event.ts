import { defineEntity, p } from '@mikro-orm/core';
import { Lead } from './lead.js';

/**
 * The append-only session event log, numbered by `seq` per session: visitor input, bot prompts,
 * agent messages, score and state changes. It is the truth an actor can be rebuilt from.
 */
export const SessionEvent = defineEntity({
  name: 'SessionEvent',
  tableName: 'session_events',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    lead: () => p.manyToOne(Lead).deleteRule('cascade'),
    seq: p.integer(),
    type: p.string().length(64),
    at: p.datetime(),
    data: p.json<Record<string, unknown>>(),
    /** Client-supplied id of a visitor message; makes it idempotent. */
    clientMessageId: p.string().length(100).nullable(),
    /** What the event's caller was told, replayed for a duplicate. */
    result: p.json<Record<string, unknown>>().nullable(),
  },
  uniques: [{ properties: ['lead', 'seq'] }, { properties: ['lead', 'clientMessageId'] }],
});
