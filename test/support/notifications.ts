import { afterAll, beforeAll } from 'vitest';
import type { ConversationEngine } from '../../src/conversation/engine.js';
import { CRM_FIELDS } from '../../src/leads/views.js';
import { type RunningServer, startTestApp, type TestApp } from './app.js';
import type { TestDatabase } from './database.js';
import { type Body, bearer, http } from './http.js';
import { Receiver, type SmtpServer, startSmtp } from './receivers.js';
import { waitFor } from './time.js';

/**
 * What the notification tests (test/integration/notifications-*.test.ts) share: the outbox as the
 * table holds it, waiting for it to settle, the lead that reaches SQL, and a server that notifies on
 * every channel at once.
 */

export const SECRET_KEY = 'notifications-test-secret-0123456789';
export const API_KEY = 'crm-key-notifications-0123456789';

/** The CRM export's fields: the webhook carries every one (the REST tests pin the list itself). */
export const CRM_KEYS: readonly string[] = CRM_FIELDS;

/** A request to `base`, with the API key unless `auth` says another credential or none (null). */
export function api(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  body?: Body,
  auth: string | null = API_KEY,
) {
  return http(base, method, path, body, auth ? bearer(auth) : {});
}

/** The columns of an outbox row the tests read (`select *` returns them all), as PostgreSQL returns them. */
export interface NotificationRow {
  id: string;
  lead_id: string;
  trigger: string;
  channel: string;
  status: string;
  attempts: number;
  last_error: string | null;
  created_at: Date;
}

/** The outbox rows of a lead, oldest first. */
export const rowsOf = (db: TestDatabase, lead: string) =>
  db.query<NotificationRow>('select * from notifications where lead_id = $1 order by id', [lead]);

/** Waits until every notification of the lead (optionally of one trigger) is out of the queue. */
export async function settled(
  db: TestDatabase,
  lead: string,
  expected: number,
  trigger?: string,
  ms = 10_000,
) {
  return waitFor(
    `${expected} settled notifications of ${lead}${trigger ? ` (${trigger})` : ''}`,
    async () => {
      const rows = (await rowsOf(db, lead)).filter((r) => !trigger || r.trigger === trigger);
      return rows.length === expected && rows.every((r) => r.status === 'sent' || r.status === 'dead')
        ? rows
        : false;
    },
    ms,
  );
}

/** The score breakdown as the ledger holds it now: points per behavior, in the order first earned. */
export function breakdownOf(db: TestDatabase, lead: string) {
  return db.query<{ behavior: string; points: number; count: number }>(
    `select behavior, sum(points)::int as points, count(*)::int as count
       from score_entries where lead_id = $1 group by behavior order by min(id)`,
    [lead],
  );
}

export async function scoreOf(db: TestDatabase, lead: string): Promise<number> {
  const [row] = await db.query<{ score: number }>('select score from leads where id = $1', [lead]);
  return row!.score;
}

/** A new lead's answers over REST, from the greeting to SQL (75 points at the sixth). */
export const REST_ANSWERS = [
  [1, 'Yes, go ahead'],
  [2, 'Kirana / Retail Shop'],
  [3, 'Indore, Madhya Pradesh'],
  [4, '2–5'],
  [5, '₹50K – ₹2L'],
  [6, 'Billing / Invoicing, Inventory'],
] as const;

/** Greeting and the five profile questions through the engine: 75 points, SQL at the last answer. */
export async function answerAll(engine: ConversationEngine, id: string, location = 'Koramangala, Bengaluru') {
  await engine.handle(id, { kind: 'reply', optionIds: ['yes'] });
  await engine.handle(id, { kind: 'answer', questionId: 2, text: 'Restaurant / Café' });
  await engine.handle(id, { kind: 'answer', questionId: 3, text: location });
  await engine.handle(id, { kind: 'answer', questionId: 4, text: '6–15' });
  await engine.handle(id, { kind: 'answer', questionId: 5, text: '₹2L – ₹5L' });
  return engine.handle(id, { kind: 'answer', questionId: 6, text: 'QR Payments, Inventory' });
}

/** Where a server on every channel sends what. */
export const PUBLIC_URL = 'https://bot.example.test';
export const CRM_SECRET = 'plain-crm-secret-not-base64';
export const SENDER = 'leads-bot@example.com';
export const SALES = ['asha.sales@example.com', 'ravi.sales@example.com'];
export const CHANNELS = ['discord', 'email', 'slack', 'teams', 'webhook'];

/** A server that notifies on every channel, and what stands in for each. */
export interface EveryChannel extends Omit<RunningServer, 'clock'> {
  readonly smtp: SmtpServer;
  readonly slack: Receiver;
  readonly discord: Receiver;
  readonly teams: Receiver;
  readonly crm: Receiver;
}

/**
 * For the tests of the file it is called in: a server with every channel configured (sql and human_help
 * everywhere, the other triggers on the CRM webhook), quick retries, and a receiver for each channel.
 */
export function serverOnEveryChannel(): EveryChannel {
  const [slack, discord, teams, crm] = [new Receiver(), new Receiver(), new Receiver(), new Receiver()];
  let t: TestApp | undefined;
  let smtp: SmtpServer | undefined;
  beforeAll(async () => {
    smtp = await startSmtp();
    await Promise.all([slack.start(), discord.start(), teams.start(), crm.start()]);
    t = await startTestApp({
      SECRET_KEY,
      API_KEYS: API_KEY,
      RATE_LIMIT_PER_MINUTE: '10000',
      // The trailing slash must not double up in the links.
      PUBLIC_URL: `${PUBLIC_URL}/`,
      SMTP_URL: smtp.url,
      SENDER_EMAIL: SENDER,
      SALES_TEAM_EMAILS: SALES.join(', '),
      SLACK_WEBHOOK_URL: `${slack.url}/services/T000/B000/XXXX`,
      DISCORD_WEBHOOK_URL: `${discord.url}/api/webhooks/1/abc`,
      TEAMS_WEBHOOK_URL: `${teams.url}/workflows/teams`,
      WEBHOOK_URL: `${crm.url}/crm/leads`,
      WEBHOOK_SECRET: CRM_SECRET,
      NOTIFICATION_ROUTES: 'webhook=sql,demo_requested,contact_shared,completed,human_help',
      NOTIFY_TIMEOUT_MS: '2000',
      NOTIFY_BACKOFF_MS: '50',
      NOTIFY_POLL_SECONDS: '1',
      NOTIFY_MAX_ATTEMPTS: '3',
    });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([slack.close(), discord.close(), teams.close(), crm.close(), smtp?.close()]);
  });
  const started = () => {
    if (!t || !smtp) throw new Error('the server starts in beforeAll: read it inside a test');
    return { t, smtp };
  };
  return {
    slack,
    discord,
    teams,
    crm,
    get app() {
      return started().t.app;
    },
    get url() {
      return started().t.app.url;
    },
    get db() {
      return started().t.db;
    },
    get smtp() {
      return started().smtp;
    },
  };
}
