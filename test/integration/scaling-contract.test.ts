import type { Redis } from 'ioredis';
import { Redis as RedisClient } from 'ioredis';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type EventBus, LocalEventBus, RedisEventBus } from '../../src/scaling/bus.js';
import { localRateLimits, type RateLimits, redisRateLimits } from '../../src/scaling/limits.js';
import {
  LocalSessionRegistry,
  RedisSessionRegistry,
  type SessionRegistry,
} from '../../src/scaling/registry.js';
import { randomPrefix, redisClient } from '../support/redis.js';
import { sleep } from '../support/time.js';

const logger = pino({ level: 'silent' });
const until = async (check: () => boolean | Promise<boolean>, ms = 3000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(20);
  }
};

/** The contract holds for any channels: these carry a number to count and order by. */
type TestChannels = Record<string, { seq: number }>;

/** Builds one node's bus and registry; the Redis kind shares a prefix between nodes of one test. */
interface Kind {
  name: string;
  node(
    nodeId: string,
    prefix: string,
    retainMs?: number,
  ): { bus: EventBus<TestChannels>; registry: SessionRegistry; close(): Promise<void> };
}

const clients: Redis[] = [];
const closeAll = async (...parts: { close(): Promise<void> }[]) => {
  for (const p of parts) await p.close();
};
const kinds: Kind[] = [
  {
    name: 'local',
    node: (nodeId, _prefix, retainMs) => {
      const bus = new LocalEventBus<TestChannels>(nodeId);
      const registry = new LocalSessionRegistry(nodeId, retainMs);
      return { bus, registry, close: () => closeAll(bus, registry) };
    },
  },
  {
    name: 'redis',
    node: (nodeId, prefix, retainMs) => {
      const client = redisClient();
      clients.push(client);
      const bus = new RedisEventBus<TestChannels>(nodeId, client, prefix, logger);
      const registry = new RedisSessionRegistry(nodeId, client, prefix, logger, {
        heartbeatMs: 100,
        nodeTtlMs: 400,
        ...(retainMs === undefined ? {} : { retainMs }),
      });
      return { bus, registry, close: () => closeAll(bus, registry) };
    },
  },
];

afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
});

describe.each(kinds)('$name bus and registry (one contract)', (kind) => {
  it('delivers a message to every subscriber of its channel, once, and not after unsubscribing', async () => {
    const node = kind.node('n1', randomPrefix());
    const got: unknown[] = [];
    const other: unknown[] = [];
    const off = node.bus.subscribe('session-events', (p) => got.push(p));
    node.bus.subscribe('session-events', (p) => got.push(p));
    node.bus.subscribe('elsewhere', (p) => other.push(p));
    await (node.bus as RedisEventBus<TestChannels>).ready?.();
    await node.bus.publish('session-events', { seq: 1 });
    await sleep(100);
    expect(got).toEqual([{ seq: 1 }, { seq: 1 }]);
    expect(other).toEqual([]);
    off();
    await node.bus.publish('session-events', { seq: 2 });
    await sleep(100);
    expect(got).toEqual([{ seq: 1 }, { seq: 1 }, { seq: 2 }]);
    await node.close();
    await node.close();
  });

  it('keeps messages of one channel in publish order', async () => {
    const node = kind.node('n1', randomPrefix());
    const got: number[] = [];
    node.bus.subscribe('c', (p) => got.push(p.seq));
    for (let seq = 1; seq <= 50; seq++) await node.bus.publish('c', { seq });
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    await node.close();
  });

  it('counts connections per session and remembers the last activity', async () => {
    const node = kind.node('n1', randomPrefix());
    await node.registry.connected('sess_a', 1000);
    await node.registry.connected('sess_a', 2000);
    await node.registry.connected('sess_b', 1500);
    await node.registry.disconnected('sess_a', 3000);
    await node.registry.touch('sess_b', 4000);
    let list = await node.registry.list();
    const a = list.find((s) => s.sessionId === 'sess_a');
    const b = list.find((s) => s.sessionId === 'sess_b');
    expect(a).toMatchObject({ nodeId: 'n1', connected: true, connections: 1, lastActivityAt: 3000 });
    expect(b).toMatchObject({ connected: true, connections: 1, lastActivityAt: 4000 });
    expect(await node.registry.isConnected('sess_a')).toBe(true);
    await node.registry.disconnected('sess_a', 5000);
    list = await node.registry.list();
    expect(list.find((s) => s.sessionId === 'sess_a')).toMatchObject({ connected: false, connections: 0 });
    expect(await node.registry.isConnected('sess_a')).toBe(false);
    expect(await node.registry.isConnected('sess_b')).toBe(true);
    expect(await node.registry.isConnected('sess_unknown')).toBe(false);
    // More disconnects than connects never go below zero.
    await node.registry.disconnected('sess_a', 6000);
    list = await node.registry.list();
    expect(list.find((s) => s.sessionId === 'sess_a')).toMatchObject({
      connections: 0,
      lastActivityAt: 6000,
    });
    await node.close();
  });
});

