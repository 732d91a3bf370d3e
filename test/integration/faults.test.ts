import { afterEach, describe, expect, it } from 'vitest';
import type { VisitorAck } from '../../src/protocol/index.js';
import { agentToken, freePort, type NodeProcess, startNode, startRedis } from '../support/cluster.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { randomPrefix, testRedisUrl } from '../support/redis.js';
import { closeClients, openAgent, type Transport, watchSession } from '../support/sockets.js';
import { sleep, waitFor } from '../support/time.js';
import {
  crashLines,
  expectAckedStored,
  expectSoundDatabase,
  JOURNEY,
  JOURNEY_SCORE,
  Visitor,
} from '../support/visitors.js';

/**
 * Faults under load, with real server processes, a real Redis and PostgreSQL: a node killed with
 * SIGKILL, Redis stopped for seconds, a node stopped with SIGTERM while visitors keep talking. Each
 * test checks the database afterwards: what was acknowledged is stored once, the ledgers add up.
 */

const nodes: NodeProcess[] = [];
const visitors: Visitor[] = [];
let db: TestDatabase | undefined;

afterEach(async () => {
  for (const v of visitors.splice(0)) v.close();
  closeClients();
  await Promise.all(nodes.splice(0).map((n) => n.kill()));
  await db?.drop();
  db = undefined;
});

const jitter = (min: number, max: number) => sleep(min + Math.random() * (max - min));
const ackedCount = () => visitors.reduce((n, v) => n + v.acked().length, 0);

/** Rate limits out of the way: the load here is many events from one address. */
const LOAD_ENV = {
  RATE_LIMIT_PER_MINUTE: '100000',
  SOCKET_EVENTS_PER_SECOND: '100',
  SOCKET_EVENT_BURST: '100',
};

async function node(env: Record<string, string>, id: string): Promise<NodeProcess> {
  const n = await startNode({ ...LOAD_ENV, ...env }, id);
  nodes.push(n);
  return n;
}

function visitor(name: string, transport?: Transport): Visitor {
  const v = new Visitor(name, transport);
  visitors.push(v);
  return v;
}

async function lastSeq(sessionId: string): Promise<number> {
  const [row] = await db!.query<{ last_seq: number }>('select last_seq from leads where id = $1', [
    sessionId,
  ]);
  return row!.last_seq;
}

describe('kill -9 of a node under load', () => {
  it('keeps every acknowledged event exactly once, and the visitors finish on the other node', async () => {
    db = await createTestDatabase();
    const env = { DATABASE_URL: db.url, REDIS_URL: testRedisUrl(), REDIS_PREFIX: randomPrefix() };
    const [a, b] = await Promise.all([node(env, 'node-a'), node(env, 'node-b')]);
    let killed = false;
    const target = () => (killed ? b.url : a.url);

    const crowd = Array.from({ length: 24 }, (_, i) => visitor(`k${i}`));
    const finals = crowd.map(async (v) => {
      let last: VisitorAck | undefined;
      for (const [event, payload] of JOURNEY) {
        await jitter(20, 150);
        last = await v.deliver(event, payload, target);
        expect(last, `${v.name} ${event}`).toMatchObject({ ok: true });
      }
      return last;
    });
    const settled = Promise.allSettled(finals);

    // Mid-way: about a third of all events acknowledged, the rest in flight or still to come.
    await waitFor('a third of the events acknowledged on A', () => ackedCount() >= 72, 45_000);
    const ackedOnA = visitors.flatMap((v) => v.acked()).length;
    killed = true;
    await a.kill();

    const results = await settled;
    const failures = results.filter((r) => r.status === 'rejected').map((r) => String(r.reason));
    expect(failures).toEqual([]);
    for (const r of results) {
      expect((r as PromiseFulfilledResult<{ ok: boolean }>).value).toMatchObject({
        ok: true,
        state: 'completed',
        score: JOURNEY_SCORE,
      });
    }
    // The kill really cut through the load: some visitors were on A when it died and moved to B.
    expect(ackedOnA).toBeLessThan(24 * JOURNEY.length);
    expect(crowd.filter((v) => v.sent.some((s) => s.url === b.url)).length).toBeGreaterThan(0);

    // Every acknowledged event, on A before the kill or on B after, is stored once with its result.
    const acked = await expectAckedStored(db, crowd);
    expect(acked).toBeGreaterThanOrEqual(24 * JOURNEY.length);
    // Each visitor's journey is in its lead once: one row per clientMessageId it ever had acknowledged.
    for (const v of crowd) {
      const ids = new Set(v.acked().map((s) => s.clientMessageId));
      expect(ids.size).toBe(JOURNEY.length);
      const [row] = await db.query<{ n: number }>(
        `select count(*)::int as n from session_events where lead_id = $1 and client_message_id is not null`,
        [v.sessionId],
      );
      expect(row?.n, v.name).toBe(JOURNEY.length);
    }
    const leads = await expectSoundDatabase(db);
    for (const v of crowd) {
      const lead = leads.find((l) => l.id === v.sessionId);
      expect(lead?.score, v.name).toBe(JOURNEY_SCORE);
    }
    expect(b.child.exitCode).toBeNull();
    expect(crashLines(b.logs)).toEqual([]);
  });
});

