import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import type { NotificationStatus } from '../../notifications/status.js';
import { Lead } from './lead.js';

/**
 * The notification outbox: written in the same transaction as the event that fired the trigger.
 * (lead, trigger, channel) is unique, so nothing can be announced twice.
 */
export const Notification = defineEntity({
  name: 'Notification',
  tableName: 'notifications',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    lead: () => p.manyToOne(Lead).deleteRule('cascade'),
    trigger: p.string().length(64),
    channel: p.string().length(16),
    status: p.string().$type<NotificationStatus>().length(16).default('pending'),
    attempts: p.integer().default(0),
    nextAttemptAt: p.datetime(),
    /** While `sending`: until when the claiming node owns it; after that another node may take it over. */
    lockedUntil: p.datetime().nullable(),
    lastError: p.text().nullable(),
    /** A message an agent added to a manual notification. */
    note: p.text().nullable(),
    createdAt: p.datetime(),
    sentAt: p.datetime().nullable(),
  },
  uniques: [{ properties: ['lead', 'trigger', 'channel'] }],
  indexes: [{ properties: ['status', 'nextAttemptAt'] }],
});

export type INotification = InferEntity<typeof Notification>;
