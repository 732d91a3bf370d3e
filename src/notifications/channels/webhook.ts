import { createHmac } from 'node:crypto';
import { crmExport } from '../../leads/views.js';
import { type Channel, postJson } from '../delivery.js';
import type { NotificationMessage } from '../message.js';

/** The secret's bytes: a `whsec_` secret is base64 (Standard Webhooks); anything else is used as text. */
function secretBytes(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, as Standard Webhooks signs. */
export function sign(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', secretBytes(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** The generic CRM webhook: the CRM export plus trigger and score breakdown, signed (Standard Webhooks). */
export class WebhookChannel implements Channel {
  readonly name = 'webhook';
  constructor(
    private readonly url: string,
    private readonly secret: string | undefined,
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  send(m: NotificationMessage): Promise<void> {
    const timestamp = Math.floor(this.now() / 1000);
    const body = JSON.stringify({
      type: `lead.${m.trigger}`,
      timestamp: new Date(timestamp * 1000).toISOString(),
      data: {
        session_id: m.lead.id,
        ...crmExport(m.lead),
        trigger: m.trigger,
        message: m.note,
        score_breakdown: m.breakdown,
        console_url: m.link,
        ...(m.transcript ? { transcript_summary: m.transcript } : {}),
      },
    });
    const headers: Record<string, string> = { 'webhook-id': m.id, 'webhook-timestamp': String(timestamp) };
    if (this.secret) headers['webhook-signature'] = sign(this.secret, m.id, timestamp, body);
    return postJson(this.url, body, headers, this.timeoutMs);
  }
}
