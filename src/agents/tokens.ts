import { errors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { durationSeconds } from '../config-values.js';
import { AppError } from '../errors.js';

export const agentRoles = ['agent', 'admin'] as const;
export type AgentRole = (typeof agentRoles)[number];

export interface Agent {
  id: string;
  name: string;
  role: AgentRole;
  /** Seconds since the epoch when the token stops being valid. */
  expiresAt: number;
}

const claims = z.object({
  sub: z.string().min(1).max(200),
  name: z.string().min(1).max(200),
  role: z.enum(agentRoles),
  exp: z.number().int(),
  iat: z.number().int().optional(),
});

/** A lifetime in words: `86400` → `24h`, `604800` → `7d`. */
const inWords = (seconds: number) =>
  seconds > 86_400 && seconds % 86_400 === 0
    ? `${seconds / 86_400}d`
    : seconds % 3600 === 0
      ? `${seconds / 3600}h`
      : seconds % 60 === 0
        ? `${seconds / 60}m`
        : `${seconds}s`;

/**
 * Agent tokens: JWT, HS256, signed with SECRET_KEY; claims sub, name, role, iat, exp. None lives longer
 * than `maxTtl` seconds (AGENT_TOKEN_MAX_TTL): a leaked token is worth a day at most, not a year.
 */
export class AgentTokens {
  private readonly key: Uint8Array;

  constructor(
    secretKey: string,
    readonly maxTtl = 24 * 3600,
  ) {
    this.key = new TextEncoder().encode(secretKey);
  }

  /** The refusal of a lifetime over the cap, or undefined; `ttl` like "12h", "30m" or seconds. */
  ttlProblem(ttl: string | number): string | undefined {
    const seconds = typeof ttl === 'number' ? ttl : durationSeconds(ttl);
    if (Number.isNaN(seconds)) return 'a lifetime like 30m, 12h, 7d or seconds';
    if (seconds > this.maxTtl) return `at most ${inWords(this.maxTtl)} (AGENT_TOKEN_MAX_TTL)`;
    return undefined;
  }

  /** Mints a token; `ttl` like "12h", "30m" or seconds, at most `maxTtl` (else `validation_failed`). */
  async sign(
    agent: { id: string; name: string; role: AgentRole },
    ttl: string | number = '12h',
  ): Promise<string> {
    const problem = this.ttlProblem(ttl);
    if (problem) {
      throw new AppError('validation_failed', `ttl: ${problem}`, {
        issues: [{ path: 'ttl', message: problem }],
      });
    }
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ name: agent.name, role: agent.role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(agent.id)
      .setIssuedAt(now)
      .setExpirationTime(now + (typeof ttl === 'number' ? ttl : durationSeconds(ttl)))
      .sign(this.key);
  }

  /** The agent a token names; `unauthorized` for a missing, malformed, forged or expired one. */
  async verify(token: unknown): Promise<Agent> {
    if (typeof token !== 'string' || token.length === 0)
      throw new AppError('unauthorized', 'An agent token is required.');
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'] });
      const c = claims.parse(payload);
      // Minted before the cap was lowered, or elsewhere with the same key: refused all the same.
      if (c.exp - (c.iat ?? Math.floor(Date.now() / 1000)) > this.maxTtl) {
        throw new AppError('unauthorized', 'The agent token lives longer than this server allows.', {
          reason: 'invalid',
        });
      }
      return { id: c.sub, name: c.name, role: c.role, expiresAt: c.exp };
    } catch (err) {
      if (err instanceof AppError) throw err;
      const expired = err instanceof errors.JWTExpired;
      throw new AppError(
        'unauthorized',
        expired ? 'The agent token has expired.' : 'The agent token is not valid.',
        {
          reason: expired ? 'expired' : 'invalid',
        },
      );
    }
  }
}
