import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BotMessage, ErrorAck, VisitorAction, VisitorOutcome } from '../../src/protocol/index.js';
import {
  METRICS_TOKEN,
  settledConnections,
  socketConnections,
  startTestApp,
  type TestApp,
} from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { TestClock } from '../support/engine.js';
import { http } from '../support/http.js';
import type { StepPayload, VisitorEvent } from '../support/journey.js';
import {
  closeClients,
  messageId,
  type OkAck,
  openVisitor,
  type Transport,
  type VisitorClient,
} from '../support/sockets.js';
import { sleep, waitFor } from '../support/time.js';

const SECOND = 1000;

/** The expected `awarded` list of an ack. */
const awards = (...pairs: [string, number][]): VisitorOutcome['awarded'] =>
  pairs.map(([behavior, points]) => ({ behavior, points }));

afterEach(closeClients);

async function eventCount(db: TestDatabase, id: string): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    'select count(*)::int as n from session_events where lead_id = $1',
    [id],
  );
  return row!.n;
}

async function leadCount(db: TestDatabase): Promise<number> {
  const [row] = await db.query<{ n: number }>('select count(*)::int as n from leads');
  return row!.n;
}

/** Greeting and all five questions, quickly; leaves the conversation at the contact step (score 70). */
async function answerAll(chat: VisitorClient, clock: TestClock): Promise<OkAck> {
  const replies: StepPayload[] = [
    { optionIds: ['yes'] },
    { optionIds: ['other'] },
    { text: 'Pune' },
    { optionIds: ['just_me'] },
    { optionIds: ['under_50k'] },
    { optionIds: ['billing'] },
  ];
  let last: OkAck | undefined;
  for (const reply of replies) {
    clock.advance(2 * SECOND);
    last = await chat.say('visitor:reply', reply);
  }
  expect(last).toMatchObject({ state: 'contact', score: 70 });
  return last!;
}

function expectIncreasingSeqs(messages: BotMessage[]): void {
  const seqs = messages.map((m) => m.seq);
  for (let i = 1; i < seqs.length; i++)
    expect(seqs[i], `seqs ${seqs.join(',')}`).toBeGreaterThan(seqs[i - 1]!);
}

/**
 * The whole conversation over one transport. Points: 5 opened + 5 greeting + Q2 10 + Q3 15 (detailed)
 * + Q4 5 (200 s: not quick) + Q5 10 + Q6 10 + all 10 + contact 10 + demo 15 + CTA 15 = 110.
 */
