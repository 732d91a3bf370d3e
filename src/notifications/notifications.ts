import type { Config } from '../config.js';
import type { ConversationEngine } from '../conversation/engine.js';
import type { RoutingTrigger, Trigger } from '../conversation/triggers.js';
import type { Metrics } from '../observability/metrics.js';
import type { SessionStore } from '../persistence/session-store.js';
import { DiscordChannel, SlackChannel, TeamsChannel } from './channels/chat.js';
import { EmailChannel } from './channels/email.js';
import { WebhookChannel } from './channels/webhook.js';
import type { Channel } from './delivery.js';
import { Dispatcher, type DispatcherOptions, NOTIFICATIONS_DUE } from './dispatcher.js';
import type { Outbox } from './outbox.js';

/** The triggers a channel gets when NOTIFICATION_ROUTES does not name it. */
const DEFAULT_TRIGGERS: readonly string[] = [
  'sql',
  'human_help',
  'abandoned_with_contact',
  'returning_lead',
  'assigned',
  'escalated',
  'sla_breached',
  'callback_requested',
];

/** The configured channels; an unset channel is off, not an error. */
export function configuredChannels(config: Pick<Config, 'notifications'>): Map<string, Channel> {
  const n = config.notifications;
  const channels = new Map<string, Channel>();
  if (n.smtpUrl && n.salesTeamEmails.length > 0) {
    channels.set('email', new EmailChannel(n.smtpUrl, n.senderEmail, n.salesTeamEmails, n.timeoutMs));
  }
  if (n.slackWebhookUrl) channels.set('slack', new SlackChannel(n.slackWebhookUrl, n.timeoutMs));
  if (n.discordWebhookUrl) channels.set('discord', new DiscordChannel(n.discordWebhookUrl, n.timeoutMs));
  if (n.teamsWebhookUrl) channels.set('teams', new TeamsChannel(n.teamsWebhookUrl, n.timeoutMs));
  if (n.webhookUrl) channels.set('webhook', new WebhookChannel(n.webhookUrl, n.webhookSecret, n.timeoutMs));
  return channels;
}

/** Which configured channels announce a trigger (unrouted, each its own `defaultTriggers` or the people's). */
export function notificationRoutes(
  config: Pick<Config, 'notifications'>,
  channels: ReadonlyMap<string, Channel>,
) {
  return (trigger: Trigger | RoutingTrigger): string[] =>
    [...channels].flatMap(([name, channel]) =>
      (config.notifications.routes[name] ?? channel.defaultTriggers ?? DEFAULT_TRIGGERS).includes(trigger)
        ? [name]
        : [],
    );
}

/** The notifications of this node: the outbox, its dispatcher, and how to wake every node's. */
export interface Notifications {
  outbox: Outbox;
  /** Tells the dispatchers of every node that the outbox got rows (this one at least, if the bus fails). */
  wake(): void;
  stop(): Promise<void>;
}

export interface NotificationsDeps
  extends Pick<DispatcherOptions, 'outbox' | 'channels' | 'bus' | 'logger' | 'publicUrl'> {
  /** Rows commit with the events; the engine says how many a commit queued. */
  engine: Pick<ConversationEngine, 'onCommitted'>;
  /** The lead and its ledger, read when a message is built. */
  leads: Pick<SessionStore, 'leadRecord'>;
  /** The lead's stored answers (the `abandoned_with_contact` webhook's transcript summary). */
  readAnswers?: DispatcherOptions['readAnswers'];
  /** Outcomes are counted; the outbox is counted before each scrape. */
  metrics: Pick<Metrics, 'notifications' | 'outbox' | 'beforeScrape'>;
}

/**
 * Starts this node's dispatcher: every node sends what it claims. A commit that queued rows wakes the
 * dispatchers of every node.
 */
export function startNotifications(
  config: Pick<Config, 'notifications'>,
  deps: NotificationsDeps,
): Notifications {
  const { engine, leads, metrics, ...options } = deps;
  const n = config.notifications;
  const dispatcher = new Dispatcher({
    ...options,
    readLead: async (id) => {
      const record = await leads.leadRecord(id);
      if (!record) throw new Error(`lead ${id} is gone`);
      return record;
    },
    onOutcome: (channel, outcome) => metrics.notifications.inc({ channel, outcome }),
    maxAttempts: n.maxAttempts,
    backoffMs: n.backoffMs,
    lockSeconds: n.lockSeconds,
    pollMs: n.pollSeconds * 1000,
  });
  dispatcher.start();
  const wake = () => void deps.bus.publish(NOTIFICATIONS_DUE, {}).catch(() => dispatcher.wake());
  // Only rows in the outbox are worth a claim: a trigger no channel is routed for queued nothing.
  engine.onCommitted(({ notifications }) => {
    if (notifications > 0) wake();
  });
  metrics.beforeScrape(async () => {
    for (const [status, count] of Object.entries(await deps.outbox.counts()))
      metrics.outbox.set({ status }, count);
  });
  return { outbox: deps.outbox, wake, stop: () => dispatcher.stop() };
}

export type { Outbox };
