import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { answeredLead, CONTACT, capturedLogger, crmRows, fullJourney, storedIds } from '../support/crm.js';
import { FakeHubSpot } from '../support/fake-hubspot.js';
import { API_KEY, answerAll, api, rowsOf } from '../support/notifications.js';

/**
 * The HubSpot channel against a local server that speaks the used part of HubSpot's CRM API: one
 * contact, note and deal per lead whatever the retries, rate limits and repeated triggers; updates on
 * the same records; HubSpot's own message on a dead letter; and the token in no log line.
 */

const TOKEN = 'pat-eu1-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const PIPELINE = 'sales-pipeline-7';
const STAGE = 'sql-stage-3';

const env = (hubspot: FakeHubSpot, extra: Record<string, string> = {}) => ({
  API_KEYS: API_KEY,
  RATE_LIMIT_PER_MINUTE: '10000',
  HUBSPOT_ACCESS_TOKEN: TOKEN,
  HUBSPOT_BASE_URL: hubspot.url,
  HUBSPOT_DEAL_PIPELINE: PIPELINE,
  HUBSPOT_DEAL_STAGE: STAGE,
  NOTIFY_TIMEOUT_MS: '2000',
  NOTIFY_LOCK_SECONDS: '10',
  NOTIFY_BACKOFF_MS: '50',
  NOTIFY_POLL_SECONDS: '1',
  NOTIFY_MAX_ATTEMPTS: '5',
  ...extra,
});