async function fullJourney(t: TestApp, clock: TestClock, transport: Transport): Promise<void> {
  const chat = openVisitor(t.app.url, {
    transports: [transport],
    auth: { utmSource: `journey-${transport}`, locale: 'en-IN' },
  });
  const hello = await chat.hello();
  expect(hello).toMatchObject({ resumed: false, state: 'greeting', score: 5, classification: 'Unqualified' });
  expect(hello.sessionId).toMatch(/^sess_[0-9a-f]{32}$/);
  const greeting = await chat.message(0);
  expect(greeting).toMatchObject({ step: 'greeting', questionId: 1, input: 'choice' });
  expect(greeting.options?.map((o) => o.id)).toEqual(['yes', 'about', 'no']);

  const say = (after: number, event: VisitorEvent, payload: StepPayload) => {
    clock.advance(after);
    return chat.say(event, payload);
  };

  // Greeting by option id.
  expect(await say(3 * SECOND, 'visitor:reply', { optionIds: ['yes'] })).toEqual({
    ok: true,
    score: 10,
    classification: 'Unqualified',
    state: 'questions',
    awarded: awards(['replied_to_greeting', 5]),
  });
  expect(await chat.message(1)).toMatchObject({ step: 'business_type', questionId: 2, input: 'choice' });

  // Question 2 by its label in another case: a choice, so no detailed_answer although the text is long.
  expect(await say(4 * SECOND, 'visitor:reply', { text: 'KIRANA / RETAIL SHOP' })).toMatchObject({
    score: 20,
    classification: 'Unqualified',
    state: 'questions',
    awarded: awards(['answered_question', 5], ['quick_reply', 5]),
  });
  const q3 = await chat.message(2);
  expect(q3).toMatchObject({ step: 'location', questionId: 3, input: 'text' });
  expect(q3.options).toBeUndefined();

  // Question 3 as free text longer than 10 characters.
  expect(await say(10 * SECOND, 'visitor:reply', { text: 'Koramangala, Bengaluru' })).toMatchObject({
    score: 35,
    classification: 'MQL',
    awarded: awards(['answered_question', 5], ['quick_reply', 5], ['detailed_answer', 5]),
  });
  expect(await chat.message(3)).toMatchObject({ step: 'staff_size', questionId: 4, input: 'choice' });

  // Question 4 by option id, 200 s after it was put: no quick_reply.
  expect(await say(200 * SECOND, 'visitor:reply', { optionIds: ['six_to_fifteen'] })).toMatchObject({
    score: 40,
    classification: 'MQL',
    awarded: awards(['answered_question', 5]),
  });
  expect(await chat.message(4)).toMatchObject({ step: 'monthly_sales', questionId: 5 });

  // Question 5 by its exact label, lower-cased.
  expect(await say(5 * SECOND, 'visitor:reply', { text: '₹2l – ₹5l' })).toMatchObject({
    score: 50,
    awarded: awards(['answered_question', 5], ['quick_reply', 5]),
  });
  expect(await chat.message(5)).toMatchObject({ step: 'needs', questionId: 6, input: 'multi_choice' });

  // Question 6, several option ids: all questions answered.
  expect(await say(5 * SECOND, 'visitor:reply', { optionIds: ['qr_payments', 'inventory'] })).toEqual({
    ok: true,
    score: 70,
    classification: 'SQL',
    state: 'contact',
    awarded: awards(['answered_question', 5], ['quick_reply', 5], ['answered_all_questions', 10]),
  });
  expect(await chat.message(6)).toMatchObject({ step: 'contact', questionId: 7, input: 'contact' });

  expect(
    await say(5 * SECOND, 'visitor:contact', {
      name: 'Asha Rao',
      email: 'Asha@Example.com',
      phone: '98765 43210',
    }),
  ).toEqual({
    ok: true,
    score: 80,
    classification: 'SQL',
    state: 'cta',
    awarded: awards(['shared_contact', 10]),
  });
  const cta = await chat.message(7);
  expect(cta).toMatchObject({ step: 'cta', input: 'cta' });
  expect(cta.options?.map((o) => o.id)).toContain('talk_to_sales');

  expect(await say(5 * SECOND, 'visitor:action', { action: 'clicked_demo' })).toEqual({
    ok: true,
    score: 95,
    classification: 'SQL',
    state: 'cta',
    awarded: awards(['clicked_demo', 15]),
  });
  expect(chat.messages).toHaveLength(8);

  expect(await say(5 * SECOND, 'visitor:reply', { optionIds: ['talk_to_sales'] })).toEqual({
    ok: true,
    score: 110,
    classification: 'SQL',
    state: 'completed',
    awarded: awards(['cta_clicked', 15]),
  });
  expect(await chat.message(8)).toMatchObject({ step: 'completed', input: 'none' });
  await sleep(50);
  expect(chat.messages).toHaveLength(9);
  expectIncreasingSeqs(chat.messages);

  const [lead] = await t.db.query('select * from leads where id = $1', [hello.sessionId]);
  expect(lead).toMatchObject({
    score: 110,
    classification: 'SQL',
    state: 'completed',
    name: 'Asha Rao',
    email: 'asha@example.com',
    phone: '+919876543210',
    business_type: 'Kirana / Retail Shop',
    location: 'Koramangala, Bengaluru',
    features_interested: ['QR Payments', 'Inventory'],
    utm_source: `journey-${transport}`,
  });
  const [sum] = await t.db.query('select sum(points)::int as total from score_entries where lead_id = $1', [
    hello.sessionId,
  ]);
  expect(sum!.total).toBe(110);
}

