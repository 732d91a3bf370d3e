import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BotMessage, SessionEventMessage, VisitorAck } from '../../src/protocol/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import {
  agentToken,
  freePort,
  type NodeProcess,
  startNode,
  startRedis,
  startTwoNodes,
  type TwoNodes,
} from '../support/cluster.js';
import type { TestDatabase } from '../support/database.js';
import { http } from '../support/http.js';
import { JOURNEY } from '../support/journey.js';
import { randomPrefix, testRedisUrl } from '../support/redis.js';
import { closeClients, expectOk, openVisitor, visitor, watchSession } from '../support/sockets.js';
import { sleep, waitFor } from '../support/time.js';

/** Two or three real server processes on one database and one Redis. */

afterEach(closeClients);

/** A visitor on `url`, new or back in `sessionId` (the nodes are processes of their own: 10 s per ack). */
const visitorOn = (url: string, sessionId?: string) =>
  visitor(url, { auth: sessionId ? { sessionId } : {}, waitMs: 10_000 });

/** A visitor who runs the journey's first `steps` events on `url`, then leaves: the session id. */
async function leftAfter(url: string, steps: number): Promise<string> {
  const v = await visitorOn(url);
  for (const [event, payload] of answers.slice(0, steps))
    expect((await v.send(event, payload)).ok).toBe(true);
  v.socket.close();
  return v.sessionId;
}

/** The visitor resumes on `url`, runs the journey's event `step` and leaves: its ack and the prompt after it. */
async function oneStepOn(url: string, sessionId: string, step: number) {
  const v = await visitorOn(url, sessionId);
  const ack = await v.send(...answers[step]!);
  expectOk(ack);
  await waitFor('the next prompt', () => v.messages.at(-1)!.seq > v.messages[0]!.seq);
  v.socket.close();
  return { ack, waiting: v.messages.at(-1)! };
}

/** The stored lead row of a session, as every node should serve it. */
async function storedLead(db: TestDatabase, sessionId: string) {
  const [row] = await db.query(
    'select score, state, version, name, email, erased_at from leads where id = $1',
    [sessionId],
  );
  return row!;
}

const answers = JOURNEY;
// 5 opened + 5 greeting + 25 answers + 25 quick + 5 detailed + 10 all + 10 contact + 15 demo + 15 CTA
const FINAL_SCORE = 115;

function expectContiguous(events: SessionEventMessage[], upTo: number) {
  expect(events.map((e) => e.seq)).toEqual(Array.from({ length: upTo }, (_, i) => i + 1));
}

async function ledgerIsSound(db: TestDatabase, sessionId: string, score: number) {
  const [row] = await db.query(
    `select l.score, l.last_seq,
            (select sum(points)::int from score_entries s where s.lead_id = l.id) as total,
            (select count(*)::int from score_entries s where s.lead_id = l.id) as rows,
            (select count(distinct once_key)::int from score_entries s where s.lead_id = l.id) as keys,
            (select count(*)::int from answers a where a.lead_id = l.id) as answers
       from leads l where l.id = $1`,
    [sessionId],
  );
  expect(row).toMatchObject({ score, total: score, answers: 5 });
  expect(row!.rows).toBe(row!.keys);
  return row!;
}

