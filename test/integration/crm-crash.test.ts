import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { type NodeProcess, startNode } from '../support/cluster.js';
import { crmRows, storedIds } from '../support/crm.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { FakeHubSpot } from '../support/fake-hubspot.js';
import { FakeOdoo } from '../support/fake-odoo.js';
import type { Body } from '../support/http.js';
import { API_KEY, api, REST_ANSWERS } from '../support/notifications.js';
import { waitFor } from '../support/time.js';

/**
 * A node (a real server process) dies in the middle of a CRM sync: HubSpot created the lead's note and
 * Odoo its crm.lead, and the node is killed before it hears back or stores the ids. Another node takes
 * the rows over when their claims run out and finds those records by the lead's reference: exactly one
 * of each in each CRM.
 */

const TOKEN = 'pat-na1-11112222-3333-4444-5555-666677778888';
const KEY = 'a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0';
const EMAIL = 'crash.lead@example.com';

describe('a node killed mid-sync', () => {
  const hubspot = new FakeHubSpot(TOKEN);
  const odoo = new FakeOdoo('crash-db', 'bot@example.com', KEY, 9);
  let db: TestDatabase;
  let env: Record<string, string>;
  let a: NodeProcess | undefined;
  let b: TestApp | undefined;

  beforeAll(async () => {
    await Promise.all([hubspot.start(), odoo.start()]);
    db = await createTestDatabase();
    env = {
      DATABASE_URL: db.url,
      API_KEYS: API_KEY,
      RATE_LIMIT_PER_MINUTE: '10000',
      HUBSPOT_ACCESS_TOKEN: TOKEN,
      HUBSPOT_BASE_URL: hubspot.url,
      ODOO_URL: odoo.url,
      ODOO_DB: 'crash-db',
      ODOO_UID: '9',
      ODOO_API_KEY: KEY,
      NOTIFICATION_ROUTES: 'hubspot=sql;odoo=sql',
      // The claim (and the lead's sync lease) outlives a call's timeout: the dead node's rows come back after 9 s.
      NOTIFY_TIMEOUT_MS: '2000',
      NOTIFY_LOCK_SECONDS: '9',
      NOTIFY_POLL_SECONDS: '1',
      NOTIFY_BACKOFF_MS: '50',
    };
  });
  afterAll(async () => {
    await a?.kill();
    await b?.close();
    await db?.drop();
    await Promise.all([hubspot.close(), odoo.close()]);
  });

  it('the records created before the kill are found again and updated: one contact, note, deal and crm.lead', async () => {
    a = await startNode(env, 'node-crm-a');
    // Each CRM does the create, then never answers: the node is waiting for it when it dies.
    hubspot.hangAfter.add('notes.create');
    odoo.hangAfter.add('crm.lead.create');
    const post = (path: string, body: Body) => api(a!.url, 'POST', path, body, null);
    const id: string = (await post('/api/session/start', { utm_source: 'crash' })).body.session_id;
    await post('/api/lead/profile', { session_id: id, profile_data: { name: 'Crash Lead', email: EMAIL } });
    for (const [question_id, answer_text] of REST_ANSWERS)
      expect((await post('/api/answer', { session_id: id, question_id, answer_text })).status).toBe(200);
    await waitFor(
      'both creates made and left unanswered',
      () =>
        hubspot.of('notes.create').some((c) => c.status === 'hang') &&
        odoo.of('crm.lead.create').some((c) => c.status === 'hang'),
    );
    await a.kill();
    expect(await storedIds(db, id, 'odoo')).toEqual({});
    expect(Object.keys(await storedIds(db, id, 'hubspot'))).toEqual(['contact']);

    b = await startTestApp(env, {}, db);
    const [hs] = await crmRows(db, id, 'hubspot', 1, 30_000);
    const [od] = await crmRows(db, id, 'odoo', 1, 30_000);
    expect([hs!.status, od!.status]).toEqual(['sent', 'sent']);
    expect(hs!.attempts).toBeGreaterThanOrEqual(2);

    const odooLeads = odoo.find('contact_name', 'Crash Lead');
    expect(odooLeads).toHaveLength(1);
    expect(odoo.of('crm.lead.create')).toHaveLength(1);
    expect(await storedIds(db, id, 'odoo')).toEqual({ lead: String(odooLeads[0]!.id) });

    const contacts = hubspot.find('contacts', 'email', EMAIL);
    expect(contacts).toHaveLength(1);
    const notes = [...hubspot.records.notes.values()];
    const deals = [...hubspot.records.deals.values()];
    expect([notes.length, deals.length]).toEqual([1, 1]);
    expect(hubspot.of('notes.create')).toHaveLength(1);
    expect(await storedIds(db, id, 'hubspot')).toEqual({
      contact: contacts[0]!.id,
      note: notes[0]!.id,
      deal: deals[0]!.id,
    });
    // The node that took over updated what the dead one had created.
    expect(hubspot.of('notes.update').map((c) => c.path)).toEqual([`/crm/v3/objects/notes/${notes[0]!.id}`]);

    // The dead node's logs (info level, as production runs) name neither secret.
    expect(a.logs.length).toBeGreaterThan(0);
    expect(a.logs.filter((l) => l.includes(TOKEN) || l.includes(KEY))).toEqual([]);
  });
});
