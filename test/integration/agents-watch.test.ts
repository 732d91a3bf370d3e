import { describe, expect, it } from 'vitest';
import type { SessionEventMessage, SessionViewers } from '../../src/protocol/index.js';
import {
  ANSWERS,
  ASHA,
  agent,
  agentsServer,
  BALA,
  GREETING,
  leadRow,
  range,
  seqs,
  storedLog,
} from '../support/agents.js';
import { routingOnHumanHelp } from '../support/routing.js';
import { type AgentClient, visitor } from '../support/sockets.js';
import { sleep, waitFor } from '../support/time.js';

/**
 * An agent watching a session: the events so far and live ones after, recovery by seq after a gap,
 * who else is viewing, the visitor's typing.
 */

// The log is counted right after the answer that makes the lead SQL: no routing event may follow it.
const server = agentsServer(routingOnHumanHelp());

describe('watching a session', () => {
  it('recovers what it missed with sinceSeq after an unwatch, then live events continue contiguously', async () => {
    const v = await visitor(server.url);
    const id = v.sessionId;
    const a = await agent(server.url);
    const live = () => a.received('session:event', (e) => e.sessionId === id);
    const liveUpTo = async (seq: number) =>
      waitFor(`live event seq ${seq}`, () => live().find((e) => e.seq === seq));

    const first = await a.ok('session:watch', { sessionId: id });
    expect(first.lead).toMatchObject({
      sessionId: id,
      state: 'greeting',
      lead_score: 5,
      classification: 'Unqualified',
      connected: true,
      takenOverBy: null,
    });
    expect(first.summary).toEqual([{ behavior: 'session_opened', points: 5, count: 1 }]);
    expect(first.breakdown).toMatchObject([{ behavior: 'session_opened', points: 5 }]);
    expect(seqs(first.events)).toEqual(seqs(await storedLog(server.db, id)));
    expect(first.events.every((e) => e.sessionId === id)).toBe(true);
    const seen: SessionEventMessage[] = [...first.events];

    await v.say('visitor:reply', GREETING);
    await v.say('visitor:reply', ANSWERS[0]!);
    const afterTwo = (await leadRow(server.db, id)).last_seq;
    await liveUpTo(afterTwo);
    seen.push(...live());
    expect(seqs(seen)).toEqual(range(1, afterTwo));

    await a.ok('session:unwatch', { sessionId: id });
    const liveBefore = live().length;
    await v.say('visitor:reply', ANSWERS[1]!);
    await v.say('visitor:reply', ANSWERS[2]!);
    await sleep(300);
    expect(live().length, 'events after unwatch').toBe(liveBefore);

    const lastSeen = seen.at(-1)!.seq;
    const again = await a.ok('session:watch', { sessionId: id, sinceSeq: lastSeen });
    const missed = await storedLog(server.db, id, lastSeen);
    expect(missed.length).toBeGreaterThan(0);
    expect(again.events.map(({ seq, type }) => ({ seq, type }))).toEqual(missed);
    expect(again.lead).toMatchObject({ lead_score: 40, state: 'questions' });
    seen.push(...again.events);

    await v.say('visitor:reply', ANSWERS[3]!);
    await v.say('visitor:reply', ANSWERS[4]!);
    const final = (await leadRow(server.db, id)).last_seq;
    await liveUpTo(final);
    await sleep(100);
    seen.push(...live().slice(liveBefore));
    expect(seqs(seen)).toEqual(range(1, final));
    expect(seen.map((e) => e.type)).toEqual((await storedLog(server.db, id)).map((e) => e.type));
  });

  it('a new connection catches up with sinceSeq while the visitor keeps answering', async () => {
    const v = await visitor(server.url);
    const id = v.sessionId;
    const first = await agent(server.url);
    const w1 = await first.ok('session:watch', { sessionId: id });
    await v.say('visitor:reply', GREETING);
    const upTo = (await leadRow(server.db, id)).last_seq;
    await waitFor('live events', () => first.received('session:event').find((e) => e.seq === upTo));
    const seen = [...w1.events, ...first.received('session:event')];
    expect(seqs(seen)).toEqual(range(1, upTo));
    first.socket.close();

    await v.say('visitor:reply', ANSWERS[0]!);
    await v.say('visitor:reply', ANSWERS[1]!);
    const second = await agent(server.url);
    // The rest of the answers race the new watch.
    const answering = Promise.all(ANSWERS.slice(2).map((p) => v.say('visitor:reply', p)));
    const w2 = await second.ok('session:watch', { sessionId: id, sinceSeq: upTo });
    const acks = await answering;
    expect(acks.at(-1)).toMatchObject({ state: 'contact', score: 70 });
    const final = (await leadRow(server.db, id)).last_seq;
    const live = () => second.received('session:event', (e) => e.sessionId === id);
    await waitFor('every event', () =>
      [...w2.events, ...live()].some((e) => e.seq === final) ? true : undefined,
    );
    await sleep(100);
    expect(seqs([...w2.events, ...live()])).toEqual(range(upTo + 1, final));
  });

  it('tells the watchers of a session who is viewing it', async () => {
    const v = await visitor(server.url);
    const asha = await agent(server.url, ASHA);
    const bala = await agent(server.url, BALA);
    const viewersOf = (c: AgentClient) => c.received('session:viewers', (m) => m.sessionId === v.sessionId);
    const names = (m: SessionViewers | undefined) => m?.viewers.map((x) => `${x.agentId}:${x.name}`).sort();

    await asha.ok('session:watch', { sessionId: v.sessionId });
    await waitFor('viewers: Asha', () => (names(viewersOf(asha).at(-1))?.length === 1 ? true : undefined));
    expect(names(viewersOf(asha).at(-1))).toEqual(['agent-1:Asha']);

    await bala.ok('session:watch', { sessionId: v.sessionId });
    const both = ['agent-1:Asha', 'agent-2:Bala'];
    await waitFor('viewers: both (Asha)', () =>
      names(viewersOf(asha).at(-1))?.length === 2 ? true : undefined,
    );
    await waitFor('viewers: both (Bala)', () =>
      names(viewersOf(bala).at(-1))?.length === 2 ? true : undefined,
    );
    expect(names(viewersOf(asha).at(-1))).toEqual(both);
    expect(names(viewersOf(bala).at(-1))).toEqual(both);

    await bala.ok('session:unwatch', { sessionId: v.sessionId });
    await waitFor('viewers: Asha again', () =>
      names(viewersOf(asha).at(-1))?.length === 1 ? true : undefined,
    );
    expect(names(viewersOf(asha).at(-1))).toEqual(['agent-1:Asha']);

    // An agent whose connection ends stops being a viewer too.
    await bala.ok('session:watch', { sessionId: v.sessionId });
    await waitFor('viewers: both again', () =>
      names(viewersOf(asha).at(-1))?.length === 2 ? true : undefined,
    );
    bala.socket.close();
    await waitFor('viewers: Asha after Bala left', () =>
      names(viewersOf(asha).at(-1))?.length === 1 ? true : undefined,
    );
    expect(names(viewersOf(asha).at(-1))).toEqual(['agent-1:Asha']);
  });

  it('watching again on the same connection delivers each event once', async () => {
    const v = await visitor(server.url);
    const a = await agent(server.url);
    const first = await a.ok('session:watch', { sessionId: v.sessionId });
    const upTo = first.events.at(-1)!.seq;
    const second = await a.ok('session:watch', { sessionId: v.sessionId, sinceSeq: upTo });
    expect(second.events).toEqual([]);
    await v.say('visitor:reply', GREETING);
    await v.say('visitor:reply', ANSWERS[0]!);
    const last = (await leadRow(server.db, v.sessionId)).last_seq;
    const live = () => a.received('session:event', (e) => e.sessionId === v.sessionId);
    await waitFor('the last event', () => live().find((e) => e.seq === last));
    await sleep(200);
    expect(seqs(live())).toEqual(range(upTo + 1, last));
  });

  it('refuses to watch a session that does not exist or an id that is not one', async () => {
    const a = await agent(server.url);
    await a.fails('session:watch', { sessionId: `sess_${'0'.repeat(32)}` }, 'session_not_found');
    await a.fails('session:watch', { sessionId: 'nope' }, 'validation_failed');
    await a.fails(
      'session:watch',
      { sessionId: `sess_${'0'.repeat(32)}`, sinceSeq: -1 },
      'validation_failed',
    );
  });

  it('refuses a sinceSeq or a list limit out of bounds with validation_failed naming the field', async () => {
    const a = await agent(server.url);
    const v = await visitor(server.url);
    // Past what the log's integer column holds: a 422, not a database error.
    const seq = await a.fails(
      'session:watch',
      { sessionId: v.sessionId, sinceSeq: 2 ** 31 },
      'validation_failed',
    );
    expect(seq.details).toMatchObject({ issues: [{ path: 'sinceSeq' }] });
    const limit = await a.fails('sessions:list', { filter: { limit: 1001 } }, 'validation_failed');
    expect(limit.details).toMatchObject({ issues: [{ path: 'filter.limit' }] });
    await a.ok('session:watch', { sessionId: v.sessionId, sinceSeq: 2 ** 31 - 1 });
  });

  it("relays the visitor's typing to the session's watchers only", async () => {
    const v = await visitor(server.url);
    const other = await visitor(server.url);
    const asha = await agent(server.url, ASHA);
    const bala = await agent(server.url, BALA);
    await asha.ok('session:watch', { sessionId: v.sessionId });

    v.socket.emit('visitor:typing', {});
    expect(await asha.nth('session:typing')).toEqual({ sessionId: v.sessionId, typing: true });
    other.socket.emit('visitor:typing', {});
    v.socket.emit('visitor:typing', { typing: false });
    expect(await asha.nth('session:typing', () => true, 1)).toEqual({
      sessionId: v.sessionId,
      typing: false,
    });
    await sleep(300);
    expect(asha.received('session:typing')).toEqual([
      { sessionId: v.sessionId, typing: true },
      { sessionId: v.sessionId, typing: false },
    ]);
    expect(bala.received('session:typing')).toEqual([]);

    await asha.ok('session:unwatch', { sessionId: v.sessionId });
    v.socket.emit('visitor:typing', {});
    await sleep(300);
    expect(asha.received('session:typing')).toHaveLength(2);
  });
});
