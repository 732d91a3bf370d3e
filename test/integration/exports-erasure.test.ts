import { parse } from 'csv-parse/sync';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRetention } from '../../src/persistence/retention.js';
import { startTestApp, type TestApp } from '../support/app.js';

const API_KEY = 'exports-key-0123456789ab';
const auth = { authorization: `Bearer ${API_KEY}` };

describe('exports, erasure and retention', () => {
  let t: TestApp;
  const ids: string[] = [];

  beforeAll(async () => {
    t = await startTestApp({ API_KEYS: API_KEY });
    const { engine } = t.app;
    for (let i = 0; i < 25; i++) {
      const s = await engine.startSession({ utmSource: i % 5 === 0 ? 'newsletter' : 'google' });
      ids.push(s.sessionId);
      await engine.handle(s.sessionId, {
        kind: 'contact',
        name: `Lead ${i}, "Quoted"`,
        email: `lead${i}@example.com`,
      });
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  it('streams every matching lead as CSV (a real CSV, quoted) and as NDJSON', async () => {
    expect((await fetch(`${t.app.url}/api/leads/export`)).status).toBe(401);
    const csv = await fetch(`${t.app.url}/api/leads/export?format=csv&utm_source=newsletter`, {
      headers: auth,
    });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trim().split('\n');
    expect(lines[0]).toBe(
      'session_id,name,location,business_type,staff_size,monthly_sales,features_interested,contact_info,email,phone,lead_score,lead_type,utm_source,session_start_time,assigned_to,callback_at,' +
        'utm_medium,utm_campaign,utm_term,utm_content,gclid,fbclid,msclkid,referrer,landing_page,' +
        'last_utm_source,last_utm_medium,last_utm_campaign,last_utm_term,last_utm_content,last_gclid,' +
        'last_fbclid,last_msclkid,last_referrer,last_landing_page,last_touch_at,fit_score,engagement_score,behavior_metadata',
    );
    expect(lines).toHaveLength(6);
    expect(lines[1]).toContain('"Lead 0, ""Quoted"""');

    const nd = await fetch(`${t.app.url}/api/leads/export?format=ndjson`, { headers: auth });
    const rows = (await nd.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { session_id: string; email: string });
    expect(rows.map((r) => r.session_id).sort()).toEqual([...ids].sort());
    expect(rows.find((r) => r.session_id === ids[3])?.email).toBe('lead3@example.com');
  });

  it('erases a lead so that its e-mail is in no table, keeps a tombstone, and records who did it', async () => {
    const { engine } = t.app;
    const s = await engine.startSession();
    const id = s.sessionId;
    await engine.handle(id, { kind: 'reply', optionIds: ['yes'] });
    await engine.handle(id, { kind: 'reply', text: 'Kirana / Retail Shop' });
    await engine.handle(id, { kind: 'reply', text: 'Erase Street, Erasetown' });
    await engine.handle(id, {
      kind: 'contact',
      name: 'Erin Erase',
      email: 'erase.me@example.com',
      phone: '98765 00001',
    });
    // Metadata is any object a client sends: it may hold personal data too.
    await engine.handle(id, {
      kind: 'action',
      action: 'clicked_pricing',
      metadata: { form: { email: 'erase.me@example.com' } },
    });
    // So may a page's URL, which the board shows as the visitor's current page.
    await engine.handle(id, { kind: 'page', url: 'https://shop.example/account?email=erase.me@example.com' });
    const [page] = await t.db.query('select current_page from leads where id = $1', [id]);
    expect(page?.current_page).toContain('erase.me');
    const trace = async () => {
      const [r] = await t.db.query(
        `select
          (select count(*) from leads l where l.id = $1 and row_to_json(l)::text ilike '%erase%')::int as leads,
          (select count(*) from answers a where a.lead_id = $1 and row_to_json(a)::text ilike '%erase%')::int as answers,
          (select count(*) from session_events e where e.lead_id = $1 and row_to_json(e)::text ilike '%erase%')::int as events,
          (select count(*) from score_entries s where s.lead_id = $1 and row_to_json(s)::text ilike '%erase%')::int as ledger,
          (select count(*) from notifications n where n.lead_id = $1 and row_to_json(n)::text ilike '%erase%')::int as outbox,
          (select count(*) from session_events e where e.lead_id = $1 and row_to_json(e)::text ilike '%98765%')::int as phone`,
        [id],
      );
      return r;
    };
    expect(Object.values((await trace())!).some((n) => (n as number) > 0)).toBe(true);

    expect((await fetch(`${t.app.url}/api/lead/${id}`, { method: 'DELETE' })).status).toBe(401);
    const res = await fetch(`${t.app.url}/api/lead/${id}`, { method: 'DELETE', headers: auth });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ session_id: id, erased: true, erased_by: 'api-key:1' });
    // "erased" itself is the tombstone's marker; look for the visitor's words instead.
    const [after] = await t.db.query(
      `select
        (select count(*) from leads l where l.id = $1 and row_to_json(l)::text ~* 'erase\\.me|erin|erasetown|98765')::int as leads,
        (select count(*) from answers a where a.lead_id = $1)::int as answers,
        (select count(*) from session_events e where e.lead_id = $1 and row_to_json(e)::text ~* 'erase\\.me|erin|erasetown|98765')::int as events,
        (select count(*) from session_events e where e.lead_id = $1)::int as tombstone_events,
        (select erased_by from leads where id = $1) as erased_by`,
      [id],
    );
    expect(after).toMatchObject({ leads: 0, answers: 0, events: 0, erased_by: 'api-key:1' });
    expect(after!.tombstone_events).toBeGreaterThan(0);
    const everywhere = await t.db.query(
      `select 'leads' as t from leads where row_to_json(leads)::text ilike '%erase.me%'
       union all select 'answers' from answers where row_to_json(answers)::text ilike '%erase.me%'
       union all select 'events' from session_events where row_to_json(session_events)::text ilike '%erase.me%'
       union all select 'ledger' from score_entries where row_to_json(score_entries)::text ilike '%erase.me%'
       union all select 'outbox' from notifications where row_to_json(notifications)::text ilike '%erase.me%'
       union all select 'conversions' from experiment_conversions where row_to_json(experiment_conversions)::text ilike '%erase.me%'`,
    );
    expect(everywhere).toEqual([]);
    // Nothing more can happen in it, and it is gone from reads.
    await expect(engine.handle(id, { kind: 'reply', text: 'x' })).rejects.toMatchObject({
      code: 'session_not_found',
    });
    expect((await fetch(`${t.app.url}/api/lead/summary/${id}`)).status).toBe(404);
    expect((await fetch(`${t.app.url}/api/lead/${id}`, { method: 'DELETE', headers: auth })).status).toBe(
      404,
    );
    // Nor can a conversion be recorded for it.
    expect(
      await t.app.stores.experiments.recordConversion({
        leadId: id,
        testName: 'greeting_message',
        variant: 'A',
        type: 'demo_requested',
        value: null,
      }),
    ).toBe(false);
  });

  it('retention deletes exactly the event-log and answer rows older than the period', async () => {
    const id = ids[0]!;
    const now = Date.UTC(2027, 0, 31);
    // Everything recent (after the cutoff of 2027-01-01), except two rows of one session just before it.
    await t.db.query(`update session_events set at = '2027-01-01T01:00:00Z'`);
    await t.db.query(`update answers set answered_at = '2027-01-01T01:00:00Z'`);
    await t.db.query(
      `update session_events set at = '2026-12-31T23:00:00Z' where lead_id = $1 and seq <= 2`,
      [id],
    );
    const [{ old }] = (await t.db.query(
      `select count(*)::int as old from session_events where at < '2027-01-01T00:00:00Z'`,
    )) as [{ old: number }];
    const [{ total }] = (await t.db.query('select count(*)::int as total from session_events')) as [
      { total: number },
    ];
    const retention = startRetention(t.app.stores.retention, 30, pino({ level: 'silent' }), () => now);
    const removed = await retention.runOnce();
    await retention.stop();
    expect(removed).toEqual({ events: 2, answers: 0, whatsapp: 0 });
    expect(old).toBe(2);
    const [{ left }] = (await t.db.query('select count(*)::int as left from session_events')) as [
      { left: number },
    ];
    expect(left).toBe(total - 2);
    const [{ leads }] = (await t.db.query('select count(*)::int as leads from leads')) as [{ leads: number }];
    expect(leads).toBe(26);
  });

  it('a CSV export opened in a spreadsheet runs no visitor-written formula; phone numbers stay usable', async () => {
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${t.app.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status, path).toBe(200);
      return (await res.json()) as { session_id: string };
    };
    // Through the visitor's own REST doors, as an attacker would.
    const evil = (await post('/api/session/start', { utm_source: '=1+1' })).session_id;
    await post('/api/lead/profile', {
      session_id: evil,
      profile_data: {
        name: '=HYPERLINK("http://evil.example","x")',
        email: '-2+3@example.com',
        phone: '+91 98765 43210',
        location: '@SUM(1,1)',
        business_type: '-1+1',
        staff_size: '+1+1',
        monthly_sales: '＝1+1',
        features_interested: ['+cmd|calc', 'Billing'],
      },
    });
    const phoneOnly = (await post('/api/session/start', { utm_source: '=1+1' })).session_id;
    await post('/api/lead/profile', {
      session_id: phoneOnly,
      profile_data: { name: 'Priya', phone: '98765 43211' },
    });

    const res = await fetch(
      `${t.app.url}/api/leads/export?format=csv&utm_source=${encodeURIComponent('=1+1')}`,
      {
        headers: auth,
      },
    );
    expect(res.status).toBe(200);
    const records = parse(await res.text(), { columns: true }) as Record<string, string>[];
    expect(records.map((r) => r.session_id).sort()).toEqual([evil, phoneOnly].sort());
    const row = records.find((r) => r.session_id === evil)!;
    expect(row).toMatchObject({
      name: `'=HYPERLINK("http://evil.example","x")`,
      utm_source: "'=1+1",
      email: "'-2+3@example.com",
      location: "'@SUM(1,1)",
      business_type: "'-1+1",
      staff_size: "'+1+1",
      monthly_sales: "'＝1+1",
      features_interested: "'+cmd|calc; Billing",
      contact_info: "'-2+3@example.com / +919876543210",
      // An E.164 number is no formula: the phone column keeps it as the CRM expects it.
      phone: '+919876543210',
    });
    expect(records.find((r) => r.session_id === phoneOnly)).toMatchObject({
      name: 'Priya',
      phone: '+919876543211',
      contact_info: '+919876543211',
    });
    // No other cell starts like a formula.
    for (const r of records)
      for (const [column, value] of Object.entries(r)) {
        if (column === 'phone' || (column === 'contact_info' && /^\+\d+$/.test(value))) continue;
        expect(value, column).not.toMatch(/^[=+\-@\t\r＝＋－＠]/);
      }

    // NDJSON is data, not a sheet: the values as the visitor gave them.
    const nd = await fetch(
      `${t.app.url}/api/leads/export?format=ndjson&utm_source=${encodeURIComponent('=1+1')}`,
      {
        headers: auth,
      },
    );
    const json = (await nd.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(json.find((r) => r.session_id === evil)).toMatchObject({
      name: '=HYPERLINK("http://evil.example","x")',
      utm_source: '=1+1',
      phone: '+919876543210',
    });
  });

  it('carries the metadata of the behaviours a lead reported, in order, in both formats', async () => {
    const { engine } = t.app;
    const s = await engine.startSession({ utmSource: 'metadata_test' });
    const quiet = await engine.startSession({ utmSource: 'metadata_test' });
    const post = (body: Record<string, unknown>) =>
      fetch(`${t.app.url}/api/behavior`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ session_id: s.sessionId, ...body }),
      });
    expect((await post({ action: 'clicked_pricing', metadata: { page: '/pricing' } })).status).toBe(200);
    expect((await post({ action: 'clicked_demo' })).status).toBe(200);
    const product = { target_id: 'billing', page: '=cmd|calc', tags: ['a', { b: 1 }] };
    expect((await post({ action: 'clicked_product', metadata: product })).status).toBe(200);
    const nd = await fetch(`${t.app.url}/api/leads/export?format=ndjson&utm_source=metadata_test`, {
      headers: auth,
    });
    const rows = (await nd.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { session_id: string; behavior_metadata: unknown[] });
    const row = rows.find((r) => r.session_id === s.sessionId)!;
    expect(row.behavior_metadata).toEqual([
      { action: 'clicked_pricing', at: expect.any(String), metadata: { page: '/pricing' } },
      { action: 'clicked_product', at: expect.any(String), metadata: product },
    ]);
    expect(rows.find((r) => r.session_id === quiet.sessionId)!.behavior_metadata).toEqual([]);
    const csv = await fetch(`${t.app.url}/api/leads/export?format=csv&utm_source=metadata_test`, {
      headers: auth,
    });
    const records = parse(await csv.text(), { columns: true }) as Record<string, string>[];
    expect(JSON.parse(records.find((r) => r.session_id === s.sessionId)!.behavior_metadata!)).toEqual(
      row.behavior_metadata,
    );
    expect(records.find((r) => r.session_id === quiet.sessionId)!.behavior_metadata).toBe('');
  });
});
