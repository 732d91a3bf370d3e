import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireError } from '../../src/errors.js';
import type { BotMessage } from '../../src/protocol/index.js';
import { defaultWorkflow } from '../../src/workflow/default.js';
import { METRICS_TOKEN, startTestApp, type TestApp } from '../support/app.js';
import { TestClock } from '../support/engine.js';
import { ASHA } from '../support/journey.js';
import { OPERATOR_ROUTES, PUBLIC_ROUTES, SEED_CRM_KEYS } from '../support/wire.js';

/**
 * The REST API over real HTTP: a server on port 0 with a database of its own (plus two more servers on
 * the same database for the rate limit and CORS), the engine on an injected clock.
 */

const SECOND = 1000;
const SESSION_ID = /^sess_[0-9a-f]{32}$/;
const UNKNOWN_SESSION = `sess_${'0123456789abcdef'.repeat(2)}`;
const UNAVAILABLE = { code: 'unavailable', message: 'The service is temporarily unavailable; try again.' };
const GREETING_OPTIONS = [
  { id: 'yes', label: 'Yes, go ahead' },
  { id: 'about', label: 'What is this about?' },
  { id: 'no', label: 'No thanks' },
];
const BUSINESS_OPTIONS = [
  { id: 'kirana_retail', label: 'Kirana / Retail Shop' },
  { id: 'restaurant_cafe', label: 'Restaurant / Café' },
  { id: 'wholesale_fmcg', label: 'Wholesale / FMCG' },
  { id: 'other', label: 'Other' },
];
const REPORTABLE = ['clicked_product', 'clicked_demo', 'clicked_pricing', 'cta_clicked'];

interface Reply<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

interface StartBody {
  session_id: string;
  message: string;
  timestamp: string;
  greeting: BotMessage;
  variants: Record<string, string>;
}

interface AnswerBody {
  message: string;
  score_earned: number;
  lead_score: number;
  lead_type: string;
  next_question: BotMessage | null;
}

interface BehaviorBody {
  message: string;
  score_change: number;
  lead_score: number;
  lead_type: string;
}

interface ScoreBody {
  lead_score: number;
  lead_type: string;
  breakdown: { behavior: string; points: number; count: number }[];
}

interface SummaryBody {
  session_id: string;
  [flat: string]: unknown;
  lead_data: Record<string, unknown>;
  behaviors: { action: string; score: number; at: string }[];
}

/** One HTTP request; a JSON body is sent as application/json unless a content-type is given. */
async function send<T = unknown>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply<T>> {
  const all: Record<string, string> = { ...headers };
  const init: RequestInit = { method, headers: all };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    if (!Object.keys(all).some((h) => h.toLowerCase() === 'content-type'))
      all['content-type'] = 'application/json';
  }
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  const json = res.headers.get('content-type')?.startsWith('application/json') ?? false;
  return { status: res.status, headers: res.headers, body: (json ? JSON.parse(text) : text) as T, text };
}

/** Asserts the one error shape: exact status and code, only code/message/details, nothing leaked. */
function expectError(
  r: Reply,
  status: number,
  code: string,
  expected: { message?: string | RegExp; details?: unknown } = {},
): WireError {
  expect({ status: r.status, code: (r.body as { error?: WireError }).error?.code }).toEqual({ status, code });
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  const body = r.body as { error: WireError };
  expect(Object.keys(body)).toEqual(['error']);
  const error = body.error;
  expect(Object.keys(error).every((k) => ['code', 'message', 'details'].includes(k))).toBe(true);
  expect(typeof error.message).toBe('string');
  expect(error.message.length).toBeGreaterThan(0);
  if (typeof expected.message === 'string') expect(error.message).toBe(expected.message);
  else if (expected.message) expect(error.message).toMatch(expected.message);
  if ('details' in expected) expect(error.details).toEqual(expected.details);
  expectNoLeak(r.text);
  return error;
}

/** No stack trace, SQL or driver message in a response body. */
function expectNoLeak(text: string): void {
  expect(text).not.toMatch(/\n\s*at |\bat [\w.<>]+ \(|node_modules|\.ts:\d+/);
  expect(text).not.toMatch(/\b(select|insert into|update "|delete from|relation "|syntax error)\b/i);
  expect(text).not.toMatch(/"stack"/);
}

function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}

