import { describe, expect, it } from 'vitest';
import { serverFor } from '../support/app.js';
import { awards, expectIncreasingSeqs, SECOND } from '../support/chat.js';
import { http } from '../support/http.js';
import { openVisitor } from '../support/sockets.js';
import { waitFor } from '../support/time.js';

/** One session over both doors: REST and the /chat socket take turns on the same conversation. */

const server = serverFor();
const { clock } = server;

/** The answer to a question over REST (POST /api/answer). */
const answer = (sessionId: string, questionId: number, text: string) =>
  http(server.url, 'POST', '/api/answer', {
    session_id: sessionId,
    question_id: questionId,
    answer_text: text,
  });

describe('REST and socket on one session', () => {
  it('a session started over REST continues on the socket, and REST reads the same score', async () => {
    const start = await http(server.url, 'POST', '/api/session/start', {});
    expect(start.status).toBe(200);
    const id: string = start.body.session_id;
    clock.advance(2 * SECOND);
    const a1 = await answer(id, 1, 'Yes, go ahead');
    expect(a1.body).toMatchObject({ lead_score: 10, next_question: { questionId: 2 } });
    clock.advance(2 * SECOND);
    const a2 = await answer(id, 2, 'Other');
    expect(a2.status).toBe(200);
    expect(a2.body).toMatchObject({
      lead_score: 20,
      lead_type: 'Unqualified',
      next_question: { questionId: 3 },
    });

    const chat = openVisitor(server.url, { auth: { sessionId: id } });
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
      // Nobody is online: the visitor who asked for a person is asked when to be called back.
      callback: expect.objectContaining({ team: 'sales', reason: 'nobody_online' }),
    });
    const completed = await waitFor('completed prompt', () =>
      chat.messages.find((m) => m.step === 'completed'),
    );
    expect(completed.input).toBe('none');
    expectIncreasingSeqs(chat.messages);

    const score = await http(server.url, 'GET', `/api/score/${id}`);
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
    const chat = openVisitor(server.url);
    const { sessionId: id } = await chat.hello();
    clock.advance(2 * SECOND);
    expect(await chat.say('visitor:reply', { optionIds: ['yes'] })).toMatchObject({ score: 10 });

    clock.advance(2 * SECOND);
    const a2 = await answer(id, 2, 'restaurant / café');
    expect(a2.status).toBe(200);
    expect(a2.body).toMatchObject({ score_earned: 10, lead_score: 20, next_question: { questionId: 3 } });
    clock.advance(2 * SECOND);
    const a3 = await answer(id, 3, 'Chennai');
    expect(a3.body).toMatchObject({ score_earned: 10, lead_score: 30, lead_type: 'MQL' });

    // And back on the socket: the engine is the same, the conversation is at question 4.
    clock.advance(2 * SECOND);
    expect(await chat.say('visitor:reply', { optionIds: ['two_to_five'] })).toMatchObject({
      score: 40,
      state: 'questions',
      awarded: awards(['answered_question', 5], ['quick_reply', 5]),
    });
    const score = await http(server.url, 'GET', `/api/score/${id}`);
    expect(score.body).toMatchObject({ lead_score: 40, lead_type: 'MQL' });
  });
});

describe('a REST event with the socket open', () => {
  it('reaches the open tab as a bot message', async () => {
    const a = openVisitor(server.url);
    const { sessionId: id } = await a.hello();
    clock.advance(SECOND);
    const r = await answer(id, 1, 'Yes, go ahead');
    expect(r.status).toBe(200);
    const pushed = await a.message(1);
    expect(pushed).toEqual(r.body.next_question);
    expect(pushed).toMatchObject({ questionId: 2 });
  });
});