describe('a cluster of nodes on one Redis', () => {
  let db: TestDatabase;
  let a: NodeProcess;
  let b: NodeProcess;
  let env: Record<string, string>;
  let nodes: TwoNodes;

  beforeAll(async () => {
    ({ db, env, a, b } = nodes = await startTwoNodes());
  });
  afterAll(() => nodes?.stop());

  it("a watcher on node B sees node A's events, in seq order", async () => {
    const v = await visitorOn(a.url);
    const { events: watched } = await watchSession(b.url, await agentToken(), v.sessionId);
    for (const [event, payload] of answers) expect((await v.send(event, payload)).ok).toBe(true);
    const [{ last_seq: last }] = (await db.query('select last_seq from leads where id = $1', [
      v.sessionId,
    ])) as [{ last_seq: number }];
    await waitFor('every event on B', () => watched.length >= last);
    await sleep(200);
    expectContiguous(watched, last);
    expect(watched.at(-1)).toMatchObject({ type: 'bot.prompt', data: { step: 'completed' } });
  });

  it("an agent on node B sees where node A's visitor is: the page view in the log and the board row", async () => {
    const v = await visitorOn(a.url);
    const w = await watchSession(b.url, await agentToken(), v.sessionId);
    await v.ok('visitor:page', { url: 'https://shop.example/pricing', title: 'Pricing' });
    await waitFor('the page view on B', () =>
      w.events.some((e) => e.type === 'visitor.input' && JSON.stringify(e.data).includes('/pricing')),
    );
    await waitFor('the board row on B', () =>
      w.agent
        .received('board:update')
        .some((r) => r.sessionId === v.sessionId && r.currentPage === 'https://shop.example/pricing'),
    );
    const journey = await (await fetch(`${b.url}/api/tracking/journey/${v.sessionId}`)).json();
    expect(journey).toMatchObject({
      total_pages: 1,
      pages: [{ page_url: 'https://shop.example/pricing', title: 'Pricing' }],
    });
  });

  it('a visitor who leaves node A finishes on node B with one ledger', async () => {
    const id = await leftAfter(a.url, 4);
    const again = await visitorOn(b.url, id);
    expect(await again.hello()).toMatchObject({
      sessionId: id,
      resumed: true,
      state: 'questions',
      score: 45,
    });
    let last: VisitorAck | undefined;
    for (const [event, payload] of answers.slice(4)) {
      last = await again.send(event, payload);
      expect(last.ok).toBe(true);
    }
    expect(last).toMatchObject({ state: 'completed', score: FINAL_SCORE });
    await ledgerIsSound(db, id, FINAL_SCORE);
  });

  it('a visitor who bounces A → B → A resumes on A where B left the conversation, and goes on', async () => {
    const id = await leftAfter(a.url, 2);
    const { ack: onBAck, waiting } = await oneStepOn(b.url, id, 2);

    // Node A still holds the session as it was before B moved it on.
    const back = await visitorOn(a.url, id);
    expect(await back.hello()).toMatchObject({ resumed: true, score: onBAck.score, state: onBAck.state });
    await waitFor('the resumed prompt on A', () => back.messages.length > 0);
    expect(back.messages).toEqual([waiting]);
    const next = await back.send(...answers[3]!);
    expect(next).toMatchObject({ ok: true, score: onBAck.score + 10 });
    expect(await storedLead(db, id)).toMatchObject({ score: onBAck.score + 10 });
  });

  it('a REST answer on A after socket answers on B is taken against the stored conversation', async () => {
    const id = await leftAfter(a.url, 2);
    const { waiting } = await oneStepOn(b.url, id, 2);

    const r = await http(a.url, 'POST', '/api/answer', {
      session_id: id,
      question_id: waiting.questionId,
      answer_text: waiting.options![0]!.label,
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ lead_score: (await storedLead(db, id)).score });
  });

  it('a visitor on A whose question was answered through B is shown the next one; a late reply is refused', async () => {
    const first = await visitorOn(a.url);
    const id = first.sessionId;
    expect((await first.send(...answers[0]!)).ok).toBe(true);
    await waitFor('the first question', () => first.messages.length > 1);
    const question = first.messages.at(-1)!;
    // A REST client answers the same question through B first.
    const onB = await http(b.url, 'POST', '/api/answer', {
      session_id: id,
      question_id: question.questionId,
      answer_text: question.options![0]!.label,
    });
    expect(onB.status).toBe(200);
    const now = onB.body.next_question as BotMessage;
    await waitFor('the next question on A', () => first.messages.at(-1)!.questionId === now.questionId);
    expect(first.messages.at(-1)).toEqual(now);
    // A reply to the question B answered is refused against the stored conversation, and stores nothing.
    const late = await first.send('visitor:reply', { optionIds: [question.options![1]!.id] });
    expect(late).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    expect(await storedLead(db, id)).toMatchObject({ score: onB.body.lead_score });
  });

  it('an erase through B sticks: A refuses the next events at both doors and writes no personal data back', async () => {
    const v = await visitorOn(a.url);
    const id = v.sessionId;
    expect((await v.send(...answers[0]!)).ok).toBe(true);
    const profile = { session_id: id, profile_data: { name: 'Erin Erase', email: 'erin@example.com' } };
    expect((await http(a.url, 'POST', '/api/lead/profile', profile)).status).toBe(200);

    const erased = await fetch(`${b.url}/api/lead/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${await agentToken()}` },
    });
    expect(erased.status).toBe(200);

    const again = await http(a.url, 'POST', '/api/lead/profile', {
      ...profile,
      profile_data: { name: 'Erin Again', email: 'again@example.com' },
    });
    expect(again).toMatchObject({ status: 404, body: { error: { code: 'session_not_found' } } });
    const ack = await v.send(...answers[1]!);
    expect(ack).toMatchObject({ ok: false, error: { code: 'session_not_found' } });
    expect(await storedLead(db, id)).toMatchObject({ name: null, email: null, state: 'erased' });
    expect((await storedLead(db, id)).erased_at).not.toBeNull();
    const [{ n }] = (await db.query(
      "select count(*)::int as n from session_events where lead_id = $1 and data::text ~* 'erin|again'",
      [id],
    )) as [{ n: number }];
    expect(n).toBe(0);
  });

  it('after kill -9 of node A every acknowledged event is stored, and the visitor finishes on B', async () => {
    const c = await startNode(env, 'node-c');
    const first = await visitorOn(c.url);
    const id = first.sessionId;
    const acked: VisitorAck[] = [];
    for (const [event, payload] of answers.slice(0, 5)) acked.push(await first.send(event, payload));
    expect(acked.every((r) => r.ok)).toBe(true);
    const last = acked.at(-1)!;
    expectOk(last);
    await c.kill();
    const [stored] = await db.query('select score, state from leads where id = $1', [id]);
    expect(stored).toEqual({ score: last.score, state: 'questions' });

    const again = await visitorOn(b.url, id);
    expect(await again.hello()).toMatchObject({ resumed: true, score: last.score });
    for (const [event, payload] of answers.slice(5)) expect((await again.send(event, payload)).ok).toBe(true);
    await ledgerIsSound(db, id, FINAL_SCORE);
  });
});

