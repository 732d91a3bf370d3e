import { decodeJwt, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AgentRole, AgentTokens } from '../../src/agents/tokens.js';
import type {
  ErrorAck,
  SessionEventMessage,
  SessionsList,
  SessionViewers,
} from '../../src/protocol/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { CLUSTER_SECRET, type NodeProcess, startNode } from '../support/cluster.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import type { StepPayload, VisitorStep } from '../support/journey.js';
import { randomPrefix, testRedisUrl } from '../support/redis.js';
import { type AgentClient, ask, closeClients, openAgent, visitor } from '../support/sockets.js';
import { sleep, waitFor } from '../support/time.js';

/**
 * The /agents namespace: token auth, the lead board, watching a session (with recovery by seq),
 * takeover, alerts, board updates and typing. One in-process server, plus two real processes for the
 * board across nodes.
 */

/** How long "nothing arrives" is watched for. */
const QUIET_MS = 500;
const SECRET = 'agents-test-secret-0123456789abcdef';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

afterEach(closeClients);

type SessionsListFilter = NonNullable<NonNullable<SessionsList>['filter']>;

interface Who {
  id: string;
  name: string;
  role: AgentRole;
}
const ASHA: Who = { id: 'agent-1', name: 'Asha', role: 'agent' };
const BALA: Who = { id: 'agent-2', name: 'Bala', role: 'agent' };
const DEV: Who = { id: 'admin-1', name: 'Dev', role: 'admin' };

async function agent(
  url: string,
  who: Who = ASHA,
  { secret = SECRET, ttl = '1h' }: { secret?: string; ttl?: string | number } = {},
): Promise<AgentClient> {
  const c = openAgent(url, { auth: { token: await new AgentTokens(secret).sign(who, ttl) } });
  await c.connected();
  return c;
}

/** A token with the right secret but claims of our choosing. */
function forge(claims: Record<string, unknown>, secret = SECRET, expires: string | null = '1h') {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt();
  return (expires ? jwt.setExpirationTime(expires) : jwt).sign(new TextEncoder().encode(secret));
}

const GREETING = { optionIds: ['yes'] };
/** Questions 2–6, in the default order (no experiments); each earns 10 with a quick reply. */
const ANSWERS: StepPayload[] = [
  { optionIds: ['kirana_retail'] },
  { text: 'Pune' },
  { optionIds: ['two_to_five'] },
  { optionIds: ['50k_2l'] },
  { optionIds: ['billing', 'inventory'] },
];

async function leadRow(db: TestDatabase, id: string) {
  const [row] = await db.query<{ last_seq: number; score: number; taken_over_by: string | null }>(
    'select last_seq, score, taken_over_by from leads where id = $1',
    [id],
  );
  expect(row, `lead ${id}`).toBeDefined();
  return row!;
}

async function storedLog(db: TestDatabase, id: string, sinceSeq = 0) {
  return db.query<{ seq: number; type: string }>(
    'select seq, type from session_events where lead_id = $1 and seq > $2 order by seq',
    [id, sinceSeq],
  );
}

const seqs = (events: { seq: number }[]) => events.map((e) => e.seq);

