import { io, type Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SessionEventMessage } from '../../src/conversation/events.js';
import {
  agentToken,
  connectSocket,
  freePort,
  type NodeProcess,
  startNode,
  startRedis,
  waitFor,
} from '../support/cluster.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { JOURNEY } from '../support/journey.js';
import { randomPrefix, testRedisUrl } from '../support/redis.js';

/** Two or three real server processes on one database and one Redis. */

interface Ack {
  ok: boolean;
  score?: number;
  state?: string;
  error?: { code: string };
}

const sockets: Socket[] = [];
const track = (s: Socket) => {
  sockets.push(s);
  return s;
};
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

async function visitor(url: string, sessionId?: string) {
  const socket = track(connectSocket(url, '/chat', sessionId ? { sessionId } : {}));
  const hello = await new Promise<{ sessionId: string; state: string; score: number; resumed: boolean }>(
    (resolve, reject) => {
      socket.once('session', resolve);
      socket.once('connect_error', reject);
    },
  );
  let n = 0;
  const send = async (event: string, payload: Record<string, unknown>): Promise<Ack> =>
    socket.timeout(10_000).emitWithAck(event, { clientMessageId: `m${++n}-${Date.now()}`, ...payload });
  return { socket, hello, send };
}

async function watcher(url: string, sessionId: string, sinceSeq = 0) {
  const socket = track(connectSocket(url, '/agents', { token: await agentToken() }, true));
  const events: SessionEventMessage[] = [];
  socket.on('session:event', (e: SessionEventMessage) => events.push(e));
  const watch = async (since: number) => {
    const ack = await socket.timeout(10_000).emitWithAck('session:watch', { sessionId, sinceSeq: since });
    expect(ack.ok).toBe(true);
    events.push(...(ack.events as SessionEventMessage[]));
  };
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  await watch(sinceSeq);
  return { socket, events, watch };
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

  beforeAll(async () => {
    db = await createTestDatabase();
    env = { DATABASE_URL: db.url, REDIS_URL: testRedisUrl(), REDIS_PREFIX: randomPrefix() };
    [a, b] = await Promise.all([startNode(env, 'node-a'), startNode(env, 'node-b')]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
  });

  it("a watcher on node B sees node A's events, in seq order", async () => {
    const v = await visitor(a.url);
    const w = await watcher(b.url, v.hello.sessionId);
    for (const [event, payload] of answers) expect((await v.send(event, payload)).ok).toBe(true);
    const [{ last_seq: last }] = (await db.query('select last_seq from leads where id = $1', [
      v.hello.sessionId,
    ])) as [{ last_seq: number }];
    await waitFor('every event on B', () => w.events.length >= last);
    await new Promise((r) => setTimeout(r, 200));
    expectContiguous(w.events, last);
    expect(w.events.at(-1)).toMatchObject({ type: 'bot.prompt', data: { step: 'completed' } });
  });

  it('a visitor who leaves node A finishes on node B with one ledger', async () => {
    const first = await visitor(a.url);
    const id = first.hello.sessionId;
    for (const [event, payload] of answers.slice(0, 4))
      expect((await first.send(event, payload)).ok).toBe(true);
    first.socket.close();

    const again = await visitor(b.url, id);
    expect(again.hello).toMatchObject({ sessionId: id, resumed: true, state: 'questions', score: 45 });
    let last: Ack = { ok: false };
    for (const [event, payload] of answers.slice(4)) {
      last = await again.send(event, payload);
      expect(last.ok).toBe(true);
    }
    expect(last).toMatchObject({ state: 'completed', score: FINAL_SCORE });
    await ledgerIsSound(db, id, FINAL_SCORE);
  });

  it('after kill -9 of node A every acknowledged event is stored, and the visitor finishes on B', async () => {
    const c = await startNode(env, 'node-c');
    const first = await visitor(c.url);
    const id = first.hello.sessionId;
    const acked: Ack[] = [];
    for (const [event, payload] of answers.slice(0, 5)) acked.push(await first.send(event, payload));
    expect(acked.every((r) => r.ok)).toBe(true);
    await c.kill();
    const [stored] = await db.query('select score, state from leads where id = $1', [id]);
    expect(stored).toEqual({ score: acked.at(-1)!.score, state: 'questions' });

    const again = await visitor(b.url, id);
    expect(again.hello).toMatchObject({ resumed: true, score: acked.at(-1)!.score });
    for (const [event, payload] of answers.slice(5)) expect((await again.send(event, payload)).ok).toBe(true);
    await ledgerIsSound(db, id, FINAL_SCORE);
  });
});

