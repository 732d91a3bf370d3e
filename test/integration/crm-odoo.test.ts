import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { answeredLead, CONTACT, capturedLogger, crmRows, fullJourney, storedIds } from '../support/crm.js';
import { FakeOdoo } from '../support/fake-odoo.js';
import { API_KEY, answerAll, api } from '../support/notifications.js';

/**
 * The Odoo channel against a local JSON-RPC server that speaks the used part of Odoo's external API:
 * one crm.lead per lead through concurrent triggers, retries, a lost id, an archived or deleted record;
 * tags from the classification; Odoo's message on a dead letter; the API key in no log line.
 */

const DB = 'sales-db';
const LOGIN = 'bot@example.com';
const KEY = '6f1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3';

const env = (odoo: FakeOdoo, extra: Record<string, string>) => ({
  API_KEYS: API_KEY,
  RATE_LIMIT_PER_MINUTE: '10000',
  ODOO_URL: `${odoo.url}/`,
  ODOO_DB: DB,
  ODOO_API_KEY: KEY,
  NOTIFY_TIMEOUT_MS: '2000',
  NOTIFY_LOCK_SECONDS: '10',
  NOTIFY_BACKOFF_MS: '50',
  NOTIFY_POLL_SECONDS: '1',
  NOTIFY_MAX_ATTEMPTS: '5',
  ...extra,
});

describe('Odoo: one crm.lead per lead (uid from common.authenticate, reference in the description)', () => {
  const odoo = new FakeOdoo(DB, LOGIN, KEY);
  const logs = capturedLogger();
  let t: TestApp;
  beforeAll(async () => {
    await odoo.start();
    t = await startTestApp(env(odoo, { ODOO_LOGIN: LOGIN }), { logger: logs.logger });
  });
  afterAll(async () => {
    await t?.close();
    await odoo.close();
  });
  const byRef = (id: string) =>
    [...odoo.leads.values()].filter((r) => String(r.description).includes(`lead-capture-bot:${id}`));

  it('sql and completed at once make one crm.lead; the contact is written to the same record, with mapped fields and the SQL tag', async () => {
    const id = await answeredLead(t.app.engine);
    // Both rows are due together: one sync of a lead at a time, the second writes what the first created.
    await crmRows(t.db, id, 'odoo', 2);
    expect(byRef(id)).toHaveLength(1);
    await fullJourney(t.app.engine, id, 'asha.rao@example.com', true);
    const rows = await crmRows(t.db, id, 'odoo', 3);
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
    const records = byRef(id);
    expect(records).toHaveLength(1);
    const lead = records[0]!;
    expect(lead).toMatchObject({
      type: 'lead',
      name: 'Asha Rao (Restaurant / Café)',
      contact_name: 'Asha Rao',
      email_from: 'asha.rao@example.com',
      phone: expect.stringContaining('98765'),
      city: 'Koramangala, Bengaluru',
      active: true,
    });
    expect(String(lead.description)).toContain('Score breakdown');
    expect(odoo.tagNames(lead)).toEqual(['SQL']);
    expect(odoo.of('common.authenticate').length).toBe(1);
    expect(odoo.of('crm.lead.create')).toHaveLength(1);
    expect(odoo.of('crm.lead.write').length).toBeGreaterThanOrEqual(2);
    expect(await storedIds(t.db, id, 'odoo')).toEqual({ lead: String(lead.id) });
    expect(CONTACT.name).toBe(lead.contact_name);
  });

  it('502, 429 with Retry-After and a transient server error are retried: still one crm.lead', async () => {
    const { sessionId: id } = await t.app.engine.startSession({ utmSource: 'ads' });
    odoo.script(
      'crm.lead.create',
      { status: 502, body: { message: 'Bad Gateway' } },
      { status: 429, headers: { 'retry-after': '1' } },
      {
        status: 200,
        body: {
          jsonrpc: '2.0',
          error: {
            code: 200,
            message: 'Odoo Server Error',
            data: { name: 'psycopg2.errors.SerializationFailure', message: 'could not serialize access' },
          },
        },
      },
    );
    await answerAll(t.app.engine, id);
    const rows = await crmRows(t.db, id, 'odoo', 2);
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
    expect(byRef(id)).toHaveLength(1);
    expect(
      odoo
        .of('crm.lead.create')
        .slice(-4)
        .map((c) => c.status),
    ).toEqual([502, 429, 200, 200]);
  });

  it('a lost id (a node that died before storing it), an archived record, a deleted one: never a second crm.lead', async () => {
    const id = await answeredLead(t.app.engine);
    await crmRows(t.db, id, 'odoo', 2);
    const [first] = byRef(id);
    const sync = async (n: number) => {
      const r = await api(t.app.url, 'POST', '/api/notifications/send', {
        session_id: id,
        channels: ['odoo'],
      });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return crmRows(t.db, id, 'odoo', n);
    };
    // The id is gone from our side and sales archived the lead: it is found by its reference.
    await t.db.query(`delete from crm_links where lead_id = $1 and crm = 'odoo'`, [id]);
    first!.active = false;
    await sync(3);
    expect(byRef(id).map((r) => r.id)).toEqual([first!.id]);
    expect(await storedIds(t.db, id, 'odoo')).toEqual({ lead: String(first!.id) });
    // Deleted in Odoo: the next sync creates it again, once.
    odoo.leads.delete(first!.id);
    await sync(4);
    await sync(5);
    const again = byRef(id);
    expect(again).toHaveLength(1);
    expect(await storedIds(t.db, id, 'odoo')).toEqual({ lead: String(again[0]!.id) });
  });

  it("the tag follows the classification: the earlier classification's tag is removed from the same record", async () => {
    const { sessionId: id } = await t.app.engine.startSession({ utmSource: 'ads' });
    await t.app.engine.handle(id, { kind: 'reply', optionIds: ['yes'] });
    const early = await api(t.app.url, 'POST', '/api/notifications/send', {
      session_id: id,
      channels: ['odoo'],
    });
    expect(early.status, JSON.stringify(early.body)).toBe(200);
    await crmRows(t.db, id, 'odoo', 1);
    const [before] = await t.db.query<{ classification: string }>(
      'select classification from leads where id = $1',
      [id],
    );
    expect(before!.classification).not.toBe('SQL');
    const [record] = byRef(id);
    expect(odoo.tagNames(record!)).toEqual([before!.classification]);
    for (const [questionId, text] of [
      [2, 'Restaurant / Café'],
      [3, 'Koramangala, Bengaluru'],
      [4, '6–15'],
      [5, '₹2L – ₹5L'],
      [6, 'QR Payments, Inventory'],
    ] as const)
      await t.app.engine.handle(id, { kind: 'answer', questionId, text });
    await crmRows(t.db, id, 'odoo', 3);
    expect(byRef(id)).toHaveLength(1);
    expect(odoo.tagNames(byRef(id)[0]!)).toEqual(['SQL']);
  });

  it('the API key is in no log line (debug level)', () => {
    expect(logs.lines.length).toBeGreaterThan(10);
    expect(logs.lines.filter((l) => l.includes(KEY))).toEqual([]);
  });
});

