import type { Redis } from 'ioredis';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';

/** What a rate limit counts: `points` takes per key in each window of `seconds`. */
export interface RateLimitOptions {
  /** Names its keys (`<prefix>:limit:<name>:<key>` in Redis). */
  name: string;
  points: number;
  seconds: number;
}

/** The answer to one take: allowed or not, what is left, and when the window starts again. */
export interface LimitVerdict {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the key's window ends (at least 1). */
  retryAfterSeconds: number;
}

/**
 * A fixed-window counter per key, from rate-limiter-flexible: in memory for a single node, or in Redis
 * (one atomic INCR + EXPIRE script per take) so that every node counts against the same number.
 */
export class RateLimit {
  constructor(
    readonly options: RateLimitOptions,
    private readonly limiter: RateLimiterAbstract,
  ) {}

  /** Counts one take for `key`. */
  async take(key: string): Promise<LimitVerdict> {
    let res: RateLimiterRes;
    let allowed = true;
    try {
      res = await this.limiter.consume(key);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      res = err;
      allowed = false;
    }
    return {
      allowed,
      limit: this.options.points,
      remaining: allowed ? res.remainingPoints : 0,
      retryAfterSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
    };
  }
}

/** Builds rate limits of one kind (the twins below). */
export type RateLimits = (options: RateLimitOptions) => RateLimit;

/** In this process only: the single-node default, and what a Redis limit falls back to. */
export const localRateLimits: RateLimits = (options) =>
  new RateLimit(options, new RateLimiterMemory({ points: options.points, duration: options.seconds }));

/**
 * Counted in Redis under the key prefix, shared by every node. While Redis cannot be reached a take is
 * counted in this process instead (each node alone, as without Redis) rather than waiting or failing:
 * a limit must not take the service down with it. Once a key is over its limit this node refuses it
 * from memory until the window ends, so a flood costs Redis one command per node and window, not one
 * per request.
 */
export function redisRateLimits(client: Redis, prefix: string): RateLimits {
  return (options) =>
    new RateLimit(
      options,
      new RateLimiterRedis({
        storeClient: client,
        keyPrefix: `${prefix}:limit:${options.name}`,
        points: options.points,
        duration: options.seconds,
        rejectIfRedisNotReady: true,
        inMemoryBlockOnConsumed: options.points + 1,
        insuranceLimiter: new RateLimiterMemory({ points: options.points, duration: options.seconds }),
      }),
    );
}

/**
 * The limits that count per client address: REST requests (RATE_LIMIT_PER_MINUTE) and new sessions
 * (SESSION_STARTS_PER_MINUTE, both doors together). Built once per node from the node's kind of rate
 * limit, so with Redis they hold across nodes.
 */
export class AddressLimits {
  /** REST requests per client address per minute. */
  readonly requests: RateLimit;
  private readonly sessionStarts: RateLimit | undefined;

  constructor(config: Pick<Config, 'rateLimitPerMinute' | 'limits'>, make: RateLimits) {
    this.requests = make({ name: 'rest', points: config.rateLimitPerMinute, seconds: 60 });
    const starts = config.limits.sessionStartsPerMinute;
    this.sessionStarts =
      starts > 0 ? make({ name: 'session-start', points: starts, seconds: 60 }) : undefined;
  }

  /** Takes one new session of `address`, whichever door starts it; `rate_limited` when none is left. */
  async sessionStart(address: string): Promise<void> {
    if (!this.sessionStarts) return;
    const verdict = await this.sessionStarts.take(address);
    if (verdict.allowed) return;
    throw new AppError(
      'rate_limited',
      `At most ${verdict.limit} new sessions per minute from one address; try again in ${verdict.retryAfterSeconds} s.`,
      { limit: verdict.limit, window: '1 minute', retryAfterSeconds: verdict.retryAfterSeconds },
    );
  }
}

/** The refusal of a REST request over RATE_LIMIT_PER_MINUTE. */
export function requestRefusal(verdict: LimitVerdict): AppError {
  return new AppError('rate_limited', `Rate limit of ${verdict.limit} requests per minute exceeded.`, {
    limit: verdict.limit,
    window: '1 minute',
    retryAfterSeconds: verdict.retryAfterSeconds,
  });
}
