import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentTokens } from '../../src/agents/tokens.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { TestClock } from '../support/engine.js';

const SECRET = 'rest-agents-secret-0123456789';
const API_KEY = 'crm-key-0123456789abcdef';
const run = promisify(execFile);

describe('REST for agents and machines', () => {
  const clock = new TestClock(Date.UTC(2026, 10, 20, 9, 0, 0));
  let t: TestApp;
  let agentToken: string;
  let adminToken: string;
  const ids: string[] = [];

  const get = async (path: string, authorization?: string) => {
    const res = await fetch(`${t.app.url}${path}`, { headers: authorization ? { authorization } : {} });
    // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  beforeAll(async () => {
    t = await startTestApp(
      { SECRET_KEY: SECRET, API_KEYS: `other-key-0123456789,${API_KEY}` },
      { now: clock.now },
    );
    const tokens = new AgentTokens(SECRET);
    agentToken = await tokens.sign({ id: 'asha', name: 'Asha', role: 'agent' });
    adminToken = await tokens.sign({ id: 'ravi', name: 'Ravi', role: 'admin' });
    // Three leads on three days: Unqualified (google), MQL (google), SQL (facebook).
    const { engine } = t.app;
    const journeys: [string, number][] = [
      ['google', 0],
      ['google', 3],
      ['facebook', 6],
    ];
    for (const [utm, answersGiven] of journeys) {
      const { sessionId } = await engine.startSession({ utmSource: utm });
      ids.push(sessionId);
      if (answersGiven > 0) await engine.handle(sessionId, { kind: 'reply', optionIds: ['yes'] });
      const qs = engine.workflow.questions.slice(0, Math.min(5, answersGiven));
      for (const q of qs) {
        await engine.handle(sessionId, {
          kind: 'answer',
          questionId: q.id,
          text: q.type === 'text' ? 'Pune' : q.options[0]!.label,
        });
      }
      if (answersGiven > 5) await engine.handle(sessionId, { kind: 'contact', email: 'lead@example.com' });
      clock.advance(24 * 3600_000);
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses a missing, malformed or wrong credential with 401', async () => {
    for (const auth of [
      undefined,
      'Basic abc',
      `Bearer ${API_KEY}x`,
      'Bearer not-a-token',
      `Bearer ${agentToken}x`,
    ]) {
      const r = await get('/api/leads', auth);
      expect(r.status, String(auth)).toBe(401);
      expect(r.body.error.code).toBe('unauthorized');
    }
    const expired = await new AgentTokens(SECRET).sign({ id: 'x', name: 'X', role: 'agent' }, -10);
    const r = await get('/api/leads', `Bearer ${expired}`);
    expect(r.status).toBe(401);
    expect(r.body.error.details).toEqual({ reason: 'expired' });
  });

  it('lists leads for an API key or an agent, filtered, sorted and paginated', async () => {
    const all = await get('/api/leads', `Bearer ${API_KEY}`);
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(3);
    const scores = all.body.leads.map((l: { lead_score: number }) => l.lead_score);
    expect(scores).toEqual([...scores].sort((a: number, b: number) => b - a));
    expect(all.body.leads[0]).toMatchObject({
      session_id: ids[2],
      lead_type: 'SQL',
      utm_source: 'facebook',
      email: 'lead@example.com',
    });

    const google = await get('/api/leads?utm_source=google&sort=time&order=asc', `Bearer ${agentToken}`);
    expect(google.body.leads.map((l: { session_id: string }) => l.session_id)).toEqual([ids[0], ids[1]]);

    const mql = await get('/api/leads?classification=MQL', `Bearer ${API_KEY}`);
    expect(mql.body.leads.map((l: { session_id: string }) => l.session_id)).toEqual([ids[1]]);

    const range = await get(
      `/api/leads?from=${encodeURIComponent('2026-11-21T00:00:00Z')}&to=${encodeURIComponent('2026-11-22T00:00:00Z')}`,
      `Bearer ${API_KEY}`,
    );
    expect(range.body.leads.map((l: { session_id: string }) => l.session_id)).toEqual([ids[1]]);

    const page2 = await get('/api/leads?page=2&page_size=2', `Bearer ${API_KEY}`);
    expect(page2.body).toMatchObject({ total: 3, page: 2, page_size: 2 });
    expect(page2.body.leads).toHaveLength(1);

    const bad = await get('/api/leads?classification=HOT', `Bearer ${API_KEY}`);
    expect(bad.status).toBe(422);
  });

  it("serves the seed's /api/leads/list shape", async () => {
    const r = await get('/api/leads/list', `Bearer ${API_KEY}`);
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(['count', 'leads']);
    expect(r.body.count).toBe(3);
  });

  it('mints agent tokens for admins only', async () => {
    const mint = (authorization?: string) =>
      fetch(`${t.app.url}/api/agents/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ name: 'Meera', role: 'agent', ttl: '2h' }),
      });
    expect((await mint()).status).toBe(401);
    expect((await mint(`Bearer ${agentToken}`)).status).toBe(403);
    expect((await mint(`Bearer ${API_KEY}`)).status).toBe(403);
    const ok = await mint(`Bearer ${adminToken}`);
    expect(ok.status).toBe(200);
    const { token, expires_at } = (await ok.json()) as { token: string; expires_at: string };
    const agent = await new AgentTokens(SECRET).verify(token);
    expect(agent).toMatchObject({ id: 'meera', name: 'Meera', role: 'agent' });
    expect(Date.parse(expires_at) - Date.now()).toBeGreaterThan(7000_000);
  });

  it('mints no token that outlives AGENT_TOKEN_MAX_TTL (24 h by default), and accepts none', async () => {
    const mint = (ttl: string) =>
      fetch(`${t.app.url}/api/agents/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
        body: JSON.stringify({ name: 'Meera', ttl }),
      });
    for (const ttl of ['25h', '2d', '1441m', '86401s']) {
      const r = await mint(ttl);
      expect(r.status, ttl).toBe(422);
      const { error } = (await r.json()) as { error: { code: string; details: { issues: unknown[] } } };
      expect(error.code).toBe('validation_failed');
      expect(error.details.issues).toEqual([{ path: 'ttl', message: 'at most 24h (AGENT_TOKEN_MAX_TTL)' }]);
    }
    const day = await mint('24h');
    expect(day.status).toBe(200);
    const { expires_at } = (await day.json()) as { expires_at: string };
    expect(Date.parse(expires_at) - Date.now()).toBeGreaterThan(24 * 3600_000 - 60_000);

    // A longer one signed with the same key elsewhere is refused, however it was minted.
    const long = await new AgentTokens(SECRET, 30 * 86_400).sign(
      { id: 'x', name: 'X', role: 'admin' },
      '30d',
    );
    const r = await get('/api/leads', `Bearer ${long}`);
    expect(r.status).toBe(401);
    expect(r.body.error).toMatchObject({ code: 'unauthorized', details: { reason: 'invalid' } });
  });
});