describe('the /chat namespace', () => {
  const clock = new TestClock();
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ METRICS_TOKEN }, { now: clock.now });
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('a full journey', () => {
    it('over the websocket transport scores 110 and completes', async () => {
      await fullJourney(t, clock, 'websocket');
    });

    it('over the polling transport too', async () => {
      await fullJourney(t, clock, 'polling');
    });
  });

  describe('REST and socket on one session', () => {
    it('a session started over REST continues on the socket, and REST reads the same score', async () => {
      const start = await http(t.app.url, 'POST', '/api/session/start', {});
      expect(start.status).toBe(200);
      const id: string = start.body.session_id;
      clock.advance(2 * SECOND);
      const a1 = await http(t.app.url, 'POST', '/api/answer', {
        session_id: id,
        question_id: 1,
        answer_text: 'Yes, go ahead',
      });
      expect(a1.body).toMatchObject({ lead_score: 10, next_question: { questionId: 2 } });
      clock.advance(2 * SECOND);
      const a2 = await http(t.app.url, 'POST', '/api/answer', {
        session_id: id,
        question_id: 2,
        answer_text: 'Other',
      });
      expect(a2.status).toBe(200);
      expect(a2.body).toMatchObject({
        lead_score: 20,
        lead_type: 'Unqualified',
        next_question: { questionId: 3 },
      });

      const chat = openVisitor(t.app.url, { auth: { sessionId: id } });
      expect(await chat.hello()).toMatchObject({
        sessionId: id,
        resumed: true,
        state: 'questions',
        score: 20,
        classification: 'Unqualified',
      });
      const q3 = await chat.message(0);
      expect(q3).toMatchObject({ step: 'location', questionId: 3, input: 'text' });
      // The very prompt REST returned, not a new one.
      expect(q3.seq).toBe(a2.body.next_question.seq);

      clock.advance(2 * SECOND);
      expect(await chat.say('visitor:reply', { text: 'Pune, Maharashtra' })).toMatchObject({ score: 35 });
      clock.advance(2 * SECOND);
      await chat.say('visitor:reply', { optionIds: ['just_me'] });
      clock.advance(2 * SECOND);
      await chat.say('visitor:reply', { optionIds: ['under_50k'] });
      clock.advance(2 * SECOND);
      // Several labels, comma-separated.
      expect(await chat.say('visitor:reply', { text: 'billing / invoicing, LOANS' })).toMatchObject({
        score: 75,
        state: 'contact',
      });
      clock.advance(2 * SECOND);
      expect(await chat.say('visitor:contact', { skip: true })).toMatchObject({ state: 'cta', awarded: [] });
      clock.advance(2 * SECOND);
      const last = await chat.say('visitor:reply', { text: 'need human help' });
      expect(last).toEqual({
        ok: true,
        score: 85,
        classification: 'SQL',
        state: 'completed',
        awarded: awards(['cta_clicked', 10]),
      });
      const completed = await waitFor('completed prompt', () =>
        chat.messages.find((m) => m.step === 'completed'),
      );
      expect(completed.input).toBe('none');
      expectIncreasingSeqs(chat.messages);

      const score = await http(t.app.url, 'GET', `/api/score/${id}`);
      expect(score.status).toBe(200);
      expect(score.body).toMatchObject({ lead_score: last.score, lead_type: 'SQL' });
      const breakdown = score.body.breakdown as { behavior: string; points: number; count: number }[];
      expect(breakdown.reduce((s, b) => s + b.points, 0)).toBe(last.score);
      expect(breakdown.find((b) => b.behavior === 'answered_question')).toEqual({
        behavior: 'answered_question',
        points: 25,
        count: 5,
      });
    });

    it('a session started on the socket continues over REST', async () => {
      const chat = openVisitor(t.app.url);
      const { sessionId: id } = await chat.hello();
      clock.advance(2 * SECOND);
      expect(await chat.say('visitor:reply', { optionIds: ['yes'] })).toMatchObject({ score: 10 });

      clock.advance(2 * SECOND);
      const a2 = await http(t.app.url, 'POST', '/api/answer', {
        session_id: id,
        question_id: 2,
        answer_text: 'restaurant / café',
      });
      expect(a2.status).toBe(200);
      expect(a2.body).toMatchObject({ score_earned: 10, lead_score: 20, next_question: { questionId: 3 } });
      clock.advance(2 * SECOND);
      const a3 = await http(t.app.url, 'POST', '/api/answer', {
        session_id: id,
        question_id: 3,
        answer_text: 'Chennai',
      });
      expect(a3.body).toMatchObject({ score_earned: 10, lead_score: 30, lead_type: 'MQL' });

      // And back on the socket: the engine is the same, the conversation is at question 4.
      clock.advance(2 * SECOND);
      expect(await chat.say('visitor:reply', { optionIds: ['two_to_five'] })).toMatchObject({
        score: 40,
        state: 'questions',
        awarded: awards(['answered_question', 5], ['quick_reply', 5]),
      });
      const score = await http(t.app.url, 'GET', `/api/score/${id}`);
      expect(score.body).toMatchObject({ lead_score: 40, lead_type: 'MQL' });
    });
  });

  describe('resuming', () => {
    it('after a disconnect, the same session resumes with the same prompt and completes', async () => {
      const first = openVisitor(t.app.url);
      const { sessionId: id } = await first.hello();
      clock.advance(2 * SECOND);
      await first.say('visitor:reply', { optionIds: ['yes'] });
      clock.advance(2 * SECOND);
      expect(await first.say('visitor:reply', { optionIds: ['wholesale_fmcg'] })).toMatchObject({
        score: 20,
      });
      const q3 = await first.message(2);
      expect(q3).toMatchObject({ questionId: 3 });
      first.socket.close();
      await first.disconnected();

      // Away for five minutes: the answer to question 3 is no longer quick (server clock).
      clock.advance(300 * SECOND);
      const second = openVisitor(t.app.url, { auth: { sessionId: id } });
      expect(await second.hello()).toMatchObject({
        sessionId: id,
        resumed: true,
        state: 'questions',
        score: 20,
        classification: 'Unqualified',
      });
      expect(await second.message(0)).toEqual(q3);

      expect(await second.say('visitor:reply', { text: 'Ludhiana, Punjab' })).toMatchObject({
        score: 30,
        awarded: awards(['answered_question', 5], ['detailed_answer', 5]),
      });
      clock.advance(2 * SECOND);
      await second.say('visitor:reply', { optionIds: ['more_than_fifteen'] });
      clock.advance(2 * SECOND);
      await second.say('visitor:reply', { optionIds: ['over_5l'] });
      clock.advance(2 * SECOND);
      expect(await second.say('visitor:reply', { optionIds: ['loans'] })).toMatchObject({
        score: 70,
        state: 'contact',
      });
      clock.advance(2 * SECOND);
      await second.say('visitor:contact', { email: 'owner@wholesale.example' });
      clock.advance(2 * SECOND);
      expect(await second.say('visitor:reply', { optionIds: ['start_trial'] })).toMatchObject({
        score: 95,
        classification: 'SQL',
        state: 'completed',
      });
      await waitFor('completed prompt', () => second.messages.find((m) => m.step === 'completed'));
      expect(second.messages[0]!.seq).toBe(q3.seq);
      expectIncreasingSeqs(second.messages);
    });

    it('an unknown or malformed sessionId starts a new session', async () => {
      const unknown = 'sess_0123456789abcdef0123456789abcdef';
      for (const sessionId of [unknown, 'not-a-session-id', '']) {
        const chat = openVisitor(t.app.url, { auth: { sessionId } });
        const hello = await chat.hello();
        expect(hello).toMatchObject({ resumed: false, state: 'greeting', score: 5 });
        expect(hello.sessionId).toMatch(/^sess_[0-9a-f]{32}$/);
        expect(hello.sessionId).not.toBe(sessionId);
        expect(await chat.message(0)).toMatchObject({ step: 'greeting' });
      }
      expect(await t.db.query('select id from leads where id = $1', [unknown])).toEqual([]);
    });
  });

  describe('idempotency', () => {
    it('a repeated clientMessageId returns the first ack marked duplicate, and sends nothing', async () => {
      const chat = openVisitor(t.app.url);
      const { sessionId: id } = await chat.hello();
      clock.advance(2 * SECOND);
      const payload = { clientMessageId: 'dup-1', optionIds: ['yes'] };
      const first = await chat.ok('visitor:reply', payload);
      expect(first).toMatchObject({ score: 10, awarded: awards(['replied_to_greeting', 5]) });
      await chat.message(1);
      const events = await eventCount(t.db, id);

      clock.advance(2 * SECOND);
      const again = await chat.ack('visitor:reply', payload);
      expect(again).toEqual({ ...first, duplicate: true });
      await sleep(150);
      expect(chat.messages).toHaveLength(2);
      expect(await eventCount(t.db, id)).toBe(events);

      const mismatch = await chat.fails(
        'visitor:reply',
        { clientMessageId: 'dup-1', optionIds: ['no'] },
        'duplicate_mismatch',
      );
      expect(mismatch.details).toEqual({ clientMessageId: 'dup-1' });
      // The same id on another event is a different message too.
      await chat.fails(
        'visitor:action',
        { clientMessageId: 'dup-1', action: 'clicked_pricing' },
        'duplicate_mismatch',
      );
      expect(await eventCount(t.db, id)).toBe(events);
      expect(chat.messages).toHaveLength(2);

      // A client resending after a reconnect (a new connection) gets the original ack too.
      const again2 = openVisitor(t.app.url, { auth: { sessionId: id } });
      await again2.hello();
      expect(await again2.ack('visitor:reply', payload)).toEqual({ ...first, duplicate: true });
      await sleep(100);
      expect(again2.messages).toHaveLength(1);
      expect(chat.messages).toHaveLength(2);
      expect(await eventCount(t.db, id)).toBe(events);
    });
  });

  describe('errors', () => {
    it('refuses invalid payloads with validation_failed and stores nothing', async () => {
      const chat = openVisitor(t.app.url);
      const { sessionId: id } = await chat.hello();
      const events = await eventCount(t.db, id);
      const cases: [VisitorEvent, unknown, string][] = [
        ['visitor:reply', { optionIds: ['yes'] }, 'clientMessageId'],
        ['visitor:reply', { clientMessageId: 'v-1', optionIds: 'yes' }, 'optionIds'],
        ['visitor:reply', { clientMessageId: 42, text: 'yes' }, 'clientMessageId'],
        ['visitor:reply', { clientMessageId: 'v-2', text: 'yes', mood: 'happy' }, 'mood'],
        ['visitor:reply', { clientMessageId: 'v-3', text: 'x'.repeat(2001) }, 'text'],
        ['visitor:reply', { clientMessageId: 'v-4' }, 'text'],
        ['visitor:reply', 'yes', ''],
        ['visitor:action', { clientMessageId: 'v-5', action: 'clicked_everything' }, 'action'],
        ['visitor:contact', { clientMessageId: 'v-6', email: 5 }, 'email'],
      ];
      for (const [event, payload, field] of cases) {
        const error = await chat.fails(event, payload, 'validation_failed');
        expect(error.message, JSON.stringify(payload)).toContain(field);
        expect((error.details as { issues: unknown[] }).issues.length).toBeGreaterThan(0);
      }
      // 2000 characters pass validation (and are then not one of the options).
      await chat.fails('visitor:reply', { clientMessageId: 'v-7', text: 'x'.repeat(2000) }, 'invalid_option');
      expect(await eventCount(t.db, id)).toBe(events);
      // Nothing was awarded: the first valid reply takes the score from 5 to 10.
      clock.advance(SECOND);
      expect(await chat.say('visitor:reply', { optionIds: ['yes'] })).toMatchObject({ score: 10 });
    });

    it('an unknown option is invalid_option with the options listed', async () => {
      const chat = openVisitor(t.app.url);
      const { sessionId: id } = await chat.hello();
      const events = await eventCount(t.db, id);
      let error = await chat.fails(
        'visitor:reply',
        { clientMessageId: messageId(), optionIds: ['maybe'] },
        'invalid_option',
      );
      expect((error.details as { options: { id: string }[] }).options.map((o) => o.id)).toEqual([
        'yes',
        'about',
        'no',
      ]);
      error = await chat.fails(
        'visitor:reply',
        { clientMessageId: messageId(), text: 'maybe later' },
        'invalid_option',
      );
      expect((error.details as { options: unknown[] }).options).toHaveLength(3);
      clock.advance(SECOND);
      await chat.say('visitor:reply', { optionIds: ['yes'] });
      error = await chat.fails(
        'visitor:reply',
        { clientMessageId: messageId(), optionIds: ['bakery'] },
        'invalid_option',
      );
      expect((error.details as { options: { id: string }[] }).options.map((o) => o.id)).toEqual([
        'kirana_retail',
        'restaurant_cafe',
        'wholesale_fmcg',
        'other',
      ]);
      expect(await eventCount(t.db, id)).toBeGreaterThan(events);
    });

    it('skipping contact at the greeting is invalid_state', async () => {
      const chat = openVisitor(t.app.url);
      const { sessionId: id } = await chat.hello();
      const events = await eventCount(t.db, id);
      await chat.fails('visitor:contact', { clientMessageId: messageId(), skip: true }, 'invalid_state');
      expect(await eventCount(t.db, id)).toBe(events);
    });

    it('a bad e-mail or phone is validation_failed naming the field', async () => {
      const chat = openVisitor(t.app.url);
      const { sessionId: id } = await chat.hello();
      await answerAll(chat, clock);
      const events = await eventCount(t.db, id);
      const fields = (e: ErrorAck['error']) =>
        (e.details as { fields: { field: string }[] }).fields.map((f) => f.field);

      let error = await chat.fails(
        'visitor:contact',
        { clientMessageId: messageId(), name: 'Ravi', email: 'ravi@' },
        'validation_failed',
      );
      expect(error.message).toContain('email');
      expect(fields(error)).toEqual(['email']);
      error = await chat.fails(
        'visitor:contact',
        { clientMessageId: messageId(), phone: '12345' },
        'validation_failed',
      );
      expect(error.message).toContain('phone');
      expect(fields(error)).toEqual(['phone']);
      error = await chat.fails(
        'visitor:contact',
        { clientMessageId: messageId(), email: 'nope', phone: 'call me' },
        'validation_failed',
      );
      expect(fields(error)).toEqual(['email', 'phone']);
      expect(await eventCount(t.db, id)).toBe(events);

      clock.advance(SECOND);
      expect(await chat.say('visitor:contact', { phone: '+91 98450 12345' })).toMatchObject({
        state: 'cta',
        score: 80,
        awarded: awards(['shared_contact', 10]),
      });
    });

    it('events after the conversation ended are session_closed', async () => {
      const chat = openVisitor(t.app.url);
      const { sessionId: id } = await chat.hello();
      clock.advance(SECOND);
      expect(await chat.say('visitor:reply', { optionIds: ['no'] })).toEqual({
        ok: true,
        score: 10,
        classification: 'Unqualified',
        state: 'declined',
        awarded: awards(['replied_to_greeting', 5]),
      });
      expect(await chat.message(1)).toMatchObject({ step: 'declined', input: 'none' });
      const events = await eventCount(t.db, id);

      await chat.fails(
        'visitor:reply',
        { clientMessageId: messageId(), optionIds: ['yes'] },
        'session_closed',
      );
      await chat.fails(
        'visitor:contact',
        { clientMessageId: messageId(), email: 'late@example.com' },
        'session_closed',
      );
      await chat.fails(
        'visitor:action',
        { clientMessageId: messageId(), action: 'clicked_demo' },
        'session_closed',
      );
      expect(await eventCount(t.db, id)).toBe(events);
      const [lead] = await t.db.query('select score, state from leads where id = $1', [id]);
      expect(lead).toEqual({ score: 10, state: 'declined' });
    });

    it('an invalid handshake auth is a connect_error with validation_failed', async () => {
      const before = await leadCount(t.db);
      for (const auth of [{ utmSource: 5 }, { campaign: 'spring' }, { sessionId: 42 }, { locale: '' }]) {
        const chat = openVisitor(t.app.url, { auth });
        const err = await chat.refused();
        expect(err.data, JSON.stringify(auth)).toMatchObject({ code: 'validation_failed' });
        expect(typeof err.data?.message).toBe('string');
      }
      expect(await leadCount(t.db)).toBe(before);
    });
  });

  describe('clicks and choices', () => {
    it('products, demo, pricing and the about path score by the rules', async () => {
      const chat = openVisitor(t.app.url);
      await chat.hello();
      clock.advance(SECOND);
      expect(await chat.say('visitor:reply', { text: 'what is this about?' })).toMatchObject({
        state: 'questions',
        score: 10,
        awarded: awards(['replied_to_greeting', 5]),
      });
      const [about, q2] = await Promise.all([chat.message(1), chat.message(2)]);
      expect(about).toMatchObject({ step: 'about', input: 'none' });
      expect(q2).toMatchObject({ questionId: 2 });
      expect(q2.seq).toBeGreaterThan(about.seq);

      const click = async (action: VisitorAction['action'], targetId?: string) =>
        (await chat.say('visitor:action', { action, ...(targetId ? { targetId } : {}) })).awarded;
      expect(await click('clicked_product', 'billing')).toEqual(awards(['clicked_product', 5]));
      expect(await click('clicked_product', 'billing')).toEqual([]);
      expect(await click('clicked_product', 'inventory')).toEqual(awards(['clicked_product', 5]));
      expect(await click('clicked_product', 'qr_payments')).toEqual(awards(['clicked_product', 5]));
      // At most three products.
      expect(await click('clicked_product', 'staff_hr')).toEqual([]);
      // The demo item is the demo, once.
      expect(await click('clicked_product', 'demo')).toEqual(awards(['clicked_demo', 15]));
      expect(await click('clicked_demo')).toEqual([]);
      expect(await click('clicked_pricing')).toEqual(awards(['clicked_pricing', 10]));
      expect(await click('clicked_pricing')).toEqual([]);

      const unknown = await chat.fails(
        'visitor:action',
        {
          clientMessageId: messageId(),
          action: 'clicked_product',
          targetId: 'rocket',
        },
        'invalid_option',
      );
      expect((unknown.details as { options: unknown[] }).options.length).toBeGreaterThan(3);
      await chat.fails(
        'visitor:action',
        {
          clientMessageId: messageId(),
          action: 'clicked_demo',
          targetId: 'demo',
        },
        'validation_failed',
      );
      // Clicks do not move the conversation: still at question 2 (score 10 + 15 + 15 + 10 = 50).
      expect(await chat.say('visitor:reply', { optionIds: ['other'] })).toMatchObject({
        state: 'questions',
        score: 60,
      });
      // Typing is fire-and-forget.
      chat.socket.emit('visitor:typing', {});
      await sleep(50);
      expect(chat.socket.connected).toBe(true);
    });
  });

  describe('several tabs', () => {
    it('every connection of a session receives the bot messages one tab caused', async () => {
      const a = openVisitor(t.app.url);
      const { sessionId: id } = await a.hello();
      const b = openVisitor(t.app.url, { transports: ['polling'], auth: { sessionId: id } });
      expect(await b.hello()).toMatchObject({ sessionId: id, resumed: true, state: 'greeting' });
      expect(await b.message(0)).toEqual(await a.message(0));

      clock.advance(SECOND);
      await a.say('visitor:reply', { optionIds: ['yes'] });
      const [fromA, fromB] = await Promise.all([a.message(1), b.message(1)]);
      expect(fromA).toMatchObject({ questionId: 2 });
      expect(fromB).toEqual(fromA);

      clock.advance(SECOND);
      await b.say('visitor:reply', { optionIds: ['restaurant_cafe'] });
      const [q3a, q3b] = await Promise.all([a.message(2), b.message(2)]);
      expect(q3a).toMatchObject({ questionId: 3 });
      expect(q3b).toEqual(q3a);

      // A different session's tab hears nothing of it.
      const other = openVisitor(t.app.url);
      await other.hello();
      await sleep(100);
      expect(other.messages).toHaveLength(1);
    });
  });

  describe('a REST event with the socket open', () => {
    it('reaches the open tab as a bot message', async () => {
      const a = openVisitor(t.app.url);
      const { sessionId: id } = await a.hello();
      clock.advance(SECOND);
      const r = await http(t.app.url, 'POST', '/api/answer', {
        session_id: id,
        question_id: 1,
        answer_text: 'Yes, go ahead',
      });
      expect(r.status).toBe(200);
      const pushed = await a.message(1);
      expect(pushed).toEqual(r.body.next_question);
      expect(pushed).toMatchObject({ questionId: 2 });
    });
  });

  describe('metrics', () => {
    it('lcb_socket_connections counts open connections', async () => {
      // Clients of earlier tests were closed; wait for the server to notice.
      expect(await settledConnections(t.app.url, 0)).toBe(0);
      const a = openVisitor(t.app.url);
      await a.hello();
      expect(await socketConnections(t.app.url)).toBe(1);
      const b = openVisitor(t.app.url, { transports: ['polling'] });
      await b.hello();
      expect(await socketConnections(t.app.url)).toBe(2);
      a.socket.close();
      expect(await settledConnections(t.app.url, 1)).toBe(1);
    });
  });
});

