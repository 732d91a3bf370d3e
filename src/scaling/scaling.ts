import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import {
  type AgentPresence,
  LocalAgentPresence,
  LocalRoundRobin,
  RedisAgentPresence,
  RedisRoundRobin,
  type RoundRobin,
} from '../routing/presence.js';
import { type EventBus, LocalEventBus, RedisEventBus } from './bus.js';
import { localRateLimits, type RateLimits, redisRateLimits } from './limits.js';
import { LocalSessionRegistry, RedisSessionRegistry, type SessionRegistry } from './registry.js';

/** What makes one node part of a cluster: the bus, the registry, rate limits and socket.io's adapter. */
export interface Scaling {
  bus: EventBus;
  registry: SessionRegistry;
  /** Which agents are online or away, on any node; whose turn it is in a team (src/routing). */
  agents: AgentPresence;
  turns: RoundRobin;
  /** Rate limits counted on this node alone, or in Redis for every node. */
  rateLimits: RateLimits;
  /** socket.io's Redis adapter (rooms and broadcasts across nodes); none for a single node. */
  adapter?: ReturnType<typeof createAdapter>;
  /** null when there is no Redis. */
  redisHealthy(): Promise<boolean | null>;
  close(): Promise<void>;
}

/** With `REDIS_URL`, the Redis twins; without it, the in-process ones (the embedded default). */
export async function openScaling(
  config: Pick<Config, 'redis' | 'nodeId'>,
  logger: Logger,
): Promise<Scaling> {
  const { url, prefix } = config.redis;
  if (!url) {
    const bus = new LocalEventBus(config.nodeId);
    const registry = new LocalSessionRegistry(config.nodeId);
    return {
      bus,
      registry,
      agents: new LocalAgentPresence(),
      turns: new LocalRoundRobin(),
      rateLimits: localRateLimits,
      redisHealthy: async () => null,
      close: async () => {
        await bus.close();
        await registry.close();
      },
    };
  }
  // Commands of one event-loop turn leave in one write: each event's registry touch and bus message,
  // and those of every other session committed in the same batch, would otherwise cost a syscall each.
  const client = new Redis(url, {
    maxRetriesPerRequest: 2,
    connectTimeout: 5000,
    enableAutoPipelining: true,
  });
  // socket.io's adapter does not handle a failed publish: its clients wait out an outage instead.
  const patient = { maxRetriesPerRequest: null };
  const clients = [
    client,
    client.duplicate(patient),
    client.duplicate({ ...patient, enableAutoPipelining: false }),
  ];
  const [, pub, sub] = clients as [Redis, Redis, Redis];
  for (const [name, c] of [
    ['main', client],
    ['adapter-pub', pub],
    ['adapter-sub', sub],
  ] as const) {
    c.on('error', (err: Error) => logger.warn({ redis: name, err: err.message }, 'redis error'));
  }
  const bus = new RedisEventBus(config.nodeId, client, prefix, logger);
  const registry = new RedisSessionRegistry(config.nodeId, client, prefix, logger);
  const agents = new RedisAgentPresence(config.nodeId, client, prefix, logger);
  let closed = false;
  return {
    bus,
    registry,
    agents,
    turns: new RedisRoundRobin(client, prefix),
    rateLimits: redisRateLimits(client, prefix),
    adapter: createAdapter(pub, sub, { key: `${prefix}#socket.io` }),
    redisHealthy: async () => {
      try {
        return (
          (await Promise.race([client.ping(), new Promise((r) => setTimeout(r, 1000, 'timeout'))])) === 'PONG'
        );
      } catch {
        return false;
      }
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await agents.close();
      await registry.close();
      await bus.close();
      for (const c of clients) c.disconnect();
    },
  };
}
