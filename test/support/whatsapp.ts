import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type HttpResult, http, type Json } from './http.js';
import { waitFor } from './time.js';

/**
 * The WhatsApp Cloud API as the tests see it: a local Graph API that takes `POST /{version}/{phone
 * number id}/messages` (checking the Bearer token, the path and the payload's documented fields, as the
 * real one does) and answers a message id, and Meta's side of the webhook: notifications signed with
 * the app secret the way Meta signs them.
 */

export const WA = {
  verifyToken: 'verify-token-0123456789',
  appSecret: 'app-secret-0123456789abcdef',
  accessToken: 'EAAG-test-access-token-0123456789',
  phoneNumberId: '106540352242922',
  version: 'v23.0',
};

/** The env that turns the door on, against a fake Graph API at `graphUrl`. */
export function whatsappEnv(graphUrl: string): Record<string, string> {
  return {
    WHATSAPP_VERIFY_TOKEN: WA.verifyToken,
    WHATSAPP_APP_SECRET: WA.appSecret,
    WHATSAPP_ACCESS_TOKEN: WA.accessToken,
    WHATSAPP_PHONE_NUMBER_ID: WA.phoneNumberId,
    WHATSAPP_GRAPH_BASE_URL: graphUrl,
    WHATSAPP_GRAPH_VERSION: WA.version,
    NOTIFY_POLL_SECONDS: '1',
    NOTIFY_BACKOFF_MS: '50',
  };
}

/** One message the fake Graph API accepted (or refused). */
export interface Sent {
  to: string;
  wamid: string | null;
  status: number;
  payload: Json;
}

export class FakeGraph {
  readonly sent: Sent[] = [];
  /** Statuses to answer the next requests with (then 200). */
  readonly failNext: number[] = [];
  url = '';
  private n = 0;
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = (status: number, body: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      const error = (status: number, code: number, message: string) =>
        answer(status, { error: { message, type: 'OAuthException', code, fbtrace_id: 'test' } });
      if (req.method !== 'POST' || req.url !== `/${WA.version}/${WA.phoneNumberId}/messages`)
        return error(404, 100, `Unknown path ${req.method} ${req.url}`);
      if (req.headers.authorization !== `Bearer ${WA.accessToken}`)
        return error(401, 190, 'Invalid OAuth access token.');
      let payload: Json;
      try {
        payload = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return error(400, 100, 'Invalid JSON');
      }
      const problem = invalidPayload(payload);
      const failing = this.failNext.shift();
      if (problem || failing) {
        this.sent.push({ to: payload?.to, wamid: null, status: failing ?? 400, payload });
        return error(failing ?? 400, failing ? 2 : 100, problem ?? 'Service temporarily unavailable');
      }
      const wamid = `wamid.TEST${String(++this.n).padStart(6, '0')}`;
      this.sent.push({ to: payload.to, wamid, status: 200, payload });
      answer(200, {
        messaging_product: 'whatsapp',
        contacts: [{ input: payload.to, wa_id: payload.to }],
        messages: [{ id: wamid }],
      });
    });
  });

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** What was accepted for `to`, in order. */
  to(waId: string): Sent[] {
    return this.sent.filter((s) => s.to === waId && s.status === 200);
  }

  /** Waits until `to` has been sent `count` messages; returns the last. */
  async nth(waId: string, count: number, ms = 10_000): Promise<Sent> {
    const list = await waitFor(
      `${count} WhatsApp messages to ${waId}`,
      () => {
        const l = this.to(waId);
        return l.length >= count ? l : false;
      },
      ms,
    );
    return list[count - 1]!;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The Cloud API's rules for the payloads the door sends (the subset it uses). */
function invalidPayload(p: Json): string | null {
  if (p?.messaging_product !== 'whatsapp' || typeof p.to !== 'string')
    return 'messaging_product and to are required';
  if (p.type === 'text')
    return typeof p.text?.body === 'string' && p.text.body.length <= 4096 ? null : 'text.body';
  if (p.type !== 'interactive') return `unsupported type ${p.type}`;
  const i = p.interactive;
  if (typeof i?.body?.text !== 'string' || [...i.body.text].length > 1024) return 'interactive.body.text';
  if (i.type === 'button') {
    const b = i.action?.buttons ?? [];
    if (b.length < 1 || b.length > 3) return 'buttons: 1 to 3';
    if (b.some((x: Json) => x.type !== 'reply' || !x.reply?.id || [...(x.reply.title ?? '')].length > 20))
      return 'button title at most 20 characters';
    return null;
  }
  if (i.type === 'list') {
    const rows = (i.action?.sections ?? []).flatMap((s: Json) => s.rows ?? []);
    if (!i.action?.button || [...i.action.button].length > 20) return 'list button';
    if (rows.length < 1 || rows.length > 10) return 'list rows: 1 to 10';
    if (rows.some((r: Json) => !r.id || [...(r.title ?? '')].length > 24))
      return 'row title at most 24 characters';
    return null;
  }
  return `unsupported interactive type ${i.type}`;
}

/** Meta's signature of a body: `sha256=` + hex HMAC-SHA256 under the app secret. */
export function sign(body: string, secret = WA.appSecret): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** POSTs a notification to the door, signed (or with the signature given). */
export function postWebhook(url: string, payload: unknown, signature?: string): Promise<HttpResult> {
  const body = JSON.stringify(payload);
  return http(url, 'POST', '/webhooks/whatsapp', body, {
    'content-type': 'application/json',
    'x-hub-signature-256': signature ?? sign(body),
  });
}

let counter = 0;
/** A message id like Meta's. */
export const messageId = () => `wamid.IN${Date.now()}${++counter}`;

type Message = Record<string, unknown>;

/** A notification carrying one message from `waId`. */
export function notification(waId: string, message: Message, at = Date.now()): Json {
  return change({
    contacts: [{ profile: { name: 'Ravi' }, wa_id: waId }],
    messages: [{ from: waId, id: messageId(), timestamp: String(Math.floor(at / 1000)), ...message }],
  });
}

/** A notification carrying delivery statuses. */
export function statusNotification(statuses: { wamid: string; status: string; recipient: string }[]): Json {
  const timestamp = String(Math.floor(Date.now() / 1000));
  return change({
    statuses: statuses.map((s) => ({
      id: s.wamid,
      status: s.status,
      timestamp,
      recipient_id: s.recipient,
      ...(s.status === 'failed' ? { errors: [{ code: 131047, title: 'Re-engagement message' }] } : {}),
    })),
  });
}

function change(value: Record<string, unknown>): Json {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: WA.phoneNumberId },
              ...value,
            },
          },
        ],
      },
    ],
  };
}

export const text = (body: string): Message => ({ type: 'text', text: { body } });
export const button = (id: string, title = id): Message => ({
  type: 'interactive',
  interactive: { type: 'button_reply', button_reply: { id, title } },
});
export const listRow = (id: string, title = id): Message => ({
  type: 'interactive',
  interactive: { type: 'list_reply', list_reply: { id, title } },
});

/** The option ids a sent interactive message offers (buttons or list rows). */
export function offered(s: Sent): string[] {
  const i = s.payload.interactive;
  if (!i) return [];
  if (i.type === 'button') return i.action.buttons.map((b: Json) => b.reply.id);
  return i.action.sections.flatMap((x: Json) => x.rows.map((r: Json) => r.id));
}
