import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { FakeOdoo } from '../support/fake-odoo.js';
import { waitFor } from '../support/time.js';
import { SEED_CRM_KEYS } from '../support/wire.js';

/**
 * Every client of the earlier (Python) service keeps working: each call its two versions documented —
 * v1 (Flask) and the calls v2 (FastAPI) added — replayed over real HTTP with the bodies as they
 * documented them, against a server as `npm start` runs it (the built-in experiments on), with the
 * answers those clients read and the errors they get for bad input (our error table: `{ error: { code,
 * message } }`, 422 for a bad body as in v2, where v1 said 400).
 */

const API_KEY = 'compat-test-api-key-0123456789';
const auth = { authorization: `Bearer ${API_KEY}` };
const SESSION_ID = /^sess_[0-9a-f]{32}$/;
const UNKNOWN_SESSION = `sess_${'0123456789abcdef'.repeat(2)}`;
const GREETINGS = { A: 'Hi! Welcome to YouShop!', B: '🔥 Transform your business with YouShop!' };
const ORDERS = { A: [2, 3, 4, 5, 6], B: [4, 2, 3, 5, 6] };
const QUESTION_KEYS = ['id', 'step', 'question_text', 'question_type', 'options', 'required', 'order_index'];

type Json = Record<string, unknown>;
interface Answer {
  status: number;
  body: Json & { error?: { code: string; message: string } };
}

let t: TestApp;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${t.app.url}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined } as Answer;
}
const post = (path: string, body: unknown, headers?: Record<string, string>) =>
  call('POST', path, body, headers);
const get = (path: string, headers?: Record<string, string>) => call('GET', path, undefined, headers);

/** The one error shape, with its code. */
function expectError(r: Answer, status: number, code: string): void {
  expect({ status: r.status, code: r.body?.error?.code }, JSON.stringify(r.body)).toEqual({ status, code });
  expect(Object.keys(r.body)).toEqual(['error']);
  expect(typeof r.body.error?.message).toBe('string');
}

async function start(utmSource?: string): Promise<{ id: string; greeting: Json }> {
  const r = await post('/api/session/start', utmSource === undefined ? {} : { utm_source: utmSource });
  expect(r.status).toBe(200);
  return { id: r.body.session_id as string, greeting: r.body.greeting as Json };
}

/** The session's variants, as a client of either version asks for them. */
async function variants(id: string): Promise<{ greeting: 'A' | 'B'; flow: 'A' | 'B' }> {
  const greeting = await post('/api/ab-test/variant/greeting_message', { session_id: id });
  const flow = await post('/api/ab-test/variant/question_flow', { session_id: id });
  return { greeting: greeting.body.variant as 'A' | 'B', flow: flow.body.variant as 'A' | 'B' };
}

async function events(id: string, type: string): Promise<Json[]> {
  return (await t.db.query('select data from session_events where lead_id = $1 and type = $2 order by seq', [
    id,
    type,
  ])) as Json[];
}

/** Odoo, as /api/lead/sync-odoo pushes to it (test/support/fake-odoo.ts). */
const odoo = new FakeOdoo('compat', 'bot@example.com', 'compat-odoo-api-key-0123456789', 2);

beforeAll(async () => {
  await odoo.start();
  t = await startTestApp({
    // As `npm start` runs it: the built-in experiments on.
    AB_TESTING_ENABLED: 'true',
    API_KEYS: API_KEY,
    RATE_LIMIT_PER_MINUTE: '100000',
    WEBHOOK_URL: 'http://127.0.0.1:9/',
    ODOO_URL: odoo.url,
    ODOO_DB: 'compat',
    ODOO_UID: '2',
    ODOO_API_KEY: 'compat-odoo-api-key-0123456789',
    NOTIFY_POLL_SECONDS: '1',
  });
});
afterAll(async () => {
  await t?.close();
  await odoo.close();
});