describe('limits per client address, counted across nodes on one Redis', () => {
  let a: NodeProcess;
  let b: NodeProcess;
  let nodes: TwoNodes;
  const leads = async () => (await nodes.db.query('select count(*)::int as n from leads'))[0]!.n as number;
  const rest = (node: NodeProcess, ip: string, method = 'GET', path = '/api/questions') =>
    fetch(`${node.url}${path}`, {
      method,
      headers: {
        'x-forwarded-for': ip,
        ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
      },
      ...(method === 'POST' ? { body: '{}' } : {}),
    });
  /** A /chat handshake from `ip`: the session it started, or the refusal's data. */
  const handshake = (node: NodeProcess, ip: string) => {
    const client = openVisitor(node.url, { headers: { 'x-forwarded-for': ip } });
    return waitFor('the session or the refusal', () => {
      const hello = client.received('session')[0];
      if (hello) return { sessionId: hello.sessionId, refused: undefined };
      return client.connectError && { sessionId: undefined, refused: client.connectError.data };
    });
  };

  beforeAll(async () => {
    ({ a, b } = nodes = await startTwoNodes({
      // The test is the proxy: each case speaks for addresses of its own.
      TRUST_PROXY: '1',
      RATE_LIMIT_PER_MINUTE: '4',
      SESSION_STARTS_PER_MINUTE: '3',
    }));
  });
  afterAll(() => nodes?.stop());

  it('RATE_LIMIT_PER_MINUTE holds for the cluster: 4 requests over two nodes, then 429 on both', async () => {
    const ip = '203.0.113.30';
    const statuses = [];
    for (const node of [a, b, a, b]) statuses.push((await rest(node, ip)).status);
    expect(statuses).toEqual([200, 200, 200, 200]);
    for (const node of [a, b]) {
      const r = await rest(node, ip);
      expect(r.status).toBe(429);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    }
    expect((await rest(b, '203.0.113.31')).status).toBe(200);
  });

  it('SESSION_STARTS_PER_MINUTE holds for the cluster and both doors: 3 new sessions, then refused on both', async () => {
    const ip = '203.0.113.40';
    const before = await leads();
    expect((await rest(a, ip, 'POST', '/api/session/start')).status).toBe(200);
    expect((await handshake(b, ip)).sessionId).toMatch(/^sess_/);
    expect((await rest(b, ip, 'POST', '/api/session/start')).status).toBe(200);
    const refused = await handshake(a, ip);
    expect(refused.refused).toMatchObject({
      code: 'rate_limited',
      details: { limit: 3, window: '1 minute' },
    });
    const r = await rest(b, ip, 'POST', '/api/session/start');
    expect(r.status).toBe(429);
    expect(await leads()).toBe(before + 3);
    expect((await handshake(b, '203.0.113.41')).sessionId).toMatch(/^sess_/);
  });
});

