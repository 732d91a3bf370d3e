import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse } from 'csv-parse/sync';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationEngine } from '../../src/conversation/engine.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { closeClients, openVisitor } from '../support/sockets.js';
import { waitFor } from '../support/time.js';

/**
 * Attribution end to end: the full click of a visitor (campaign parameters, click ids, referrer, landing
 * page) through the REST start and the socket handshake, a returning visitor's new arrival as the last
 * touch, and where marketing reads it: summary, CRM export, CSV, NDJSON, webhook, lead filters, analytics.
 */

// biome-ignore lint/suspicious/noExplicitAny: payloads are checked field by field
type Json = any;

const API_KEY = 'attribution-key-0123456789ab';
const auth = { authorization: `Bearer ${API_KEY}` };

/** A click from a paid search ad, as the landing page's address and referrer carry it. */
const CLICK = {
  utm_source: 'google',
  utm_medium: 'cpc',
  utm_campaign: 'spring_sale',
  utm_term: 'pos software',
  utm_content: 'ad-variant-b',
  gclid: 'Cj0KCQiA-gclid-1',
  fbclid: 'IwAR-fbclid-1',
  msclkid: 'msclkid-1',
  referrer: 'https://www.google.com/',
  landing_page: 'https://shop.example/pos?utm_source=google&utm_medium=cpc&gclid=Cj0KCQiA-gclid-1',
};
/** The same click under the handshake's (camelCase) names. */
const CLICK_AUTH = {
  utmSource: CLICK.utm_source,
  utmMedium: CLICK.utm_medium,
  utmCampaign: CLICK.utm_campaign,
  utmTerm: CLICK.utm_term,
  utmContent: CLICK.utm_content,
  gclid: CLICK.gclid,
  fbclid: CLICK.fbclid,
  msclkid: CLICK.msclkid,
  referrer: CLICK.referrer,
  landingPage: CLICK.landing_page,
};
const NONE = {
  utm_source: null,
  utm_medium: null,
  utm_campaign: null,
  utm_term: null,
  utm_content: null,
  gclid: null,
  fbclid: null,
  msclkid: null,
  referrer: null,
  landing_page: null,
};

afterEach(closeClients);

/** A chat socket's handshake with the given auth: the session the server put it in. */
const handshake = (url: string, auth: Record<string, unknown>) => openVisitor(url, { auth }).hello();

/** A local HTTP server standing in for the CRM: every JSON body it receives. */
async function receiver(): Promise<{ url: string; bodies: Json[]; server: Server }> {
  const bodies: Json[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      bodies.push(JSON.parse(body));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, server };
}

async function answerAll(engine: ConversationEngine, id: string) {
  await engine.handle(id, { kind: 'reply', optionIds: ['yes'] });
  await engine.handle(id, { kind: 'answer', questionId: 2, text: 'Restaurant / Café' });
  await engine.handle(id, { kind: 'answer', questionId: 3, text: 'Koramangala, Bengaluru' });
  await engine.handle(id, { kind: 'answer', questionId: 4, text: '6–15' });
  await engine.handle(id, { kind: 'answer', questionId: 5, text: '₹2L – ₹5L' });
  return engine.handle(id, { kind: 'answer', questionId: 6, text: 'QR Payments, Inventory' });
}

