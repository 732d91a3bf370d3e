import { describe, expect, it } from 'vitest';
import { serverFor } from '../support/app.js';
import { awards, eventCount, expectIncreasingSeqs, SECOND } from '../support/chat.js';
import { openVisitor } from '../support/sockets.js';
import { sleep, waitFor } from '../support/time.js';

/**
 * Coming back: a visitor resumes a session after a disconnect or after the idle deadline, and a message
 * sent twice (same clientMessageId) is taken once.
 */

const server = serverFor();
const { clock } = server;

describe('resuming', () => {
  it('after a disconnect, the same session resumes with the same prompt and completes', async () => {
    const first = openVisitor(server.url);
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
    const second = openVisitor(server.url, { auth: { sessionId: id } });
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
      const chat = openVisitor(server.url, { auth: { sessionId } });
      const hello = await chat.hello();
      expect(hello).toMatchObject({ resumed: false, state: 'greeting', score: 5 });
      expect(hello.sessionId).toMatch(/^sess_[0-9a-f]{32}$/);
      expect(hello.sessionId).not.toBe(sessionId);
      expect(await chat.message(0)).toMatchObject({ step: 'greeting' });
    }
    expect(await server.db.query('select id from leads where id = $1', [unknown])).toEqual([]);
  });
});

describe('a message sent twice', () => {
  it('under the same clientMessageId is answered with the first ack marked duplicate and stores and sends nothing; another payload under it is refused', async () => {
    const chat = openVisitor(server.url);
    const { sessionId: id } = await chat.hello();
    clock.advance(2 * SECOND);
    const payload = { clientMessageId: 'dup-1', optionIds: ['yes'] };
    const first = await chat.ok('visitor:reply', payload);
    expect(first).toMatchObject({ score: 10, awarded: awards(['replied_to_greeting', 5]) });
    await chat.message(1);
    const events = await eventCount(server.db, id);

    clock.advance(2 * SECOND);
    const again = await chat.ack('visitor:reply', payload);
    expect(again).toEqual({ ...first, duplicate: true });
    await sleep(150);
    expect(chat.messages).toHaveLength(2);
    expect(await eventCount(server.db, id)).toBe(events);

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
    expect(await eventCount(server.db, id)).toBe(events);
    expect(chat.messages).toHaveLength(2);

    // A client resending after a reconnect (a new connection) gets the original ack too.
    const again2 = openVisitor(server.url, { auth: { sessionId: id } });
    await again2.hello();
    expect(await again2.ack('visitor:reply', payload)).toEqual({ ...first, duplicate: true });
    await sleep(100);
    expect(again2.messages).toHaveLength(1);
    expect(chat.messages).toHaveLength(2);
    expect(await eventCount(server.db, id)).toBe(events);
  });
});

describe('a visitor back after the idle deadline', () => {
  // A server and a database of their own: the idle sweep must find only this test's session.
  const idle = serverFor();

  it('resumes where it left off, and answering sends only the next question', async () => {
    const first = openVisitor(idle.url);
    const { sessionId: id } = await first.hello();
    idle.clock.advance(SECOND);
    await first.say('visitor:reply', { optionIds: ['yes'] });
    idle.clock.advance(SECOND);
    await first.say('visitor:reply', { optionIds: ['other'] });
    const q3 = await first.message(2);
    first.socket.close();
    await first.disconnected();

    // 31 minutes later the sweeper (IDLE_SWEEP_SECONDS) marks the session abandoned.
    idle.clock.advance(31 * 60 * SECOND);
    expect(await idle.app.engine.expireIdle()).toBe(1);
    const [lead] = await idle.db.query('select state, score from leads where id = $1', [id]);
    expect(lead).toEqual({ state: 'abandoned', score: 10 });

    const back = openVisitor(idle.url, { auth: { sessionId: id } });
    expect(await back.hello()).toMatchObject({ resumed: true, state: 'abandoned', score: 10 });
    expect(await back.message(0)).toEqual(q3);
    idle.clock.advance(SECOND);
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
