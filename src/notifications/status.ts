/**
 * Where a notification is in the outbox: `pending` until a node claims it, `sending` while that node
 * owns it, then `sent`, `failed` (retried later) or `dead` (given up on; an agent may retry it).
 */
export const notificationStatuses = ['pending', 'sending', 'sent', 'failed', 'dead'] as const;
export type NotificationStatus = (typeof notificationStatuses)[number];