describe('Redis stopped for several seconds under load', () => {
  it('keeps acknowledging from PostgreSQL, crashes nothing, and watchers on the other node catch up by seq', async () => {
    db = await createTestDatabase();
    const port = await freePort();
    let redis = await startRedis(port);
    try {
      const env = { DATABASE_URL: db.url, REDIS_URL: redis.url, REDIS_PREFIX: randomPrefix() };
      const [a, b] = await Promise.all([node(env, 'node-a'), node(env, 'node-b')]);
      const health = async (url: string) => {
        const res = await fetch(`${url}/health`);
        return { ...((await res.json()) as { redis: string; database: string }), http: res.status };
      };
      const crowd = Array.from({ length: 12 }, (_, i) => visitor(`r${i}`));
      const steps = async (v: Visitor, from: number, to: number, pause: number) => {
        for (const [event, payload] of JOURNEY.slice(from, to)) {
          const ack = await v.deliver(event, payload, () => a.url, 20_000);
          expect(ack, `${v.name} ${event}`).toMatchObject({ ok: true });
          await jitter(pause / 2, pause);
        }
      };

      await Promise.all(crowd.map((v) => steps(v, 0, 2, 50)));
      const watched = crowd.slice(0, 4);
      const watches = await Promise.all(
        watched.map(async (v) => (await watchSession(b.url, await agentToken(), v.sessionId!)).events),
      );

      await redis.stop();
      const downAt = Date.now();
      // While Redis is down: every visitor keeps going, and a new one starts a session on A.
      const newcomer = visitor('r-new');
      await Promise.all([...crowd.map((v) => steps(v, 2, 6, 500)), steps(newcomer, 0, 3, 300)]);
      const duringOutage = visitors.flatMap((v) => v.acked()).filter((s) => s.at >= downAt);
      expect(duringOutage.length).toBeGreaterThanOrEqual(12 * 4 + 3);
      expect(visitors.flatMap((v) => v.sent).filter((s) => !s.ack?.ok)).toEqual([]);
      const during = await waitFor('A reports Redis down', async () => {
        const h = await health(a.url);
        return h.redis !== 'up' ? h : undefined;
      });
      expect(during).toMatchObject({ http: 503, database: 'up' });
      await sleep(Math.max(0, 4000 - (Date.now() - downAt)));

      redis = await startRedis(port);
      for (const n of [a, b])
        await waitFor(
          `${n.nodeId} sees Redis again`,
          async () => (await health(n.url)).redis === 'up',
          20_000,
        );

      // The agents' board knows again who is connected, although Redis came back empty: the crowd and
      // the newcomer, who connected while Redis was down.
      const agent = openAgent(b.url, { auth: { token: await agentToken() }, waitMs: 10_000 });
      await agent.connected();
      const online = async () => {
        const list = await agent.ok('sessions:list', { filter: { connected: true } });
        return new Set(list.sessions.map((row) => row.sessionId));
      };
      const everyone = visitors.map((v) => v.sessionId!);
      await waitFor(
        'every connected visitor on the board',
        async () => {
          const ids = await online();
          return everyone.every((id) => ids.has(id));
        },
        15_000,
      );

      // After the outage: the rest of every journey; the watchers see each gap and read what they missed.
      await Promise.all([...crowd.map((v) => steps(v, 6, JOURNEY.length, 50)), steps(newcomer, 3, 9, 50)]);
      for (const [i, v] of watched.entries()) {
        const last = await lastSeq(v.sessionId!);
        const events = watches[i]!;
        await waitFor(`${v.name}'s watcher has every event`, () => events.length >= last, 20_000);
        await sleep(200);
        expect(events.map((e) => e.seq)).toEqual(Array.from({ length: last }, (_, k) => k + 1));
      }

      await expectAckedStored(db, visitors);
      const leads = await expectSoundDatabase(db);
      for (const v of visitors)
        expect(leads.find((l) => l.id === v.sessionId)?.score, v.name).toBe(JOURNEY_SCORE);
      expect(a.child.exitCode).toBeNull();
      expect(b.child.exitCode).toBeNull();
      expect(crashLines([...a.logs, ...b.logs])).toEqual([]);
    } finally {
      await Promise.all(nodes.splice(0).map((n) => n.stop()));
      await redis.stop();
    }
  });
});