describe('servers with their own settings', () => {
  let db: TestDatabase;
  const clock = new TestClock();

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  describe('cross-origin handshakes', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ CORS_ORIGINS: 'https://shop.example' }, { now: clock.now }, db);
    });
    afterAll(async () => {
      await t?.close();
    });

    for (const transport of ['websocket', 'polling'] as const) {
      it(`refuses a foreign origin over ${transport} and accepts the allowed one`, async () => {
        const before = await leadCount(db);
        const evil = openVisitor(t.app.url, {
          transports: [transport],
          headers: { origin: 'https://evil.example' },
        });
        await evil.refused();
        expect(evil.received('session')).toEqual([]);
        expect(await leadCount(db)).toBe(before);

        const shop = openVisitor(t.app.url, {
          transports: [transport],
          headers: { origin: 'https://shop.example' },
        });
        expect(await shop.hello()).toMatchObject({ resumed: false, state: 'greeting' });
        expect(await shop.message(0)).toMatchObject({ step: 'greeting' });
        expect(await leadCount(db)).toBe(before + 1);
      });
    }
  });

  describe('message size', () => {
    let t: TestApp;
    beforeAll(async () => {
      // Answers may be long, so only the message size limit can stop a 4 KB answer.
      t = await startTestApp(
        { SOCKET_MESSAGE_LIMIT_BYTES: '1024', ANSWER_MAX_LENGTH: '10000' },
        { now: clock.now },
        db,
      );
    });
    afterAll(async () => {
      await t?.close();
    });

    for (const transport of ['websocket', 'polling'] as const) {
      it(`a message over the limit disconnects the ${transport} client and stores nothing`, async () => {
        const chat = openVisitor(t.app.url, { transports: [transport] });
        const { sessionId: id } = await chat.hello();
        clock.advance(SECOND);
        await chat.say('visitor:reply', { optionIds: ['yes'] });
        clock.advance(SECOND);
        // A message under the limit is taken (and refused for its content, not its size).
        await chat.fails(
          'visitor:reply',
          { clientMessageId: messageId(), text: 'x'.repeat(500) },
          'invalid_option',
        );
        await chat.say('visitor:reply', { optionIds: ['other'] });
        expect((await chat.message(2)).questionId).toBe(3);
        const events = await eventCount(db, id);

        chat.socket.emit(
          'visitor:reply',
          { clientMessageId: messageId(), text: 'Mumbai '.repeat(600) },
          () => {},
        );
        expect(await chat.disconnected()).toMatch(/transport (close|error)/);
        await sleep(100);
        expect(await eventCount(db, id)).toBe(events);
        const [lead] = await db.query('select location, state, score from leads where id = $1', [id]);
        expect(lead).toEqual({ location: null, state: 'questions', score: 20 });
      });
    }
  });

  describe('a visitor back after the idle deadline', () => {
    const idleClock = new TestClock();
    let t: TestApp;
    beforeAll(async () => {
      // A database of its own: the idle sweep must find only this test's session.
      t = await startTestApp({}, { now: idleClock.now });
    });
    afterAll(async () => {
      await t?.close();
    });

    it('resumes where it left off, and answering sends only the next question', async () => {
      const first = openVisitor(t.app.url);
      const { sessionId: id } = await first.hello();
      idleClock.advance(SECOND);
      await first.say('visitor:reply', { optionIds: ['yes'] });
      idleClock.advance(SECOND);
      await first.say('visitor:reply', { optionIds: ['other'] });
      const q3 = await first.message(2);
      first.socket.close();
      await first.disconnected();

      // 31 minutes later the sweeper (IDLE_SWEEP_SECONDS) marks the session abandoned.
      idleClock.advance(31 * 60 * SECOND);
      expect(await t.app.engine.expireIdle()).toBe(1);
      const [lead] = await t.db.query('select state, score from leads where id = $1', [id]);
      expect(lead).toEqual({ state: 'abandoned', score: 10 });

      const back = openVisitor(t.app.url, { auth: { sessionId: id } });
      expect(await back.hello()).toMatchObject({ resumed: true, state: 'abandoned', score: 10 });
      expect(await back.message(0)).toEqual(q3);
      idleClock.advance(SECOND);
      const r = await back.say('visitor:reply', { text: 'Jaipur, Rajasthan' });
      // Question 3 was put 31 minutes ago: no quick_reply.
      expect(r).toMatchObject({
        state: 'questions',
        score: 20,
        awarded: awards(['answered_question', 5], ['detailed_answer', 5]),
      });
      await waitFor('question 4', () => back.messages.find((m) => m.questionId === 4));
      await sleep(100);
      // The answer to question 3 should bring question 4 only, not question 3 again first.
      expect(back.messages.map((m) => m.questionId)).toEqual([3, 4]);
    });
  });

  describe('event budget', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp(
        { SOCKET_EVENTS_PER_SECOND: '2', SOCKET_EVENT_BURST: '3' },
        { now: clock.now },
        db,
      );
    });
    afterAll(async () => {
      await t?.close();
    });

    it('events beyond the burst are rate_limited, the rest succeed, and the budget refills', async () => {
      const chat = openVisitor(t.app.url);
      const { sessionId: id } = await chat.hello();
      const acks = await Promise.all(
        Array.from({ length: 10 }, () =>
          chat.ack('visitor:action', { clientMessageId: messageId(), action: 'clicked_pricing' }),
        ),
      );
      const ok = acks.filter((a): a is OkAck => a.ok);
      const limited = acks.filter((a): a is ErrorAck => !a.ok);
      expect(ok.length + limited.length).toBe(10);
      expect(ok.length).toBeGreaterThanOrEqual(3);
      expect(ok.length).toBeLessThanOrEqual(4);
      for (const a of limited) {
        expect(a.error.code).toBe('rate_limited');
        expect(a.error.message).toMatch(/\b2\b/);
        expect(a.error.details).toMatchObject({ limit: 2, burst: 3 });
      }
      // The first clicked_pricing earned 10 points, the others nothing (once per session).
      expect(ok.flatMap((a) => a.awarded)).toEqual(awards(['clicked_pricing', 10]));
      expect(Math.max(...ok.map((a) => a.score))).toBe(15);
      const [inputs] = await db.query<{ n: number }>(
        `select count(*)::int as n from session_events where lead_id = $1 and type = 'visitor.input'`,
        [id],
      );
      expect(inputs!.n).toBe(ok.length);

      // The budget is per connection: another tab of the session has its own.
      const other = openVisitor(t.app.url, { auth: { sessionId: id } });
      await other.hello();
      await other.ok('visitor:action', { clientMessageId: messageId(), action: 'clicked_pricing' });

      // Half a second refills one event at 2 per second.
      await sleep(600);
      await chat.ok('visitor:action', { clientMessageId: messageId(), action: 'clicked_pricing' });
    });
  });
});
