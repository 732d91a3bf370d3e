import { type Channel, postJson } from '../delivery.js';
import { breakdownEntry, type NotificationMessage, titleWith } from '../message.js';
import { discordMarkdown, slackMrkdwn, slackPlain, teamsMarkdown, within } from './escape.js';

const fields = (m: NotificationMessage) => m.profile.filter(([, v]) => v !== '—');
const breakdownLine = (m: NotificationMessage) => m.breakdown.map((b) => breakdownEntry(b)).join(', ');

/** A chat webhook that takes one JSON body per message; subclasses shape the body. */
abstract class JsonWebhookChannel implements Channel {
  abstract readonly name: string;
  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  protected abstract body(m: NotificationMessage): unknown;

  send(m: NotificationMessage): Promise<void> {
    return postJson(this.url, JSON.stringify(this.body(m)), {}, this.timeoutMs);
  }
}

/**
 * Slack incoming webhook, Block Kit. Every text that is not ours is escaped (`escape.ts`), and mrkdwn
 * objects are `verbatim`, so Slack does not turn bare names and addresses into mentions or links either.
 */
export class SlackChannel extends JsonWebhookChannel {
  readonly name = 'slack';
  protected body(m: NotificationMessage) {
    return {
      text: titleWith(m, slackMrkdwn),
      blocks: [
        {
          type: 'header',
          text: { type: 'plain_text', text: titleWith(m, (name) => within(name, slackPlain, 100)) },
        },
        ...(m.note
          ? [{ type: 'section', text: { type: 'plain_text', text: within(m.note, slackPlain, 3000) } }]
          : []),
        {
          type: 'section',
          fields: fields(m)
            .map(([k, v]) => ({
              type: 'mrkdwn',
              text: `*${k}*\n${within(v, slackMrkdwn, 1900)}`,
              verbatim: true,
            }))
            .slice(0, 10),
        },
        {
          type: 'context',
          elements: [{ type: 'mrkdwn', text: `Score: ${slackMrkdwn(breakdownLine(m))}`, verbatim: true }],
        },
        {
          type: 'actions',
          elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in console' }, url: m.link }],
        },
      ],
    };
  }
}

/**
 * Discord webhook, an embed. Text that is not ours is markdown-escaped, and `allowed_mentions` with an
 * empty `parse` tells Discord to ping nobody, whatever the text says.
 */
export class DiscordChannel extends JsonWebhookChannel {
  readonly name = 'discord';
  protected body(m: NotificationMessage) {
    return {
      content: titleWith(m, discordMarkdown),
      allowed_mentions: { parse: [] },
      embeds: [
        {
          title: titleWith(m, (name) => within(name, discordMarkdown, 200)),
          url: m.link,
          description: within(m.note ?? `Score: ${breakdownLine(m)}`, discordMarkdown, 4000),
          color: m.trigger === 'sql' ? 0x16a34a : 0x1f6feb,
          fields: fields(m).map(([name, value]) => ({
            name,
            value: within(value, discordMarkdown, 1024),
            inline: true,
          })),
        },
      ],
    };
  }
}

/** Microsoft Teams workflow webhook, an Adaptive Card; text that is not ours is markdown-escaped. */
export class TeamsChannel extends JsonWebhookChannel {
  readonly name = 'teams';
  protected body(m: NotificationMessage) {
    return {
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.4',
            body: [
              {
                type: 'TextBlock',
                size: 'Medium',
                weight: 'Bolder',
                text: titleWith(m, teamsMarkdown),
                wrap: true,
              },
              ...(m.note ? [{ type: 'TextBlock', text: teamsMarkdown(m.note), wrap: true }] : []),
              {
                type: 'FactSet',
                facts: fields(m).map(([title, value]) => ({ title, value: teamsMarkdown(value) })),
              },
              {
                type: 'TextBlock',
                text: `Score: ${teamsMarkdown(breakdownLine(m))}`,
                wrap: true,
                isSubtle: true,
              },
            ],
            actions: [{ type: 'Action.OpenUrl', title: 'Open in console', url: m.link }],
          },
        },
      ],
    };
  }
}