describe('attribution', () => {
  let t: TestApp;
  let crm: Awaited<ReturnType<typeof receiver>>;

  beforeAll(async () => {
    crm = await receiver();
    t = await startTestApp({ API_KEYS: API_KEY, WEBHOOK_URL: `${crm.url}/crm`, NOTIFY_POLL_SECONDS: '1' });
  });
  afterAll(async () => {
    await t?.close();
    await new Promise((r) => crm?.server.close(r));
  });

  async function call(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${t.app.url}${path}`, {
      method,
      headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  it('a REST start keeps the whole click as the first touch: summary and CRM export', async () => {
    const started = await call('POST', '/api/session/start', CLICK);
    expect(started.status).toBe(200);
    const id = started.body.session_id as string;

    const summary = await call('GET', `/api/lead/summary/${id}`);
    expect(summary.body.utm_source).toBe('google');
    expect(summary.body.attribution).toEqual({ first: CLICK, last: { ...CLICK, at: null } });

    const exported = await call('GET', `/api/lead/export/${id}`);
    const keys = Object.keys(exported.body);
    // The seed's keys first and unchanged; the attribution keys after them, then the score's parts and
    // the workflow's custom fields.
    expect(keys.indexOf('assigned_to')).toBe(13);
    expect(keys.slice(14)).toEqual([
      'callback_at',
      'utm_medium',
      'utm_campaign',
      'utm_term',
      'utm_content',
      'gclid',
      'fbclid',
      'msclkid',
      'referrer',
      'landing_page',
      'last_utm_source',
      'last_utm_medium',
      'last_utm_campaign',
      'last_utm_term',
      'last_utm_content',
      'last_gclid',
      'last_fbclid',
      'last_msclkid',
      'last_referrer',
      'last_landing_page',
      'last_touch_at',
      'fit_score',
      'engagement_score',
      'custom_fields',
    ]);
    expect(exported.body).toMatchObject({ ...CLICK, last_gclid: CLICK.gclid, last_touch_at: null });
  });

  it('a socket handshake keeps the whole click; a returning visitor with a new click moves the last touch only', async () => {
    const hello = await handshake(t.app.url, CLICK_AUTH);
    expect(hello.resumed).toBe(false);
    const id = hello.sessionId;
    expect((await call('GET', `/api/lead/summary/${id}`)).body.attribution.first).toEqual(CLICK);

    // The same visit reconnecting: nothing new, nothing recorded.
    await handshake(t.app.url, { sessionId: id, ...CLICK_AUTH });
    const touches = async () =>
      (await t.db.query(
        `select data from session_events where lead_id = $1 and data -> 'command' ->> 'kind' = 'touch' order by seq`,
        [id],
      )) as { data: Json }[];
    expect(await touches()).toEqual([]);

    // Back a week later from a newsletter.
    const back = { utmSource: 'newsletter', utmMedium: 'email', landingPage: 'https://shop.example/pricing' };
    const resumed = await handshake(t.app.url, { sessionId: id, ...back });
    expect(resumed).toMatchObject({ sessionId: id, resumed: true });
    const { attribution } = (await call('GET', `/api/lead/summary/${id}`)).body;
    expect(attribution.first).toEqual(CLICK);
    expect(attribution.last).toMatchObject({
      ...NONE,
      utm_source: 'newsletter',
      utm_medium: 'email',
      landing_page: 'https://shop.example/pricing',
    });
    expect(Date.parse(attribution.last.at)).not.toBeNaN();
    // Recorded in the session's log as the visitor's event, once.
    const logged = await touches();
    expect(logged).toHaveLength(1);
    expect(logged[0]!.data.command.touch).toEqual({
      utm_source: 'newsletter',
      utm_medium: 'email',
      landing_page: 'https://shop.example/pricing',
    });
    await handshake(t.app.url, { sessionId: id, ...back });
    expect(await touches()).toHaveLength(1);
    // The lead lists still see the first touch's source (filters and analytics group by it).
    const [row] = (await t.db.query('select utm_source, utm_medium from leads where id = $1', [
      id,
    ])) as Json[];
    expect(row).toEqual({ utm_source: 'google', utm_medium: 'cpc' });
  });

  it('an ended conversation still takes a returning visitor’s last touch', async () => {
    const { engine } = t.app;
    const s = await engine.startSession({ attribution: { utm_source: 'google' } });
    await engine.handle(s.sessionId, { kind: 'reply', optionIds: ['no'] });
    const resumed = await handshake(t.app.url, { sessionId: s.sessionId, utmSource: 'retargeting' });
    expect(resumed).toMatchObject({ resumed: true, state: 'declined' });
    const { attribution } = (await call('GET', `/api/lead/summary/${s.sessionId}`)).body;
    expect(attribution.first.utm_source).toBe('google');
    expect(attribution.last.utm_source).toBe('retargeting');
  });

  it('filters the lead list by first-touch medium and campaign, and exports the touches as CSV and NDJSON', async () => {
    const { engine } = t.app;
    const campaign = `filter_${Date.now()}`;
    const email = await engine.startSession({
      attribution: { utm_source: 'newsletter', utm_medium: 'email-x', utm_campaign: campaign },
    });
    // A visitor-written value that a spreadsheet would run as a formula.
    const formula = await engine.startSession({
      attribution: {
        utm_source: 'partner',
        utm_medium: 'email-x',
        utm_campaign: '=HYPERLINK("https://evil.example","x")',
        referrer: '@SUM(1+1)',
      },
    });
    await engine.startSession({ attribution: { utm_source: 'google', utm_medium: 'cpc-x' } });

    const list = await call('GET', '/api/leads?utm_medium=email-x');
    expect(list.status).toBe(200);
    expect(list.body.leads.map((l: Json) => l.session_id).sort()).toEqual(
      [email.sessionId, formula.sessionId].sort(),
    );
    const byCampaign = await call('GET', `/api/leads?utm_campaign=${campaign}`);
    expect(byCampaign.body.leads.map((l: Json) => l.session_id)).toEqual([email.sessionId]);

    const csv = await fetch(`${t.app.url}/api/leads/export?format=csv&utm_medium=email-x`, { headers: auth });
    const rows = parse(await csv.text(), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(2);
    const f = rows.find((r) => r.session_id === formula.sessionId)!;
    expect(f.utm_campaign).toBe(`'=HYPERLINK("https://evil.example","x")`);
    expect(f.referrer).toBe(`'@SUM(1+1)`);
    expect(f.last_utm_campaign).toBe(`'=HYPERLINK("https://evil.example","x")`);
    expect(rows.find((r) => r.session_id === email.sessionId)).toMatchObject({
      utm_medium: 'email-x',
      utm_campaign: campaign,
    });

    const nd = await fetch(`${t.app.url}/api/leads/export?format=ndjson&utm_campaign=${campaign}`, {
      headers: auth,
    });
    const lines = (await nd.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Json);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      utm_source: 'newsletter',
      utm_medium: 'email-x',
      utm_campaign: campaign,
    });
  });

  it('groups analytics by first-touch source, medium and campaign', async () => {
    const { engine } = t.app;
    const campaign = `grouped_${Date.now()}`;
    const a = await engine.startSession({
      attribution: { utm_source: 'linkedin', utm_medium: 'social', utm_campaign: campaign },
    });
    await engine.startSession({
      attribution: { utm_source: 'linkedin', utm_medium: 'social', utm_campaign: campaign },
    });
    await answerAll(engine, a.sessionId);

    const leads = await call('GET', '/api/analytics/leads?days=1');
    const group = leads.body.by_campaign.find((g: Json) => g.utm_campaign === campaign);
    expect(group).toMatchObject({ utm_source: 'linkedin', utm_medium: 'social', leads: 2, sql_leads: 1 });
    expect(group.conversion_rate).toBe(0.5);
    const enhanced = await call('GET', '/api/analytics/enhanced?days=1');
    expect(enhanced.body.campaign_performance).toContainEqual(group);
  });

  it('sends the touches in the webhook body', async () => {
    const { engine } = t.app;
    const s = await engine.startSession({ attribution: { ...CLICK, utm_campaign: 'webhook_campaign' } });
    await answerAll(engine, s.sessionId);
    const body = await waitFor(
      'the webhook',
      () => crm.bodies.find((b) => b.data?.session_id === s.sessionId),
      10_000,
    );
    expect(body.data).toMatchObject({
      ...CLICK,
      utm_campaign: 'webhook_campaign',
      last_utm_campaign: 'webhook_campaign',
      last_gclid: CLICK.gclid,
    });
  });

  it('erasing a lead drops its touches (URLs may carry personal data) and keeps source, medium and campaign', async () => {
    const { engine } = t.app;
    const s = await engine.startSession({
      attribution: { ...CLICK, landing_page: 'https://shop.example/?email=asha@example.com' },
    });
    await handshake(t.app.url, {
      sessionId: s.sessionId,
      utmSource: 'newsletter',
      referrer: 'https://mail.example/asha',
    });
    await engine.erase(s.sessionId, 'admin');
    const [row] = (await t.db.query(
      `select utm_source, utm_medium, utm_campaign, first_touch, last_touch, last_touch_at from leads where id = $1`,
      [s.sessionId],
    )) as Json[];
    expect(row).toEqual({
      utm_source: 'google',
      utm_medium: 'cpc',
      utm_campaign: 'spring_sale',
      first_touch: null,
      last_touch: null,
      last_touch_at: null,
    });
    const logged = (await t.db.query(
      `select count(*)::int as n from session_events where lead_id = $1 and data::text like '%asha%'`,
      [s.sessionId],
    )) as { n: number }[];
    expect(logged[0]!.n).toBe(0);
  });

  it('refuses over-long values with 422 naming the field, at both doors', async () => {
    const long = await call('POST', '/api/session/start', { utm_campaign: 'x'.repeat(201) });
    expect(long.status).toBe(422);
    expect(long.body.error.code).toBe('validation_failed');
    expect(long.body.error.details.issues.map((i: Json) => i.path)).toEqual(['utm_campaign']);
    const url = await call('POST', '/api/session/start', {
      landing_page: `https://x.example/${'a'.repeat(2000)}`,
    });
    expect(url.status).toBe(422);
    expect(url.body.error.details.issues.map((i: Json) => i.path)).toEqual(['landing_page']);
    // At the limit is fine.
    expect((await call('POST', '/api/session/start', { referrer: 'r'.repeat(2000) })).status).toBe(200);
    const notText = await call('POST', '/api/session/start', { gclid: 12345 });
    expect(notText.status).toBe(422);
    expect(notText.body.error.details.issues.map((i: Json) => i.path)).toEqual(['gclid']);

    const err = (await openVisitor(t.app.url, { auth: { referrer: 'r'.repeat(2001) } }).refused()) as Json;
    expect(err).toBeInstanceOf(Error);
    expect(err.data.code).toBe('validation_failed');
    expect(err.data.details.issues.map((i: Json) => i.path)).toEqual(['referrer']);
  });
});
