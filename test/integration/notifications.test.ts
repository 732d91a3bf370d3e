import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import type { ConversationEngine } from '../../src/conversation/engine.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { freePort, type NodeProcess, startNode } from '../support/cluster.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { randomPrefix, testRedisUrl } from '../support/redis.js';
import { sleep, waitFor } from '../support/time.js';

/**
 * Notifications end to end, with real parts only: a real SMTP server (smtp-server) for e-mail, local
 * HTTP servers standing in for Slack, Discord, Teams and the CRM, the outbox in PostgreSQL, and real
 * server processes for the cluster cases.
 */

// biome-ignore lint/suspicious/noExplicitAny: payloads are checked field by field
type Json = any;

const SECRET_KEY = 'notifications-test-secret-0123456789';
const API_KEY = 'crm-key-notifications-0123456789';
const SESSION_RE = /sess_[0-9a-f]{32}/;
const CRM_KEYS = [
  'name',
  'location',
  'business_type',
  'staff_size',
  'monthly_sales',
  'features_interested',
  'contact_info',
  'email',
  'phone',
  'lead_score',
  'lead_type',
  'utm_source',
  'session_start_time',
  'assigned_to',
];

// ---------------------------------------------------------------------------------------------------
// Receivers

type Reply = number | { status: number; headers?: Record<string, string>; delayMs?: number } | 'hang';