// Over polling an acknowledgement waits in the server's buffer for the client's next request; the
// shutdown must let it go out before it closes the connections.
describe.each<Transport>(['websocket', 'polling'])('SIGTERM under load (%s)', (transport) => {
  it('stores every acknowledged event, ends in-flight events cleanly, exits 0 and leaves nothing half written', async () => {
    db = await createTestDatabase();
    const n = await node({ DATABASE_URL: db.url }, 'node-t');
    let signalled = false;
    let signalAt = Number.POSITIVE_INFINITY;
    const crowd = Array.from({ length: 20 }, (_, i) => visitor(`t${i}`, transport));
    // Each visitor talks without a break (journey after journey, a new session each time) until the
    // server sends it away; then it stops.
    const talk = async (first: Visitor) => {
      let v = first;
      for (let round = 0; !signalled; round++) {
        if (round > 0) v = visitor(`${first.name}-${round}`, transport);
        try {
          await v.connect(n.url);
        } catch {
          return;
        }
        for (const [event, payload] of JOURNEY) {
          try {
            await v.emit(event, payload, v.newId());
          } catch {
            return;
          }
          await jitter(0, 30);
        }
        v.close();
      }
    };
    const talking = Promise.all(crowd.map(talk));
    await waitFor('load on the node', () => ackedCount() >= 100, 45_000);
    signalled = true;
    signalAt = Date.now();
    const sentBefore = visitors.flatMap((v) => v.sent).length;
    await n.stop();
    await talking;

    expect(n.child.exitCode).toBe(0);
    expect(n.logs.some((l) => l.includes('"shutting down"'))).toBe(true);
    expect(crashLines(n.logs)).toEqual([]);

    const sent = visitors.flatMap((v) => v.sent);
    expect(sentBefore).toBeGreaterThanOrEqual(100);
    // Every event got its acknowledgement (ok), or was refused as unavailable once the server had
    // stopped taking events, or was sent as the connection closed (cut off by the disconnect).
    for (const s of sent) {
      if (s.ack?.ok) continue;
      if (s.ack) {
        expect(s.ack.error?.code, s.clientMessageId).toBe('unavailable');
        expect(s.doneAt, s.clientMessageId).toBeGreaterThanOrEqual(signalAt);
      } else expect(s.lost, s.clientMessageId).toMatch(/disconnected/);
    }
    // Every connection was ended by the server's goodbye (or by the visitor itself between journeys).
    for (const v of visitors) {
      for (const reason of v.disconnects)
        expect(['io server disconnect', 'io client disconnect']).toContain(reason);
    }
    // The signal came with events in flight, and the server finished and acknowledged those it had
    // taken before it closed the sockets.
    const inFlight = sent.filter((s) => s.at < signalAt && s.doneAt! >= signalAt);
    expect(inFlight.length).toBeGreaterThan(0);
    expect(inFlight.some((s) => s.ack?.ok)).toBe(true);

    const acked = await expectAckedStored(db, visitors);
    expect(acked).toBe(sent.filter((s) => s.ack?.ok).length);
    await expectSoundDatabase(db);

    // A visitor cut off or refused resends the event, same clientMessageId, to the next node: it is
    // taken once, never twice.
    const lost = sent.filter((s) => s.lost);
    const stored = await db.query<{ client_message_id: string }>(
      'select client_message_id from session_events where client_message_id = any($1)',
      [lost.map((s) => s.clientMessageId)],
    );
    const committed = new Set(stored.map((r) => r.client_message_id));
    // Nothing the server committed went unacknowledged: the shutdown answers before it disconnects.
    expect(lost.filter((s) => committed.has(s.clientMessageId)).map((s) => s.clientMessageId)).toEqual([]);
    const next = await node({ DATABASE_URL: db.url }, 'node-t2');
    // In the order they were first sent (`sent` keeps each visitor's order): later steps only fit after
    // the earlier ones.
    for (const s of sent.filter((x) => x.lost || (x.ack && !x.ack.ok))) {
      const again = visitor(`again-${s.clientMessageId}`);
      again.sessionId = s.sessionId;
      await again.connect(next.url);
      const ack = await again.emit(s.event, s.payload, s.clientMessageId);
      expect(ack, s.clientMessageId).toMatchObject({ ok: true });
      expect(ack.ok && ack.duplicate === true, s.clientMessageId).toBe(committed.has(s.clientMessageId));
      again.close();
    }
    await expectAckedStored(db, visitors);
    await expectSoundDatabase(db);
    // A visitor.input row always comes with the rest of its event: its lead has moved to that seq.
    const [check] = await db.query<{ orphans: number }>(
      `select count(*)::int as orphans from session_events e join leads l on l.id = e.lead_id
        where e.type = 'visitor.input' and (e.seq > l.last_seq or e.result is null)`,
    );
    expect(check?.orphans).toBe(0);
  });
});
