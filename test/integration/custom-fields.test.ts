import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentTokens } from '../../src/agents/tokens.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { CUSTOM_ANSWERS, CUSTOM_VALUES, customFieldsWorkflow as workflow } from '../support/custom-fields.js';
import { bearer, http, type Json } from '../support/http.js';
import { Receiver, verifyWebhook } from '../support/receivers.js';
import { closeClients, openAgent, visitor } from '../support/sockets.js';
import { waitFor } from '../support/time.js';

/**
 * Custom questions and fields end to end, on a workflow with a custom-field question of every kind:
 * answers over the socket and over REST are stored typed in the lead's `custom_fields`; a bad value is
 * refused naming the field; the summary, the exports, the CSV (a column per field), the signed CRM
 * webhook and the agents' console show them; erasure clears them.
 */

const SECRET = 'custom-fields-secret-0123456789abcdef';
const API_KEY = 'custom-fields-api-key-0123456789';
const WEBHOOK_SECRET = 'custom-fields-webhook-secret';
const auth = bearer(API_KEY);

/** The built-in questions' answers, by label. */
const PROFILE_ANSWERS: [number, string][] = [
  [2, 'Restaurant / Café'],
  [3, 'Madurai'],
  [4, '6–15'],
  [5, '₹2L – ₹5L'],
  [6, 'QR Payments, Inventory'],
];

/** A typed value each custom question refuses, and the words of the refusal. */
const BAD: [questionId: number, typed: string, message: string][] = [
  [8, '2.5', 'table_count: a whole number from 1 to 500 was expected.'],
  [9, 'about 800', 'average_bill: a number of at least 0 was expected.'],
  [10, 'owner(at)example.com', 'owner_email: an e-mail address was expected.'],
  [11, '12345', 'owner_phone: a phone number was expected.'],
  [12, '2023-02-29', 'opened_on: a date written yyyy-mm-dd, from 1950-01-01 to 2030-12-31 was expected.'],
];

