import { describe, expect, it } from 'vitest';
import type { VisitorAction } from '../../src/protocol/index.js';
import { type RunningServer, serverFor } from '../support/app.js';
import { accepted, awards, expectIncreasingSeqs, SECOND } from '../support/chat.js';
import { ashaCompletedRow, type StepPayload, type VisitorEvent } from '../support/journey.js';
import { messageId, openVisitor, type Transport } from '../support/sockets.js';
import { sleep } from '../support/time.js';

/**
 * A visitor's whole conversation on /chat over each transport, the clicks that score on the way, and
 * several tabs of one session.
 */

const server = serverFor();
const { clock } = server;

/**
 * The whole conversation over one transport. Points: 5 opened + 5 greeting + Q2 10 + Q3 15 (detailed)
 * + Q4 5 (200 s: not quick) + Q5 10 + Q6 10 + all 10 + contact 10 + demo 15 + CTA 15 = 110.
 */
async function fullJourney(server: RunningServer, transport: Transport): Promise<void> {
  const { clock } = server;
  const chat = openVisitor(server.url, {
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
  expect(await say(3 * SECOND, 'visitor:reply', { optionIds: ['yes'] })).toEqual(
    accepted(10, 'Unqualified', 'questions', ['replied_to_greeting', 5]),
  );
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
  expect(await say(5 * SECOND, 'visitor:reply', { optionIds: ['qr_payments', 'inventory'] })).toEqual(
    accepted(
      70,
      'SQL',
      'contact',
      ['answered_question', 5],
      ['quick_reply', 5],
      ['answered_all_questions', 10],
    ),
  );
  expect(await chat.message(6)).toMatchObject({ step: 'contact', questionId: 7, input: 'contact' });

  expect(
    await say(5 * SECOND, 'visitor:contact', {
      name: 'Asha Rao',
      email: 'Asha@Example.com',
      phone: '98765 43210',
    }),
  ).toEqual(accepted(80, 'SQL', 'cta', ['shared_contact', 10]));
  const cta = await chat.message(7);
  expect(cta).toMatchObject({ step: 'cta', input: 'cta' });
  expect(cta.options?.map((o) => o.id)).toContain('talk_to_sales');

  expect(await say(5 * SECOND, 'visitor:action', { action: 'clicked_demo' })).toEqual(
    accepted(95, 'SQL', 'cta', ['clicked_demo', 15]),
  );
  expect(chat.messages).toHaveLength(8);

  expect(await say(5 * SECOND, 'visitor:reply', { optionIds: ['talk_to_sales'] })).toEqual(
    accepted(110, 'SQL', 'completed', ['cta_clicked', 15]),
  );
  expect(await chat.message(8)).toMatchObject({ step: 'completed', input: 'none' });
  await sleep(50);
  expect(chat.messages).toHaveLength(9);
  expectIncreasingSeqs(chat.messages);

  const [lead] = await server.db.query('select * from leads where id = $1', [hello.sessionId]);
  expect(lead).toMatchObject(
    ashaCompletedRow({ business_type: 'Kirana / Retail Shop', utm_source: `journey-${transport}` }),
  );
  const [sum] = await server.db.query(
    'select sum(points)::int as total from score_entries where lead_id = $1',
    [hello.sessionId],
  );
  expect(sum!.total).toBe(110);
}

describe('a whole conversation', () => {
  it('over WebSocket scores 110 points, completes, and stores the lead', async () => {
    await fullJourney(server, 'websocket');
  });

  it('over HTTP long-polling scores the same 110 points, completes, and stores the lead', async () => {
    await fullJourney(server, 'polling');
  });
});

describe('clicks', () => {
  it('score by the rules (each product once, three at most; the demo and pricing once) and do not move the conversation', async () => {
    const chat = openVisitor(server.url);
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
    const a = openVisitor(server.url);
    const { sessionId: id } = await a.hello();
    const b = openVisitor(server.url, { transports: ['polling'], auth: { sessionId: id } });
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
    const other = openVisitor(server.url);
    await other.hello();
    await sleep(100);
    expect(other.messages).toHaveLength(1);
  });
});