describe('a Redis restart', () => {
  let db: TestDatabase;
  let a: NodeProcess;
  let b: NodeProcess;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let port: number;

  let nodes: TwoNodes;

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    ({ db, a, b } = nodes = await startTwoNodes({ REDIS_URL: redis.url }));
  });
  afterAll(async () => {
    await nodes?.stop();
    await redis?.stop();
  });

  it('crashes no node; subscriptions come back and a watcher recovers what it missed by seq', async () => {
    const v = await visitorOn(a.url);
    const id = v.sessionId;
    const { events: watched } = await watchSession(b.url, await agentToken(), id);
    for (const [event, payload] of answers.slice(0, 2)) expect((await v.send(event, payload)).ok).toBe(true);

    await redis.stop();
    // Redis is down: events still commit to PostgreSQL and are acknowledged.
    for (const [event, payload] of answers.slice(2, 5)) expect((await v.send(event, payload)).ok).toBe(true);
    await sleep(2000);
    redis = await startRedis(port);
    const health = async (url: string) => (await fetch(`${url}/health`)).json() as Promise<{ redis: string }>;
    await waitFor('node A sees Redis again', async () => (await health(a.url)).redis === 'up' || undefined);

    // One more event after the outage: the watcher sees the gap in seq and reads what it missed.
    for (const [event, payload] of answers.slice(5)) expect((await v.send(event, payload)).ok).toBe(true);
    const [{ last_seq: last }] = (await db.query('select last_seq from leads where id = $1', [id])) as [
      { last_seq: number },
    ];
    await waitFor('every event on the watcher', () => watched.length >= last, 15_000);
    await sleep(200);
    expectContiguous(watched, last);
    expect(a.child.exitCode).toBeNull();
    expect(b.child.exitCode).toBeNull();
    expect([...a.logs, ...b.logs].filter((l) => /unhandled rejection|uncaught/i.test(l))).toEqual([]);
    await waitFor('node B sees Redis again', async () => (await health(b.url)).redis === 'up' || undefined);
  });
});

describe('two nodes in one process (their caches looked into)', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    const env = { REDIS_URL: testRedisUrl(), REDIS_PREFIX: randomPrefix() };
    a = await startTestApp({ ...env, NODE_ID: 'node-a' });
    b = await startTestApp({ ...env, NODE_ID: 'node-b' }, {}, a.db);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it("a commit or an erase on one node drops the other node's older copy of the session", async () => {
    const first = await a.app.engine.startSession();
    const id = first.sessionId;
    await a.app.engine.handle(id, { kind: 'reply', optionIds: ['yes'] });
    await b.app.engine.view(id);
    expect(a.app.engine.isCached(id) && b.app.engine.isCached(id)).toBe(true);
    await b.app.engine.handle(id, { kind: 'reply', optionIds: ['kirana_retail'] });
    await waitFor('A drops its copy', () => !a.app.engine.isCached(id));
    expect(b.app.engine.isCached(id)).toBe(true);

    await a.app.engine.view(id);
    await b.app.engine.erase(id, 'api-key:1');
    await waitFor('A drops its copy of the erased session', () => !a.app.engine.isCached(id));
  });
});