describe('HubSpot: one contact, note and deal per lead', () => {
  const hubspot = new FakeHubSpot(TOKEN);
  const logs = capturedLogger();
  let t: TestApp;

  beforeAll(async () => {
    await hubspot.start();
    t = await startTestApp(env(hubspot), { logger: logs.logger });
  });
  afterAll(async () => {
    await t?.close();
    await hubspot.close();
  });

  const hubspotRows = (id: string, n: number) => crmRows(t.db, id, 'hubspot', n);
  /** The lead's records in the fake HubSpot: its contact, and the notes and deals associated with it. */
  const recordsOf = (email: string) => {
    const contacts = hubspot.find('contacts', 'email', email);
    const ids = contacts.map((c) => c.id);
    const associated = (type: 'notes' | 'deals') =>
      [...hubspot.records[type].values()].filter((r) => r.contacts.some((c) => ids.includes(c)));
    return { contacts, notes: associated('notes'), deals: associated('deals') };
  };

  it('a lead pushes nothing before its e-mail, then one contact (upserted by e-mail, mapped properties), one note, one SQL deal; later triggers patch the same records', async () => {
    const { sessionId: id } = await t.app.engine.startSession({ utmSource: 'google_ads' });
    const email = 'asha.rao@example.com';
    await answerAll(t.app.engine, id);
    const early = await hubspotRows(id, 2);
    expect(early.map((r) => [r.trigger, r.status]).sort()).toEqual([
      ['completed', 'sent'],
      ['sql', 'sent'],
    ]);
    expect(hubspot.calls).toHaveLength(0);

    await fullJourney(t.app.engine, id, email, true);
    const [shared] = (await hubspotRows(id, 3)).filter((r) => r.trigger === 'contact_shared');
    expect(shared).toMatchObject({ status: 'sent', attempts: 1 });
    // And once more by hand: an update.
    const again = await api(t.app.url, 'POST', '/api/notifications/send', {
      session_id: id,
      channels: ['hubspot'],
    });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect((await hubspotRows(id, 4)).every((r) => r.status === 'sent')).toBe(true);
    const { contacts, notes, deals } = recordsOf(email);
    expect([contacts.length, notes.length, deals.length]).toEqual([1, 1, 1]);
    const [lead] = await t.db.query<{ score: number; owner: string | null }>(
      'select score, coalesce(assigned_name, assigned_team, taken_over_by) as owner from leads where id = $1',
      [id],
    );
    // The owner as every channel names it (routing gives an SQL lead to the default team).
    expect(lead!.owner).not.toBeNull();
    expect(contacts[0]!.properties.lcb_owner).toBe(lead!.owner);
    expect(contacts[0]!.properties).toMatchObject({
      email,
      firstname: 'Asha',
      lastname: 'Rao',
      phone: expect.stringContaining('98765'),
      industry: 'Restaurant / Café',
      lcb_session_id: id,
      lcb_lead_score: String(lead!.score),
      lcb_classification: 'SQL',
      lcb_utm_source: 'google_ads',
    });
    expect(
      Number(contacts[0]!.properties.lcb_fit_score) + Number(contacts[0]!.properties.lcb_engagement_score),
    ).toBe(lead!.score);
    // The note: the score breakdown and the answers, with the lead's reference.
    const note = notes[0]!.properties.hs_note_body!;
    expect(note).toContain('Score breakdown');
    expect(note).toContain('Restaurant / Café');
    expect(note).toContain(`lead-capture-bot:${id}`);
    expect(deals[0]!.properties).toMatchObject({
      pipeline: PIPELINE,
      dealstage: STAGE,
      lcb_lead_score: String(lead!.score),
    });
    // Created once each; the completed trigger patched the same ids.
    expect(hubspot.of('contacts.upsert')).toHaveLength(1);
    expect(hubspot.of('notes.create')).toHaveLength(1);
    expect(hubspot.of('deals.create')).toHaveLength(1);
    const ids = await storedIds(t.db, id, 'hubspot');
    expect(ids).toEqual({ contact: contacts[0]!.id, note: notes[0]!.id, deal: deals[0]!.id });
    expect(hubspot.of('contacts.update').map((c) => c.path)).toEqual([
      `/crm/v3/objects/contacts/${ids.contact}`,
    ]);
    expect(hubspot.of('deals.update').map((c) => c.path)).toEqual([`/crm/v3/objects/deals/${ids.deal}`]);
  });

  it('a changed profile and repeated syncs land on the same records (and the stage sales set is kept)', async () => {
    const { sessionId: id } = await t.app.engine.startSession({ utmSource: 'ads' });
    const email = 'ravi.kumar@example.com';
    await fullJourney(t.app.engine, id, email);
    await hubspotRows(id, 3);
    const before = recordsOf(email);
    // Sales moves the deal on in HubSpot.
    before.deals[0]!.properties.dealstage = 'closedwon';
    await t.app.engine.handle(id, {
      kind: 'profile',
      profile: { phone: '+91 99887 76655', business_type: 'Salon / Spa' },
    });
    for (let i = 0; i < 3; i++) {
      const r = await api(t.app.url, 'POST', '/api/notifications/send', {
        session_id: id,
        channels: ['hubspot'],
      });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    const rows = await hubspotRows(id, 6);
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
    const after = recordsOf(email);
    expect([after.contacts.length, after.notes.length, after.deals.length]).toEqual([1, 1, 1]);
    expect(after.contacts[0]!.id).toBe(before.contacts[0]!.id);
    expect(after.contacts[0]!.properties).toMatchObject({
      industry: 'Salon / Spa',
      phone: expect.stringContaining('99887'),
    });
    expect(after.deals[0]!.properties.dealstage).toBe('closedwon');
  });

  it('502, then 429 with Retry-After, then success: retried with backoff, still one of each', async () => {
    const { sessionId: id } = await t.app.engine.startSession({ utmSource: 'ads' });
    const email = 'meera.iyer@example.com';
    hubspot.script(
      'contacts.upsert',
      { status: 502, body: { status: 'error', message: 'Bad Gateway' } },
      { status: 429, headers: { 'retry-after': '1' }, body: { status: 'error', message: 'Rate limited' } },
    );
    hubspot.script('notes.create', {
      status: 503,
      body: { status: 'error', message: 'Service Unavailable' },
    });
    await answerAll(t.app.engine, id);
    // sql and completed go first (nothing to push without an e-mail): the scripted answers are the contact's.
    await hubspotRows(id, 2);
    await t.app.engine.handle(id, { kind: 'contact', ...CONTACT, email });
    const rows = await hubspotRows(id, 3);
    const shared = rows.find((r) => r.trigger === 'contact_shared')!;
    expect(shared).toMatchObject({ status: 'sent', attempts: 4, last_error: null });
    const upserts = hubspot.of('contacts.upsert').filter((c) => JSON.stringify(c.body).includes(email));
    expect(upserts.map((c) => c.status)).toEqual([502, 429, 200]);
    expect(upserts[2]!.at - upserts[1]!.at).toBeGreaterThanOrEqual(950);
    const { contacts, notes, deals } = recordsOf(email);
    expect([contacts.length, notes.length, deals.length]).toEqual([1, 1, 1]);
  });

  it("HubSpot's rate-limit headers are honoured: with 3 calls a second, the sync waits for the window instead of overrunning it", async () => {
    hubspot.rateLimit = { max: 3, intervalMs: 1000 };
    try {
      const { sessionId: id } = await t.app.engine.startSession({ utmSource: 'ads' });
      const email = 'kiran.das@example.com';
      const before = hubspot.calls.length;
      await fullJourney(t.app.engine, id, email);
      const rows = await hubspotRows(id, 3);
      expect(rows.every((r) => r.status === 'sent')).toBe(true);
      expect(hubspot.calls.length - before).toBeGreaterThan(3);
      expect(hubspot.overLimit).toBe(0);
      const { contacts, notes, deals } = recordsOf(email);
      expect([contacts.length, notes.length, deals.length]).toEqual([1, 1, 1]);
    } finally {
      hubspot.rateLimit = { max: 1_000, intervalMs: 10_000 };
    }
  });

  it('a call HubSpot never answers times out (its connection closed) and the outbox retries it: the same note, patched', async () => {
    const { sessionId: id } = await t.app.engine.startSession({ utmSource: 'ads' });
    const email = 'nisha.pillai@example.com';
    await fullJourney(t.app.engine, id, email);
    await hubspotRows(id, 3);
    const { note } = await storedIds(t.db, id, 'hubspot');
    hubspot.hangAfter.add('notes.update');
    const r = await api(t.app.url, 'POST', '/api/notifications/send', {
      session_id: id,
      channels: ['hubspot'],
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const [manual] = (await hubspotRows(id, 4)).slice(-1);
    expect(manual).toMatchObject({ status: 'sent', attempts: 2, last_error: null });
    const patches = hubspot.of('notes.update').filter((c) => c.path.endsWith(`/${note}`));
    const [hung, retried] = patches.slice(-2);
    expect([hung!.status, retried!.status]).toEqual(['hang', 200]);
    // The client gave up on the call (its connection closed) before the outbox retried it.
    expect(hung!.closedAt).toBeLessThanOrEqual(retried!.at);
    const { contacts, notes, deals } = recordsOf(email);
    expect([contacts.length, notes.length, deals.length]).toEqual([1, 1, 1]);
  });

  it('a deal deleted in HubSpot (404 on its update) is created again and its new id stored: still one', async () => {
    const { sessionId: id } = await t.app.engine.startSession({ utmSource: 'ads' });
    const email = 'farah.khan@example.com';
    await fullJourney(t.app.engine, id, email);
    await hubspotRows(id, 3);
    const { deal } = await storedIds(t.db, id, 'hubspot');
    hubspot.records.deals.delete(deal!);
    const r = await api(t.app.url, 'POST', '/api/notifications/send', {
      session_id: id,
      channels: ['hubspot'],
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const [manual] = (await hubspotRows(id, 4)).slice(-1);
    expect(manual).toMatchObject({ status: 'sent', attempts: 1 });
    expect(
      hubspot
        .of('deals.update')
        .filter((c) => c.path.endsWith(`/${deal}`))
        .at(-1)?.status,
    ).toBe(404);
    const { deals } = recordsOf(email);
    expect(deals).toHaveLength(1);
    expect(deals[0]!.id).not.toBe(deal);
    expect((await storedIds(t.db, id, 'hubspot')).deal).toBe(deals[0]!.id);
  });

  it('every call is made by the official client (@hubspot/api-client)', () => {
    expect(hubspot.calls.length).toBeGreaterThan(10);
    const agents = new Set(hubspot.calls.map((c) => c.userAgent?.split(';')[0]));
    expect([...agents]).toEqual(['hubspot-api-client-nodejs']);
  });

  it('the token is in no log line (debug level) and in no request but the Authorization header', () => {
    expect(logs.lines.length).toBeGreaterThan(10);
    expect(logs.lines.filter((l) => l.includes('notification sent')).length).toBeGreaterThan(0);
    expect(logs.lines.filter((l) => l.includes(TOKEN))).toEqual([]);
    expect(hubspot.calls.filter((c) => JSON.stringify(c.body ?? '').includes(TOKEN))).toEqual([]);
  });
});

describe('HubSpot: refusals are dead-lettered with its message', () => {
  const hubspot = new FakeHubSpot(TOKEN);
  const logs = capturedLogger();
  let t: TestApp;
  const mappingFile = join(tmpdir(), `crm-mapping-${process.pid}.json`);

  beforeAll(async () => {
    await hubspot.start();
    // The mapping names a property the portal does not have.
    writeFileSync(
      mappingFile,
      JSON.stringify({ hubspot: { contact: { lcb_budget: 'custom.budget', lcb_score_band: 'lead_type' } } }),
    );
    t = await startTestApp(env(hubspot, { CRM_MAPPING_FILE: mappingFile }), { logger: logs.logger });
  });
  afterAll(async () => {
    await t?.close();
    await hubspot.close();
  });

  it('a 400 is not retried: the row is dead at once and GET /api/notifications shows what HubSpot said; an echoed token is masked', async () => {
    const id = await answeredLead(t.app.engine);
    await crmRows(t.db, id, 'hubspot', 2);
    await t.app.engine.handle(id, { kind: 'contact', ...CONTACT, email: 'dev@example.com' });
    const [row] = (await crmRows(t.db, id, 'hubspot', 3)).filter((r) => r.trigger === 'contact_shared');
    expect(row).toMatchObject({ channel: 'hubspot', status: 'dead', attempts: 1 });
    const list = await api(t.app.url, 'GET', '/api/notifications?status=dead');
    const shown = (list.body.notifications as { session_id: string; last_error: string }[]).find(
      (n) => n.session_id === id,
    );
    expect(shown?.last_error).toContain('HubSpot: HTTP 400');
    expect(shown?.last_error).toContain('Property \\"lcb_score_band\\" does not exist');

    // A service that echoes the credential in its error: the outbox and the logs get it masked.
    const { sessionId: other } = await t.app.engine.startSession({ utmSource: 'ads' });
    hubspot.script('contacts.upsert', {
      status: 403,
      body: { status: 'error', message: `token ${TOKEN} lacks scope crm.objects.contacts.write` },
    });
    await answerAll(t.app.engine, other);
    await crmRows(t.db, other, 'hubspot', 2);
    await t.app.engine.handle(other, { kind: 'contact', ...CONTACT, email: 'ops@example.com' });
    const [refused] = (await crmRows(t.db, other, 'hubspot', 3)).filter(
      (r) => r.trigger === 'contact_shared',
    );
    expect(refused).toMatchObject({ status: 'dead', attempts: 1 });
    expect(refused!.last_error).toContain('token *** lacks scope crm.objects.contacts.write');
    expect((await rowsOf(t.db, other)).map((r) => r.last_error ?? '').join()).not.toContain(TOKEN);
    expect(logs.lines.filter((l) => l.includes(TOKEN))).toEqual([]);
    expect(logs.lines.some((l) => l.includes('lacks scope'))).toBe(true);
  });
});