describe('npm run agent:token', () => {
  it('prints a token the server accepts, and refuses without SECRET_KEY', async () => {
    const env = { PATH: process.env.PATH ?? '', SECRET_KEY: SECRET };
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'src/agents/cli.ts', '--name', 'Asha Rao', '--role', 'admin', '--ttl', '1h'],
      { env },
    );
    const agent = await new AgentTokens(SECRET).verify(stdout.trim());
    expect(agent).toMatchObject({ id: 'asha-rao', name: 'Asha Rao', role: 'admin' });
    const failed = await run(process.execPath, ['--import', 'tsx', 'src/agents/cli.ts', '--name', 'X'], {
      env: { PATH: env.PATH },
    }).catch((e: { code: number; stderr: string }) => e);
    expect((failed as { code: number }).code).toBe(1);
    expect((failed as { stderr: string }).stderr).toMatch(/SECRET_KEY/);
  });

  it('refuses a --ttl over AGENT_TOKEN_MAX_TTL, and mints up to it', async () => {
    const env = { PATH: process.env.PATH ?? '', SECRET_KEY: SECRET };
    const cli = (ttl: string, extra: Record<string, string> = {}) =>
      run(process.execPath, ['--import', 'tsx', 'src/agents/cli.ts', '--name', 'Asha', '--ttl', ttl], {
        env: { ...env, ...extra },
      });
    const refused = (await cli('2d').catch((e: { code: number; stderr: string }) => e)) as {
      code: number;
      stderr: string;
    };
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe('--ttl: at most 24h (AGENT_TOKEN_MAX_TTL).');
    const { stdout } = await cli('2d', { AGENT_TOKEN_MAX_TTL: '7d' });
    const agent = await new AgentTokens(SECRET, 7 * 86_400).verify(stdout.trim());
    expect(agent.expiresAt - Date.now() / 1000).toBeGreaterThan(2 * 86_400 - 60);
  });
});
