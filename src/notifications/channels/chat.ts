import { type Channel, postJson } from '../delivery.js';
import type { NotificationMessage } from '../message.js';

const fields = (m: NotificationMessage) => m.profile.filter(([, v]) => v !== '—');
const breakdownLine = (m: NotificationMessage) =>
  m.breakdown
    .map((b) => `${b.points > 0 ? '+' : ''}${b.points} ${b.behavior}${b.count > 1 ? ` ×${b.count}` : ''}`)
    .join(', ');

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

/** Slack incoming webhook, Block Kit. */
export class SlackChannel extends JsonWebhookChannel {
  readonly name = 'slack';
  protected body(m: NotificationMessage) {
    return {
      text: m.title,
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: m.title.slice(0, 150) } },
        ...(m.note ? [{ type: 'section', text: { type: 'plain_text', text: m.note } }] : []),
        {
          type: 'section',
          fields: fields(m)
            .map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}*\n${v}` }))
            .slice(0, 10),
        },
        { type: 'context', elements: [{ type: 'mrkdwn', text: `Score: ${breakdownLine(m)}` }] },
        {
          type: 'actions',
          elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in console' }, url: m.link }],
        },
      ],
    };
  }
}

/** Discord webhook, an embed. */
export class DiscordChannel extends JsonWebhookChannel {
  readonly name = 'discord';
  protected body(m: NotificationMessage) {
    return {
      content: m.title,
      embeds: [
        {
          title: m.title.slice(0, 256),
          url: m.link,
          description: m.note ?? `Score: ${breakdownLine(m)}`.slice(0, 4000),
          color: m.trigger === 'sql' ? 0x16a34a : 0x1f6feb,
          fields: fields(m).map(([name, value]) => ({ name, value: value.slice(0, 1024), inline: true })),
        },
      ],
    };
  }
}

/** Microsoft Teams workflow webhook, an Adaptive Card. */
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
              { type: 'TextBlock', size: 'Medium', weight: 'Bolder', text: m.title, wrap: true },
              ...(m.note ? [{ type: 'TextBlock', text: m.note, wrap: true }] : []),
              { type: 'FactSet', facts: fields(m).map(([title, value]) => ({ title, value })) },
              { type: 'TextBlock', text: `Score: ${breakdownLine(m)}`, wrap: true, isSubtle: true },
            ],
            actions: [{ type: 'Action.OpenUrl', title: 'Open in console', url: m.link }],
          },
        },
      ],
    };
  }
}