interface Hit {
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
class Receiver {
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

interface Mail {
  envelopeFrom: string | undefined;
  envelopeTo: string[];
  parsed: ParsedMail;
  session: string | undefined;
}

/** A real SMTP server on port 0 that keeps every message it is given. */
async function startSmtp() {
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ---------------------------------------------------------------------------------------------------
// Helpers

/** A Standard Webhooks verifier, as a CRM would write it (independent of the server's code). */
function verifyWebhook(
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

/** The HMAC with the secret's characters as the key (what a verifier that forgot base64 would compute). */
function verifyAsPlainText(secret: string, headers: IncomingHttpHeaders, body: string): boolean {
  const sig = createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`)
    .digest('base64');
  return headers['webhook-signature'] === `v1,${sig}`;
}

async function api(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  auth: string | null = API_KEY,
): Promise<{ status: number; body: Json }> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (auth) headers.authorization = `Bearer ${auth}`;
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** A sample value of a Prometheus text exposition, by name and labels (undefined when absent). */
function metric(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

interface NotificationRow {
  id: string;
  lead_id: string;
  trigger: string;
  channel: string;
  status: string;
  attempts: number;
  next_attempt_at: Date;
  locked_until: Date | null;
  last_error: string | null;
  note: string | null;
  created_at: Date;
  sent_at: Date | null;
}

const rowsOf = (db: TestDatabase, lead: string) =>
  db.query<NotificationRow>('select * from notifications where lead_id = $1 order by id', [lead]);

/** Waits until every notification of the lead (optionally of one trigger) is out of the queue. */
async function settled(db: TestDatabase, lead: string, expected: number, trigger?: string, ms = 10_000) {
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
async function breakdownOf(db: TestDatabase, lead: string) {
  const entries = await db.query<{ behavior: string; points: number }>(
    'select behavior, points from score_entries where lead_id = $1 order by id',
    [lead],
  );
  const out = new Map<string, { behavior: string; points: number; count: number }>();
  for (const e of entries) {
    const row = out.get(e.behavior) ?? { behavior: e.behavior, points: 0, count: 0 };
    row.points += e.points;
    row.count += 1;
    out.set(e.behavior, row);
  }
  return [...out.values()];
}

async function scoreOf(db: TestDatabase, lead: string): Promise<number> {
  const [row] = await db.query<{ score: number }>('select score from leads where id = $1', [lead]);
  return row!.score;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Greeting and the five profile questions through the engine: 75 points, SQL at the last answer. */
async function answerAll(engine: ConversationEngine, id: string, location = 'Koramangala, Bengaluru') {
  await engine.handle(id, { kind: 'reply', optionIds: ['yes'] });
  await engine.handle(id, { kind: 'answer', questionId: 2, text: 'Restaurant / Café' });
  await engine.handle(id, { kind: 'answer', questionId: 3, text: location });
  await engine.handle(id, { kind: 'answer', questionId: 4, text: '6–15' });
  await engine.handle(id, { kind: 'answer', questionId: 5, text: '₹2L – ₹5L' });
  return engine.handle(id, { kind: 'answer', questionId: 6, text: 'QR Payments, Inventory' });
}

// ---------------------------------------------------------------------------------------------------

describe('notifications on every channel', () => {
  const PUBLIC_URL = 'https://bot.example.test';
  const CRM_SECRET = 'plain-crm-secret-not-base64';
  const SENDER = 'leads-bot@example.com';
  const SALES = ['asha.sales@example.com', 'ravi.sales@example.com'];
  const CHANNELS = ['discord', 'email', 'slack', 'teams', 'webhook'];
  let t: TestApp;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  const slack = new Receiver();
  const discord = new Receiver();
  const teams = new Receiver();
  const crm = new Receiver();

  /** The lead Asha, driven to SQL and then to the human-help CTA. */
  let asha = '';
  let sqlScore = 0;
  let sqlBreakdown: { behavior: string; points: number; count: number }[] = [];
  let finalScore = 0;
  const link = () => `${PUBLIC_URL}/agent#session=${asha}`;

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
    const { engine } = t.app;
    asha = (await engine.startSession({ utmSource: 'google_ads' })).sessionId;
    // The name first (no points), so the SQL announcement can name her.
    await engine.handle(asha, { kind: 'profile', profile: { name: 'Asha Rao' } });
    const sql = await answerAll(engine, asha, 'Koramangala <Bengaluru> & Co');
    expect(sql.classification).toBe('SQL');
    sqlScore = sql.score;
    // Everything the answer fired (sql on five channels, completed on the webhook) goes out first.
    await settled(t.db, asha, 6);
    sqlBreakdown = await breakdownOf(t.db, asha);
    await engine.handle(asha, { kind: 'contact', email: 'asha@example.com', phone: '98765 43210' });
    await engine.handle(asha, { kind: 'action', action: 'clicked_demo' });
    await settled(t.db, asha, 8);
    const end = await engine.handle(asha, { kind: 'reply', optionIds: ['human_help'] });
    expect(end.state).toBe('completed');
    await settled(t.db, asha, 13);
    finalScore = await scoreOf(t.db, asha);
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([slack.close(), discord.close(), teams.close(), crm.close(), smtp?.close()]);
  });

  it('routes: every channel gets sql and human_help; the webhook also the other triggers', async () => {
    const rows = await rowsOf(t.db, asha);
    const pairs = rows.map((r) => `${r.trigger}/${r.channel}`).sort();
    expect(pairs).toEqual(
      [
        ...CHANNELS.map((c) => `sql/${c}`),
        ...CHANNELS.map((c) => `human_help/${c}`),
        'completed/webhook',
        'contact_shared/webhook',
        'demo_requested/webhook',
      ].sort(),
    );
    for (const r of rows)
      expect(r, `${r.trigger}/${r.channel}`).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('e-mails the sales team once for SQL, with profile, breakdown and console link, and once for human help', async () => {
    const mine = smtp.mails.filter((m) => m.session === asha);
    expect(mine.map((m) => m.parsed.subject)).toEqual([
      `SQL lead: Asha Rao (score ${sqlScore})`,
      `Visitor asks for a person: Asha Rao (score ${finalScore})`,
    ]);
    expect(sqlScore).toBe(75);
    for (const m of mine) {
      expect(m.envelopeFrom).toBe(SENDER);
      expect([...m.envelopeTo].sort()).toEqual([...SALES].sort());
      expect(m.parsed.from?.value.map((a) => a.address)).toEqual([SENDER]);
      const to = [m.parsed.to ?? []].flat().flatMap((a) => a.value.map((v) => v.address));
      expect(to.sort()).toEqual([...SALES].sort());
    }

    const sqlMail = mine[0]!.parsed;
    const text = sqlMail.text ?? '';
    for (const line of [
      'Name: Asha Rao',
      'Business: Restaurant / Café',
      'Location: Koramangala <Bengaluru> & Co',
      'Staff: 6–15',
      'Monthly sales: ₹2L – ₹5L',
      'Needs: QR Payments, Inventory',
      `Score: ${sqlScore} (SQL)`,
      'Source: google_ads',
    ])
      expect(text).toContain(line);
    expect(sqlBreakdown.length).toBeGreaterThan(3);
    for (const b of sqlBreakdown) {
      const count = b.count > 1 ? `\\s+×${b.count}` : '';
      expect(text).toMatch(new RegExp(`^\\s*\\+?${b.points}\\s+${escapeRe(b.behavior)}${count}\\s*$`, 'm'));
    }
    expect(text).toContain(link());
    expect(text).not.toContain('bot.example.test//agent');

    const html = typeof sqlMail.html === 'string' ? sqlMail.html : '';
    expect(html).toContain(`href="${link()}"`);
    expect(html).toContain('Asha Rao');
    expect(html).toContain('Restaurant / Café');
    // Visitor text is escaped in the HTML body.
    expect(html).toContain('Koramangala &lt;Bengaluru&gt; &amp; Co');
    expect(html).not.toContain('<Bengaluru>');
    for (const b of sqlBreakdown) expect(html).toMatch(new RegExp(`\\+?${b.points} ${escapeRe(b.behavior)}`));

    // The human-help mail is about that trigger only: no mail for completed, contact or demo.
    const help = mine[1]!.parsed.text ?? '';
    expect(help).toContain(`Score: ${finalScore} (SQL)`);
    expect(help).toContain('E-mail: asha@example.com');
    expect(help).toContain('Phone: +919876543210');
    expect(smtp.mails).toHaveLength(mine.length);
  });

  it('posts a Slack Block Kit message per trigger', () => {
    const hits = slack.of(asha);
    expect(hits.map((h) => h.json.text)).toEqual([
      `SQL lead: Asha Rao (score ${sqlScore})`,
      `Visitor asks for a person: Asha Rao (score ${finalScore})`,
    ]);
    for (const h of hits) {
      expect(h.path).toBe('/services/T000/B000/XXXX');
      expect(h.headers['content-type']).toMatch(/^application\/json/);
      const blocks: Json[] = h.json.blocks;
      expect(blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: h.json.text } });
      const fields = blocks.find((b) => b.type === 'section' && b.fields)?.fields as Json[];
      expect(fields.length).toBeGreaterThan(0);
      expect(fields.length).toBeLessThanOrEqual(10);
      expect(fields).toContainEqual({ type: 'mrkdwn', text: '*Name*\nAsha Rao', verbatim: true });
      expect(fields).toContainEqual({
        type: 'mrkdwn',
        text: '*Business*\nRestaurant / Café',
        verbatim: true,
      });
      const actions = blocks.find((b) => b.type === 'actions');
      expect(actions.elements[0]).toMatchObject({ type: 'button', url: link() });
    }
  });

  it('posts a Discord embed per trigger', () => {
    const hits = discord.of(asha);
    expect(hits).toHaveLength(2);
    expect(hits[0]!.json.content).toBe(`SQL lead: Asha Rao (score ${sqlScore})`);
    expect(hits[1]!.json.content).toBe(`Visitor asks for a person: Asha Rao (score ${finalScore})`);
    for (const h of hits) {
      expect(h.json.embeds).toHaveLength(1);
      const embed = h.json.embeds[0];
      expect(embed).toMatchObject({ title: h.json.content, url: link() });
      expect(embed.fields).toContainEqual(expect.objectContaining({ name: 'Name', value: 'Asha Rao' }));
      expect(embed.fields).toContainEqual(
        // Discord's markdown escape: the brackets are shown, not read as a tag.
        expect.objectContaining({ name: 'Location', value: 'Koramangala \\<Bengaluru\\> & Co' }),
      );
      expect(embed.fields.length).toBeLessThanOrEqual(25);
    }
  });

  it('posts a Teams Adaptive Card per trigger', () => {
    const hits = teams.of(asha);
    expect(hits).toHaveLength(2);
    for (const [i, h] of hits.entries()) {
      expect(h.json.type).toBe('message');
      expect(h.json.attachments).toHaveLength(1);
      const att = h.json.attachments[0];
      expect(att.contentType).toBe('application/vnd.microsoft.card.adaptive');
      expect(att.content.type).toBe('AdaptiveCard');
      expect(att.content.body[0].text).toBe(
        i === 0
          ? `SQL lead: Asha Rao (score ${sqlScore})`
          : `Visitor asks for a person: Asha Rao (score ${finalScore})`,
      );
      const facts = att.content.body.find((b: Json) => b.type === 'FactSet').facts;
      expect(facts).toContainEqual({ title: 'Name', value: 'Asha Rao' });
      expect(att.content.actions).toContainEqual(
        expect.objectContaining({ type: 'Action.OpenUrl', url: link() }),
      );
    }
  });

  it('signs the CRM webhook (plain secret) and sends the CRM export with trigger and breakdown', async () => {
    const hits = crm.of(asha);
    expect(hits.map((h) => h.json.type)).toEqual([
      // sql and completed come from the same answer; their order is the outbox's.
      ...hits.slice(0, 2).map((h) => h.json.type),
      'lead.contact_shared',
      'lead.demo_requested',
      'lead.human_help',
    ]);
    expect(
      hits
        .slice(0, 2)
        .map((h) => h.json.type)
        .sort(),
    ).toEqual(['lead.completed', 'lead.sql']);
    const ids = hits.map((h) => h.headers['webhook-id']);
    expect(new Set(ids).size).toBe(hits.length);
    const rows = await rowsOf(t.db, asha);
    for (const h of hits) {
      expect(h.path).toBe('/crm/leads');
      expect(verifyWebhook(CRM_SECRET, h.headers, h.body), h.json.type).toBe(true);
      const row = rows.find((r) => `msg_${r.id}` === h.headers['webhook-id']);
      expect(row, 'webhook-id names the outbox row').toBeDefined();
      expect(`lead.${row!.trigger}`).toBe(h.json.type);
      expect(row!.channel).toBe('webhook');
      expect(Object.keys(h.json.data)).toEqual(
        expect.arrayContaining([...CRM_KEYS, 'trigger', 'score_breakdown']),
      );
      expect(h.json.data.trigger).toBe(row!.trigger);
      expect(h.json.data.session_id).toBe(asha);
      expect(new Date(h.json.timestamp).getTime() / 1000).toBe(Number(h.headers['webhook-timestamp']));
    }
    const sql = hits.find((h) => h.json.type === 'lead.sql')!.json.data;
    expect(sql).toMatchObject({
      name: 'Asha Rao',
      location: 'Koramangala <Bengaluru> & Co',
      business_type: 'Restaurant / Café',
      staff_size: '6–15',
      monthly_sales: '₹2L – ₹5L',
      features_interested: ['QR Payments', 'Inventory'],
      lead_score: sqlScore,
      lead_type: 'SQL',
      utm_source: 'google_ads',
      assigned_to: null,
      trigger: 'sql',
    });
    expect(sql.score_breakdown).toEqual(sqlBreakdown);
    // The last one carries the lead as the CRM export shows it now.
    const exported = await api(t.app.url, 'GET', `/api/lead/export/${asha}`, undefined, null);
    expect(exported.status).toBe(200);
    const last = hits.at(-1)!.json.data;
    for (const k of CRM_KEYS) expect(last[k], k).toEqual(exported.body[k]);
    expect(last).toMatchObject({ email: 'asha@example.com', phone: '+919876543210', lead_score: finalScore });
  });

  it("the receiver's verifier rejects a tampered body, a wrong secret and a stale timestamp", () => {
    const h = crm.of(asha).find((x) => x.json.type === 'lead.sql')!;
    expect(verifyWebhook(CRM_SECRET, h.headers, h.body)).toBe(true);
    const tampered = h.body.replace(`"lead_score":${sqlScore}`, '"lead_score":999');
    expect(tampered).not.toBe(h.body);
    expect(verifyWebhook(CRM_SECRET, h.headers, tampered)).toBe(false);
    expect(verifyWebhook(CRM_SECRET, h.headers, `${h.body} `)).toBe(false);
    expect(verifyWebhook('another-secret', h.headers, h.body)).toBe(false);
    expect(verifyWebhook(CRM_SECRET, { ...h.headers, 'webhook-id': 'msg_forged' }, h.body)).toBe(false);
    const later = Number(h.headers['webhook-timestamp']) + 1;
    expect(verifyWebhook(CRM_SECRET, { ...h.headers, 'webhook-timestamp': String(later) }, h.body)).toBe(
      false,
    );
  });

  it('writes the outbox rows in the event transaction: none when it rolls back, all right after the ack, never twice', async () => {
    const { url } = t.app;
    const post = (path: string, body: unknown) => api(url, 'POST', path, body, null);
    const start = await post('/api/session/start', { utm_source: 'newsletter' });
    const id: string = start.body.session_id;
    await post('/api/lead/profile', { session_id: id, profile_data: { name: 'Ravi Kumar' } });
    for (const [question_id, answer_text] of [
      [1, 'Yes, go ahead'],
      [2, 'Kirana / Retail Shop'],
      [3, 'Indore, Madhya Pradesh'],
      [4, '2–5'],
      [5, '₹50K – ₹2L'],
    ] as const) {
      expect((await post('/api/answer', { session_id: id, question_id, answer_text })).status).toBe(200);
    }
    const last = { session_id: id, question_id: 6, answer_text: 'Billing / Invoicing, Inventory' };

    // The commit fails after the outbox insert (answers are written last): nothing of it may remain.
    await t.db.query(`
      create or replace function lcb_test_fail_answer() returns trigger language plpgsql as $$
        begin raise exception 'injected failure'; end $$;
      create trigger lcb_test_fail before insert or update on answers for each row
        when (new.lead_id = '${id}' and new.question_id = 6) execute function lcb_test_fail_answer();`);
    try {
      const failed = await post('/api/answer', last);
      expect(failed.status).toBe(503);
    } finally {
      await t.db.query('drop trigger lcb_test_fail on answers; drop function lcb_test_fail_answer();');
    }
    expect(await rowsOf(t.db, id)).toEqual([]);
    const [before] = await t.db.query('select score, classification, qualified_at from leads where id = $1', [
      id,
    ]);
    expect(before).toMatchObject({ score: 55, classification: 'MQL', qualified_at: null });

    const ok = await post('/api/answer', last);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ lead_score: 75, lead_type: 'SQL' });
    // Right after the ack, without waiting: the rows are there, with the event's own timestamp.
    const rows = await rowsOf(t.db, id);
    const sqlRows = rows.filter((r) => r.trigger === 'sql');
    expect(sqlRows.map((r) => r.channel).sort()).toEqual(CHANNELS);
    const [lead] = await t.db.query<{ qualified_at: Date }>('select qualified_at from leads where id = $1', [
      id,
    ]);
    for (const r of sqlRows) expect(r.created_at.getTime()).toBe(lead!.qualified_at.getTime());
    expect(rows.filter((r) => r.trigger !== 'sql').map((r) => `${r.trigger}/${r.channel}`)).toEqual([
      'completed/webhook',
    ]);
    // Messages describe the lead when they are sent: let these go out before the score moves on.
    await settled(t.db, id, 6);

    // More scoring does not fire sql again.
    expect(
      (await post('/api/lead/profile', { session_id: id, profile_data: { email: 'ravi@example.com' } }))
        .status,
    ).toBe(200);
    expect((await post('/api/behavior', { session_id: id, action: 'clicked_demo' })).status).toBe(200);
    const cta = await post('/api/behavior', {
      session_id: id,
      action: 'cta_clicked',
      metadata: { target_id: 'talk_to_sales' },
    });
    expect(cta.status).toBe(200);
    expect(cta.body.lead_score).toBeGreaterThan(75);
    const after = await rowsOf(t.db, id);
    expect(after.filter((r) => r.trigger === 'sql')).toHaveLength(CHANNELS.length);
    expect(after.map((r) => `${r.trigger}/${r.channel}`).sort()).toEqual(
      [
        ...CHANNELS.map((c) => `sql/${c}`),
        'completed/webhook',
        'contact_shared/webhook',
        'demo_requested/webhook',
      ].sort(),
    );
    // And the table itself refuses a second (lead, trigger, channel).
    const dup = await t.db
      .query(
        `insert into notifications (lead_id, trigger, channel, status, attempts, next_attempt_at, created_at)
         values ($1, 'sql', 'webhook', 'pending', 0, now(), now())`,
        [id],
      )
      .then(
        () => null,
        (e: { code?: string }) => e,
      );
    expect(dup?.code).toBe('23505');

    await settled(t.db, id, 8);
    expect(crm.of(id).filter((h) => h.json.type === 'lead.sql')).toHaveLength(1);
    expect(slack.of(id).map((h) => h.json.text)).toEqual(['SQL lead: Ravi Kumar (score 75)']);
    expect(smtp.mails.filter((m) => m.session === id).map((m) => m.parsed.subject)).toEqual([
      'SQL lead: Ravi Kumar (score 75)',
    ]);
  });