describe.each(kinds)('$name registry retention', (kind) => {
  it('forgets a session without connections once its last activity is older than the retention', async () => {
    const node = kind.node('n1', randomPrefix(), 10_000);
    await node.registry.connected('sess_gone', 1000);
    await node.registry.disconnected('sess_gone', 2000);
    await node.registry.connected('sess_staying', 1500);
    await node.registry.connected('sess_recent', 9000);
    await node.registry.disconnected('sess_recent', 9500);
    expect((await node.registry.list()).map((s) => s.sessionId).sort()).toEqual([
      'sess_gone',
      'sess_recent',
      'sess_staying',
    ]);
    // Activity at 15 s: what has had no connection since before 5 s is forgotten; a connected one stays.
    await node.registry.touch('sess_staying', 15_000);
    const list = await node.registry.list();
    expect(list.map((s) => s.sessionId).sort()).toEqual(['sess_recent', 'sess_staying']);
    expect(list.find((s) => s.sessionId === 'sess_staying')).toMatchObject({
      connected: true,
      connections: 1,
    });
    await node.close();
  });
});

/** Rate limits of one kind; the Redis kind shares a prefix between the nodes of one test. */
const limitKinds: { name: string; node(prefix: string): RateLimits }[] = [
  { name: 'local', node: () => localRateLimits },
  {
    name: 'redis',
    node: (prefix) => {
      const client = redisClient();
      clients.push(client);
      return redisRateLimits(client, prefix);
    },
  },
];

