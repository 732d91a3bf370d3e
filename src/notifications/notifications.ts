import type { Config } from '../config.js';
import type { Trigger } from '../conversation/triggers.js';
import type { Logger } from '../logger.js';
import type { EventBus } from '../scaling/bus.js';
import { DiscordChannel, SlackChannel, TeamsChannel } from './channels/chat.js';
import { EmailChannel } from './channels/email.js';
import { WebhookChannel } from './channels/webhook.js';
import type { Channel } from './delivery.js';
import { Dispatcher, type DispatcherOptions } from './dispatcher.js';
import type { Outbox } from './outbox.js';

/** The triggers a channel gets when NOTIFICATION_ROUTES does not name it. */
const DEFAULT_TRIGGERS: readonly string[] = ['sql', 'human_help'];

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

/** Which configured channels announce a trigger. */
export function notificationRoutes(
  config: Pick<Config, 'notifications'>,
  channels: ReadonlyMap<string, Channel>,
) {
  return (trigger: Trigger): string[] =>
    [...channels.keys()].filter((c) =>
      (config.notifications.routes[c] ?? DEFAULT_TRIGGERS).includes(trigger),
    );
}

export function createDispatcher(
  config: Pick<Config, 'notifications'>,
  deps: Pick<DispatcherOptions, 'outbox' | 'channels' | 'readLead' | 'onOutcome' | 'publicUrl'> & {
    bus: EventBus;
    logger: Logger;
  },
): Dispatcher {
  const n = config.notifications;
  return new Dispatcher({
    ...deps,
    maxAttempts: n.maxAttempts,
    backoffMs: n.backoffMs,
    lockSeconds: n.lockSeconds,
    pollMs: n.pollSeconds * 1000,
  });
}

export type { Outbox };
