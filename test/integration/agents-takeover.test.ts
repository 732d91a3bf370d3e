import { describe, expect, it } from 'vitest';
import {
  ANSWERS,
  ASHA,
  agent,
  agentsServer,
  BALA,
  DEV,
  GREETING,
  leadRow,
  range,
  seqs,
} from '../support/agents.js';
import { visitor } from '../support/sockets.js';
import { sleep, waitFor } from '../support/time.js';

/** An agent takes a conversation over from the bot, talks to the visitor, and hands it back. */

const server = agentsServer();

describe('takeover', () => {
  it('an agent who takes a session over talks to the visitor while the bot stays quiet; others are refused the hold, and on release the bot asks its pending question again', async () => {
    const v = await visitor(server.url);
    const id = v.sessionId;
    await v.say('visitor:reply', GREETING);
    await v.nth('bot:message', (m) => m.questionId === 2);
    const asha = await agent(server.url, ASHA);
    const bala = await agent(server.url, BALA);
    const watched = await asha.ok('session:watch', { sessionId: id });
    const log = () => [...watched.events, ...asha.received('session:event', (e) => e.sessionId === id)];

    // Not held yet: nobody may write or release.
    await asha.fails('agent:message', { sessionId: id, text: 'too early' }, 'forbidden');
    await asha.fails('session:release', { sessionId: id }, 'forbidden');

    expect(await asha.ok('session:takeover', { sessionId: id })).toEqual({
      ok: true,
      takenOverBy: 'agent-1',
      state: 'questions',
    });
    expect(await v.nth('agent:joined')).toEqual({ name: 'Asha', at: expect.any(String) });
    expect((await leadRow(server.db, id)).taken_over_by).toBe('agent-1');
    const listed = await bala.ok('sessions:list', {});
    expect(listed.sessions.find((r) => r.sessionId === id)).toMatchObject({
      takenOverBy: 'agent-1',
      connected: true,
    });
    // Every agent's board hears of it.
    expect(
      await bala.nth('board:update', (r) => r.sessionId === id && r.takenOverBy === 'agent-1'),
    ).toMatchObject({ state: 'questions', connected: true });

    // While held the visitor's answers count, but the bot stays quiet.
    const promptsBefore = v.messages.length;
    const answered = await v.say('visitor:reply', ANSWERS[0]!);
    expect(answered).toMatchObject({ score: 20, state: 'questions' });
    expect(answered.awarded.map((x) => x.behavior)).toContain('answered_question');

    await asha.ok('agent:message', { sessionId: id, text: 'Hi, I am Asha from YouShop.' });
    const said = await v.nth('agent:message');
    expect(said).toEqual({
      seq: expect.any(Number),
      name: 'Asha',
      text: 'Hi, I am Asha from YouShop.',
      at: expect.any(String),
    });

    const conflict = await bala.fails('session:takeover', { sessionId: id }, 'conflict');
    expect(conflict.details).toMatchObject({ takenOverBy: 'agent-1' });
    await bala.fails('agent:message', { sessionId: id, text: 'me too' }, 'forbidden');
    await bala.fails('session:release', { sessionId: id }, 'forbidden');
    await asha.fails('agent:message', { sessionId: id, text: '   ' }, 'validation_failed');
    const nul = await asha.fails('agent:message', { sessionId: id, text: 'Hi\u0000' }, 'validation_failed');
    expect(nul.details).toMatchObject({ issues: [{ path: 'text' }] });
    expect((await leadRow(server.db, id)).taken_over_by).toBe('agent-1');
    await sleep(200);
    expect(v.messages, 'no bot message while held').toHaveLength(promptsBefore);

    expect(await asha.ok('session:release', { sessionId: id })).toEqual({
      ok: true,
      takenOverBy: null,
      state: 'questions',
    });
    expect(await v.nth('agent:left')).toEqual({ name: 'Asha', at: expect.any(String) });
    const again = await v.nth('bot:message', (m) => m.questionId === 3);
    expect(again).toMatchObject({ step: 'location', input: 'text' });
    await sleep(100);
    expect(v.messages).toHaveLength(promptsBefore + 1);
    expect((await leadRow(server.db, id)).taken_over_by).toBeNull();

    // The watcher saw the whole story in the log, in order.
    const last = (await leadRow(server.db, id)).last_seq;
    await waitFor('the log up to the release', () => (log().some((e) => e.seq === last) ? true : undefined));
    const events = log();
    expect(seqs(events)).toEqual(range(1, last));
    const agentEvents = events.filter((e) => e.type.startsWith('agent.'));
    expect(agentEvents.map((e) => e.type)).toEqual(['agent.joined', 'agent.message', 'agent.left']);
    expect(agentEvents[0]!.data).toMatchObject({ agentId: 'agent-1', name: 'Asha' });
    expect(agentEvents[1]!.data).toMatchObject({ agentId: 'agent-1', text: 'Hi, I am Asha from YouShop.' });
    expect(agentEvents[1]!.seq).toBe(said.seq);
    expect(events.at(-1)).toMatchObject({ type: 'bot.prompt', data: { questionId: 3 } });
    // While held, no bot.prompt was logged.
    const heldFrom = agentEvents[0]!.seq;
    const heldTo = agentEvents[2]!.seq;
    expect(events.filter((e) => e.seq > heldFrom && e.seq < heldTo && e.type === 'bot.prompt')).toEqual([]);

    // The bot carries on; another agent may now take over, and an admin may release anyone's hold.
    await v.say('visitor:reply', ANSWERS[1]!);
    await v.nth('bot:message', (m) => m.questionId === 4);
    expect(await bala.ok('session:takeover', { sessionId: id })).toMatchObject({ takenOverBy: 'agent-2' });
    const dev = await agent(server.url, DEV);
    expect(await dev.ok('session:release', { sessionId: id })).toMatchObject({ takenOverBy: null });
    expect((await leadRow(server.db, id)).taken_over_by).toBeNull();
  });

  it('a visitor who reconnects while the session is held gets no bot message', async () => {
    const v = await visitor(server.url);
    const id = v.sessionId;
    await v.say('visitor:reply', GREETING);
    const asha = await agent(server.url, ASHA);
    await asha.ok('session:takeover', { sessionId: id });
    await v.nth('agent:joined');
    await v.say('visitor:reply', ANSWERS[0]!);
    v.socket.close();

    const back = await visitor(server.url, { auth: { sessionId: id } });
    expect(await back.hello()).toMatchObject({
      sessionId: id,
      resumed: true,
      state: 'questions',
      score: 20,
    });
    await sleep(300);
    // The bot is paused while an agent holds the session: it must not put its next question.
    expect(back.messages).toEqual([]);

    await asha.ok('session:release', { sessionId: id });
    expect(await back.nth('bot:message')).toMatchObject({ questionId: 3 });
  });

  it('refuses a takeover of a session that does not exist', async () => {
    const a = await agent(server.url);
    await a.fails('session:takeover', { sessionId: `sess_${'f'.repeat(32)}` }, 'session_not_found');
  });
});
