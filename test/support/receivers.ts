import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { Json } from './http.js';

/**
 * What notifications are sent to, in the tests: a real SMTP server (smtp-server) for e-mail, and local
 * HTTP endpoints standing in for Slack, Discord, Teams and the CRM, each keeping what it was given and
 * which session it was about.
 */

/** A session id, wherever it stands in a payload or a mail. */
export const SESSION_RE = /sess_[0-9a-f]{32}/;

/** How a Receiver answers: a status, a status with headers or after a delay, or never ('hang'). */
export type Reply = number | { status: number; headers?: Record<string, string>; delayMs?: number } | 'hang';

export interface Hit {
  /** When the request (with its body) arrived, ms. */
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: Json;
  /** The session the payload is about (found anywhere in it). */
  session: string | undefined;
  /** What the receiver answered: a status, or 'hang' (never answered). */
  reply: number | 'hang';
}

/** A local HTTP endpoint standing in for Slack, Discord, Teams or a CRM; answers as the test scripts it. */
export class Receiver {
  readonly hits: Hit[] = [];
  /** Replies per session, used up in order; then `fallback`. */
  readonly scripts = new Map<string, Reply[]>();
  fallback: Reply = 200;
  url = '';
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const session = SESSION_RE.exec(body)?.[0];
      const script = session ? this.scripts.get(session) : undefined;
      const reply = script && script.length > 0 ? script.shift()! : this.fallback;
      let json: Json;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      this.hits.push({
        at: Date.now(),
        path: req.url ?? '',
        headers: req.headers,
        body,
        json,
        session,
        reply: typeof reply === 'object' ? reply.status : reply,
      });
      if (reply === 'hang') return; // never answered: the sender times out, or dies
      const r = typeof reply === 'number' ? { status: reply } : reply;
      const answer = () =>
        res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers }).end('{"ok":true}');
      if (r.delayMs) setTimeout(answer, r.delayMs);
      else answer();
    });
  });

  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  of(session: string): Hit[] {
    return this.hits.filter((h) => h.session === session);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export interface Mail {
  envelopeFrom: string | undefined;
  envelopeTo: string[];
  parsed: ParsedMail;
  session: string | undefined;
}

/** A real SMTP server, as startSmtp started it. */
export type SmtpServer = Awaited<ReturnType<typeof startSmtp>>;

/** A real SMTP server on `port` (0: any free one) that keeps every message it is given. */
export async function startSmtp(port = 0) {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        simpleParser(Buffer.concat(chunks)).then(
          (parsed) => {
            mails.push({
              envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
              envelopeTo: session.envelope.rcptTo.map((r) => r.address),
              parsed,
              session: SESSION_RE.exec(parsed.text ?? '')?.[0],
            });
            callback();
          },
          (err: Error) => callback(err),
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A Standard Webhooks verifier, as a CRM would write it (independent of the server's code). */
export function verifyWebhook(
  secret: string,
  headers: IncomingHttpHeaders,
  body: string,
  toleranceS = 300,
): boolean {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return false;
  if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > toleranceS) return false;
  const key = secret.startsWith('whsec_')
    ? Buffer.from(secret.slice('whsec_'.length), 'base64')
    : Buffer.from(secret, 'utf8');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  return signatures.split(' ').some((s) => {
    const [version, b64] = s.split(',');
    if (version !== 'v1' || !b64) return false;
    const got = Buffer.from(b64, 'base64');
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}