  it('visitor text in Slack, Discord and Teams pings nobody, links nowhere and formats nothing', async () => {
    const { engine } = t.app;
    const id = (await engine.startSession({ utmSource: '@here' })).sessionId;
    const name = '<!channel> @everyone *bold* <https://evil.example|click>';
    const place = '[click](https://evil.example) _it_ ~gone~ `code` <@U024BE7LH> @here';
    await engine.handle(id, { kind: 'profile', profile: { name } });
    await answerAll(engine, id, place);
    await settled(t.db, id, 6);
    const ZW = '\u200B';
    const pings = /@(everyone|here|channel)/;
    const bareUrl = /https?:\/\//;

    // Slack: & < > as entities, so no <!channel>, <@U…> or <url|label> is parsed; formatting characters
    // between zero-width spaces in mrkdwn; bare mentions and addresses broken; mrkdwn objects verbatim.
    const [s] = slack.of(id);
    expect(s).toBeDefined();
    const textObjects = (v: unknown): { type: string; text: string; verbatim?: boolean }[] =>
      Array.isArray(v)
        ? v.flatMap(textObjects)
        : v && typeof v === 'object'
          ? [
              ...((v as Json).type === 'plain_text' || (v as Json).type === 'mrkdwn' ? [v as Json] : []),
              ...Object.values(v).flatMap(textObjects),
            ]
          : [];
    const slackTexts = [{ type: 'mrkdwn', text: s!.json.text as string }, ...textObjects(s!.json.blocks)];
    expect(slackTexts.length).toBeGreaterThan(10);
    for (const x of slackTexts) {
      expect(x.text).not.toMatch(/[<>]/);
      expect(x.text).not.toMatch(pings);
      expect(x.text).not.toMatch(bareUrl);
      if (x.type === 'mrkdwn') expect(x.text).not.toMatch(/\*bold\*|_it_|~gone~|`code`/);
    }
    for (const x of textObjects(s!.json.blocks).filter((o) => o.type === 'mrkdwn'))
      expect(x.verbatim, x.text).toBe(true);
    expect(s!.json.text).toBe(
      `SQL lead: &lt;!channel&gt; @${ZW}everyone ${ZW}*${ZW}bold${ZW}*${ZW} &lt;https:${ZW}//evil.example|click&gt; (score 75)`,
    );
    expect(s!.json.blocks[0].text.text).toBe(
      `SQL lead: &lt;!channel&gt; @${ZW}everyone *bold* &lt;https:${ZW}//evil.example|click&gt; (score 75)`,
    );
    const location = textObjects(s!.json.blocks).find((o) => o.text.startsWith('*Location*\n'))!;
    // Without the zero-width spaces it reads as the visitor wrote it, with Slack's three entities.
    expect(location.text.replaceAll(ZW, '')).toBe(
      '*Location*\n[click](https://evil.example) _it_ ~gone~ `code` &lt;@U024BE7LH&gt; @here',
    );

    // Discord: markdown escaped with backslashes, and the payload allows no mention at all.
    const [d] = discord.of(id);
    expect(d).toBeDefined();
    expect(d!.json.allowed_mentions).toEqual({ parse: [] });
    const escapedName = `\\<!channel\\> @${ZW}everyone \\*bold\\* \\<https\\://evil.example\\|click\\>`;
    expect(d!.json.content).toBe(`SQL lead: ${escapedName} (score 75)`);
    expect(d!.json.embeds[0].title).toBe(`SQL lead: ${escapedName} (score 75)`);
    const embedFields: { name: string; value: string }[] = d!.json.embeds[0].fields;
    expect(embedFields.find((f) => f.name === 'Location')?.value).toBe(
      `\\[click\\](https\\://evil.example) \\_it\\_ \\~gone\\~ \\\`code\\\` \\<@U024BE7LH\\> @${ZW}here`,
    );
    expect(embedFields.find((f) => f.name === 'Source')?.value).toBe(`@${ZW}here`);
    for (const f of embedFields) {
      // Every markdown character is escaped (nothing else in these values starts a backslash).
      expect(f.value, f.name).not.toMatch(/(^|[^\\])[<>[\]*_~`|:]/);
      expect(f.value, f.name).not.toMatch(pings);
      expect(f.value, f.name).not.toMatch(bareUrl);
    }

    // Teams: markdown escaped with backslashes; <at> tags, links and broadcast words inert.
    const [m] = teams.of(id);
    expect(m).toBeDefined();
    const card = m!.json.attachments[0].content;
    expect(card.body[0].text).toBe(
      `SQL lead: \\<!channel\\> @${ZW}everyone \\*bold\\* \\<https:${ZW}//evil.example|click\\> (score 75)`,
    );
    const facts: { title: string; value: string }[] = card.body.find((b: Json) => b.type === 'FactSet').facts;
    expect(facts.find((f) => f.title === 'Location')?.value).toBe(
      `\\[click\\](https:${ZW}//evil.example) \\_it\\_ \\~gone\\~ \\\`code\\\` \\<@U024BE7LH\\> @${ZW}here`,
    );
    for (const f of facts) {
      expect(f.value, f.title).not.toMatch(/(^|[^\\])[<>[\]*_~`]/);
      expect(f.value, f.title).not.toMatch(pings);
      expect(f.value, f.title).not.toMatch(bareUrl);
    }

    // E-mail escapes for HTML, and the CRM webhook is data: both carry the name as given.
    expect(crm.of(id).find((h) => h.json.type === 'lead.sql')?.json.data).toMatchObject({
      name,
      location: place,
    });
    const mail = smtp.mails.find((x) => x.session === id)!;
    expect(mail.parsed.subject).toBe(`SQL lead: ${name} (score 75)`);
    expect(mail.parsed.html).not.toContain('<!channel>');
  });
});

// ---------------------------------------------------------------------------------------------------

describe('delivery failures, dead letters, REST and metrics', () => {
  const WHSEC = `whsec_${randomBytes(24).toString('base64')}`;
  const TIMEOUT_MS = 300;
  const BACKOFF_MS = 100;
  const MAX_ATTEMPTS = 3;
  let t: TestApp;
  const crm = new Receiver();
  /** Slack points at a closed port until a test opens it. */
  let slackPort = 0;
  let slack: Receiver | undefined;
  const ids: Record<string, string> = {};

  /** A new lead, remembered as `ids[name]`, whose webhook deliveries the CRM answers by `script`. */
  const lead = async (name: string, script: Reply[]) => {
    const { sessionId } = await t.app.engine.startSession({ utmSource: 'ads' });
    crm.scripts.set(sessionId, [...script]);
    ids[name] = sessionId;
    return sessionId;
  };
  const webhookRow = async (id: string) => {
    const rows = (await rowsOf(t.db, id)).filter((r) => r.channel === 'webhook' && r.trigger === 'sql');
    expect(rows).toHaveLength(1);
    return rows[0]!;
  };

  beforeAll(async () => {
    await crm.start();
    slackPort = await freePort();
    t = await startTestApp({
      SECRET_KEY,
      API_KEYS: API_KEY,
      RATE_LIMIT_PER_MINUTE: '10000',
      WEBHOOK_URL: `${crm.url}/hooks/leads`,
      WEBHOOK_SECRET: WHSEC,
      SLACK_WEBHOOK_URL: `http://127.0.0.1:${slackPort}/services/slack`,
      // Slack only hears of demo requests here (to have one channel on a refused port).
      NOTIFICATION_ROUTES: 'slack=demo_requested',
      NOTIFY_TIMEOUT_MS: String(TIMEOUT_MS),
      NOTIFY_BACKOFF_MS: String(BACKOFF_MS),
      NOTIFY_POLL_SECONDS: '1',
      NOTIFY_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      NOTIFY_LOCK_SECONDS: '5',
      // Metrics on a listener of their own (loopback), as a Prometheus next to the node would scrape.
      METRICS_PORT: '0',
    });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([crm.close(), slack?.close()]);
  });

  it('500 then 200: sent on the second attempt after a backoff, announced once, signed with the whsec_ secret', async () => {
    const id = await lead('flaky', [500, 200]);
    await answerAll(t.app.engine, id);
    await settled(t.db, id, 1);
    expect(await webhookRow(id)).toMatchObject({ status: 'sent', attempts: 2, last_error: null });
    const hits = crm.of(id);
    expect(hits.map((h) => h.reply)).toEqual([500, 200]);
    expect(hits[1]!.headers['webhook-id']).toBe(hits[0]!.headers['webhook-id']);
    expect(hits.filter((h) => h.reply === 200)).toHaveLength(1);
    expect(hits[1]!.at - hits[0]!.at).toBeGreaterThanOrEqual(BACKOFF_MS * 0.5);
    for (const h of hits) {
      expect(verifyWebhook(WHSEC, h.headers, h.body)).toBe(true);
      // The key is the base64-decoded secret, not its text.
      expect(verifyAsPlainText(WHSEC, h.headers, h.body)).toBe(false);
      expect(h.json).toMatchObject({ type: 'lead.sql', data: { session_id: id, lead_type: 'SQL' } });
    }
    expect(verifyWebhook(WHSEC, hits[1]!.headers, hits[1]!.body.replace('"SQL"', '"MQL"'))).toBe(false);
  });

  it('429 with Retry-After: 1 is retried no sooner than a second later, then sent', async () => {
    const id = await lead('throttled', [{ status: 429, headers: { 'retry-after': '1' } }, 200]);
    await answerAll(t.app.engine, id);
    await settled(t.db, id, 1);
    expect(await webhookRow(id)).toMatchObject({ status: 'sent', attempts: 2 });
    const hits = crm.of(id);
    expect(hits.map((h) => h.reply)).toEqual([429, 200]);
    const gap = hits[1]!.at - hits[0]!.at;
    expect(gap).toBeGreaterThanOrEqual(950);
    expect(gap).toBeLessThan(4000);
  });

  it('a receiver that hangs past the timeout is retried, then dead-lettered after the last attempt', async () => {
    const id = await lead('hanging', Array(MAX_ATTEMPTS + 2).fill('hang'));
    await answerAll(t.app.engine, id);
    const [row] = await settled(t.db, id, 1);
    expect(row).toMatchObject({ status: 'dead', attempts: MAX_ATTEMPTS });
    expect(row!.last_error).toMatch(new RegExp(`time(d)? ?out.*${TIMEOUT_MS}`, 'i'));
    const hits = crm.of(id);
    expect(hits).toHaveLength(MAX_ATTEMPTS);
    for (let i = 1; i < hits.length; i++)
      expect(hits[i]!.at - hits[i - 1]!.at).toBeGreaterThanOrEqual(TIMEOUT_MS);
    await sleep(500);
    expect(crm.of(id)).toHaveLength(MAX_ATTEMPTS);
  });

  it('a refused connection is retried, then dead-lettered', async () => {
    const id = await lead('refused', []);
    await t.app.engine.handle(id, { kind: 'action', action: 'clicked_demo' });
    const [row] = await settled(t.db, id, 1);
    expect(row).toMatchObject({
      channel: 'slack',
      trigger: 'demo_requested',
      status: 'dead',
      attempts: MAX_ATTEMPTS,
    });
    expect(row!.last_error).toMatch(/ECONNREFUSED|connection/i);
  });

  it('a 400 is dead at once, after one attempt', async () => {
    const id = await lead('rejected', [400]);
    await answerAll(t.app.engine, id);
    const [row] = await settled(t.db, id, 1);
    expect(row).toMatchObject({ status: 'dead', attempts: 1, last_error: expect.stringContaining('400') });
    await sleep(300);
    expect(crm.of(id).map((h) => h.reply)).toEqual([400]);
  });

  it('/metrics counts outcomes by channel and the outbox by status, as the table tells', async () => {
    const rows = await t.db.query<NotificationRow>('select * from notifications');
    expect(rows.every((r) => r.status === 'sent' || r.status === 'dead')).toBe(true);
    // Not on the public port; on the metrics listener without a token (none is configured).
    expect((await fetch(`${t.app.url}/metrics`)).status).toBe(404);
    expect(t.app.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${t.app.metricsUrl}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('# TYPE lcb_notifications_total counter');
    expect(text).toContain('# TYPE lcb_notifications_outbox gauge');
    for (const channel of ['webhook', 'slack']) {
      const mine = rows.filter((r) => r.channel === channel);
      const expected = {
        sent: mine.filter((r) => r.status === 'sent').length,
        dead: mine.filter((r) => r.status === 'dead').length,
        // Every attempt but the last of a row was a retry.
        retry: mine.reduce((n, r) => n + r.attempts - 1, 0),
      };
      for (const [outcome, n] of Object.entries(expected)) {
        expect(
          metric(text, 'lcb_notifications_total', { channel, outcome }) ?? 0,
          `${channel} ${outcome}`,
        ).toBe(n);
      }
    }
    expect(
      metric(text, 'lcb_notifications_total', { channel: 'webhook', outcome: 'retry' }),
    ).toBeGreaterThanOrEqual(4);
    for (const status of ['pending', 'sending', 'sent', 'failed', 'dead']) {
      expect(metric(text, 'lcb_notifications_outbox', { status }), status).toBe(
        rows.filter((r) => r.status === status).length,
      );
    }
    expect(metric(text, 'lcb_notifications_outbox', { status: 'dead' })).toBe(3);
  });

  it('refuses the notification endpoints without credentials (401)', async () => {
    const [row] = await rowsOf(t.db, ids.rejected!);
    for (const [method, path, body] of [
      ['GET', '/api/notifications', undefined],
      ['GET', '/api/notifications?status=dead', undefined],
      ['POST', `/api/notifications/${row!.id}/retry`, undefined],
      ['POST', '/api/notifications/send', { session_id: ids.flaky, channels: ['webhook'] }],
      ['POST', '/api/lead/notify', { session_id: ids.flaky }],
    ] as const) {
      for (const auth of [null, 'not-a-key-0123456789']) {
        const r = await api(t.app.url, method, path, body, auth);
        expect(r.status, `${method} ${path} ${auth}`).toBe(401);
        expect(r.body.error.code).toBe('unauthorized');
      }
    }
    // Nothing was queued or re-driven by those.
    expect((await rowsOf(t.db, ids.flaky!)).length).toBe(1);
    expect((await rowsOf(t.db, ids.rejected!))[0]!.status).toBe('dead');
  });

  it('lists the dead letters with their errors', async () => {
    const r = await api(t.app.url, 'GET', '/api/notifications?status=dead');
    expect(r.status).toBe(200);
    const list: Json[] = r.body.notifications;
    expect(list.every((n) => n.status === 'dead')).toBe(true);
    const bySession = Object.fromEntries(list.map((n) => [n.session_id, n]));
    expect(Object.keys(bySession).sort()).toEqual([ids.hanging, ids.refused, ids.rejected].sort());
    expect(bySession[ids.hanging!]).toMatchObject({
      trigger: 'sql',
      channel: 'webhook',
      attempts: MAX_ATTEMPTS,
    });
    expect(bySession[ids.hanging!].last_error).toMatch(/time/i);
    expect(bySession[ids.rejected!]).toMatchObject({
      attempts: 1,
      last_error: expect.stringContaining('400'),
    });
    expect(bySession[ids.refused!]).toMatchObject({ channel: 'slack', trigger: 'demo_requested' });
    expect(r.body.counts).toMatchObject({ dead: 3, sent: 2, pending: 0 });
    const all = await api(t.app.url, 'GET', '/api/notifications');
    expect(all.body.notifications.map((n: Json) => n.id)).toEqual(
      [...all.body.notifications.map((n: Json) => n.id)].sort((a: number, b: number) => b - a),
    );
    expect((await api(t.app.url, 'GET', '/api/notifications?status=lost')).status).toBe(422);
  });

  it('re-drives a dead letter once the receiver is fixed', async () => {
    // The CRM stops rejecting this lead.
    crm.scripts.set(ids.rejected!, []);
    const [dead] = await rowsOf(t.db, ids.rejected!);
    const r = await api(t.app.url, 'POST', `/api/notifications/${dead!.id}/retry`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ id: Number(dead!.id), status: 'pending' });
    await waitFor(
      're-driven notification sent',
      async () => (await rowsOf(t.db, ids.rejected!))[0]!.status === 'sent',
    );
    const hits = crm.of(ids.rejected!);
    expect(hits.map((h) => h.reply)).toEqual([400, 200]);
    expect(hits[1]!.headers['webhook-id']).toBe(`msg_${dead!.id}`);
    expect(verifyWebhook(WHSEC, hits[1]!.headers, hits[1]!.body)).toBe(true);

    // Slack comes up on its port: the refused one goes out too.
    slack = await new Receiver().start(slackPort);
    const [refused] = await rowsOf(t.db, ids.refused!);
    expect((await api(t.app.url, 'POST', `/api/notifications/${refused!.id}/retry`)).status).toBe(200);
    await waitFor(
      'slack notification sent',
      async () => (await rowsOf(t.db, ids.refused!))[0]!.status === 'sent',
    );
    expect(slack.of(ids.refused!)).toHaveLength(1);
    expect(slack.of(ids.refused!)[0]!.json.text).toMatch(/^Demo requested: /);

    // A sent notification or an unknown id cannot be retried.
    expect((await api(t.app.url, 'POST', `/api/notifications/${dead!.id}/retry`)).status).toBe(404);
    expect((await api(t.app.url, 'POST', '/api/notifications/987654321/retry')).status).toBe(404);
    await sleep(300);
    expect(crm.of(ids.rejected!).filter((h) => h.reply === 200)).toHaveLength(1);
  });

  it('POST /api/notifications/send delivers a manual notification on the channels asked for', async () => {
    const id = ids.flaky!;
    const before = crm.of(id).length;
    const r = await api(t.app.url, 'POST', '/api/notifications/send', {
      session_id: id,
      channels: ['webhook'],
      message: 'Please call after 5 pm',
    });
    expect(r.status).toBe(200);
    expect(r.body.notification_ids).toHaveLength(1);
    const [nid] = r.body.notification_ids as number[];
    await waitFor('manual notification sent', async () => {
      const [row] = await t.db.query<NotificationRow>('select * from notifications where id = $1', [nid]);
      return row?.status === 'sent';
    });
    const hits = crm.of(id).slice(before);
    expect(hits).toHaveLength(1);
    expect(hits[0]!.headers['webhook-id']).toBe(`msg_${nid}`);
    expect(verifyWebhook(WHSEC, hits[0]!.headers, hits[0]!.body)).toBe(true);
    expect(hits[0]!.json.data).toMatchObject({ session_id: id, lead_type: 'SQL' });
    expect(slack?.of(id) ?? []).toHaveLength(0);
  });

  it('the manual message reaches the CRM webhook too', async () => {
    const id = ids.flaky!;
    const hit = crm.of(id).find((h) => h.body.includes('"manual'))!;
    expect(hit).toBeDefined();
    expect(hit.body).toContain('Please call after 5 pm');
  });

  it('without PUBLIC_URL, the console link points at the port the server listens on', () => {
    // PORT=0 here: the link must not say port 0.
    const hit = crm.of(ids.flaky!)[0]!;
    const link = new URL(hit.json.data.console_url);
    expect(link.pathname).toBe('/agent');
    expect(link.port).toBe(new URL(t.app.url).port);
  });

  it('POST /api/lead/notify notifies on every configured channel', async () => {
    const id = ids.throttled!;
    const r = await api(t.app.url, 'POST', '/api/lead/notify', { session_id: id });
    expect(r.status).toBe(200);
    const nids = r.body.notification_ids as number[];
    expect(nids).toHaveLength(2);
    await waitFor('lead/notify delivered', async () => {
      const rows = await t.db.query<NotificationRow>('select * from notifications where id = any($1)', [
        nids,
      ]);
      return rows.length === 2 && rows.every((row) => row.status === 'sent') ? rows : false;
    });
    const rows = await t.db.query<NotificationRow>('select * from notifications where id = any($1)', [nids]);
    expect(rows.map((row) => row.channel).sort()).toEqual(['slack', 'webhook']);
    const webhookHit = crm.hits.find(
      (h) => h.headers['webhook-id'] === `msg_${rows.find((x) => x.channel === 'webhook')!.id}`,
    );
    expect(webhookHit?.reply).toBe(200);
    expect(slack!.of(id)).toHaveLength(1);
  });

  it('refuses an unknown session (404) and an unconfigured channel (422)', async () => {
    const unknown = `sess_${'0'.repeat(32)}`;
    for (const [path, body] of [
      ['/api/notifications/send', { session_id: unknown, channels: ['webhook'] }],
      ['/api/lead/notify', { session_id: unknown }],
    ] as const) {
      const r = await api(t.app.url, 'POST', path, body);
      expect(r.status, path).toBe(404);
    }
    const count = async () => (await t.db.query('select count(*)::int as n from notifications'))[0]!.n;
    const n = await count();
    for (const channels of [['email'], ['webhook', 'teams'], ['carrier-pigeon']]) {
      const r = await api(t.app.url, 'POST', '/api/notifications/send', { session_id: ids.flaky, channels });
      expect(r.status, channels.join()).toBe(422);
      expect(r.body.error.code).toBe('validation_failed');
      expect(r.body.error.details.configured.sort()).toEqual(['slack', 'webhook']);
    }
    expect(await count()).toBe(n);
  });
});

// ---------------------------------------------------------------------------------------------------

describe('redirects are not followed', () => {
  const MAX_ATTEMPTS = 2;
  let t: TestApp;
  /** Where the redirects point: it must never hear of a lead. */
  const target = new Receiver();
  const crmHop = new Receiver();
  const slackHop = new Receiver();

  beforeAll(async () => {
    await Promise.all([target.start(), crmHop.start(), slackHop.start()]);
    // A 307 would replay the POST with its body at the new address; a 302 would turn it into a GET.
    crmHop.fallback = { status: 307, headers: { location: `${target.url}/caught/crm` } };
    slackHop.fallback = { status: 302, headers: { location: `${target.url}/caught/slack` } };
    t = await startTestApp({
      WEBHOOK_URL: `${crmHop.url}/crm`,
      SLACK_WEBHOOK_URL: `${slackHop.url}/slack`,
      NOTIFY_BACKOFF_MS: '50',
      NOTIFY_POLL_SECONDS: '1',
      NOTIFY_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([target.close(), crmHop.close(), slackHop.close()]);
  });

  it('a 307 (webhook) or 302 (chat) is a failed delivery, retried and then dead-lettered; the target hears nothing', async () => {
    const { sessionId } = await t.app.engine.startSession({});
    await answerAll(t.app.engine, sessionId);
    const rows = await settled(t.db, sessionId, 2);
    expect(rows.map((r) => r.channel).sort()).toEqual(['slack', 'webhook']);
    for (const r of rows) {
      const status = r.channel === 'slack' ? 302 : 307;
      expect(r, r.channel).toMatchObject({ status: 'dead', attempts: MAX_ATTEMPTS });
      expect(r.last_error).toBe(
        `HTTP ${status} redirect to ${target.url}/caught/${r.channel === 'slack' ? 'slack' : 'crm'} not followed: configure the final URL`,
      );
    }
    expect(crmHop.of(sessionId).map((h) => h.reply)).toEqual([307, 307]);
    expect(slackHop.of(sessionId).map((h) => h.reply)).toEqual([302, 302]);
    await sleep(300);
    expect(target.hits).toEqual([]);
  });

  it('a 301 is permanent: dead after one attempt', async () => {
    crmHop.fallback = { status: 301, headers: { location: `${target.url}/caught/moved` } };
    const { sessionId } = await t.app.engine.startSession({});
    await answerAll(t.app.engine, sessionId);
    const rows = await settled(t.db, sessionId, 2);
    const webhook = rows.find((r) => r.channel === 'webhook')!;
    expect(webhook).toMatchObject({ status: 'dead', attempts: 1 });
    expect(webhook.last_error).toMatch(/^HTTP 301 redirect to .*\/caught\/moved not followed/);
    expect(crmHop.of(sessionId).map((h) => h.reply)).toEqual([301]);
    await sleep(300);
    expect(target.hits).toEqual([]);
  });
});

describe('waking the dispatcher', () => {
  /** Counts every UPDATE statement on the outbox (a claim is one), rows or none, in `outbox_updates`. */
  const countUpdates = async (db: TestDatabase) => {
    await db.query('create table outbox_updates (at timestamptz not null default now())');
    await db.query(
      'create function count_outbox_update() returns trigger language plpgsql as ' +
        '$$ begin insert into outbox_updates default values; return null; end $$',
    );
    await db.query(
      'create trigger count_outbox_update after update on notifications ' +
        'for each statement execute function count_outbox_update()',
    );
    return async () =>
      ((await db.query('select count(*)::int as n from outbox_updates')) as { n: number }[])[0]!.n;
  };

  it('a commit that queued notifications wakes the dispatcher at once, without waiting for the poll', async () => {
    const receiver = await new Receiver().start();
    // An hour between polls: only the wake after the commit can send it within the test.
    const t = await startTestApp({ WEBHOOK_URL: `${receiver.url}/crm`, NOTIFY_POLL_SECONDS: '3600' });
    try {
      const { sessionId } = await t.app.engine.startSession({});
      await answerAll(t.app.engine, sessionId);
      await waitFor('the webhook', () => receiver.of(sessionId).length > 0, 5000);
    } finally {
      await t.close();
      await receiver.close();
    }
  });

  it('a trigger no channel is routed for queues nothing and claims nothing', async () => {
    const t = await startTestApp({ NOTIFY_POLL_SECONDS: '3600' });
    try {
      const updates = await countUpdates(t.db);
      const { sessionId } = await t.app.engine.startSession({});
      const sql = await answerAll(t.app.engine, sessionId);
      expect(sql.classification).toBe('SQL');
      await sleep(500);
      expect(await updates()).toBe(0);
      expect(await t.db.query('select count(*)::int as n from notifications')).toEqual([{ n: 0 }]);
    } finally {
      await t.close();
    }
  });
});

describe('a claim outlived by a slow delivery', () => {
  it('a receiver slower than the lock (but within the timeout) still gets the lead once, or the configuration is refused', async () => {
    const receiver = await new Receiver().start();
    // Answers, but only after 2.5 s: within NOTIFY_TIMEOUT_MS, past NOTIFY_LOCK_SECONDS.
    receiver.fallback = { status: 200, delayMs: 2500 };
    const env = {
      WEBHOOK_URL: `${receiver.url}/slow`,
      WEBHOOK_SECRET: 'slow-crm-secret',
      NOTIFY_TIMEOUT_MS: '4000',
      NOTIFY_LOCK_SECONDS: '1',
      NOTIFY_POLL_SECONDS: '1',
      NOTIFY_BACKOFF_MS: '100',
      NOTIFY_MAX_ATTEMPTS: '3',
    };
    try {
      loadConfig({ DATABASE_URL: 'postgres://localhost/x', ...env });
    } catch (err) {
      // Refusing a lock shorter than a delivery may take is a fix too.
      await receiver.close();
      if (err instanceof ConfigError) return;
      throw err;
    }
    const db = await createTestDatabase();
    // Two nodes on one database (each with its own in-process bus, so the second only polls).
    const x = await startTestApp(env, {}, db);
    const y = await startTestApp(env, {}, db);
    try {
      const { sessionId } = await x.app.engine.startSession({});
      await answerAll(x.app.engine, sessionId);
      await settled(db, sessionId, 1);
      await sleep(2600);
      expect(receiver.of(sessionId).filter((h) => h.reply === 200)).toHaveLength(1);
    } finally {
      await Promise.all([x.close(), y.close()]);
      await db.drop();
      await receiver.close();
    }
  });
});

describe('two nodes on one database', () => {
  const WHSEC = `whsec_${randomBytes(32).toString('base64')}`;
  const receiver = new Receiver();
  let db: TestDatabase;
  let a: NodeProcess;
  let b: NodeProcess;
  const nodes = () => [a, b];

  /** A lead through REST on one node, up to SQL. */
  const restLead = async (node: NodeProcess, before?: (id: string) => void) => {
    const post = async (path: string, body: unknown) => {
      const r = await api(node.url, 'POST', path, body, null);
      if (r.status !== 200)
        throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}\n${node.logs.slice(-30).join('\n')}`);
      return r.body;
    };
    const id: string = (await post('/api/session/start', { utm_source: 'cluster' })).session_id;
    before?.(id);
    for (const [question_id, answer_text] of [
      [1, 'Yes, go ahead'],
      [2, 'Kirana / Retail Shop'],
      [3, 'Indore, Madhya Pradesh'],
      [4, '2–5'],
      [5, '₹50K – ₹2L'],
      [6, 'Billing / Invoicing, Inventory'],
    ] as const) {
      await post('/api/answer', { session_id: id, question_id, answer_text });
    }
    return id;
  };

  beforeAll(async () => {
    await receiver.start();
    db = await createTestDatabase();
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: testRedisUrl(),
      REDIS_PREFIX: randomPrefix(),
      RATE_LIMIT_PER_MINUTE: '100000',
      WEBHOOK_SECRET: WHSEC,
      // Shorter than the lock: a live node never has its claim taken over while it waits.
      NOTIFY_TIMEOUT_MS: '1000',
      NOTIFY_BACKOFF_MS: '100',
      NOTIFY_POLL_SECONDS: '1',
      NOTIFY_MAX_ATTEMPTS: '5',
      // The shortest lock the server accepts with that timeout (4 × timeout + 1 s).
      NOTIFY_LOCK_SECONDS: '5',
    };
    // Each node posts to its own path, so the receiver knows who sent what.
    [a, b] = await Promise.all([
      startNode({ ...env, WEBHOOK_URL: `${receiver.url}/hook/node-a` }, 'node-a'),
      startNode({ ...env, WEBHOOK_URL: `${receiver.url}/hook/node-b` }, 'node-b'),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await receiver.close();
    await db?.drop();
  });

  it('many leads reaching SQL on both nodes: each notification delivered exactly once', async () => {
    const LEADS = 16;
    const leads = await Promise.all(Array.from({ length: LEADS }, (_, i) => restLead(nodes()[i % 2]!)));
    const rows = await waitFor(
      'every notification sent',
      async () => {
        const r = await db.query<NotificationRow>(
          'select * from notifications where lead_id = any($1) order by id',
          [leads],
        );
        return r.length === LEADS && r.every((x) => x.status === 'sent') ? r : false;
      },
      15_000,
    );
    expect(rows.every((r) => r.trigger === 'sql' && r.channel === 'webhook' && r.attempts === 1)).toBe(true);
    await sleep(500);
    const hits = receiver.hits.filter((h) => h.session && leads.includes(h.session));
    const byId = new Map<string, number>();
    for (const h of hits) {
      expect(verifyWebhook(WHSEC, h.headers, h.body)).toBe(true);
      expect(h.reply).toBe(200);
      const id = String(h.headers['webhook-id']);
      byId.set(id, (byId.get(id) ?? 0) + 1);
    }
    expect([...byId.keys()].sort()).toEqual(rows.map((r) => `msg_${r.id}`).sort());
    expect([...byId.values()].every((n) => n === 1)).toBe(true);
    expect(hits).toHaveLength(LEADS);
    expect(new Set(hits.map((h) => h.session)).size).toBe(LEADS);
    for (const h of hits) expect(['/hook/node-a', '/hook/node-b']).toContain(h.path);
  });

  it('a node killed while sending leaves the notification to the other node, after the lock expires', async () => {
    const id = await restLead(a, (sid) => receiver.scripts.set(sid, ['hang', 'hang', 'hang']));
    const first = await waitFor('the claim reaches the receiver', () => receiver.of(id)[0]);
    expect(first.reply).toBe('hang');
    const holder = first.path === '/hook/node-a' ? a : b;
    const other = holder === a ? b : a;
    await holder.kill();
    const killedAt = Date.now();
    // The receiver recovers: from now on it answers 200.
    receiver.scripts.set(id, []);
    const [row] = await waitFor(
      'the other node sends it',
      async () => {
        const r = await db.query<NotificationRow>('select * from notifications where lead_id = $1', [id]);
        return r[0]?.status === 'sent' ? r : false;
      },
      15_000,
    );
    expect(row).toMatchObject({ trigger: 'sql', channel: 'webhook', status: 'sent', attempts: 2 });
    await sleep(300);
    const answered = receiver.of(id).filter((h) => h.reply === 200);
    expect(answered).toHaveLength(1);
    expect(answered[0]!.headers['webhook-id']).toBe(`msg_${row!.id}`);
    expect(answered[0]!.path).toBe(`/hook/${other.nodeId}`);
    // Not before the dead node's lock ran out (5 s from its claim).
    expect(answered[0]!.at - first.at).toBeGreaterThanOrEqual(4800);
    expect(answered[0]!.at).toBeGreaterThanOrEqual(killedAt);
    expect(verifyWebhook(WHSEC, answered[0]!.headers, answered[0]!.body)).toBe(true);
    // The surviving node still serves.
    expect((await fetch(`${other.url}/health`)).status).toBe(200);
  });
});