describe('Odoo: configured uid and a reference field; refusals dead-lettered with its message', () => {
  const odoo = new FakeOdoo(DB, LOGIN, KEY, 42);
  const logs = capturedLogger();
  let t: TestApp;
  beforeAll(async () => {
    await odoo.start();
    t = await startTestApp(env(odoo, { ODOO_UID: '42', ODOO_REF_FIELD: 'x_lead_ref' }), {
      logger: logs.logger,
    });
  });
  afterAll(async () => {
    await t?.close();
    await odoo.close();
  });

  it('the reference goes in its field and is searched there; no authenticate call', async () => {
    const id = await answeredLead(t.app.engine);
    await crmRows(t.db, id, 'odoo', 2);
    expect(odoo.find('x_lead_ref', `lead-capture-bot:${id}`)).toHaveLength(1);
    expect(odoo.of('common.authenticate')).toHaveLength(0);
    const searches = odoo.of('crm.lead.search').map((c) => JSON.stringify(c.body));
    expect(searches.some((b) => b.includes('"x_lead_ref","="'))).toBe(true);
  });

  it('a revoked key: AccessDenied is dead at once, shown in GET /api/notifications, the key masked everywhere', async () => {
    odoo.apiKey = 'another-key-0123456789';
    const before = odoo.calls.length;
    const id = await answeredLead(t.app.engine);
    const rows = await crmRows(t.db, id, 'odoo', 2);
    // Dead after one refusal each (a row may first have waited for the other's sync of the lead).
    expect(rows.map((r) => r.status)).toEqual(['dead', 'dead']);
    expect(odoo.calls.slice(before).map((c) => c.op)).toEqual(['crm.tag.search_read', 'crm.tag.search_read']);
    const list = await api(t.app.url, 'GET', '/api/notifications?status=dead');
    const shown = (list.body.notifications as { session_id: string; last_error: string }[]).filter(
      (n) => n.session_id === id,
    );
    expect(shown.map((n) => n.last_error)).toEqual([
      'Odoo: Access Denied (odoo.exceptions.AccessDenied)',
      'Odoo: Access Denied (odoo.exceptions.AccessDenied)',
    ]);
    expect(logs.lines.filter((l) => l.includes(KEY))).toEqual([]);
    expect(logs.lines.some((l) => l.includes('Access Denied'))).toBe(true);
  });
});