describe('REST API', () => {
  const clock = new TestClock();
  let t: TestApp;
  let base: string;

  const post = <T = unknown>(path: string, body: unknown, headers?: Record<string, string>) =>
    send<T>(base, 'POST', path, body, headers);
  const get = <T = unknown>(path: string, headers?: Record<string, string>) =>
    send<T>(base, 'GET', path, undefined, headers);
  const start = async (utm?: string) => {
    const r = await post<StartBody>('/api/session/start', utm === undefined ? {} : { utm_source: utm });
    expect(r.status).toBe(200);
    return r.body.session_id;
  };
  const answer = (sessionId: string, questionId: number, text: string, extra: Record<string, unknown> = {}) =>
    post<AnswerBody>('/api/answer', {
      session_id: sessionId,
      question_id: questionId,
      answer_text: text,
      ...extra,
    });
  const behavior = (sessionId: string, action: string, targetId?: string, headers?: Record<string, string>) =>
    post<BehaviorBody>(
      '/api/behavior',
      {
        session_id: sessionId,
        action,
        ...(targetId === undefined ? {} : { metadata: { target_id: targetId } }),
      },
      headers,
    );
  const footprint = async (sessionId: string) => {
    const [row] = await t.db.query(
      `select l.score, l.version, l.last_seq,
              (select count(*) from session_events e where e.lead_id = l.id)::int as events,
              (select count(*) from score_entries s where s.lead_id = l.id)::int as ledger,
              (select count(*) from answers a where a.lead_id = l.id)::int as answers
         from leads l where l.id = $1`,
      [sessionId],
    );
    return row;
  };

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_PER_MINUTE: '100000', METRICS_TOKEN }, { now: clock.now });
    base = t.app.url;
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('a full journey', () => {
    it('scores every step, reports it through score, summary and export, and the ledger sums to the score', async () => {
      const startedAt = clock.t;
      const started = await post<StartBody>('/api/session/start', { utm_source: 'google_ads' });
      expect(started.status).toBe(200);
      expect(Object.keys(started.body).sort()).toEqual([
        'greeting',
        'locale',
        'message',
        'session_id',
        'timestamp',
        'variants',
      ]);
      const id = started.body.session_id;
      expect(id).toMatch(SESSION_ID);
      expect(started.body.message).toBe('Session started');
      expect(Number.isNaN(Date.parse(started.body.timestamp))).toBe(false);
      expect(started.body.variants).toEqual({});
      expect(started.body.greeting).toEqual({
        seq: expect.any(Number),
        id: `${id}:${started.body.greeting.seq}`,
        step: 'greeting',
        questionId: 1,
        text: defaultWorkflow.greeting.text,
        input: 'choice',
        options: GREETING_OPTIONS,
        locale: 'en',
      });

      const score0 = await get<ScoreBody>(`/api/score/${id}`);
      expect(score0.status).toBe(200);
      expect(score0.body).toEqual({
        lead_score: 5,
        lead_type: 'Unqualified',
        fit_score: 0,
        engagement_score: 5,
        breakdown: [{ behavior: 'session_opened', points: 5, count: 1 }],
      });

      const step = async (
        questionId: number,
        text: string,
        extra: Record<string, unknown> = {},
        after = 5,
      ) => {
        clock.advance(after * SECOND);
        const r = await answer(id, questionId, text, extra);
        expect(r.status).toBe(200);
        expect(Object.keys(r.body).sort()).toEqual([
          'lead_score',
          'lead_type',
          'message',
          'next_question',
          'score_earned',
        ]);
        expect(r.body.message).toBe('Answer recorded');
        return r.body;
      };
      const expectNext = (next: BotMessage | null, want: Omit<BotMessage, 'seq' | 'id' | 'text'>) => {
        expect(next).not.toBeNull();
        expect(next).toEqual({
          ...want,
          seq: expect.any(Number),
          id: `${id}:${next!.seq}`,
          text: expect.any(String),
          locale: 'en',
        });
      };

      let a = await step(1, 'Yes, go ahead');
      expect(a).toMatchObject({ score_earned: 5, lead_score: 10, lead_type: 'Unqualified' });
      expectNext(a.next_question, {
        step: 'business_type',
        questionId: 2,
        input: 'choice',
        options: BUSINESS_OPTIONS,
      });

      // Labels match case-insensitively; the client's time_taken is stored but never scored.
      a = await step(2, 'restaurant / CAFÉ', { time_taken: 500 });
      expect(a).toMatchObject({ score_earned: 10, lead_score: 20, lead_type: 'Unqualified' });
      expectNext(a.next_question, { step: 'location', questionId: 3, input: 'text' });

      a = await step(3, 'Koramangala, Bengaluru');
      expect(a).toMatchObject({ score_earned: 15, lead_score: 35, lead_type: 'MQL' });
      expect(a.next_question?.questionId).toBe(4);

      a = await step(4, '6–15');
      expect(a).toMatchObject({ score_earned: 10, lead_score: 45, lead_type: 'MQL' });
      expect(a.next_question?.questionId).toBe(5);

      // 200 s on the server clock: no quick_reply, whatever the client says it took.
      a = await step(5, '₹2l – ₹5l', { time_taken: 1 }, 200);
      expect(a).toMatchObject({ score_earned: 5, lead_score: 50, lead_type: 'MQL' });
      expectNext(a.next_question, {
        step: 'needs',
        questionId: 6,
        input: 'multi_choice',
        options: defaultWorkflow.questions[4]!.options!.map(({ id: o, label }) => ({
          id: o,
          label: label as string,
        })),
      });

      a = await step(6, 'qr payments,  Inventory');
      expect(a).toMatchObject({ score_earned: 20, lead_score: 70, lead_type: 'SQL' });
      expectNext(a.next_question, {
        step: 'contact',
        questionId: 7,
        input: 'contact',
        options: [{ id: 'skip', label: 'Skip for now' }],
      });

      clock.advance(5 * SECOND);
      const profile = await post('/api/lead/profile', {
        session_id: id,
        profile_data: { name: 'Asha Rao', email: 'Asha@Example.com', phone: '98765 43210' },
      });
      expect(profile.status).toBe(200);
      expect(profile.body).toEqual({
        message: 'Profile updated',
        score_earned: 10,
        lead_score: 80,
        lead_type: 'SQL',
      });

      clock.advance(5 * SECOND);
      const demo = await behavior(id, 'clicked_demo');
      expect(demo.status).toBe(200);
      expect(demo.body).toEqual({
        message: 'Behavior recorded',
        score_change: 15,
        lead_score: 95,
        lead_type: 'SQL',
      });
      // The demo product is the same demo: it earns nothing again.
      expect((await behavior(id, 'clicked_product', 'demo')).body).toEqual({
        message: 'Behavior recorded',
        score_change: 0,
        lead_score: 95,
        lead_type: 'SQL',
      });

      // Clicking a CTA while the CTAs are offered chooses it and ends the conversation.
      clock.advance(5 * SECOND);
      const endedAt = clock.t;
      const cta = await behavior(id, 'cta_clicked', 'talk_to_sales');
      expect(cta.status).toBe(200);
      expect(cta.body).toEqual({
        message: 'Behavior recorded',
        score_change: 15,
        lead_score: 110,
        lead_type: 'SQL',
      });
      expectError(await behavior(id, 'cta_clicked', 'start_trial'), 409, 'session_closed');
      expectError(await behavior(id, 'clicked_pricing'), 409, 'session_closed');

      const score = await get<ScoreBody>(`/api/score/${id}`);
      expect(score.status).toBe(200);
      expect(score.body).toEqual({
        lead_score: 110,
        lead_type: 'SQL',
        // The seed's rules value no answer: all of it is engagement.
        fit_score: 0,
        engagement_score: 110,
        breakdown: [
          { behavior: 'session_opened', points: 5, count: 1 },
          { behavior: 'replied_to_greeting', points: 5, count: 1 },
          { behavior: 'answered_question', points: 25, count: 5 },
          { behavior: 'quick_reply', points: 20, count: 4 },
          { behavior: 'detailed_answer', points: 5, count: 1 },
          { behavior: 'answered_all_questions', points: 10, count: 1 },
          { behavior: 'shared_contact', points: 10, count: 1 },
          { behavior: 'clicked_demo', points: 15, count: 1 },
          { behavior: 'cta_clicked', points: 15, count: 1 },
        ],
      });
      expect(score.body.breakdown.reduce((s, b) => s + b.points, 0)).toBe(score.body.lead_score);

      const summary = await get<SummaryBody>(`/api/lead/summary/${id}`);
      expect(summary.status).toBe(200);
      const profile110 = {
        ...ASHA,
        business_type: 'Restaurant / Café',
        staff_size: '6–15',
        monthly_sales: '₹2L – ₹5L',
        // The built-in workflow has no custom-field questions.
        custom_fields: {},
        lead_score: 110,
        fit_score: 0,
        engagement_score: 110,
      };
      // Both shapes of the earlier service: the flat keys its code answered, the lead_data of its README.
      const { behaviors: _, ...rest } = summary.body;
      expect(rest).toEqual({
        session_id: id,
        ...profile110,
        lead_type: 'SQL',
        utm_source: 'google_ads',
        lead_data: { ...profile110, classification: 'SQL' },
        attribution: {
          first: expect.objectContaining({ utm_source: 'google_ads', utm_medium: null, referrer: null }),
          // No return visit: the last touch is the first.
          last: expect.objectContaining({ utm_source: 'google_ads', at: null }),
        },
      });
      const behaviors = summary.body.behaviors;
      expect(behaviors.map((b) => b.action)).toEqual([
        'session_opened',
        'replied_to_greeting',
        'answered_question',
        'quick_reply',
        'answered_question',
        'quick_reply',
        'detailed_answer',
        'answered_question',
        'quick_reply',
        'answered_question',
        'answered_question',
        'quick_reply',
        'answered_all_questions',
        'shared_contact',
        'clicked_demo',
        'cta_clicked',
      ]);
      expect(behaviors.reduce((s, b) => s + b.score, 0)).toBe(110);
      expect(behaviors[0]).toEqual({ action: 'session_opened', score: 5, at: isoOf(startedAt) });
      expect(behaviors.at(-1)).toEqual({ action: 'cta_clicked', score: 15, at: isoOf(endedAt) });

      const exported = await get<Record<string, unknown>>(`/api/lead/export/${id}`);
      expect(exported.status).toBe(200);
      // The seed's keys in its order; the attribution keys follow them.
      expect(Object.keys(exported.body).slice(0, 14)).toEqual(SEED_CRM_KEYS);
      expect(exported.body).toMatchObject({
        name: 'Asha Rao',
        location: 'Koramangala, Bengaluru',
        business_type: 'Restaurant / Café',
        staff_size: '6–15',
        monthly_sales: '₹2L – ₹5L',
        features_interested: ['QR Payments', 'Inventory'],
        contact_info: 'asha@example.com / +919876543210',
        email: 'asha@example.com',
        phone: '+919876543210',
        lead_score: 110,
        lead_type: 'SQL',
        utm_source: 'google_ads',
        session_start_time: isoOf(startedAt),
        // Routed to the default team when it became SQL (no agent was online to take it).
        assigned_to: 'sales',
        callback_at: null,
        utm_medium: null,
        last_utm_source: 'google_ads',
        last_touch_at: null,
      });

      const [lead] = await t.db.query(
        `select l.state, (extract(epoch from l.completed_at) * 1000)::float8 as completed,
                l.score, l.classification, l.phone, l.email, l.utm_source,
                (select sum(points)::int from score_entries s where s.lead_id = l.id) as ledger
           from leads l where l.id = $1`,
        [id],
      );
      expect(lead).toEqual({
        state: 'completed',
        completed: endedAt,
        score: 110,
        classification: 'SQL',
        phone: '+919876543210',
        email: 'asha@example.com',
        utm_source: 'google_ads',
        ledger: 110,
      });
      const answers = await t.db.query(
        'select question_id, points, latency_ms, client_time_taken from answers where lead_id = $1 order by question_id',
        [id],
      );
      expect(answers).toEqual([
        { question_id: 2, points: 10, latency_ms: 5000, client_time_taken: 500 },
        { question_id: 3, points: 15, latency_ms: 5000, client_time_taken: null },
        { question_id: 4, points: 10, latency_ms: 5000, client_time_taken: null },
        { question_id: 5, points: 5, latency_ms: 200_000, client_time_taken: 1 },
        { question_id: 6, points: 10, latency_ms: 5000, client_time_taken: null },
      ]);
    });

    it('scores reported clicks with their once-rules: 3 products at most, the demo product, pricing, a flat CTA', async () => {
      const id = await start();
      const clicks: [string, string | undefined, number][] = [
        ['clicked_product', 'billing', 5],
        ['clicked_product', 'billing', 0],
        ['clicked_product', 'inventory', 5],
        ['clicked_product', 'qr_payments', 5],
        ['clicked_product', 'staff_hr', 0],
        ['clicked_product', 'demo', 15],
        ['clicked_demo', undefined, 0],
        ['clicked_pricing', undefined, 10],
        ['clicked_pricing', undefined, 0],
        ['cta_clicked', undefined, 15],
        ['cta_clicked', 'human_help', 0],
      ];
      let total = 5;
      for (const [action, target, points] of clicks) {
        const r = await behavior(id, action, target);
        total += points;
        expect({ action, target, status: r.status, body: r.body }).toEqual({
          action,
          target,
          status: 200,
          body: {
            message: 'Behavior recorded',
            score_change: points,
            lead_score: total,
            lead_type: total >= 60 ? 'SQL' : total >= 30 ? 'MQL' : 'Unqualified',
          },
        });
      }
      expect(total).toBe(60);
      const score = await get<ScoreBody>(`/api/score/${id}`);
      expect(score.body).toEqual({
        lead_score: 60,
        lead_type: 'SQL',
        fit_score: 0,
        engagement_score: 60,
        breakdown: [
          { behavior: 'session_opened', points: 5, count: 1 },
          { behavior: 'clicked_product', points: 15, count: 3 },
          { behavior: 'clicked_demo', points: 15, count: 1 },
          { behavior: 'clicked_pricing', points: 10, count: 1 },
          { behavior: 'cta_clicked', points: 15, count: 1 },
        ],
      });
      const [sum] = await t.db.query(
        'select (select sum(points)::int from score_entries where lead_id = $1) as ledger, score from leads where id = $1',
        [id],
      );
      expect(sum).toEqual({ ledger: 60, score: 60 });
    });

    it('takes any JSON object as behaviour metadata, stored with the event; only target_id changes points', async () => {
      const plain = await start();
      const tagged = await start();
      const metadata = {
        page: '/pricing',
        referrer: null,
        visits: 3,
        utm: { campaign: 'diwali', tags: ['sale', { slot: 2 }] },
      };
      const post1 = (sessionId: string, body: Record<string, unknown>) =>
        post<BehaviorBody>('/api/behavior', { session_id: sessionId, ...body });
      // The same clicks with and without metadata earn the same points.
      for (const [action, extra] of [
        ['clicked_pricing', { page: '/pricing' }],
        ['clicked_product', { target_id: 'billing', page: '/products', position: 4 }],
        ['clicked_product', { page: '/products' }],
      ] as const) {
        const bare = await post1(plain, {
          action,
          ...('target_id' in extra ? { metadata: { target_id: extra.target_id } } : {}),
        });
        const rich = await post1(tagged, { action, metadata: extra });
        expect({ action, status: rich.status, body: rich.body }).toEqual({
          action,
          status: 200,
          body: bare.body,
        });
      }
      expect((await post1(tagged, { action: 'clicked_demo', metadata })).body.score_change).toBe(15);
      const [{ plain: a, tagged: b }] = (await t.db.query(
        'select (select score from leads where id = $1) as plain, (select score from leads where id = $2) as tagged',
        [plain, tagged],
      )) as [{ plain: number; tagged: number }];
      expect(b).toBe(a + 15);
      // target_id is the scoring table's key: the product it names earned its points.
      const [ledger] = await t.db.query(
        `select evidence from score_entries where lead_id = $1 and behavior = 'clicked_product' order by id`,
        [tagged],
      );
      expect(ledger).toEqual({ evidence: { targetId: 'billing' } });
      // Stored with the event as sent, and so in the transcript agents watch (the event log).
      const log = await t.app.engine.eventLog(tagged);
      const commands = log.filter((e) => e.type === 'visitor.input').map((e) => e.data.command);
      expect(commands).toEqual([
        { kind: 'action', action: 'clicked_pricing', metadata: { page: '/pricing' } },
        {
          kind: 'action',
          action: 'clicked_product',
          targetId: 'billing',
          metadata: { target_id: 'billing', page: '/products', position: 4 },
        },
        { kind: 'action', action: 'clicked_product', metadata: { page: '/products' } },
        { kind: 'action', action: 'clicked_demo', metadata },
      ]);
      // The bounds themselves are allowed: 4 levels, 4096 bytes of JSON.
      const deepest = { a: { b: { c: { d: 'four levels' } } } };
      expect((await post1(tagged, { action: 'clicked_pricing', metadata: deepest })).status).toBe(200);
      const filler = 'x'.repeat(4096 - JSON.stringify({ note: '' }).length);
      const largest = { note: filler };
      expect(Buffer.byteLength(JSON.stringify(largest))).toBe(4096);
      expect((await post1(tagged, { action: 'clicked_pricing', metadata: largest })).status).toBe(200);
    });

    it('starts a session without a body, and with a whitespace-padded utm_source stored trimmed', async () => {
      const bare = await send<StartBody>(base, 'POST', '/api/session/start');
      expect(bare.status).toBe(200);
      expect(bare.body.session_id).toMatch(SESSION_ID);
      const padded = await post<StartBody>('/api/session/start', { utm_source: '  newsletter  ' });
      expect(padded.status).toBe(200);
      const [lead] = await t.db.query('select utm_source, score from leads where id = $1', [
        padded.body.session_id,
      ]);
      expect(lead).toEqual({ utm_source: 'newsletter', score: 5 });
    });
  });

  describe('catalogue endpoints', () => {
    it('GET /api/questions lists the greeting, the five questions and the contact step in order', async () => {
      const r = await get<Record<string, unknown>[]>('/api/questions');
      expect(r.status).toBe(200);
      const byQuestion = defaultWorkflow.questions;
      expect(r.body).toEqual([
        {
          id: 1,
          step: 'greeting',
          question_text: defaultWorkflow.greeting.text,
          question_type: 'single_choice',
          options: ['Yes, go ahead', 'What is this about?', 'No thanks'],
          required: true,
          order_index: 1,
        },
        {
          id: 2,
          step: 'business_type',
          question_text: byQuestion[0]!.text,
          question_type: 'single_choice',
          options: ['Kirana / Retail Shop', 'Restaurant / Café', 'Wholesale / FMCG', 'Other'],
          required: true,
          order_index: 2,
        },
        {
          id: 3,
          step: 'location',
          question_text: byQuestion[1]!.text,
          question_type: 'text',
          options: [],
          required: true,
          order_index: 3,
        },
        {
          id: 4,
          step: 'staff_size',
          question_text: byQuestion[2]!.text,
          question_type: 'single_choice',
          options: ['Just me', '2–5', '6–15', 'More than 15'],
          required: true,
          order_index: 4,
        },
        {
          id: 5,
          step: 'monthly_sales',
          question_text: byQuestion[3]!.text,
          question_type: 'single_choice',
          options: ['Less than ₹50K', '₹50K – ₹2L', '₹2L – ₹5L', '₹5L+'],
          required: true,
          order_index: 5,
        },
        {
          id: 6,
          step: 'needs',
          question_text: byQuestion[4]!.text,
          question_type: 'multi_choice',
          options: [
            'Billing / Invoicing',
            'QR Payments',
            'Staff/HR',
            'Inventory',
            'Online Store',
            'WhatsApp Marketing',
            'Loans',
          ],
          required: true,
          order_index: 6,
        },
        {
          id: 7,
          step: 'contact',
          question_text: defaultWorkflow.contact.text,
          question_type: 'contact',
          options: [],
          required: false,
          order_index: 7,
        },
      ]);
    });

    it('GET /api/product-menu lists {id,title,description,score} and nothing more', async () => {
      const r = await get<Record<string, unknown>[]>('/api/product-menu');
      expect(r.status).toBe(200);
      for (const item of r.body)
        expect(Object.keys(item).sort()).toEqual(['description', 'id', 'score', 'title']);
      expect(r.body.map((p) => [p.id, p.score])).toEqual([
        ['billing', 5],
        ['inventory', 5],
        ['qr_payments', 5],
        ['staff_hr', 5],
        ['online_selling', 5],
        ['whatsapp_tools', 5],
        ['loans_offers', 5],
        ['demo', 15],
        ['other', 5],
      ]);
      expect(r.body[0]).toEqual({
        id: 'billing',
        title: 'Billing & GST Invoicing',
        description: 'Fast billing with GST-ready invoices.',
        score: 5,
      });
      expect(r.body[7]).toEqual({
        id: 'demo',
        title: 'Book a Demo',
        description: 'See YouShop live with an expert.',
        score: 15,
      });
    });

    it('GET /api/cta-options lists the five calls to action with their points', async () => {
      const r = await get('/api/cta-options');
      expect(r.status).toBe(200);
      expect(r.body).toEqual([
        {
          id: 'talk_to_sales',
          title: 'Talk to Sales Rep',
          description: 'A YouShop expert calls you and walks you through the plans.',
          score: 15,
        },
        {
          id: 'request_callback',
          title: 'Request Callback',
          description: 'Pick a time and we call you back.',
          score: 15,
        },
        {
          id: 'start_trial',
          title: 'Start Free Trial',
          description: 'Try YouShop free for 14 days.',
          score: 15,
        },
        { id: 'restart_bot', title: 'Restart Bot', description: 'Go through the questions again.', score: 0 },
        {
          id: 'human_help',
          title: 'Need Human Help',
          description: 'Chat with a person from our team.',
          score: 10,
        },
      ]);
    });
  });

  describe('errors', () => {
    it('400 malformed_request for a body that is not JSON', async () => {
      const id = await start();
      const before = await footprint(id);
      for (const path of ['/api/answer', '/api/behavior', '/api/lead/profile', '/api/session/start']) {
        const r = await post(path, `{"session_id":"${id}",`);
        expectError(r, 400, 'malformed_request', { message: 'The request body is not valid JSON.' });
      }
      expect(await footprint(id)).toEqual(before);
    });

    it('404 session_not_found for a well-formed unknown id, on every session route, creating nothing', async () => {
      const sent = [
        await answer(UNKNOWN_SESSION, 1, 'Yes, go ahead'),
        await behavior(UNKNOWN_SESSION, 'clicked_pricing'),
        await post('/api/lead/profile', { session_id: UNKNOWN_SESSION, profile_data: { name: 'Nobody' } }),
        await get(`/api/score/${UNKNOWN_SESSION}`),
        await get(`/api/lead/summary/${UNKNOWN_SESSION}`),
        await get(`/api/lead/export/${UNKNOWN_SESSION}`),
      ];
      for (const r of sent) {
        expectError(r, 404, 'session_not_found', { message: 'No session with this id.' });
        expect((r.body as { error: WireError }).error.details).toBeUndefined();
      }
      const rows = await t.db.query('select count(*)::int as n from leads where id = $1', [UNKNOWN_SESSION]);
      expect(rows[0]!.n).toBe(0);
    });

    it('404 not_found for an unknown route or a wrong method', async () => {
      expectError(await get('/api/nope'), 404, 'not_found', { message: 'No route for GET /api/nope.' });
      expectError(await post('/api/questions', {}), 404, 'not_found', {
        message: 'No route for POST /api/questions.',
      });
      expectError(await get('/api/answer'), 404, 'not_found');
    });

    it('409 session_closed after a decline, while profile updates are still taken', async () => {
      const id = await start();
      const declined = await answer(id, 1, 'no THANKS');
      expect(declined.status).toBe(200);
      expect(declined.body).toEqual({
        message: 'Answer recorded',
        score_earned: 5,
        lead_score: 10,
        lead_type: 'Unqualified',
        next_question: null,
      });
      const closed = { message: 'The conversation has ended.' };
      expectError(await answer(id, 2, 'Other'), 409, 'session_closed', closed);
      expectError(await answer(id, 1, 'Yes, go ahead'), 409, 'session_closed', closed);
      expectError(await behavior(id, 'clicked_pricing'), 409, 'session_closed', closed);
      expectError(await behavior(id, 'cta_clicked', 'talk_to_sales'), 409, 'session_closed', closed);

      // Validation comes before the state of the conversation.
      expectError(await answer(id, 2, '   '), 422, 'validation_failed');
      expectError(await post('/api/answer', { session_id: id, question_id: 2 }), 422, 'validation_failed');
      expectError(
        await post('/api/behavior', { session_id: id, action: 'clicked_pricing', x: 1 }),
        422,
        'validation_failed',
      );

      const before = await footprint(id);
      const profile = await post('/api/lead/profile', {
        session_id: id,
        profile_data: { name: 'Ravi', email: 'ravi@example.com', location: 'Pune' },
      });
      expect(profile.status).toBe(200);
      // The ended conversation stores the details but awards nothing for them.
      expect(profile.body).toEqual({
        message: 'Profile updated',
        score_earned: 0,
        lead_score: 10,
        lead_type: 'Unqualified',
      });
      const after = await footprint(id);
      expect(after).toMatchObject({ score: 10, ledger: before!.ledger });
      const summary = await get<SummaryBody>(`/api/lead/summary/${id}`);
      expect(summary.body.lead_data).toMatchObject({
        name: 'Ravi',
        email: 'ravi@example.com',
        location: 'Pune',
        lead_score: 10,
        classification: 'Unqualified',
      });
      const [lead] = await t.db.query('select state from leads where id = $1', [id]);
      expect(lead!.state).toBe('declined');
    });

    it('409 invalid_state for a greeting answered twice', async () => {
      const id = await start();
      expect((await answer(id, 1, 'Yes, go ahead')).status).toBe(200);
      expectError(await answer(id, 1, 'Yes, go ahead'), 409, 'invalid_state', {
        message: 'The conversation is at questions and cannot take this greeting.',
      });
      expect((await footprint(id))!.score).toBe(10);
    });

    it('Idempotency-Key: a replay returns the same numbers and writes nothing; another body is 409 duplicate_mismatch', async () => {
      const id = await start();
      const body = { session_id: id, question_id: 1, answer_text: 'Yes, go ahead' };
      const key = { 'Idempotency-Key': 'answer-1' };
      const first = await post<AnswerBody>('/api/answer', body, key);
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({
        message: 'Answer recorded',
        score_earned: 5,
        lead_score: 10,
        lead_type: 'Unqualified',
      });
      const before = await footprint(id);

      const again = await post<AnswerBody>('/api/answer', body, key);
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({
        message: 'Answer already recorded',
        score_earned: 5,
        lead_score: 10,
        lead_type: 'Unqualified',
      });
      expect(await footprint(id)).toEqual(before);

      // Also once the session has left the cache (as on another node).
      t.app.engine.evict(id);
      const evicted = await post<AnswerBody>('/api/answer', body, key);
      expect(evicted.status).toBe(200);
      expect(evicted.body).toMatchObject({
        message: 'Answer already recorded',
        score_earned: 5,
        lead_score: 10,
      });

      const mismatch = { details: { clientMessageId: 'answer-1' } };
      expectError(
        await post('/api/answer', { ...body, answer_text: 'No thanks' }, key),
        409,
        'duplicate_mismatch',
        mismatch,
      );
      expectError(await behavior(id, 'clicked_pricing', undefined, key), 409, 'duplicate_mismatch', mismatch);
      expect(await footprint(id)).toEqual(before);

      // The same on /api/behavior.
      const click = await behavior(id, 'clicked_pricing', undefined, { 'Idempotency-Key': 'click-1' });
      expect(click.body).toEqual({
        message: 'Behavior recorded',
        score_change: 10,
        lead_score: 20,
        lead_type: 'Unqualified',
      });
      const afterClick = await footprint(id);
      const replay = await behavior(id, 'clicked_pricing', undefined, { 'Idempotency-Key': 'click-1' });
      expect(replay.body).toEqual({
        message: 'Behavior already recorded',
        score_change: 10,
        lead_score: 20,
        lead_type: 'Unqualified',
      });
      expect(await footprint(id)).toEqual(afterClick);
      expectError(
        await behavior(id, 'clicked_demo', undefined, { 'Idempotency-Key': 'click-1' }),
        409,
        'duplicate_mismatch',
        {
          details: { clientMessageId: 'click-1' },
        },
      );
    });

    it('413 payload_too_large for a body over 16 KB, writing nothing', async () => {
      const id = await start();
      const before = await footprint(id);
      const r = await answer(id, 1, 'y'.repeat(17 * 1024));
      expectError(r, 413, 'payload_too_large', { message: 'The request is too large.' });
      const profile = await post('/api/lead/profile', {
        session_id: id,
        profile_data: { location: 'z'.repeat(17 * 1024) },
      });
      expectError(profile, 413, 'payload_too_large');
      expect(await footprint(id)).toEqual(before);
    });

    it('415 unsupported_media_type for a body that is not JSON by content-type', async () => {
      const id = await start();
      const body = JSON.stringify({ session_id: id, question_id: 1, answer_text: 'Yes, go ahead' });
      for (const type of ['application/xml', 'application/x-www-form-urlencoded']) {
        const r = await post('/api/answer', body, { 'content-type': type });
        expectError(r, 415, 'unsupported_media_type', { message: 'Send application/json.' });
      }
      expect((await footprint(id))!.score).toBe(5);
    });

    it('415 unsupported_media_type for content-type text/plain', async () => {
      const id = await start();
      const body = JSON.stringify({ session_id: id, question_id: 1, answer_text: 'Yes, go ahead' });
      const r = await post('/api/answer', body, { 'content-type': 'text/plain' });
      expectError(r, 415, 'unsupported_media_type', { message: 'Send application/json.' });
    });

    describe('422 validation_failed', () => {
      let id: string;
      let before: Awaited<ReturnType<typeof footprint>>;
      beforeAll(async () => {
        id = await start();
        before = await footprint(id);
      });

      type Case = [
        label: string,
        path: string,
        body: (id: string) => unknown,
        issuePath: string,
        message?: string,
      ];
      const cases: Case[] = [
        [
          'wrong types',
          '/api/answer',
          (s) => ({ session_id: s, question_id: '2', answer_text: 5 }),
          'question_id',
        ],
        [
          'a fractional question id',
          '/api/answer',
          (s) => ({ session_id: s, question_id: 2.5, answer_text: 'Other' }),
          'question_id',
        ],
        [
          'question id 0',
          '/api/answer',
          (s) => ({ session_id: s, question_id: 0, answer_text: 'Other' }),
          'question_id',
        ],
        [
          'a missing session_id',
          '/api/answer',
          () => ({ question_id: 2, answer_text: 'Other' }),
          'session_id',
        ],
        ['a missing answer_text', '/api/answer', (s) => ({ session_id: s, question_id: 2 }), 'answer_text'],
        [
          'an unknown extra field',
          '/api/answer',
          (s) => ({ session_id: s, question_id: 2, answer_text: 'Other', extra: true }),
          '',
          'Unrecognized key: "extra"',
        ],
        [
          'an empty answer',
          '/api/answer',
          (s) => ({ session_id: s, question_id: 2, answer_text: '' }),
          'answer_text',
          'must not be empty',
        ],
        [
          'a whitespace-only answer',
          '/api/answer',
          (s) => ({ session_id: s, question_id: 3, answer_text: ' \t\n ' }),
          'answer_text',
          'must not be empty',
        ],
        [
          'a 2001-character answer',
          '/api/answer',
          (s) => ({ session_id: s, question_id: 3, answer_text: 'x'.repeat(2001) }),
          'answer_text',
          'at most 2000 characters',
        ],
        [
          'a negative time_taken',
          '/api/answer',
          (s) => ({ session_id: s, question_id: 2, answer_text: 'Other', time_taken: -1 }),
          'time_taken',
          'must not be negative',
        ],
        [
          'a malformed session id',
          '/api/answer',
          () => ({ session_id: 'sess_123', question_id: 2, answer_text: 'Other' }),
          'session_id',
          'a session id looks like sess_ followed by 32 hex digits',
        ],
        [
          'an upper-case session id',
          '/api/behavior',
          (s) => ({ session_id: s.toUpperCase(), action: 'clicked_pricing' }),
          'session_id',
          'a session id looks like sess_ followed by 32 hex digits',
        ],
        ['an empty action', '/api/behavior', (s) => ({ session_id: s, action: '' }), 'action'],
        [
          'metadata 5 levels deep',
          '/api/behavior',
          (s) => ({
            session_id: s,
            action: 'clicked_pricing',
            metadata: { a: { b: { c: { d: { e: 1 } } } } },
          }),
          'metadata',
          'at most 4 levels deep',
        ],
        [
          'metadata over 4 KB',
          '/api/behavior',
          (s) => ({ session_id: s, action: 'clicked_pricing', metadata: { note: 'x'.repeat(4096) } }),
          'metadata',
          'at most 4096 bytes as JSON (4107)',
        ],
        [
          'metadata that is a list',
          '/api/behavior',
          (s) => ({ session_id: s, action: 'clicked_pricing', metadata: ['/pricing'] }),
          'metadata',
        ],
        [
          'metadata that is text',
          '/api/behavior',
          (s) => ({ session_id: s, action: 'clicked_pricing', metadata: '/pricing' }),
          'metadata',
        ],
        [
          'a target_id that is a number',
          '/api/behavior',
          (s) => ({ session_id: s, action: 'clicked_product', metadata: { target_id: 7, page: '/p' } }),
          'metadata.target_id',
        ],
        [
          'U+0000 in a metadata key',
          '/api/behavior',
          (s) => ({ session_id: s, action: 'clicked_pricing', metadata: { page: { 'a\u0000b': 1 } } }),
          'metadata.page.a\u0000b',
          'must not contain U+0000 (NUL) or an unpaired surrogate',
        ],
        ['a profile without profile_data', '/api/lead/profile', (s) => ({ session_id: s }), 'profile_data'],
        [
          'an unknown profile field',
          '/api/lead/profile',
          (s) => ({ session_id: s, profile_data: { age: 40 } }),
          'profile_data',
          'Unrecognized key: "age"',
        ],
        ['a number as utm_source', '/api/session/start', () => ({ utm_source: 42 }), 'utm_source'],
        ['a blank utm_source', '/api/session/start', () => ({ utm_source: '   ' }), 'utm_source'],
      ];

      it.each(cases)('%s (%s)', async (_label, path, body, issuePath, message) => {
        const r = await post(path, body(id));
        const error = expectError(r, 422, 'validation_failed', { message: /^The request is not valid: / });
        const issues = (error.details as { issues: { path: string; message: string }[] }).issues;
        expect(issues.length).toBeGreaterThan(0);
        const issue = issues.find((i) => i.path === issuePath);
        expect(issue, JSON.stringify(issues)).toBeDefined();
        if (message) expect(issue!.message).toBe(message);
      });

      it('reports every bad field at once', async () => {
        const r = await post('/api/answer', { question_id: '2', answer_text: 5 });
        const error = expectError(r, 422, 'validation_failed');
        const paths = (error.details as { issues: { path: string }[] }).issues.map((i) => i.path).sort();
        expect(paths).toEqual(['answer_text', 'question_id', 'session_id']);
      });

      it('a malformed session id in the URL', async () => {
        for (const path of ['/api/score/', '/api/lead/summary/', '/api/lead/export/']) {
          const r = await get(`${path}not-a-session`);
          expectError(r, 422, 'validation_failed', {
            details: {
              issues: [
                { path: 'session_id', message: 'a session id looks like sess_ followed by 32 hex digits' },
              ],
            },
          });
        }
      });

      it('what the engine refuses: an unknown action, a target on clicked_demo, a bad e-mail or phone', async () => {
        expectError(await behavior(id, 'fly'), 422, 'validation_failed', {
          message: 'Unknown action "fly".',
          details: { field: 'action', reportable: REPORTABLE },
        });
        expectError(await behavior(id, 'clicked_demo', 'demo'), 422, 'validation_failed', {
          message: 'clicked_demo takes no target.',
        });
        expectError(
          await post('/api/lead/profile', {
            session_id: id,
            profile_data: { email: 'not-an-email', phone: '12' },
          }),
          422,
          'validation_failed',
          {
            message: 'email: not a valid e-mail address; phone: not a valid phone number',
            details: {
              fields: [
                { field: 'email', message: 'not a valid e-mail address' },
                { field: 'phone', message: 'not a valid phone number' },
              ],
            },
          },
        );
      });

      it('none of the refused requests wrote anything; a 2000-character answer is accepted', async () => {
        expect(await footprint(id)).toEqual(before);
        expect((await answer(id, 1, 'Yes, go ahead')).status).toBe(200);
        const long = await answer(id, 3, 'L'.repeat(2000));
        expect(long.status).toBe(200);
        expect(long.body).toMatchObject({ score_earned: 15, lead_score: 25 });
      });
    });

    it('422 invalid_option lists the options', async () => {
      const id = await start();
      expect((await answer(id, 1, 'Yes, go ahead')).status).toBe(200);
      expectError(await answer(id, 2, 'Spaceship'), 422, 'invalid_option', {
        message: '"Spaceship" is not one of the options.',
        details: { options: BUSINESS_OPTIONS },
      });
      expectError(await answer(id, 1, 'Maybe later'), 422, 'invalid_option', {
        details: { options: GREETING_OPTIONS },
      });
      // A single choice takes one label; the comma is not a separator there.
      const staff = expectError(await answer(id, 4, 'Just me, 2–5'), 422, 'invalid_option');
      expect((staff.details as { options: { id: string }[] }).options.map((o) => o.id)).toEqual([
        'just_me',
        'two_to_five',
        'six_to_fifteen',
        'more_than_fifteen',
      ]);
      const needs = expectError(await answer(id, 6, 'QR Payments, Teleportation'), 422, 'invalid_option', {
        message: '"Teleportation" is not one of the options.',
      });
      expect((needs.details as { options: unknown[] }).options).toHaveLength(7);
      const product = expectError(await behavior(id, 'clicked_product', 'spaceship'), 422, 'invalid_option');
      expect((product.details as { options: { id: string; label: string }[] }).options).toEqual(
        defaultWorkflow.products.map((p) => ({ id: p.id, label: p.title })),
      );
      const cta = expectError(await behavior(id, 'cta_clicked', 'buy_now'), 422, 'invalid_option');
      expect((cta.details as { options: { id: string }[] }).options.map((o) => o.id)).toEqual([
        'talk_to_sales',
        'request_callback',
        'start_trial',
        'restart_bot',
        'human_help',
      ]);
      expect((await footprint(id))!.score).toBe(10);
    });

    it('422 unknown_question for question 42, and for the contact step (7) with a hint', async () => {
      const id = await start();
      const questionIds = { questionIds: [1, 2, 3, 4, 5, 6] };
      expectError(await answer(id, 42, 'anything'), 422, 'unknown_question', {
        message: 'Question 42 cannot be answered here.',
        details: questionIds,
      });
      expectError(await answer(id, 7, 'asha@example.com'), 422, 'unknown_question', {
        message:
          'Question 7 cannot be answered here. Contact details go to /api/lead/profile or visitor:contact.',
        details: questionIds,
      });
    });

    it('422 derived_behavior for behaviors only the server works out', async () => {
      const id = await start();
      for (const action of ['quick_reply', 'session_opened', 'answered_all_questions', 'early_dropout']) {
        expectError(await behavior(id, action), 422, 'derived_behavior', {
          message: `${action} is worked out by the server and cannot be reported.`,
          details: { reportable: REPORTABLE },
        });
      }
      expect((await footprint(id))!.score).toBe(5);
    });

    it('503 unavailable when the database refuses the write; nothing is kept and the same request then succeeds', async () => {
      const id = await start();
      expect((await answer(id, 1, 'Yes, go ahead')).status).toBe(200);
      const before = await footprint(id);
      await t.db.query('alter table session_events rename to session_events_off');
      let failed: Reply;
      try {
        failed = await answer(id, 2, 'Other');
      } finally {
        await t.db.query('alter table session_events_off rename to session_events');
      }
      expectError(failed, 503, 'unavailable');
      expect(failed.body).toEqual({ error: UNAVAILABLE });
      expect(failed.text).not.toMatch(/select|insert|session_events|relation|\bat /i);
      expect(await footprint(id)).toEqual(before);

      const retried = await answer(id, 2, 'Other');
      expect(retried.status).toBe(200);
      expect(retried.body).toMatchObject({ message: 'Answer recorded', score_earned: 10, lead_score: 20 });
      const [sum] = await t.db.query(
        'select (select sum(points)::int from score_entries where lead_id = $1) as ledger, score from leads where id = $1',
        [id],
      );
      expect(sum).toEqual({ ledger: 20, score: 20 });
    });

    it('503 unavailable (not 500) when the database fails a read', async () => {
      const id = await start();
      await t.db.query('alter table score_entries rename to score_entries_off');
      let score: Reply;
      let summary: Reply;
      try {
        score = await get(`/api/score/${id}`);
        summary = await get(`/api/lead/summary/${id}`);
      } finally {
        await t.db.query('alter table score_entries_off rename to score_entries');
      }
      expectNoLeak(score.text);
      expectNoLeak(summary.text);
      expect({ status: score.status, body: score.body }).toEqual({
        status: 503,
        body: { error: UNAVAILABLE },
      });
      expect({ status: summary.status, body: summary.body }).toEqual({
        status: 503,
        body: { error: UNAVAILABLE },
      });
    });
  });

  describe('retries and edge cases', () => {
    it('starts a session from an empty JSON body', async () => {
      const r = await send<StartBody>(base, 'POST', '/api/session/start', '', {
        'content-type': 'application/json',
      });
      expect(r.status).toBe(200);
      expect(r.body.session_id).toMatch(SESSION_ID);
    });

    it('a retried answer is told the question the bot now waits for', async () => {
      const id = await start();
      const key = { 'idempotency-key': 'retry-1' };
      const first = await post<AnswerBody>(
        '/api/answer',
        { session_id: id, question_id: 1, answer_text: 'yes, go ahead' },
        key,
      );
      const again = await post<AnswerBody>(
        '/api/answer',
        { session_id: id, question_id: 1, answer_text: 'yes, go ahead' },
        key,
      );
      expect(first.status).toBe(200);
      expect(again.status).toBe(200);
      expect(again.body.message).toBe('Answer already recorded');
      expect(again.body.next_question).toEqual(first.body.next_question);
    });

    it('refuses an Idempotency-Key over 100 characters instead of ignoring it', async () => {
      const id = await start();
      const r = await post(
        '/api/answer',
        { session_id: id, question_id: 1, answer_text: 'No thanks' },
        {
          'idempotency-key': 'k'.repeat(101),
        },
      );
      expectError(r, 422, 'validation_failed', { message: /Idempotency-Key/ });
      expect((await footprint(id))!.events).toBe(4);
    });
  });

  describe('headers, documents and operations', () => {
    it('sets security headers on answers and on errors, and allows any origin by default', async () => {
      const refused = await post('/api/answer', { session_id: 'nope' });
      expect(refused.status).toBe(422);
      for (const r of [await get('/api/questions'), await get('/api/nope'), await get('/health'), refused]) {
        expect(r.headers.get('x-content-type-options')).toBe('nosniff');
        expect(r.headers.get('x-frame-options')).toBe('SAMEORIGIN');
        expect(r.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
        expect(r.headers.get('content-security-policy')).toContain("default-src 'self'");
        expect(r.headers.get('referrer-policy')).toBe('no-referrer');
        expect(r.headers.get('x-powered-by')).toBeNull();
      }
      const cross = await get('/api/questions', { origin: 'https://anywhere.example' });
      expect(cross.headers.get('access-control-allow-origin')).toBe('*');
    });

    it('GET /openapi.json is OpenAPI 3 and documents every REST route', async () => {
      const r = await get<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
        '/openapi.json',
      );
      expect(r.status).toBe(200);
      expect(r.body.openapi).toMatch(/^3\.\d+\.\d+$/);
      const routes = Object.entries(r.body.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
      );
      expect(routes.sort()).toEqual([...PUBLIC_ROUTES, ...OPERATOR_ROUTES].sort());
      const answerOp = r.body.paths['/api/answer']!.post as {
        requestBody: {
          content: { 'application/json': { schema: { required: string[]; additionalProperties: boolean } } };
        };
      };
      const schema = answerOp.requestBody.content['application/json'].schema;
      expect(schema.required.sort()).toEqual(['answer_text', 'question_id', 'session_id']);
      expect(schema.additionalProperties).toBe(false);
      // The later version's form of the same call documents the same fields and ignores others.
      const laterOp = r.body.paths['/api/answer-with-conditional']!.post as typeof answerOp;
      const later = laterOp.requestBody.content['application/json'].schema;
      expect(later.required.sort()).toEqual(['answer_text', 'question_id', 'session_id']);
      expect(later.additionalProperties).not.toBe(false);
    });

    it('GET /docs serves the Swagger UI', async () => {
      const res = await fetch(`${base}/docs`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await res.text()).toContain('swagger-ui');
    });

    it('GET /metrics exposes the event counter, both latency histograms and the socket gauge', async () => {
      const counter = (text: string, labels: string) => {
        const line = text.split('\n').find((l) => l.startsWith(`lcb_events_total{${labels}} `));
        return line ? Number(line.split(' ')[1]) : 0;
      };
      const read = async () => {
        const r = await get<string>('/metrics', { authorization: `Bearer ${METRICS_TOKEN}` });
        expect(r.status).toBe(200);
        expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
        return r.body;
      };
      const id = await start();
      const before = await read();
      expect((await answer(id, 1, 'Yes, go ahead')).status).toBe(200);
      expect((await answer(UNKNOWN_SESSION, 1, 'Yes, go ahead')).status).toBe(404);
      const text = await read();
      expect(counter(text, 'type="answer",outcome="ok"')).toBe(
        counter(before, 'type="answer",outcome="ok"') + 1,
      );
      expect(counter(text, 'type="answer",outcome="session_not_found"')).toBe(
        counter(before, 'type="answer",outcome="session_not_found"') + 1,
      );
      expect(text).toMatch(/^# TYPE lcb_events_total counter$/m);
      expect(text).toMatch(/^lcb_ack_latency_seconds_count\{transport="rest"\} \d+$/m);
      expect(text).toMatch(/^lcb_commit_latency_seconds_count \d+$/m);
      expect(text).toMatch(/^lcb_socket_connections 0$/m);
    });

    it('a session answered over REST, then GET /health', async () => {
      const id = await start('health_check');
      expect((await answer(id, 1, 'Yes, go ahead')).body).toMatchObject({ lead_score: 10 });
      expect((await answer(id, 2, 'Kirana / Retail Shop')).body).toMatchObject({ lead_score: 20 });
      const score = await get<ScoreBody>(`/api/score/${id}`);
      expect(score.body).toMatchObject({ lead_score: 20, lead_type: 'Unqualified' });

      const r = await get<Record<string, string>>('/health');
      expect(r.status).toBe(200);
      expect(Object.keys(r.body).sort()).toEqual(['database', 'redis', 'status', 'timestamp']);
      expect(r.body).toEqual({
        status: 'healthy',
        database: 'up',
        redis: 'not_configured',
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      });
    });
  });

  describe('rate limit (RATE_LIMIT_PER_MINUTE=5)', () => {
    let limited: TestApp;
    beforeAll(async () => {
      limited = await startTestApp({ RATE_LIMIT_PER_MINUTE: '5', METRICS_TOKEN }, {}, t.db);
    });
    afterAll(async () => {
      await limited?.close();
    });

    it('answers 429 rate_limited after 5 requests, naming the limit; /health, /metrics and /openapi.json stay open', async () => {
      const url = limited.app.url;
      for (let i = 0; i < 5; i++) {
        const r = await send(url, 'GET', '/api/questions');
        expect(r.status).toBe(200);
        expect(r.headers.get('x-ratelimit-limit')).toBe('5');
        expect(r.headers.get('x-ratelimit-remaining')).toBe(String(4 - i));
      }
      const [{ n: leadsBefore }] = (await t.db.query('select count(*)::int as n from leads')) as [
        { n: number },
      ];
      const refused = [
        await send(url, 'GET', '/api/questions'),
        await send(url, 'POST', '/api/session/start', {}),
        await send(url, 'POST', '/api/answer', '{not json'),
      ];
      for (const r of refused) {
        const error = expectError(r, 429, 'rate_limited', {
          message: 'Rate limit of 5 requests per minute exceeded.',
        });
        expect(error.details).toEqual({
          limit: 5,
          window: '1 minute',
          retryAfterSeconds: expect.any(Number),
        });
        // The time left in the window, in the header and the body alike.
        const { retryAfterSeconds } = error.details as { retryAfterSeconds: number };
        expect(retryAfterSeconds).toBeGreaterThan(0);
        expect(retryAfterSeconds).toBeLessThanOrEqual(60);
        expect(r.headers.get('retry-after')).toBe(String(retryAfterSeconds));
      }
      const [{ n: leadsAfter }] = (await t.db.query('select count(*)::int as n from leads')) as [
        { n: number },
      ];
      expect(leadsAfter).toBe(leadsBefore);

      const health = await send<Record<string, string>>(url, 'GET', '/health');
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ status: 'healthy', database: 'up' });
      const scrape = { authorization: `Bearer ${METRICS_TOKEN}` };
      expect((await send(url, 'GET', '/metrics', undefined, scrape)).status).toBe(200);
      expect((await send(url, 'GET', '/openapi.json')).status).toBe(200);
      // Another server's limit is its own.
      expect((await get('/api/questions')).status).toBe(200);
    });

    it('a forged X-Forwarded-For header does not reset the limit', async () => {
      const url = limited.app.url;
      let status = 0;
      for (let i = 0; i < 6 && status !== 429; i++)
        status = (await send(url, 'GET', '/api/questions')).status;
      expect(status).toBe(429);
      const forged = await send(url, 'GET', '/api/questions', undefined, {
        'X-Forwarded-For': '203.0.113.7',
      });
      expectError(forged, 429, 'rate_limited');
    });
  });

  describe('CORS (CORS_ORIGINS=https://shop.example)', () => {
    let cors: TestApp;
    beforeAll(async () => {
      cors = await startTestApp(
        { CORS_ORIGINS: 'https://shop.example', RATE_LIMIT_PER_MINUTE: '100000' },
        {},
        t.db,
      );
    });
    afterAll(async () => {
      await cors?.close();
    });

    it('allows the configured origin and no other', async () => {
      const url = cors.app.url;
      const shop = await send(url, 'GET', '/api/questions', undefined, { origin: 'https://shop.example' });
      expect(shop.status).toBe(200);
      expect(shop.headers.get('access-control-allow-origin')).toBe('https://shop.example');
      expect(shop.headers.get('vary')).toMatch(/Origin/);

      const evil = await send(url, 'GET', '/api/questions', undefined, { origin: 'https://evil.example' });
      expect(evil.headers.get('access-control-allow-origin')).toBeNull();

      const startedFromShop = await send<StartBody>(
        url,
        'POST',
        '/api/session/start',
        {},
        { origin: 'https://shop.example' },
      );
      expect(startedFromShop.status).toBe(200);
      expect(startedFromShop.headers.get('access-control-allow-origin')).toBe('https://shop.example');

      const preflight = (origin: string) =>
        fetch(`${url}/api/answer`, {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'content-type',
          },
        });
      const ok = await preflight('https://shop.example');
      expect(ok.status).toBe(204);
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://shop.example');
      expect(ok.headers.get('access-control-allow-methods')).toContain('POST');
      const refused = await preflight('https://evil.example');
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    });
  });
});
