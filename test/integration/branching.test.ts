import { describe, expect, it } from 'vitest';
import { serverFor } from '../support/app.js';
import { BRANCHED_FILE } from '../support/branched.js';
import { SECOND } from '../support/chat.js';
import { visitor } from '../support/sockets.js';

/**
 * A branched workflow (examples/branched.json) served for real: visitors on /chat who answer differently
 * are put different questions, each finishes the questions of their own path with
 * `answered_all_questions`, an answer off a visitor's path is refused at both doors, and the analytics
 * funnel counts sessions per path.
 */

const API_KEY = 'branching-key-0123456789';
const server = serverFor({ WORKFLOW_FILE: BRANCHED_FILE, API_KEYS: API_KEY });

const behaviours = (ack: { awarded: { behavior: string }[] }) => ack.awarded.map((a) => a.behavior);

async function get(path: string) {
  const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${API_KEY}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function post(path: string, body: Record<string, unknown>) {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('a branched workflow over /chat', () => {
  it('puts each visitor the questions of their path, and both finish them', async () => {
    const { clock } = server;
    const kirana = await visitor(server.url);
    const restaurant = await visitor(server.url);
    const reply = async (chat: typeof kirana, payload: { optionIds?: string[]; text?: string }) => {
      clock.advance(5 * SECOND);
      return chat.say('visitor:reply', payload);
    };
    const asked = (chat: typeof kirana) =>
      chat.messages.filter((m) => m.questionId !== undefined).map((m) => m.questionId);

    for (const chat of [kirana, restaurant]) await reply(chat, { optionIds: ['yes'] });

    // A kirana shop goes from the business type straight to the monthly sales.
    await reply(kirana, { optionIds: ['kirana_retail'] });
    expect(await kirana.message(2)).toMatchObject({ step: 'monthly_sales', questionId: 5 });
    // Selling under ₹50K: no features question; the path is done and answered in full.
    const done = await reply(kirana, { text: 'Less than ₹50K' });
    expect(done.state).toBe('contact');
    expect(behaviours(done)).toContain('answered_all_questions');
    expect(await kirana.message(3)).toMatchObject({ step: 'contact', questionId: 7 });
    // At the contact form an answer may change, but not the path: "other" would drop question 5.
    clock.advance(5 * SECOND);
    const changed = await post('/api/answer', {
      session_id: kirana.sessionId,
      question_id: 2,
      answer_text: 'Other',
    });
    expect(changed.status).toBe(409);
    expect(changed.body).toMatchObject({ error: { code: 'invalid_state' } });
    const same = await post('/api/answer', {
      session_id: kirana.sessionId,
      question_id: 2,
      answer_text: 'Kirana / Retail Shop',
    });
    expect(same.status).toBe(200);

    // A restaurant: location, staff size; one person jumps past the monthly sales to the features.
    await reply(restaurant, { optionIds: ['restaurant_cafe'] });
    expect(await restaurant.message(2)).toMatchObject({ step: 'location', questionId: 3 });
    await reply(restaurant, { text: 'Pune' });
    expect(await restaurant.message(3)).toMatchObject({ step: 'staff_size', questionId: 4 });
    // The monthly sales are off this visitor's path once they say they work alone.
    await reply(restaurant, { optionIds: ['just_me'] });
    expect(await restaurant.message(4)).toMatchObject({ step: 'needs', questionId: 6 });
    // Answered by id at the REST door, the monthly sales are no question of this visitor's.
    const refused = await post('/api/answer', {
      session_id: restaurant.sessionId,
      question_id: 5,
      answer_text: '₹5L+',
    });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ error: { code: 'unknown_question' } });
    // Nor can it be skipped (it is optional, for the visitors whose path it is on).
    const skip = await post('/api/skip-question', { session_id: restaurant.sessionId, question_id: 5 });
    expect(skip.status).toBe(422);
    expect(skip.body).toMatchObject({ error: { code: 'unknown_question' } });
    const finished = await reply(restaurant, { optionIds: ['loans', 'billing'] });
    expect(finished.state).toBe('contact');
    expect(behaviours(finished)).toContain('answered_all_questions');

    expect(asked(kirana)).toEqual([1, 2, 5, 7]);
    expect(asked(restaurant)).toEqual([1, 2, 3, 4, 6, 7]);
    // The question list of a session is its path.
    const listed = async (sessionId: string) => {
      const res = await fetch(`${server.url}/api/questions?session_id=${sessionId}`);
      expect(res.status).toBe(200);
      return ((await res.json()) as { id: number; order_index: number }[]).map((q) => [q.id, q.order_index]);
    };
    expect(await listed(kirana.sessionId)).toEqual([
      [1, 1],
      [2, 2],
      [5, 3],
      [7, 4],
    ]);
    expect((await listed(restaurant.sessionId)).map(([id]) => id)).toEqual([1, 2, 3, 4, 6, 7]);
    const unknown = await fetch(`${server.url}/api/questions?session_id=sess_${'0'.repeat(32)}`);
    expect(unknown.status).toBe(404);

    // Leaving at the contact form after the path is done costs no early dropout.
    clock.advance(5 * SECOND);
    const exit = await post('/api/session/exit', { session_id: kirana.sessionId, exit_reason: 'closed' });
    expect(exit.status).toBe(200);
    expect(exit.body.score_change).toBe(0);

    // A third visitor leaves half-way along the restaurant path.
    const leaver = await visitor(server.url);
    await reply(leaver, { optionIds: ['yes'] });
    await reply(leaver, { optionIds: ['restaurant_cafe'] });
    await reply(leaver, { text: 'Chennai' });
    clock.advance(5 * SECOND);
    const left = await post('/api/session/exit', { session_id: leaver.sessionId, exit_reason: 'closed' });
    expect(left.body.score_change).toBe(-10);

    // The funnel per path: each way the visitors went, how many took it and how many answered it all.
    const day = 86_400_000;
    const range = `from=${new Date(clock.now() - day).toISOString()}&to=${new Date(clock.now() + day).toISOString()}`;
    const { status, body } = await get(`/api/analytics/leads?${range}`);
    expect(status).toBe(200);
    expect(body.funnel_paths).toEqual([
      { path: [2, 3, 4], sessions: 1, completed: 0 },
      { path: [2, 3, 4, 6], sessions: 1, completed: 1 },
      { path: [2, 5], sessions: 1, completed: 1 },
    ]);
    // Per question, only the visitors whose path reached it count.
    const funnel = body.funnel as { question_id: number; reached: number; answered: number }[];
    expect(funnel.map(({ question_id, reached, answered }) => [question_id, reached, answered])).toEqual([
      [2, 3, 3],
      [3, 2, 2],
      [4, 2, 1],
      [5, 1, 1],
      [6, 1, 1],
    ]);
    const enhanced = await get(`/api/analytics/enhanced?${range}`);
    expect(enhanced.body.funnel_paths).toEqual(body.funnel_paths);
  });

  it('lists the branches with the questions (GET /api/questions)', async () => {
    const res = await fetch(`${server.url}/api/questions`);
    const list = (await res.json()) as { id: number; when?: unknown; next?: Record<string, unknown> }[];
    expect(list.find((q) => q.id === 2)?.next).toEqual({ kirana_retail: 5, other: 'contact' });
    expect(list.find((q) => q.id === 4)?.when).toEqual({ not: { question: 2, anyOf: ['wholesale_fmcg'] } });
    expect(list.find((q) => q.id === 3)).not.toHaveProperty('when');
    expect(list.find((q) => q.id === 3)).not.toHaveProperty('next');
  });
});