describe('limits per client address, counted across nodes on one Redis', () => {
  let db: TestDatabase;
  let a: NodeProcess;
  let b: NodeProcess;
  const leads = async () => (await db.query('select count(*)::int as n from leads'))[0]!.n as number;
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
    const socket = track(
      io(`${node.url}/chat`, {
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        extraHeaders: { 'x-forwarded-for': ip },
      }),
    );
    return new Promise<{ sessionId?: string; refused?: { code: string; details?: unknown } }>((resolve) => {
      socket.once('session', (s: { sessionId: string }) => resolve({ sessionId: s.sessionId }));
      socket.once('connect_error', (err: Error & { data?: { code: string } }) =>
        resolve({ refused: err.data }),
      );
    });
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: testRedisUrl(),
      REDIS_PREFIX: randomPrefix(),
      // The test is the proxy: each case speaks for addresses of its own.
      TRUST_PROXY: '1',
      RATE_LIMIT_PER_MINUTE: '4',
      SESSION_STARTS_PER_MINUTE: '3',
    };
    [a, b] = await Promise.all([startNode(env, 'node-a'), startNode(env, 'node-b')]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
  });

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

  beforeAll(async () => {
    db = await createTestDatabase();
    port = await freePort();
    redis = await startRedis(port);
    const env = { DATABASE_URL: db.url, REDIS_URL: redis.url, REDIS_PREFIX: randomPrefix() };
    [a, b] = await Promise.all([startNode(env, 'node-a'), startNode(env, 'node-b')]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
    await db?.drop();
  });

  it('crashes no node; subscriptions come back and a watcher recovers what it missed by seq', async () => {
    const v = await visitor(a.url);
    const id = v.hello.sessionId;
    const w = await watcher(b.url, id);
    for (const [event, payload] of answers.slice(0, 2)) expect((await v.send(event, payload)).ok).toBe(true);

    await redis.stop();
    // Redis is down: events still commit to PostgreSQL and are acknowledged.
    for (const [event, payload] of answers.slice(2, 5)) expect((await v.send(event, payload)).ok).toBe(true);
    await new Promise((r) => setTimeout(r, 2000));
    redis = await startRedis(port);
    const health = async (url: string) => (await fetch(`${url}/health`)).json() as Promise<{ redis: string }>;
    await waitFor('node A sees Redis again', async () => (await health(a.url)).redis === 'up' || undefined);

    // One more event after the outage: the watcher sees the gap in seq and reads what it missed.
    for (const [event, payload] of answers.slice(5)) expect((await v.send(event, payload)).ok).toBe(true);
    const [{ last_seq: last }] = (await db.query('select last_seq from leads where id = $1', [id])) as [
      { last_seq: number },
    ];
    await waitFor('every event on the watcher', () => w.events.length >= last, 15_000);
    await new Promise((r) => setTimeout(r, 200));
    expectContiguous(w.events, last);
    expect(a.child.exitCode).toBeNull();
    expect(b.child.exitCode).toBeNull();
    expect([...a.logs, ...b.logs].filter((l) => /unhandled rejection|uncaught/i.test(l))).toEqual([]);
    await waitFor('node B sees Redis again', async () => (await health(b.url)).redis === 'up' || undefined);
  });
});