describe.each(limitKinds)('$name rate limit (one contract)', (kind) => {
  it('allows `points` takes per key in a window, then refuses with the time left; keys are apart', async () => {
    const limit = kind.node(randomPrefix())({ name: 'test', points: 3, seconds: 60 });
    const verdicts = [];
    for (let i = 0; i < 4; i++) verdicts.push(await limit.take('198.51.100.1'));
    expect(verdicts.map((v) => [v.allowed, v.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ]);
    for (const v of verdicts) {
      expect(v.limit).toBe(3);
      expect(v.retryAfterSeconds).toBeGreaterThan(58);
      expect(v.retryAfterSeconds).toBeLessThanOrEqual(60);
    }
    expect(await limit.take('198.51.100.2')).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('starts again when the window ends', async () => {
    const limit = kind.node(randomPrefix())({ name: 'test', points: 1, seconds: 1 });
    expect((await limit.take('k')).allowed).toBe(true);
    expect((await limit.take('k')).allowed).toBe(false);
    await sleep(1100);
    expect((await limit.take('k')).allowed).toBe(true);
  });
});

describe('across nodes (redis)', () => {
  it('rate limits on one prefix count together; while Redis is unreachable each counts alone, at once', async () => {
    const prefix = randomPrefix();
    const nodes = [redisClient(), redisClient()];
    clients.push(...nodes);
    // Until a client is ready its node counts alone (see below): wait for both.
    await Promise.all(nodes.map((c) => c.ping()));
    const [one, two] = nodes.map((c) => redisRateLimits(c, prefix)({ name: 'rest', points: 2, seconds: 60 }));
    expect((await one!.take('ip')).allowed).toBe(true);
    expect((await two!.take('ip')).allowed).toBe(true);
    expect((await one!.take('ip')).allowed).toBe(false);
    expect((await two!.take('ip')).allowed).toBe(false);

    // Nothing listens on port 1: the client never becomes ready.
    const down = new RedisClient('redis://127.0.0.1:1', { maxRetriesPerRequest: null, lazyConnect: false });
    down.on('error', () => {});
    clients.push(down);
    const alone = redisRateLimits(down, prefix)({ name: 'rest', points: 2, seconds: 60 });
    const started = Date.now();
    const verdicts = [await alone.take('ip'), await alone.take('ip'), await alone.take('ip')];
    expect(Date.now() - started).toBeLessThan(200);
    expect(verdicts.map((v) => v.allowed)).toEqual([true, true, false]);
  });

  const redis = kinds[1]!;

  it('a message published on one node reaches the others, once, tagged with its node', async () => {
    const prefix = randomPrefix();
    const a = redis.node('node-a', prefix);
    const b = redis.node('node-b', prefix);
    const stranger = redis.node('node-c', randomPrefix());
    const onA: unknown[] = [];
    const onB: [unknown, string][] = [];
    const onStranger: unknown[] = [];
    a.bus.subscribe('c', (p) => onA.push(p));
    b.bus.subscribe('c', (p, from) => onB.push([p, from]));
    stranger.bus.subscribe('c', (p) => onStranger.push(p));
    await Promise.all([a, b, stranger].map((n) => (n.bus as RedisEventBus<TestChannels>).ready()));
    await a.bus.publish('c', { seq: 7 });
    await until(() => onB.length === 1);
    await sleep(100);
    expect(onA).toEqual([{ seq: 7 }]);
    expect(onB).toEqual([[{ seq: 7 }, 'node-a']]);
    expect(onStranger).toEqual([]);
    await Promise.all([a.close(), b.close(), stranger.close()]);
  });

  it('sees sessions of every node, and a dead node stops counting as connected', async () => {
    const prefix = randomPrefix();
    const a = redis.node('node-a', prefix);
    const b = redis.node('node-b', prefix);
    await a.registry.connected('sess_x', 1000);
    await b.registry.connected('sess_x', 2000);
    await b.registry.connected('sess_y', 2500);
    const seen = await a.registry.list();
    expect(seen.find((s) => s.sessionId === 'sess_x')).toMatchObject({
      connected: true,
      connections: 2,
      nodeId: 'node-b',
    });
    expect(await a.registry.isConnected('sess_y')).toBe(true);
    // node-b stops beating (as after kill -9): within the TTL its sessions are no longer connected.
    clearInterval((b.registry as unknown as { timer: NodeJS.Timeout }).timer);
    await until(async () => {
      const list = await a.registry.list();
      return list.find((s) => s.sessionId === 'sess_y')?.connected === false;
    });
    const after = await a.registry.list();
    expect(after.find((s) => s.sessionId === 'sess_x')).toMatchObject({ connected: true, connections: 1 });
    await until(async () => !(await a.registry.isConnected('sess_y')));
    expect(await a.registry.isConnected('sess_x')).toBe(true);
    await Promise.all([a.close(), b.close()]);
  });

  it("forgets a dead node's sessions once they are older than the retention", async () => {
    const prefix = randomPrefix();
    const a = redis.node('node-a', prefix, 10_000);
    const b = redis.node('node-b', prefix, 10_000);
    await b.registry.connected('sess_orphan', 1000);
    await a.registry.connected('sess_here', 2000);
    clearInterval((b.registry as unknown as { timer: NodeJS.Timeout }).timer);
    await until(
      async () => (await a.registry.list()).find((s) => s.sessionId === 'sess_orphan')?.connected === false,
    );
    await a.registry.touch('sess_here', 20_000);
    await a.registry.list(); // the listing that notices the orphan and forgets it
    expect((await a.registry.list()).map((s) => s.sessionId)).toEqual(['sess_here']);
    await Promise.all([a.close(), b.close()]);
  });
});
