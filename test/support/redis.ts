import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config.js';

/** The run's Redis: `REDIS_URL`, or the local default. */
export function testRedisUrl(): string {
  return loadConfig().redis.url ?? 'redis://127.0.0.1:6379';
}

/** A key prefix of its own, so tests never see each other's keys. */
export function randomPrefix(): string {
  return `lcbtest${randomBytes(5).toString('hex')}`;
}

export function redisClient(url = testRedisUrl()): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 3 });
  client.on('error', () => {});
  return client;
}