describe('custom fields', () => {
  const crm = new Receiver();
  let t: TestApp;
  let socketLead = '';
  let restLead = '';

  const api = (method: string, path: string, body?: Record<string, unknown>) =>
    http(t.app.url, method, path, body, auth);
  const leadRow = async (id: string) =>
    (await t.db.query<{ custom_fields: Json }>('select custom_fields from leads where id = $1', [id]))[0]!;

  beforeAll(async () => {
    await crm.start();
    t = await startTestApp(
      {
        SECRET_KEY: SECRET,
        API_KEYS: API_KEY,
        RATE_LIMIT_PER_MINUTE: '10000',
        WEBHOOK_URL: `${crm.url}/crm/leads`,
        WEBHOOK_SECRET,
        NOTIFICATION_ROUTES: 'webhook=completed',
        NOTIFY_POLL_SECONDS: '1',
      },
      { workflow },
    );
  });
  afterAll(async () => {
    closeClients();
    await t?.close();
    await crm.close();
  });

  it('over the socket: each typed answer is normalised and stored typed; a bad one is refused naming the field', async () => {
    const chat = await visitor(t.app.url);
    socketLead = chat.sessionId;
    await chat.say('visitor:reply', { optionIds: ['yes'] });
    for (const [, text] of PROFILE_ANSWERS) await chat.say('visitor:reply', { text });
    for (const [questionId, typed] of CUSTOM_ANSWERS) {
      const bad = BAD.find(([id]) => id === questionId);
      if (bad) {
        const error = await chat.fails(
          'visitor:reply',
          { clientMessageId: `bad-${questionId}`, text: bad[1] },
          'validation_failed',
        );
        expect(error.message).toBe(bad[2]);
        expect(error.details).toMatchObject({ questionId });
      }
      const prompt = chat.messages.at(-1)!;
      expect(prompt.questionId).toBe(questionId);
      const { type } = workflow.questions.find((q) => q.id === questionId)!;
      expect(prompt.input).toBe(type === 'single_choice' ? 'choice' : type);
      const ack = await chat.say('visitor:reply', { text: typed });
      // A long e-mail, phone or date is no detailed answer; only free text is.
      const detailed = ack.awarded.some((a) => a.behavior === 'detailed_answer');
      expect(detailed, `question ${questionId}`).toBe(questionId === 15);
    }
    expect(chat.messages.at(-1)!.step).toBe('contact');
    expect((await leadRow(socketLead)).custom_fields).toEqual(CUSTOM_VALUES);
    // The event log holds the normal form: what a replay reads back.
    const [logged] = await t.db.query<{ data: Json }>(
      `select data from session_events where lead_id = $1 and type = 'visitor.input' and data->'command'->>'text' = ' 24 '`,
      [socketLead],
    );
    expect(logged!.data.machineEvents[0]).toMatchObject({ questionId: 8, text: '24' });
  });

  it('over REST: /api/answer stores the same typed values and refuses a bad one with 422 validation_failed', async () => {
    const started = await http(t.app.url, 'POST', '/api/session/start', {});
    restLead = started.body.session_id;
    const answer = (question_id: number, answer_text: string) =>
      http(t.app.url, 'POST', '/api/answer', { session_id: restLead, question_id, answer_text });
    expect((await answer(1, 'Yes, go ahead')).status).toBe(200);
    for (const [id, text] of PROFILE_ANSWERS) expect((await answer(id, text)).status).toBe(200);
    for (const [id, typed, message] of BAD) {
      const refused = await answer(id, typed);
      expect(refused.status).toBe(422);
      expect(refused.body.error).toMatchObject({ code: 'validation_failed', message });
    }
    for (const [id, typed] of CUSTOM_ANSWERS) expect((await answer(id, typed)).status, `q${id}`).toBe(200);
    expect((await leadRow(restLead)).custom_fields).toEqual(CUSTOM_VALUES);
  });

  it('GET /api/questions lists the typed questions with their kinds', async () => {
    const list = await http(t.app.url, 'GET', '/api/questions');
    expect(list.status).toBe(200);
    const kinds = (list.body as { id: number; question_type: string }[])
      .filter((q) => q.id >= 8)
      .map((q) => q.question_type);
    expect(kinds).toEqual([
      'number',
      'number',
      'email',
      'phone',
      'date',
      'single_choice',
      'multi_choice',
      'text',
    ]);
  });

  it('the summary and the lead export show custom_fields', async () => {
    const summary = await http(t.app.url, 'GET', `/api/lead/summary/${restLead}`);
    expect(summary.body.custom_fields).toEqual(CUSTOM_VALUES);
    expect(summary.body.lead_data.custom_fields).toEqual(CUSTOM_VALUES);
    const exported = await http(t.app.url, 'GET', `/api/lead/export/${restLead}`);
    expect(exported.body.custom_fields).toEqual(CUSTOM_VALUES);
    const fresh = await http(t.app.url, 'POST', '/api/session/start', {});
    expect(
      (await http(t.app.url, 'GET', `/api/lead/summary/${fresh.body.session_id}`)).body.custom_fields,
    ).toEqual({});
  });

  it('the CSV has a column per custom field of the workflow, typed values as text, formulas guarded', async () => {
    const csv = await fetch(`${t.app.url}/api/leads/export?format=csv`, { headers: auth });
    const text = await csv.text();
    const [header] = text.split('\n');
    expect(header).toMatch(
      /,assigned_to,.*,last_touch_at,fit_score,engagement_score,custom_fields\.table_count,custom_fields\.average_bill,custom_fields\.owner_email,custom_fields\.owner_phone,custom_fields\.opened_on,custom_fields\.cuisine,custom_fields\.delivery_apps,custom_fields\.note,behavior_metadata$/,
    );
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    const row = rows.find((r) => r.session_id === restLead)!;
    expect(row).toMatchObject({
      'custom_fields.table_count': '24',
      'custom_fields.average_bill': '1250.5',
      'custom_fields.owner_email': 'owner@example.com',
      // A phone number in E.164 stays usable; visitor text that looks like a formula does not run.
      'custom_fields.owner_phone': '+919876543210',
      'custom_fields.opened_on': '2019-02-28',
      'custom_fields.cuisine': 'north_indian',
      'custom_fields.delivery_apps': 'swiggy; zomato',
      'custom_fields.note': `'=HYPERLINK("http://evil.example")`,
    });
    const empty = rows.find((r) => r.session_id !== restLead && r.session_id !== socketLead)!;
    expect(empty['custom_fields.table_count']).toBe('');

    const nd = await fetch(`${t.app.url}/api/leads/export?format=ndjson`, { headers: auth });
    const lines = (await nd.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { session_id: string; custom_fields: unknown });
    expect(lines.find((l) => l.session_id === socketLead)!.custom_fields).toEqual(CUSTOM_VALUES);
  });

  it('the signed CRM webhook carries custom_fields', async () => {
    const hit = await waitFor('the completed webhook of the REST lead', () =>
      crm.hits.find((h) => h.session === restLead && h.json?.type === 'lead.completed'),
    );
    expect(verifyWebhook(WEBHOOK_SECRET, hit.headers, hit.body)).toBe(true);
    expect(hit.json.data.custom_fields).toEqual(CUSTOM_VALUES);
  });

  it("the agents' console gets them with the lead it opens", async () => {
    const token = await new AgentTokens(SECRET).sign({ id: 'meena', name: 'Meena', role: 'agent' });
    const agent = openAgent(t.app.url, { auth: { token } });
    await agent.connected();
    const opened = await agent.ok('session:watch', { sessionId: socketLead });
    expect(opened.lead.custom_fields).toEqual(CUSTOM_VALUES);
  });

  it('erasure clears the custom fields (they may hold personal data)', async () => {
    expect((await api('DELETE', `/api/lead/${socketLead}`)).status).toBe(200);
    expect((await leadRow(socketLead)).custom_fields).toEqual({});
    const [hits] = await t.db.query<{ n: number }>(
      `select count(*)::int as n from session_events where lead_id = $1 and data::text like '%owner@example.com%'`,
      [socketLead],
    );
    expect(hits!.n).toBe(0);
  });
});
