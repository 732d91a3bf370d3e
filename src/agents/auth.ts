import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.js';
import type { Agent, AgentTokens } from './tokens.js';

/** Who a request is: an agent (token) or a machine client (API key). */
export type Principal = { kind: 'agent'; agent: Agent } | { kind: 'machine'; key: number };

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Authenticates `Authorization: Bearer …` with an agent token or an API key. Keys are compared as
 * SHA-256 digests with timingSafeEqual, every key every time, so timing tells nothing.
 */
export class Authenticator {
  private readonly keys: Buffer[];

  constructor(
    private readonly tokens: AgentTokens,
    apiKeys: readonly string[],
  ) {
    this.keys = apiKeys.map(digest);
  }

  async authenticate(authorization: string | undefined): Promise<Principal> {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) throw new AppError('unauthorized', 'Send Authorization: Bearer <agent token or API key>.');
    const credential = match[1]!;
    const candidate = digest(credential);
    let found = -1;
    this.keys.forEach((key, i) => {
      if (timingSafeEqual(key, candidate) && found === -1) found = i;
    });
    if (found >= 0) return { kind: 'machine', key: found };
    // Not a key: it must be a valid agent token (verified in constant time by HMAC comparison).
    return { kind: 'agent', agent: await this.tokens.verify(credential) };
  }
}

/** Only admins (not plain agents, not machine keys). */
export function adminOf(principal: Principal): Agent {
  if (principal.kind !== 'agent' || principal.agent.role !== 'admin')
    throw new AppError('forbidden', 'Only an admin may do this.');
  return principal.agent;
}

/** How records name a principal (who erased a lead): `agent:<id>`, or `api-key:<n>` counting API_KEYS from 1. */
export function principalName(principal: Principal): string {
  return principal.kind === 'agent' ? `agent:${principal.agent.id}` : `api-key:${principal.key + 1}`;
}
