import { decodeJwt, SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { AgentTokens } from '../../src/agents/tokens.js';
import type { ErrorAck } from '../../src/protocol/index.js';
import { ASHA, agent, agentsServer, BALA, GREETING, leadRow, SECRET } from '../support/agents.js';
import { openAgent, visitor } from '../support/sockets.js';
import { sleep } from '../support/time.js';

/**
 * Who may use /agents: the token of the handshake, a token that expires while connected, a visitor's
 * socket that asks for agent events; and the event budget of an agent's connection.
 */

/** A token with the right secret but claims of our choosing. */
function forge(claims: Record<string, unknown>, secret = SECRET, expires: string | null = '1h') {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt();
  return (expires ? jwt.setExpirationTime(expires) : jwt).sign(new TextEncoder().encode(secret));
}

describe('authentication', () => {
  const server = agentsServer();

  it('refuses a handshake without a valid agent token with connect_error unauthorized', async () => {
    const v = await visitor(server.url);
    const tokens = new AgentTokens(SECRET);
    const cases: [string, Record<string, unknown>, 'invalid' | 'expired' | null][] = [
      ['no token', {}, null],
      ['an empty token', { token: '' }, null],
      ['a token that is not a string', { token: 12345 }, null],
      ['a garbage token', { token: 'not.a.jwt' }, 'invalid'],
      [
        'a token signed with another secret',
        { token: await new AgentTokens('another-secret-0123456789abcdef').sign(ASHA) },
        'invalid',
      ],
      ['an expired token', { token: await tokens.sign(ASHA, -10) }, 'expired'],
      [
        "a token with role 'visitor'",
        { token: await forge({ sub: 'v-1', name: 'Vee', role: 'visitor' }) },
        'invalid',
      ],
      ['a token without a name', { token: await forge({ sub: 'agent-9', role: 'agent' }) }, 'invalid'],
      ['a token without a subject', { token: await forge({ name: 'Nobody', role: 'agent' }) }, 'invalid'],
      [
        'a token that never expires',
        { token: await forge({ sub: 'agent-9', name: 'Eve', role: 'admin' }, SECRET, null) },
        'invalid',
      ],
      [
        "an unsigned token (alg 'none')",
        {
          token: new UnsecuredJWT({ name: 'Eve', role: 'admin' })
            .setSubject('agent-9')
            .setExpirationTime('1h')
            .encode(),
        },
        'invalid',
      ],
      ["the visitor's session id as the token", { token: v.sessionId }, 'invalid'],
      ["the visitor's /chat auth", { sessionId: v.sessionId }, null],
    ];
    const refusals = await Promise.all(
      cases.map(async ([what, auth]) => ({ what, err: await openAgent(server.url, { auth }).refused() })),
    );
    for (const [i, { what, err }] of refusals.entries()) {
      const reason = cases[i]![2];
      expect(err.data?.code, what).toBe('unauthorized');
      expect(typeof err.data?.message, what).toBe('string');
      if (reason) expect(err.data?.details, what).toEqual({ reason });
    }
  });

  it("a token that expires while connected gets 'auth:expired' and is disconnected", async () => {
    const token = await new AgentTokens(SECRET).sign(ASHA, 2);
    const exp = decodeJwt(token).exp! * 1000;
    const c = openAgent(server.url, { auth: { token } });
    await c.connected();
    // Works until it expires.
    await c.ok('sessions:list', {});
    const expired = await c.nth('auth:expired', undefined, 0, 4000);
    expect(expired).toMatchObject({ code: 'unauthorized' });
    expect(typeof expired.message).toBe('string');
    const at = c.events.find((e) => e.event === 'auth:expired')!.at;
    expect(at).toBeGreaterThanOrEqual(exp - 50);
    expect(await c.disconnected()).toBe('io server disconnect');
    // The same token is refused from now on.
    const again = await openAgent(server.url, { auth: { token } }).refused();
    expect(again.data).toMatchObject({ code: 'unauthorized', details: { reason: 'expired' } });
  });

  it('a visitor socket on /chat gets no answer to agent events and takes nothing over', async () => {
    const v = await visitor(server.url);
    await Promise.all([
      v.noAck('session:watch', { sessionId: v.sessionId }),
      v.noAck('sessions:list', {}),
      v.noAck('session:takeover', { sessionId: v.sessionId }),
      v.noAck('agent:message', { sessionId: v.sessionId, text: 'hi' }),
    ]);
    expect(v.events.map((e) => e.event).filter((e) => e !== 'session' && e !== 'bot:message')).toEqual([]);
    expect((await leadRow(server.db, v.sessionId)).taken_over_by).toBeNull();
    // The visitor can still chat.
    expect(await v.say('visitor:reply', GREETING)).toMatchObject({ score: 10, state: 'questions' });
  });
});

describe('/agents event budget (SOCKET_EVENTS_PER_SECOND=2, SOCKET_EVENT_BURST=3)', () => {
  const server = agentsServer({ SOCKET_EVENTS_PER_SECOND: '2', SOCKET_EVENT_BURST: '3' });

  it('events beyond the burst are rate_limited, whatever the event; the budget is per socket and refills', async () => {
    const a = await agent(server.url);
    const v = await visitor(server.url);
    const acks = await Promise.all([
      ...Array.from({ length: 6 }, () => a.ack('sessions:list', {})),
      ...Array.from({ length: 4 }, () => a.ack('session:watch', { sessionId: v.sessionId })),
    ]);
    const limited = acks.filter((r): r is ErrorAck => !r.ok);
    expect(acks.length - limited.length).toBeGreaterThanOrEqual(3);
    expect(acks.length - limited.length).toBeLessThanOrEqual(4);
    for (const r of limited) {
      expect(r.error).toEqual({
        code: 'rate_limited',
        message: 'At most 2 events per second per connection.',
        details: { limit: 2, burst: 3 },
      });
    }
    // The watches at the end were refused before they read anything.
    expect(acks.slice(6).every((r) => !r.ok)).toBe(true);

    // Another agent connection has a budget of its own.
    await (await agent(server.url, BALA)).ok('sessions:list', {});
    // Half a second refills one event at 2 per second.
    await sleep(600);
    await a.ok('session:watch', { sessionId: v.sessionId });
  });
});