describe('/agents on one server', () => {
  let t: TestApp;
  let url: string;

  beforeAll(async () => {
    t = await startTestApp({ SECRET_KEY: SECRET });
    url = t.app.url;
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('authentication', () => {
    it('refuses a handshake without a valid agent token with connect_error unauthorized', async () => {
      const v = await visitor(url);
      const tokens = new AgentTokens(SECRET);
      const cases: [string, Record<string, unknown>, 'invalid' | 'expired' | null][] = [
        ['no token', {}, null],
        ['an empty token', { token: '' }, null],
        ['a token that is not a string', { token: 12345 }, null],
        ['a garbage token', { token: 'not.a.jwt' }, 'invalid'],
        [
          'a token signed with another secret',
          { token: await new AgentTokens('another-secret-0123456789abcdef').sign(ASHA) },
          'invalid',
        ],
        ['an expired token', { token: await tokens.sign(ASHA, -10) }, 'expired'],
        [
          "a token with role 'visitor'",
          { token: await forge({ sub: 'v-1', name: 'Vee', role: 'visitor' }) },
          'invalid',
        ],
        ['a token without a name', { token: await forge({ sub: 'agent-9', role: 'agent' }) }, 'invalid'],
        ['a token without a subject', { token: await forge({ name: 'Nobody', role: 'agent' }) }, 'invalid'],
        [
          'a token that never expires',
          { token: await forge({ sub: 'agent-9', name: 'Eve', role: 'admin' }, SECRET, null) },
          'invalid',
        ],
        [
          "an unsigned token (alg 'none')",
          {
            token: new UnsecuredJWT({ name: 'Eve', role: 'admin' })
              .setSubject('agent-9')
              .setExpirationTime('1h')
              .encode(),
          },
          'invalid',
        ],
        ["the visitor's session id as the token", { token: v.sessionId }, 'invalid'],
        ["the visitor's /chat auth", { sessionId: v.sessionId }, null],
      ];
      const refusals = await Promise.all(
        cases.map(async ([what, auth]) => ({ what, err: await openAgent(url, { auth }).refused() })),
      );
      for (const [i, { what, err }] of refusals.entries()) {
        const reason = cases[i]![2];
        expect(err.data?.code, what).toBe('unauthorized');
        expect(typeof err.data?.message, what).toBe('string');
        if (reason) expect(err.data?.details, what).toEqual({ reason });
      }
    });

    it("a token that expires while connected gets 'auth:expired' and is disconnected", async () => {
      const token = await new AgentTokens(SECRET).sign(ASHA, 2);
      const exp = decodeJwt(token).exp! * 1000;
      const c = openAgent(url, { auth: { token } });
      await c.connected();
      // Works until it expires.
      await c.ok('sessions:list', {});
      const expired = await c.nth('auth:expired', undefined, 0, 4000);
      expect(expired).toMatchObject({ code: 'unauthorized' });
      expect(typeof expired.message).toBe('string');
      const at = c.events.find((e) => e.event === 'auth:expired')!.at;
      expect(at).toBeGreaterThanOrEqual(exp - 50);
      expect(await c.disconnected()).toBe('io server disconnect');
      // The same token is refused from now on.
      const again = await openAgent(url, { auth: { token } }).refused();
      expect(again.data).toMatchObject({ code: 'unauthorized', details: { reason: 'expired' } });
    });

    it('a visitor socket on /chat gets no answer to agent events and takes nothing over', async () => {
      const v = await visitor(url);
      await Promise.all([
        v.noAck('session:watch', { sessionId: v.sessionId }),
        v.noAck('sessions:list', {}),
        v.noAck('session:takeover', { sessionId: v.sessionId }),
        v.noAck('agent:message', { sessionId: v.sessionId, text: 'hi' }),
      ]);
      expect(v.events.map((e) => e.event).filter((e) => e !== 'session' && e !== 'bot:message')).toEqual([]);
      expect((await leadRow(t.db, v.sessionId)).taken_over_by).toBeNull();
      // The visitor can still chat.
      expect(await v.say('visitor:reply', GREETING)).toMatchObject({ score: 10, state: 'questions' });
    });
  });

  describe('watching a session', () => {
    it('recovers what it missed with sinceSeq after an unwatch, then live events continue contiguously', async () => {
      const v = await visitor(url);
      const id = v.sessionId;
      const a = await agent(url);
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
      expect(seqs(first.events)).toEqual(seqs(await storedLog(t.db, id)));
      expect(first.events.every((e) => e.sessionId === id)).toBe(true);
      const seen: SessionEventMessage[] = [...first.events];

      await v.say('visitor:reply', GREETING);
      await v.say('visitor:reply', ANSWERS[0]!);
      const afterTwo = (await leadRow(t.db, id)).last_seq;
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
      const missed = await storedLog(t.db, id, lastSeen);
      expect(missed.length).toBeGreaterThan(0);
      expect(again.events.map(({ seq, type }) => ({ seq, type }))).toEqual(missed);
      expect(again.lead).toMatchObject({ lead_score: 40, state: 'questions' });
      seen.push(...again.events);

      await v.say('visitor:reply', ANSWERS[3]!);
      await v.say('visitor:reply', ANSWERS[4]!);
      const final = (await leadRow(t.db, id)).last_seq;
      await liveUpTo(final);
      await sleep(100);
      seen.push(...live().slice(liveBefore));
      expect(seqs(seen)).toEqual(range(1, final));
      expect(seen.map((e) => e.type)).toEqual((await storedLog(t.db, id)).map((e) => e.type));
    });

    it('a new connection catches up with sinceSeq while the visitor keeps answering', async () => {
      const v = await visitor(url);
      const id = v.sessionId;
      const first = await agent(url);
      const w1 = await first.ok('session:watch', { sessionId: id });
      await v.say('visitor:reply', GREETING);
      const upTo = (await leadRow(t.db, id)).last_seq;
      await waitFor('live events', () => first.received('session:event').find((e) => e.seq === upTo));
      const seen = [...w1.events, ...first.received('session:event')];
      expect(seqs(seen)).toEqual(range(1, upTo));
      first.socket.close();

      await v.say('visitor:reply', ANSWERS[0]!);
      await v.say('visitor:reply', ANSWERS[1]!);
      const second = await agent(url);
      // The rest of the answers race the new watch.
      const answering = Promise.all(ANSWERS.slice(2).map((p) => v.say('visitor:reply', p)));
      const w2 = await second.ok('session:watch', { sessionId: id, sinceSeq: upTo });
      const acks = await answering;
      expect(acks.at(-1)).toMatchObject({ state: 'contact', score: 70 });
      const final = (await leadRow(t.db, id)).last_seq;
      const live = () => second.received('session:event', (e) => e.sessionId === id);
      await waitFor('every event', () =>
        [...w2.events, ...live()].some((e) => e.seq === final) ? true : undefined,
      );
      await sleep(100);
      expect(seqs([...w2.events, ...live()])).toEqual(range(upTo + 1, final));
    });

    it('tells the watchers of a session who is viewing it', async () => {
      const v = await visitor(url);
      const asha = await agent(url, ASHA);
      const bala = await agent(url, BALA);
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
      const v = await visitor(url);
      const a = await agent(url);
      const first = await a.ok('session:watch', { sessionId: v.sessionId });
      const upTo = first.events.at(-1)!.seq;
      const second = await a.ok('session:watch', { sessionId: v.sessionId, sinceSeq: upTo });
      expect(second.events).toEqual([]);
      await v.say('visitor:reply', GREETING);
      await v.say('visitor:reply', ANSWERS[0]!);
      const last = (await leadRow(t.db, v.sessionId)).last_seq;
      const live = () => a.received('session:event', (e) => e.sessionId === v.sessionId);
      await waitFor('the last event', () => live().find((e) => e.seq === last));
      await sleep(200);
      expect(seqs(live())).toEqual(range(upTo + 1, last));
    });

    it('refuses to watch a session that does not exist or an id that is not one', async () => {
      const a = await agent(url);
      await a.fails('session:watch', { sessionId: `sess_${'0'.repeat(32)}` }, 'session_not_found');
      await a.fails('session:watch', { sessionId: 'nope' }, 'validation_failed');
      await a.fails(
        'session:watch',
        { sessionId: `sess_${'0'.repeat(32)}`, sinceSeq: -1 },
        'validation_failed',
      );
    });

    it('refuses a sinceSeq or a list limit out of bounds with validation_failed naming the field', async () => {
      const a = await agent(url);
      const v = await visitor(url);
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
      const v = await visitor(url);
      const other = await visitor(url);
      const asha = await agent(url, ASHA);
      const bala = await agent(url, BALA);
      await asha.ok('session:watch', { sessionId: v.sessionId });

      v.socket.emit('visitor:typing', {});
      expect(await asha.nth('session:typing')).toEqual({ sessionId: v.sessionId });
      other.socket.emit('visitor:typing', {});
      await sleep(300);
      expect(asha.received('session:typing')).toEqual([{ sessionId: v.sessionId }]);
      expect(bala.received('session:typing')).toEqual([]);

      await asha.ok('session:unwatch', { sessionId: v.sessionId });
      v.socket.emit('visitor:typing', {});
      await sleep(300);
      expect(asha.received('session:typing')).toHaveLength(1);
    });
  });

  describe('takeover', () => {
    it('takeover, agent messages, conflict, forbidden, release with the pending question again', async () => {
      const v = await visitor(url);
      const id = v.sessionId;
      await v.say('visitor:reply', GREETING);
      await v.nth('bot:message', (m) => m.questionId === 2);
      const asha = await agent(url, ASHA);
      const bala = await agent(url, BALA);
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
      expect((await leadRow(t.db, id)).taken_over_by).toBe('agent-1');
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
      expect((await leadRow(t.db, id)).taken_over_by).toBe('agent-1');
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
      expect((await leadRow(t.db, id)).taken_over_by).toBeNull();

      // The watcher saw the whole story in the log, in order.
      const last = (await leadRow(t.db, id)).last_seq;
      await waitFor('the log up to the release', () =>
        log().some((e) => e.seq === last) ? true : undefined,
      );
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
      const dev = await agent(url, DEV);
      expect(await dev.ok('session:release', { sessionId: id })).toMatchObject({ takenOverBy: null });
      expect((await leadRow(t.db, id)).taken_over_by).toBeNull();
    });

    it('a visitor who reconnects while the session is held gets no bot message', async () => {
      const v = await visitor(url);
      const id = v.sessionId;
      await v.say('visitor:reply', GREETING);
      const asha = await agent(url, ASHA);
      await asha.ok('session:takeover', { sessionId: id });
      await v.nth('agent:joined');
      await v.say('visitor:reply', ANSWERS[0]!);
      v.socket.close();

      const back = await visitor(url, { auth: { sessionId: id } });
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
      const a = await agent(url);
      await a.fails('session:takeover', { sessionId: `sess_${'f'.repeat(32)}` }, 'session_not_found');
    });
  });

  describe('alerts', () => {
    it('sends one lead:alert per trigger to every agent, each naming its session', async () => {
      const asha = await agent(url, ASHA);
      const bala = await agent(url, BALA);
      const v = await visitor(url);
      const other = await visitor(url);
      const id = v.sessionId;

      await v.say('visitor:reply', GREETING); // 10
      expect(await v.say('visitor:action', { action: 'clicked_demo' })).toMatchObject({ score: 25 });
      await other.say('visitor:action', { action: 'clicked_demo' });
      for (const answer of ANSWERS.slice(0, 4)) await v.say('visitor:reply', answer); // 65: SQL
      expect(await v.say('visitor:reply', ANSWERS[4]!)).toMatchObject({ score: 85, state: 'contact' });
      expect(await v.say('visitor:contact', { name: 'Ravi', email: 'ravi@example.com' })).toMatchObject({
        score: 95,
        state: 'cta',
      });
      // A second demo request, by action and by the demo product: no points, no alert.
      expect(await v.say('visitor:action', { action: 'clicked_demo' })).toMatchObject({ awarded: [] });
      expect(await v.say('visitor:action', { action: 'clicked_product', targetId: 'demo' })).toMatchObject({
        awarded: [],
      });
      expect(await v.say('visitor:reply', { optionIds: ['human_help'] })).toMatchObject({
        score: 105,
        state: 'completed',
      });

      const triggers = ['completed', 'contact_shared', 'demo_requested', 'human_help', 'sql'];
      for (const c of [asha, bala]) {
        await waitFor('every trigger', () =>
          new Set(c.received('lead:alert', (x) => x.sessionId === id).map((x) => x.trigger)).size ===
          triggers.length
            ? true
            : undefined,
        );
      }
      await sleep(1000);
      for (const c of [asha, bala]) {
        const mine = c.received('lead:alert', (x) => x.sessionId === id);
        expect(mine.map((x) => x.trigger).sort()).toEqual(triggers);
        for (const alert of mine) expect(alert.lead.sessionId).toBe(id);
        const sql = mine.find((x) => x.trigger === 'sql')!;
        expect(sql.lead).toMatchObject({ classification: 'SQL', score: 65 });
        const theirs = c.received('lead:alert', (x) => x.sessionId === other.sessionId);
        expect(theirs).toHaveLength(1);
        expect(theirs[0]).toMatchObject({ trigger: 'demo_requested', lead: { sessionId: other.sessionId } });
      }
    });

    it("an alert's lead row is the lead as it stands, connected included", async () => {
      const a = await agent(url);
      const v = await visitor(url);
      await v.say('visitor:reply', GREETING);
      await v.say('visitor:action', { action: 'clicked_demo' });
      const alert = await a.nth('lead:alert', (x) => x.sessionId === v.sessionId);
      expect(alert).toMatchObject({ trigger: 'demo_requested' });
      expect(alert.lead).toMatchObject({ sessionId: v.sessionId, score: 25, state: 'questions' });
      // The visitor is connected right now; the alert says so, as the board does.
      expect(alert.lead.connected).toBe(true);
    });
  });

  describe('the board', () => {
    it('sends board:update with the new score, coalesced per session', async () => {
      const a = await agent(url);
      const v = await visitor(url);
      const id = v.sessionId;
      const updates = () => a.received('board:update', (r) => r.sessionId === id);

      const connected = await a.nth('board:update', (r) => r.sessionId === id && r.connected);
      expect(connected).toMatchObject({ score: 5, state: 'greeting', takenOverBy: null });
      await sleep(400);

      await v.say('visitor:reply', GREETING);
      const scored = await a.nth('board:update', (r) => r.sessionId === id && r.score === 10);
      expect(scored).toMatchObject({
        sessionId: id,
        state: 'questions',
        classification: 'Unqualified',
        connected: true,
        takenOverBy: null,
      });
      await sleep(400);

      // A burst: every one of these changes the score.
      const mark = updates().length;
      const burst: VisitorStep[] = [
        ...ANSWERS.map((p): VisitorStep => ['visitor:reply', p]),
        ['visitor:contact', { name: 'Ravi', email: 'ravi@example.com' }],
        ['visitor:action', { action: 'clicked_demo' }],
        ['visitor:action', { action: 'clicked_pricing' }],
        ['visitor:action', { action: 'clicked_product', targetId: 'billing' }],
        ['visitor:action', { action: 'clicked_product', targetId: 'inventory' }],
        ['visitor:action', { action: 'clicked_product', targetId: 'qr_payments' }],
      ];
      const started = Date.now();
      const acks = await Promise.all(burst.map(([event, payload]) => v.say(event, payload)));
      const elapsed = Date.now() - started;
      const finalScore = acks.at(-1)!.score;
      expect(finalScore).toBe(120);
      expect(acks.every((x) => x.awarded.length > 0)).toBe(true);
      await waitFor('an update with the final score', () => updates().find((r) => r.score === finalScore));
      await sleep(600);
      const burstUpdates = updates().slice(mark);
      const events = (await storedLog(t.db, id)).length;
      expect(burstUpdates.at(-1)).toMatchObject({ score: finalScore, state: 'cta', classification: 'SQL' });
      // At most one per 250 ms window (plus the leading one), far fewer than the events.
      expect(burstUpdates.length).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 2);
      expect(burstUpdates.length).toBeLessThan(burst.length);
      expect(burstUpdates.length * 3).toBeLessThan(events);

      // A visitor who leaves shows as disconnected.
      const beforeLeaving = updates().length;
      v.socket.close();
      const left = await waitFor('an update saying disconnected', () =>
        updates()
          .slice(beforeLeaving)
          .find((r) => !r.connected),
      );
      expect(left).toMatchObject({ score: finalScore, state: 'cta' });
    });

    it('answers sessions:list with no payload at all', async () => {
      const a = await agent(url);
      // The payload is optional on the server (its schema says so); an emit with only an ack must be answered.
      const listed = await ask(a.socket, 1000, 'sessions:list');
      expect(listed.ok).toBe(true);
    });
  });
});

describe('/agents event budget (SOCKET_EVENTS_PER_SECOND=2, SOCKET_EVENT_BURST=3)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ SECRET_KEY: SECRET, SOCKET_EVENTS_PER_SECOND: '2', SOCKET_EVENT_BURST: '3' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('events beyond the burst are rate_limited, whatever the event; the budget is per socket and refills', async () => {
    const a = await agent(t.app.url);
    const v = await visitor(t.app.url);
    const acks = await Promise.all([
      ...Array.from({ length: 6 }, () => a.ack('sessions:list', {})),
      ...Array.from({ length: 4 }, () => a.ack('session:watch', { sessionId: v.sessionId })),
    ]);
    const limited = acks.filter((r): r is ErrorAck => !r.ok);
    expect(acks.length - limited.length).toBeGreaterThanOrEqual(3);
    expect(acks.length - limited.length).toBeLessThanOrEqual(4);
    for (const r of limited) {
      expect(r.error).toEqual({
        code: 'rate_limited',
        message: 'At most 2 events per second per connection.',
        details: { limit: 2, burst: 3 },
      });
    }
    // The watches at the end were refused before they read anything.
    expect(acks.slice(6).every((r) => !r.ok)).toBe(true);

    // Another agent connection has a budget of its own.
    await (await agent(t.app.url, BALA)).ok('sessions:list', {});
    // Half a second refills one event at 2 per second.
    await sleep(600);
    await a.ok('session:watch', { sessionId: v.sessionId });
  });
});

