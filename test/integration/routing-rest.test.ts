import { afterEach, describe, expect, it } from 'vitest';
import { AgentTokens } from '../../src/agents/tokens.js';
import { ASHA, agentsServer, DEV, SECRET } from '../support/agents.js';
import { closeClients, visitor } from '../support/sockets.js';

/** Routing's REST routes refuse what they must: wrong roles, bad bodies, unknown sessions. */

afterEach(closeClients);

const API_KEY = 'routing-test-key-0123456789';

describe('routing over REST', () => {
  const server = agentsServer({ API_KEYS: API_KEY });

  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return {
      status: res.status,
      body: (await res.json()) as Record<string, unknown> & { error?: { code: string } },
    };
  };

  it('refuses a reassignment from anyone but an admin, a bad body and an unknown session', async () => {
    const v = await visitor(server.url);
    const admin = await new AgentTokens(SECRET).sign(DEV);
    const asha = await new AgentTokens(SECRET).sign(ASHA);
    const path = `/api/lead/${v.sessionId}/assign`;
    expect((await call('POST', path, API_KEY, { agent_id: 'agent-1' })).body.error?.code).toBe('forbidden');
    expect((await call('POST', path, asha, { agent_id: 'agent-1' })).body.error?.code).toBe('forbidden');
    for (const bad of [
      {},
      { agent_id: '' },
      { agent_id: 'x'.repeat(201) },
      { agent_id: 'a', role: 'admin' },
    ]) {
      const r = await call('POST', path, admin, bad);
      expect(r.status, JSON.stringify(bad)).toBe(422);
    }
    const unknown = await call('POST', `/api/lead/sess_${'0'.repeat(32)}/assign`, admin, { agent_id: 'a' });
    expect(unknown.status).toBe(404);
    expect(await call('POST', path, admin, { agent_id: 'agent-9', name: 'Nila' })).toEqual({
      status: 200,
      body: { session_id: v.sessionId, assigned_to: 'agent-9', assigned_name: 'Nila', team: 'sales' },
    });
  });

  it('lets only an agent mark a lead contacted, once (the first time is kept)', async () => {
    const v = await visitor(server.url);
    const asha = await new AgentTokens(SECRET).sign(ASHA);
    const path = `/api/lead/${v.sessionId}/contacted`;
    expect((await call('POST', path, API_KEY)).body.error?.code).toBe('forbidden');
    const first = await call('POST', path, asha);
    expect(first.status).toBe(200);
    server.clock.advance(60_000);
    expect((await call('POST', path, asha)).body.contacted_at).toBe(first.body.contacted_at);
    const log = await server.db.query<{ type: string }>(
      `select type from session_events where lead_id = $1 and type = 'agent.contacted'`,
      [v.sessionId],
    );
    expect(log).toHaveLength(1);
    expect((await call('GET', '/api/routing/agents', API_KEY)).body).toEqual({ agents: [] });
  });
});
