import { errors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
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
});

/** Agent tokens: JWT, HS256, signed with SECRET_KEY; claims sub, name, role, exp. */
export class AgentTokens {
  private readonly key: Uint8Array;

  constructor(secretKey: string) {
    this.key = new TextEncoder().encode(secretKey);
  }

  /** Mints a token; `ttl` like "12h", "30m" or seconds. */
  async sign(
    agent: { id: string; name: string; role: AgentRole },
    ttl: string | number = '12h',
  ): Promise<string> {
    return new SignJWT({ name: agent.name, role: agent.role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(agent.id)
      .setIssuedAt()
      .setExpirationTime(typeof ttl === 'number' ? Math.floor(Date.now() / 1000) + ttl : ttl)
      .sign(this.key);
  }

  /** The agent a token names; `unauthorized` for a missing, malformed, forged or expired one. */
  async verify(token: unknown): Promise<Agent> {
    if (typeof token !== 'string' || token.length === 0)
      throw new AppError('unauthorized', 'An agent token is required.');
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'] });
      const c = claims.parse(payload);
      return { id: c.sub, name: c.name, role: c.role, expiresAt: c.exp };
    } catch (err) {
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