describe('sessions:list across two nodes', () => {
  let db: TestDatabase;
  let a: NodeProcess;
  let b: NodeProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = { DATABASE_URL: db.url, REDIS_URL: testRedisUrl(), REDIS_PREFIX: randomPrefix() };
    [a, b] = await Promise.all([startNode(env, 'node-a'), startNode(env, 'node-b')]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
  });

  const list = async (c: AgentClient, filter: SessionsListFilter = {}) =>
    (await c.ok('sessions:list', { filter })).sessions;

  /** A wait whose every look is a request to a node: once every 100 ms. */
  const poll = <T>(what: string, probe: () => Promise<T | undefined>) => waitFor(what, probe, 6000, 100);

  it('lists the visitors of both nodes from node B, highest score first; one who leaves shows as disconnected', async () => {
    const onA = await visitor(a.url, { auth: { utmSource: 'node-a' } });
    await onA.say('visitor:reply', GREETING);
    expect(await onA.say('visitor:reply', ANSWERS[0]!)).toMatchObject({ score: 20 });
    const onB = await visitor(b.url, { auth: { utmSource: 'node-b' } });
    expect(await onB.say('visitor:reply', GREETING)).toMatchObject({ score: 10 });
    const quiet = await visitor(a.url);
    const ids = [onA.sessionId, onB.sessionId, quiet.sessionId];

    const agentB = await agent(b.url, ASHA, { secret: CLUSTER_SECRET });
    const rows = await poll('all three connected', async () => {
      const r = await list(agentB);
      return ids.every((id) => r.find((x) => x.sessionId === id)?.connected) ? r : undefined;
    });
    expect(rows.map((r) => r.sessionId)).toEqual(ids);
    expect(rows.map((r) => r.score)).toEqual([20, 10, 5]);
    expect(rows[0]).toEqual({
      sessionId: onA.sessionId,
      state: 'questions',
      score: 20,
      classification: 'Unqualified',
      utmSource: 'node-a',
      name: null,
      businessType: 'Kirana / Retail Shop',
      startedAt: expect.any(String),
      lastActivityAt: expect.any(String),
      connected: true,
      takenOverBy: null,
    });
    expect(rows[1]).toMatchObject({ sessionId: onB.sessionId, utmSource: 'node-b', connected: true });
    expect((await list(agentB, { limit: 2 })).map((r) => r.sessionId)).toEqual(ids.slice(0, 2));
    expect((await list(agentB, { state: 'greeting' })).map((r) => r.sessionId)).toEqual([quiet.sessionId]);

    onA.socket.close();
    const after = await poll('the visitor on A disconnected', async () => {
      const r = await list(agentB);
      return r.find((x) => x.sessionId === onA.sessionId)?.connected === false ? r : undefined;
    });
    expect(after.find((x) => x.sessionId === onB.sessionId)?.connected).toBe(true);
    expect(after.find((x) => x.sessionId === quiet.sessionId)?.connected).toBe(true);
    expect((await list(agentB, { connected: false })).map((r) => r.sessionId)).toEqual([onA.sessionId]);
    expect((await list(agentB, { connected: true })).map((r) => r.sessionId)).toEqual([
      onB.sessionId,
      quiet.sessionId,
    ]);
    // The agent on B heard of it as a board update too.
    await agentB.nth('board:update', (r) => r.sessionId === onA.sessionId && !r.connected);
  });

  it('a filter on connected with a limit still fills the limit with matching rows', async () => {
    const agentB = await agent(b.url, ASHA, { secret: CLUSTER_SECRET });
    const leaving = await visitor(a.url);
    await leaving.say('visitor:reply', GREETING);
    for (const answer of ANSWERS) await leaving.say('visitor:reply', answer);
    const staying = await visitor(b.url);
    leaving.socket.close();
    await poll('the leaving visitor disconnected', async () => {
      const r = await list(agentB);
      return r.find((x) => x.sessionId === leaving.sessionId)?.connected === false ? true : undefined;
    });
    // The highest-scoring lead is disconnected; the best connected one must still come back.
    const top = await list(agentB, { connected: true, limit: 1 });
    expect(top).toHaveLength(1);
    expect(top[0]!.connected).toBe(true);
    expect(top[0]!.sessionId).not.toBe(leaving.sessionId);
    expect(staying.sessionId).toMatch(/^sess_/);
  });

  it('an agent on node B takes over and releases a visitor on node A', async () => {
    const v = await visitor(a.url);
    await v.say('visitor:reply', GREETING);
    await v.nth('bot:message', (m) => m.questionId === 2);
    const agentB = await agent(b.url, ASHA, { secret: CLUSTER_SECRET });
    expect(await agentB.ok('session:takeover', { sessionId: v.sessionId })).toMatchObject({
      takenOverBy: 'agent-1',
    });
    expect(await v.nth('agent:joined')).toMatchObject({ name: 'Asha' });
    const prompts = v.messages.length;
    // Node A's cached conversation is stale; the answer must still see the hold.
    expect(await v.say('visitor:reply', ANSWERS[0]!)).toMatchObject({ score: 20, state: 'questions' });
    await agentB.ok('agent:message', { sessionId: v.sessionId, text: 'Hello from node B' });
    expect(await v.nth('agent:message')).toMatchObject({
      name: 'Asha',
      text: 'Hello from node B',
    });
    await sleep(200);
    expect(v.messages).toHaveLength(prompts);
    await agentB.ok('session:release', { sessionId: v.sessionId });
    await v.nth('agent:left');
    expect(await v.nth('bot:message', (m) => m.questionId === 3)).toMatchObject({
      step: 'location',
    });
    expect((await leadRow(db, v.sessionId)).taken_over_by).toBeNull();
  });

  it('an alert for a visitor on node A reaches an agent on node B exactly once', async () => {
    const agentB = await agent(b.url, ASHA, { secret: CLUSTER_SECRET });
    const v = await visitor(a.url);
    await v.say('visitor:reply', GREETING);
    await v.say('visitor:action', { action: 'clicked_demo' });
    await agentB.nth('lead:alert', (x) => x.sessionId === v.sessionId);
    await sleep(QUIET_MS);
    expect(agentB.received('lead:alert', (x) => x.sessionId === v.sessionId)).toMatchObject([
      { trigger: 'demo_requested', sessionId: v.sessionId, lead: { sessionId: v.sessionId, score: 25 } },
    ]);
  });
});