describe('v1 (Flask): every documented call', () => {
  it("a visitor's journey: session, questions, answers, behaviour with metadata, profile, summary, export, score", async () => {
    const started = await post('/api/session/start', { utm_source: 'facebook' });
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({
      message: expect.any(String),
      session_id: expect.stringMatching(SESSION_ID),
    });
    const id = started.body.session_id as string;

    const questions = await get('/api/questions');
    expect(questions.status).toBe(200);
    const list = questions.body as unknown as Json[];
    expect(list.map((q) => q.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    for (const q of list) expect(Object.keys(q).sort()).toEqual([...QUESTION_KEYS].sort());

    // Answers by question id, in the order the client shows them; every one is taken whatever the
    // session's question_flow variant asks first.
    const answers: [number, string, number | undefined, number][] = [
      [1, 'Yes, go ahead', undefined, 5],
      [2, 'Kirana / Retail Shop', 4, 10],
      [3, 'Indore, Madhya Pradesh', 12, 15],
      [4, '2–5', undefined, 10],
      [5, '₹50K – ₹2L', 3, 10],
      [6, 'Billing / Invoicing, Inventory', undefined, 20],
    ];
    let score = 5;
    for (const [question_id, answer_text, time_taken, earned] of answers) {
      const r = await post('/api/answer', {
        session_id: id,
        question_id,
        answer_text,
        ...(time_taken === undefined ? {} : { time_taken }),
      });
      score += earned;
      expect({ question_id, status: r.status, body: r.body }).toMatchObject({
        question_id,
        status: 200,
        body: {
          message: 'Answer recorded',
          score_earned: earned,
          lead_score: score,
          lead_type: score >= 60 ? 'SQL' : score >= 30 ? 'MQL' : 'Unqualified',
        },
      });
    }

    // metadata is any object; it is stored with the event and changes no points.
    const behavior = await post('/api/behavior', {
      session_id: id,
      action: 'clicked_pricing',
      metadata: { page: '/pricing' },
    });
    expect(behavior).toMatchObject({ status: 200, body: { message: expect.any(String), score_change: 10 } });
    const inputs = await events(id, 'visitor.input');
    expect(inputs.at(-1)).toMatchObject({
      data: { command: { kind: 'action', action: 'clicked_pricing', metadata: { page: '/pricing' } } },
    });

    const profile = await post('/api/lead/profile', {
      session_id: id,
      profile_data: { name: 'Ravi Kumar', email: 'ravi@example.com', phone: '9876543210' },
    });
    expect(profile).toMatchObject({ status: 200, body: { message: 'Profile updated', score_earned: 10 } });
    score += 20;

    const fields = {
      name: 'Ravi Kumar',
      email: 'ravi@example.com',
      phone: '+919876543210',
      business_type: 'Kirana / Retail Shop',
      location: 'Indore, Madhya Pradesh',
      staff_size: '2–5',
      monthly_sales: '₹50K – ₹2L',
      features_interested: ['Billing / Invoicing', 'Inventory'],
      lead_score: score,
    };
    // The code's flat keys and the README's nested lead_data, both.
    const summary = await get(`/api/lead/summary/${id}`);
    expect(summary.status).toBe(200);
    expect(summary.body).toMatchObject({
      session_id: id,
      ...fields,
      lead_type: 'SQL',
      utm_source: 'facebook',
      lead_data: { ...fields, classification: 'SQL' },
    });

    const exported = await get(`/api/lead/export/${id}`);
    expect(exported.status).toBe(200);
    // The seed's keys, in its order; the attribution keys follow them.
    expect(Object.keys(exported.body).slice(0, 14)).toEqual(SEED_CRM_KEYS);
    // Beside the owner, the time an after-hours visitor asked to be called back; then the attribution.
    expect(Object.keys(exported.body).slice(14, 17)).toEqual(['callback_at', 'utm_medium', 'utm_campaign']);
    expect(exported.body).toMatchObject({ name: 'Ravi Kumar', lead_score: score, lead_type: 'SQL' });

    expect(await get(`/api/score/${id}`)).toMatchObject({
      status: 200,
      body: { lead_score: score, lead_type: 'SQL' },
    });
  });

  it('the catalogue and the health probe', async () => {
    for (const path of ['/api/product-menu', '/api/cta-options']) {
      const r = await get(path);
      expect(r.status, path).toBe(200);
      const items = r.body as unknown as Json[];
      expect(items.length, path).toBeGreaterThan(0);
      for (const item of items)
        expect(Object.keys(item).sort()).toEqual(['description', 'id', 'score', 'title']);
    }
    expect(await get('/health')).toMatchObject({ status: 200, body: { status: 'healthy' } });
  });

  it('A/B tests: its two experiments, the variant call, conversions with the variant, results', async () => {
    const { id, greeting } = await start();
    const variant = await post('/api/ab-test/variant/greeting_message', { session_id: id });
    expect(variant.status).toBe(200);
    const assigned = variant.body.variant as 'A' | 'B';
    expect(variant.body).toEqual({
      test_name: 'greeting_message',
      variant: assigned,
      config: { text: GREETINGS[assigned] },
    });
    // The variant really drives the greeting.
    expect(greeting.text).toBe(GREETINGS[assigned]);
    const flow = await post('/api/ab-test/variant/question_flow', { session_id: id });
    expect(flow.body).toEqual({
      test_name: 'question_flow',
      variant: flow.body.variant,
      config: { order: ORDERS[flow.body.variant as 'A' | 'B'] },
    });

    // All four fields, as v1 required them.
    const conversion = {
      session_id: id,
      test_name: 'greeting_message',
      variant: assigned,
      conversion_type: 'signup',
    };
    expect(await post('/api/ab-test/conversion', conversion)).toMatchObject({
      status: 200,
      body: { message: 'Conversion recorded', variant: assigned, recorded: true },
    });
    // A variant that is not the session's is not trusted: the assignment's is recorded.
    const other = assigned === 'A' ? 'B' : 'A';
    const claimed = { ...conversion, variant: other, conversion_type: 'purchase', conversion_value: 499 };
    expect(await post('/api/ab-test/conversion', claimed)).toMatchObject({
      status: 200,
      body: { variant: assigned, recorded: true },
    });
    const results = await get('/api/ab-test/results?test_name=greeting_message', auth);
    expect(results.status).toBe(200);
    const rows = results.body.variants as {
      variant: string;
      sessions: number;
      reported_variant_mismatches: number;
    }[];
    expect(rows.map((r) => r.variant)).toEqual(['A', 'B']);
    expect(rows.find((r) => r.variant === assigned)!.reported_variant_mismatches).toBe(1);
    expect(rows.reduce((n, r) => n + r.sessions, 0)).toBeGreaterThan(0);

    // What v1 answered 400 "Missing required fields" for is 422 validation_failed here.
    const { conversion_type: _, ...missing } = conversion;
    expectError(await post('/api/ab-test/conversion', missing), 422, 'validation_failed');
    expectError(await post('/api/ab-test/variant/not_a_test', { session_id: id }), 404, 'not_found');
    expectError(
      await post('/api/ab-test/conversion', { ...conversion, session_id: UNKNOWN_SESSION }),
      404,
      'session_not_found',
    );
    expectError(await get('/api/ab-test/results?test_name=greeting_message'), 401, 'unauthorized');
  });

  it('the dashboard calls (authenticated): lead lists, analytics, notifications', async () => {
    const { id } = await start('newsletter');
    for (const path of ['/api/leads/list', '/api/leads/dashboard']) {
      const leads = await get(`${path}?utm_source=newsletter`, auth);
      expect(leads, path).toMatchObject({ status: 200, body: { count: 1 } });
      expect((leads.body.leads as Json[])[0]).toMatchObject({ session_id: id, utm_source: 'newsletter' });
    }

    const analytics = await get('/api/analytics/leads', auth);
    expect(analytics.status).toBe(200);
    for (const key of [
      'total_leads',
      'sql_leads',
      'mql_leads',
      'unqualified_leads',
      'conversion_rate',
      'average_score',
      'completion_rate',
    ])
      expect(typeof analytics.body[key], key).toBe('number');
    const enhanced = await get('/api/analytics/enhanced', auth);
    expect(Object.keys(enhanced.body)).toEqual(
      expect.arrayContaining(['conversion_metrics', 'funnel', 'channel_performance', 'recent_hot_leads']),
    );

    for (const path of ['/api/notifications/send', '/api/lead/notify']) {
      expect(await post(path, { session_id: id }, auth), path).toMatchObject({
        status: 200,
        body: { message: expect.any(String), notification_ids: [expect.any(Number)] },
      });
      expectError(await post(path, { session_id: id }), 401, 'unauthorized');
    }
    for (const path of [
      '/api/leads/list',
      '/api/leads/dashboard',
      '/api/analytics/leads',
      '/api/analytics/enhanced',
    ])
      expectError(await get(path), 401, 'unauthorized');
  });

  it('bad input gets a code, and the v1 routes keep rejecting fields they do not know', async () => {
    const { id } = await start();
    expectError(await get(`/api/lead/summary/${UNKNOWN_SESSION}`), 404, 'session_not_found');
    expectError(await get('/api/lead/summary/not-a-session'), 422, 'validation_failed');
    expectError(await get(`/api/score/${UNKNOWN_SESSION}`), 404, 'session_not_found');
    expectError(await get(`/api/lead/export/${UNKNOWN_SESSION}`), 404, 'session_not_found');
    expectError(
      await post('/api/answer', { session_id: id, question_id: 1, answer_text: 'Maybe' }),
      422,
      'invalid_option',
    );
    expectError(
      await post('/api/answer', { session_id: id, question_id: 2, answer_text: 'Other', extra: 1 }),
      422,
      'validation_failed',
    );
    expectError(await post('/api/answer', { session_id: id, question_id: 2 }), 422, 'validation_failed');
    expectError(
      await post('/api/behavior', { session_id: id, action: 'session_opened' }),
      422,
      'derived_behavior',
    );
    expectError(
      await post('/api/behavior', { session_id: id, action: 'clicked_pricing', metadata: 'pricing' }),
      422,
      'validation_failed',
    );
    // v2 let profile_data set any attribute, lead_score included; here it is refused.
    expectError(
      await post('/api/lead/profile', { session_id: id, profile_data: { name: 'Eve', lead_score: 100 } }),
      422,
      'validation_failed',
    );
    const [lead] = await t.db.query('select score from leads where id = $1', [id]);
    expect(lead).toEqual({ score: 5 });
  });
});

describe('v2 (FastAPI): the calls it added', () => {
  it('next-question and answer-with-conditional walk the session in its own question order; skip-question passes the contact form', async () => {
    const { id } = await start();
    const { greeting, flow } = await variants(id);
    // Its clients send null for a field they leave out.
    const first = await post('/api/next-question', { session_id: id, last_question_id: null });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      id: 1,
      step: 'greeting',
      question_text: GREETINGS[greeting],
      required: true,
    });
    expect(Object.keys(first.body).sort()).toEqual([...QUESTION_KEYS].sort());

    const yes = await post('/api/answer-with-conditional', {
      session_id: id,
      question_id: 1,
      answer_text: 'Yes, go ahead',
    });
    expect(yes.status).toBe(200);
    expect(yes.body).toMatchObject({
      message: 'Answer recorded',
      score_earned: 5,
      lead_score: 10,
      lead_type: 'Unqualified',
      conditional_response: {
        type: 'continue_flow',
        session_ended: false,
        next_question: { questionId: ORDERS[flow][0] },
      },
    });

    // The client asks what is next and answers it, until the questions are behind it.
    const asked: number[] = [];
    const answerFor: Record<number, string> = {
      2: 'Other',
      3: 'Pune',
      4: 'Just me',
      5: '₹5L+',
      6: 'QR Payments',
    };
    let last: number | null = 1;
    for (;;) {
      const next = await post('/api/next-question', { session_id: id, last_question_id: last });
      expect(next.status).toBe(200);
      const qid = next.body.id as number;
      if (qid === 7) break;
      asked.push(qid);
      expect(next.body).toMatchObject({ required: true, question_text: expect.any(String) });
      const r = await post('/api/answer-with-conditional', {
        session_id: id,
        question_id: qid,
        answer_text: answerFor[qid],
      });
      expect(r.body.conditional_response).toMatchObject({ type: 'continue_flow', session_ended: false });
      last = qid;
    }
    expect(asked).toEqual(ORDERS[flow]);

    // The contact form is optional: skipped for question_skipped, 0 points; then the CTAs ask no question.
    const skip = await post('/api/skip-question', { session_id: id, skip_reason: 'later' });
    expect(skip).toMatchObject({
      status: 200,
      body: { message: 'Question skipped', score_change: 0, next_question: { step: 'cta' } },
    });
    expect((await post('/api/next-question', { session_id: id })).body).toBeNull();
    const summary = await get(`/api/lead/summary/${id}`);
    expect(summary.body.behaviors).toContainEqual({
      action: 'question_skipped',
      score: 0,
      at: expect.any(String),
    });
    const inputs = await events(id, 'visitor.input');
    expect(inputs.at(-1)).toMatchObject({ data: { command: { kind: 'skip', reason: 'later' } } });
  });

  it('answer-with-conditional tells an info response and a thank-you response apart', async () => {
    const about = await start();
    const info = await post('/api/answer-with-conditional', {
      session_id: about.id,
      question_id: 1,
      answer_text: 'What is this about?',
    });
    expect(info.body.conditional_response).toMatchObject({
      type: 'info_response',
      content: expect.stringContaining('YouShop'),
      next_question: { step: expect.any(String), questionId: expect.any(Number) },
      session_ended: false,
    });
    const declined = await start();
    const bye = await post('/api/answer-with-conditional', {
      session_id: declined.id,
      question_id: 1,
      answer_text: 'No thanks',
    });
    expect(bye.body.conditional_response).toEqual({
      type: 'thank_you_response',
      content: 'No problem! If you change your mind, just say hi. Have a great day.',
      next_question: null,
      session_ended: true,
    });
    expect((await post('/api/next-question', { session_id: declined.id })).body).toBeNull();
    expectError(
      await post('/api/answer-with-conditional', {
        session_id: declined.id,
        question_id: 2,
        answer_text: 'Other',
      }),
      409,
      'session_closed',
    );
  });

  it('skip-question: a required question is 409 required_question, and nothing is written', async () => {
    const { id } = await start();
    const footprint = async () =>
      (await t.db.query('select version, score from leads where id = $1', [id]))[0];
    const before = await footprint();
    // v2 says no question: the one the bot waits on, the greeting, is required.
    expectError(
      await post('/api/skip-question', { session_id: id, skip_reason: 'no time' }),
      409,
      'required_question',
    );
    await post('/api/answer', { session_id: id, question_id: 1, answer_text: 'Yes, go ahead' });
    const asked = await footprint();
    expect(asked).not.toEqual(before);
    expectError(await post('/api/skip-question', { session_id: id }), 409, 'required_question');
    expectError(
      await post('/api/skip-question', { session_id: id, question_id: 3 }),
      409,
      'required_question',
    );
    expectError(
      await post('/api/skip-question', { session_id: id, question_id: 42 }),
      422,
      'unknown_question',
    );
    // The contact form, before the contact step.
    expectError(await post('/api/skip-question', { session_id: id, question_id: 7 }), 409, 'invalid_state');
    expectError(
      await post('/api/skip-question', { session_id: id, question_id: 'three' }),
      422,
      'validation_failed',
    );
    expectError(await post('/api/skip-question', { session_id: UNKNOWN_SESSION }), 404, 'session_not_found');
    expect(await footprint()).toEqual(asked);
  });

  it('behavior/actions lists what a client may report, with the points; each is taken by /api/behavior', async () => {
    const r = await get('/api/behavior/actions');
    expect(r).toEqual({
      status: 200,
      body: {
        actions: ['clicked_product', 'clicked_demo', 'clicked_pricing', 'cta_clicked'],
        points: { clicked_product: 5, clicked_demo: 15, clicked_pricing: 10, cta_clicked: 15 },
      },
    });
    const { id } = await start();
    let score = 5;
    for (const action of r.body.actions as string[]) {
      const reported = await post('/api/behavior', { session_id: id, action });
      score += (r.body.points as Record<string, number>)[action]!;
      expect({ action, ...reported.body }).toMatchObject({ action, lead_score: score });
    }
  });

  it('the later variant call: the test in the body, greeting_message by default', async () => {
    const { id, greeting } = await start();
    const r = await post('/api/ab-test/variant', { session_id: id });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ test_name: 'greeting_message', variant: expect.stringMatching(/^[AB]$/) });
    expect(greeting.text).toBe(GREETINGS[r.body.variant as 'A' | 'B']);
    const flow = await post('/api/ab-test/variant', { session_id: id, test_name: 'question_flow' });
    expect(flow.body).toMatchObject({ test_name: 'question_flow', config: { order: expect.any(Array) } });
    expectError(await post('/api/ab-test/variant', { session_id: id, test_name: 'nope' }), 404, 'not_found');
    expectError(await post('/api/ab-test/variant', {}), 422, 'validation_failed');
  });

  it('session/exit records the exit with where the conversation stood, and early_dropout once', async () => {
    const { id } = await start();
    await post('/api/answer', { session_id: id, question_id: 1, answer_text: 'Yes, go ahead' });
    const exit = {
      session_id: id,
      exit_reason: 'closed_widget',
      exit_question_id: 2,
      exit_page: '/pricing',
      last_action: 'answered_greeting',
      metadata: { scroll: 0.6, device: { kind: 'mobile' } },
    };
    const r = await post('/api/session/exit', exit);
    expect(r).toEqual({
      status: 200,
      body: {
        message: 'Exit recorded',
        exit_id: expect.stringMatching(new RegExp(`^${id}:\\d+$`)),
        score_change: -10,
        lead_score: 0,
        lead_type: 'Unqualified',
      },
    });
    const { flow } = await variants(id);
    const recorded = (await events(id, 'visitor.input')).at(-1);
    expect(recorded).toMatchObject({
      data: {
        command: {
          kind: 'exit',
          reason: 'closed_widget',
          questionId: 2,
          page: '/pricing',
          lastAction: 'answered_greeting',
          metadata: exit.metadata,
        },
        exit: { step: 'questions', questionId: ORDERS[flow][0] },
      },
    });
    // Once: a second exit is recorded and costs nothing more.
    const again = await post('/api/session/exit', {
      session_id: id,
      exit_reason: 'tab_closed',
      exit_page: null,
    });
    expect(again.body).toMatchObject({ message: 'Exit recorded', score_change: 0, lead_score: 0 });
    expect(again.body.exit_id).not.toBe(r.body.exit_id);
    const [lead] = await t.db.query('select state, score from leads where id = $1', [id]);
    expect(lead).toEqual({ state: 'abandoned', score: 0 });
    // A retry with the same Idempotency-Key names the same exit and records nothing more.
    const key = { 'Idempotency-Key': 'exit-once' };
    const once = await post('/api/session/exit', { session_id: id, exit_reason: 'retry' }, key);
    const twice = await post('/api/session/exit', { session_id: id, exit_reason: 'retry' }, key);
    expect(twice.body).toEqual({ ...once.body, message: 'Exit already recorded' });

    expectError(await post('/api/session/exit', { session_id: id }), 422, 'validation_failed');
    expectError(
      await post('/api/session/exit', { session_id: id, exit_reason: '  ' }),
      422,
      'validation_failed',
    );
    expectError(
      await post('/api/session/exit', {
        session_id: id,
        exit_reason: 'x',
        metadata: { a: { b: { c: { d: { e: 1 } } } } },
      }),
      422,
      'validation_failed',
    );
    expectError(
      await post('/api/session/exit', { session_id: UNKNOWN_SESSION, exit_reason: 'x' }),
      404,
      'session_not_found',
    );
  });

  it('its bodies: fields it did not know are ignored, as its models ignored them; the v1 routes keep refusing them', async () => {
    const { id } = await start();
    const extra = { client_version: '2.3.1', widget: { theme: 'dark' } };
    expect((await post('/api/next-question', { session_id: id, last_question_id: 1, ...extra })).status).toBe(
      200,
    );
    expect((await post('/api/ab-test/variant', { session_id: id, ...extra })).status).toBe(200);
    const answered = await post('/api/answer-with-conditional', {
      session_id: id,
      question_id: 1,
      answer_text: 'Yes, go ahead',
      ...extra,
    });
    expect(answered.status).toBe(200);
    const inputs = await events(id, 'visitor.input');
    expect(JSON.stringify(inputs)).not.toContain('client_version');
    expectError(
      await post('/api/answer', { session_id: id, question_id: 2, answer_text: 'Other', ...extra }),
      422,
      'validation_failed',
    );
    // A field it knows is still checked.
    expectError(
      await post('/api/answer-with-conditional', { session_id: id, question_id: 2, answer_text: '' }),
      422,
      'validation_failed',
    );
    expectError(await post('/api/next-question', { last_question_id: 1 }), 422, 'validation_failed');
    expectError(await post('/api/next-question', { session_id: UNKNOWN_SESSION }), 404, 'session_not_found');
  });

  it('POST /api/tracking/page-entry, /api/tracking/page-exit, GET /api/tracking/journey/:session_id: the page trail with the times the server measured', async () => {
    const { id } = await start();
    const home = await post('/api/tracking/page-entry', { session_id: id, page_identifier: '/home' });
    expect(home.status, JSON.stringify(home.body)).toBe(200);
    // session_opened's points; a page view earns nothing unless the workflow names a page rule.
    expect(home.body).toEqual({ page_tracking_id: expect.any(String), score_change: 0, lead_score: 5 });
    const [homeSeq] = (home.body.page_tracking_id as string).split(':').slice(1).map(Number);
    expect(home.body.page_tracking_id).toBe(`${id}:${homeSeq}`);
    await new Promise((r) => setTimeout(r, 150));
    const pricing = await post('/api/tracking/page-entry', {
      session_id: id,
      page_url: 'https://shop.example/pricing?plan=pro',
      page_type: 'pricing',
      question_id: null,
      metadata: { referrer: '/home' },
      client_version: '2.3.1',
    });
    expect(pricing.status).toBe(200);
    // The page is where the board says the visitor is now.
    const [lead] = await t.db.query('select current_page, score from leads where id = $1', [id]);
    expect(lead).toEqual({ current_page: 'https://shop.example/pricing?plan=pro', score: 5 });
    await new Promise((r) => setTimeout(r, 250));
    const left = await post('/api/tracking/page-exit', {
      page_tracking_id: pricing.body.page_tracking_id,
      exit_time: '2020-01-01T00:00:00Z',
    });
    expect(left.status, JSON.stringify(left.body)).toBe(200);
    expect(left.body.success).toBe(true);
    // Measured by the server, whatever exit_time the client sent.
    expect(left.body.time_on_page_seconds).toBeGreaterThanOrEqual(0.24);
    expect(left.body.time_on_page_seconds).toBeLessThan(10);
    // Left once: a second exit reports the same time and records nothing.
    const inputs = (await events(id, 'visitor.input')).length;
    const again = await post('/api/tracking/page-exit', { page_tracking_id: pricing.body.page_tracking_id });
    expect(again.body).toEqual(left.body);
    expect((await events(id, 'visitor.input')).length).toBe(inputs);
    // The first page was left when the second was entered.
    const first = await post('/api/tracking/page-exit', { page_tracking_id: home.body.page_tracking_id });
    expect(first.body.time_on_page_seconds).toBeGreaterThanOrEqual(0.14);

    const journey = await get(`/api/tracking/journey/${id}`);
    expect(journey.status).toBe(200);
    expect(journey.body).toMatchObject({
      session_id: id,
      total_pages: 2,
      pages: [
        {
          page_tracking_id: home.body.page_tracking_id,
          page_url: '/home',
          title: null,
          page_type: null,
          time_on_page_seconds: first.body.time_on_page_seconds,
        },
        {
          page_tracking_id: pricing.body.page_tracking_id,
          page_url: 'https://shop.example/pricing?plan=pro',
          page_type: 'pricing',
          time_on_page_seconds: left.body.time_on_page_seconds,
        },
      ],
    });
    const pages = journey.body.pages as Json[];
    expect(pages[0]!.exited_at).toBe(pages[1]!.entered_at);

    expectError(await post('/api/tracking/page-entry', { session_id: id }), 422, 'validation_failed');
    expectError(
      await post('/api/tracking/page-entry', { session_id: id, page_url: `/${'x'.repeat(2000)}` }),
      422,
      'validation_failed',
    );
    expectError(
      await post('/api/tracking/page-entry', { session_id: UNKNOWN_SESSION, page_url: '/home' }),
      404,
      'session_not_found',
    );
    expectError(await post('/api/tracking/page-exit', { page_tracking_id: 'abc' }), 422, 'validation_failed');
    // An entry of the log that is no page view.
    expectError(await post('/api/tracking/page-exit', { page_tracking_id: `${id}:1` }), 404, 'not_found');
    expectError(
      await post('/api/tracking/page-exit', { page_tracking_id: `${UNKNOWN_SESSION}:2` }),
      404,
      'session_not_found',
    );
    expectError(await get(`/api/tracking/journey/${UNKNOWN_SESSION}`), 404, 'session_not_found');
  });

  it('GET /api/analytics/drop-off-points and /api/analytics/page-performance: from the exits and page views, in SQL, authenticated', async () => {
    // Only this test's leads: the ones before it (their exits too) were created earlier.
    const from = new Date().toISOString();
    const { id: a } = await start();
    const { id: b } = await start();
    await post('/api/tracking/page-entry', { session_id: a, page_url: '/compat-home' });
    await post('/api/tracking/page-entry', { session_id: b, page_url: '/compat-home' });
    // The gaps are wide apart (0.6 s against 0.1 s) so that a loaded machine's slow requests cannot
    // blur which event ended a view.
    await new Promise((r) => setTimeout(r, 600));
    const pricing = await post('/api/tracking/page-entry', { session_id: a, page_url: '/compat-pricing' });
    await new Promise((r) => setTimeout(r, 100));
    // Left by its page exit, before the visitor's exit: that is the time counted.
    await post('/api/tracking/page-exit', { page_tracking_id: pricing.body.page_tracking_id });
    await new Promise((r) => setTimeout(r, 600));
    // a leaves at the greeting; b answers it and leaves at its first question.
    await post('/api/session/exit', { session_id: a, exit_reason: 'closed_widget' });
    await post('/api/answer', { session_id: b, question_id: 1, answer_text: 'Yes, go ahead' });
    await post('/api/session/exit', { session_id: b, exit_reason: 'tab_closed' });
    const { flow } = await variants(b);
    const query = `?from=${encodeURIComponent(from)}`;

    expectError(await get(`/api/analytics/drop-off-points${query}`), 401, 'unauthorized');
    expectError(await get(`/api/analytics/page-performance${query}`), 401, 'unauthorized');

    const drop = await get(`/api/analytics/drop-off-points${query}`, auth);
    expect(drop.status, JSON.stringify(drop.body)).toBe(200);
    expect(drop.body.common_exit_points).toEqual(
      expect.arrayContaining([
        { step: 'greeting', question_id: 1, exits: 1, abandoned: 0, total: 1 },
        { step: 'questions', question_id: ORDERS[flow][0], exits: 1, abandoned: 0, total: 1 },
      ]),
    );
    expect(drop.body.completion_by_reason).toEqual(
      expect.arrayContaining([
        { exit_reason: 'closed_widget', sessions: 1, completed: 0, completion_rate: 0 },
        { exit_reason: 'tab_closed', sessions: 1, completed: 0, completion_rate: 0 },
      ]),
    );

    const perf = await get(`/api/analytics/page-performance${query}`, auth);
    expect(perf.status, JSON.stringify(perf.body)).toBe(200);
    const byUrl = Object.fromEntries((perf.body.pages as Json[]).map((p) => [p.page_url, p]));
    // Both views of the home page were left: a's by the next page, b's by the exit.
    expect(byUrl['/compat-home']).toMatchObject({ views: 2, unique_sessions: 2, timed_views: 2 });
    expect(byUrl['/compat-home']!.average_time_seconds).toBeGreaterThanOrEqual(0.59);
    // The pricing page was left by its page exit, not by a's exit 0.6 s later.
    expect(byUrl['/compat-pricing']).toMatchObject({ views: 1, unique_sessions: 1, timed_views: 1 });
    expect(byUrl['/compat-pricing']!.average_time_seconds).toBeLessThan(0.59);
    const journey = await get(`/api/tracking/journey/${a}`);
    expect((journey.body.pages as Json[])[1]).toMatchObject({
      page_tracking_id: pricing.body.page_tracking_id,
      time_on_page_seconds: byUrl['/compat-pricing']!.average_time_seconds,
    });
    expectError(await get('/api/analytics/page-performance?days=0', auth), 422, 'validation_failed');
  });

  it('POST /api/lead/sync-odoo queues a push to Odoo and answers the stored id: one crm.lead however often it is called, authenticated', async () => {
    const { id } = await start('odoo');
    const first = await post('/api/lead/sync-odoo', { session_id: id }, auth);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({ message: expect.any(String), odoo_lead_id: null });
    const synced = (n: number) =>
      waitFor(`${n} Odoo syncs of ${id}`, async () => {
        const rows = await t.db.query<{ status: string }>(
          `select status from notifications where lead_id = $1 and channel = 'odoo'`,
          [id],
        );
        return rows.length === n && rows.every((r) => r.status === 'sent');
      });
    await synced(1);
    const records = [...odoo.leads.values()].filter((r) => String(r.description).includes(id));
    expect(records).toHaveLength(1);
    // Asked again: the stored id, and the same record written (v2 created a new one on every call).
    for (const n of [2, 3]) {
      const again = await post('/api/lead/sync-odoo', { session_id: id }, auth);
      expect(again.status).toBe(200);
      expect(again.body.odoo_lead_id).toBe(records[0]!.id);
      await synced(n);
    }
    expect([...odoo.leads.values()].filter((r) => String(r.description).includes(id))).toHaveLength(1);
    expect(odoo.of('crm.lead.create').filter((c) => JSON.stringify(c.body).includes(id))).toHaveLength(1);

    expectError(await post('/api/lead/sync-odoo', { session_id: id }), 401, 'unauthorized');
    expectError(
      await post('/api/lead/sync-odoo', { session_id: UNKNOWN_SESSION }, auth),
      404,
      'session_not_found',
    );
    expectError(await post('/api/lead/sync-odoo', {}, auth), 422, 'validation_failed');
  });

  // Documented calls served by later parts of this work, not yet here.
  it.todo('POST /api/customer/generate-id, GET /api/customer/:id, /api/cif/*');
});
