import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentTokens } from '../../src/agents/tokens.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { ask, openAgent, openVisitor } from '../support/sockets.js';
import { PUBLIC_ROUTES } from '../support/wire.js';

/**
 * Who may call what, over every route the OpenAPI document lists: the public ones are exactly the
 * visitor's (scoped by its session id) and the catalogue; every other route refuses a request without
 * credentials, with a wrong API key, with a token signed by another key, and with a visitor's session id
 * offered as a credential — before it reads or writes anything. A visitor's socket acts on its own
 * session only.
 */

const SECRET = 'access-test-secret-0123456789abcdef';
const API_KEY = 'access-test-api-key-0123456789';

describe('access control on every route', () => {
  let t: TestApp;
  let operations: { method: string; path: string; secured: boolean }[];
  let visitor: string;
  let other: string;

  const counts = async () =>
    (
      await t.db.query(
        `select (select count(*) from leads)::int as leads, (select count(*) from session_events)::int as events,
                (select count(*) from notifications)::int as notifications,
                (select count(*) from leads where erased_at is not null)::int as erased`,
      )
    )[0];

  beforeAll(async () => {
    // Every route with five credentials is more requests than a minute's default budget of one address.
    t = await startTestApp({
      SECRET_KEY: SECRET,
      API_KEYS: API_KEY,
      WEBHOOK_URL: 'http://127.0.0.1:9/',
      RATE_LIMIT_PER_MINUTE: '100000',
    });
    const doc = (await (await fetch(`${t.app.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        secured: (op.security?.length ?? 0) > 0,
      })),
    );
    visitor = (await t.app.engine.startSession()).sessionId;
    other = (await t.app.engine.startSession()).sessionId;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('the routes without credentials are exactly the public list', () => {
    const open = operations.filter((o) => !o.secured).map((o) => `${o.method} ${o.path}`);
    expect(open.sort()).toEqual([...PUBLIC_ROUTES].sort());
    expect(operations.filter((o) => o.secured).length).toBeGreaterThanOrEqual(12);
  });

  it('every secured route refuses a missing, wrong or forged credential with 401, and nothing changes', async () => {
    const forged = await new AgentTokens('another-secret-0123456789abcdef').sign({
      id: 'mallory',
      name: 'Mallory',
      role: 'admin',
    });
    const before = await counts();
    const credentials: [string, Record<string, string>][] = [
      ['none', {}],
      ['wrong API key', { authorization: `Bearer ${API_KEY}-wrong` }],
      ['API key in the wrong scheme', { authorization: `Basic ${API_KEY}` }],
      ['token signed by another key', { authorization: `Bearer ${forged}` }],
      ["a visitor's session id", { authorization: `Bearer ${visitor}` }],
    ];
    let checked = 0;
    for (const op of operations.filter((o) => o.secured)) {
      const url = `${t.app.url}${op.path
        .replace('{session_id}', other)
        .replace('{id}', '1')
        .replace('{test_name}', 'welcome_message')}`;
      for (const [what, headers] of credentials) {
        const res = await fetch(url, {
          method: op.method,
          headers: { ...headers, ...(op.method === 'GET' ? {} : { 'content-type': 'application/json' }) },
          ...(op.method === 'GET'
            ? {}
            : { body: JSON.stringify({ session_id: other, channels: ['webhook'] }) }),
        });
        const body = (await res.json()) as { error?: { code: string } };
        expect(res.status, `${op.method} ${op.path} with ${what}`).toBe(401);
        expect(body.error?.code, `${op.method} ${op.path} with ${what}`).toBe('unauthorized');
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(60);
    expect(await counts()).toEqual(before);
  });

  it('/metrics is not served without METRICS_TOKEN or METRICS_PORT, whatever credential is offered', async () => {
    const admin = await new AgentTokens(SECRET).sign({ id: 'root', name: 'Root', role: 'admin' });
    const offers: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${API_KEY}` },
      { authorization: `Bearer ${admin}` },
    ];
    for (const headers of offers) {
      const res = await fetch(`${t.app.url}/metrics`, { headers });
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain('lcb_');
    }
    // /health stays public.
    expect((await fetch(`${t.app.url}/health`)).status).toBe(200);
  });

  it('a visitor socket acts on its own session only, whatever session id its messages carry', async () => {
    const chat = openVisitor(t.app.url, { auth: { sessionId: visitor } });
    try {
      await chat.hello();
      const [otherBefore] = await t.db.query('select version, score from leads where id = $1', [other]);
      // A field the protocol does not have: sent as a forging client would.
      const ack = await chat.ack('visitor:reply', {
        clientMessageId: 'x-1',
        optionIds: ['yes'],
        sessionId: other,
      });
      expect(ack).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
      const fine = await ask(chat.socket, 5000, 'visitor:reply', {
        clientMessageId: 'x-2',
        optionIds: ['yes'],
      });
      expect(fine).toMatchObject({ ok: true, score: 10 });
      const [mine] = await t.db.query('select score from leads where id = $1', [visitor]);
      expect(mine).toEqual({ score: 10 });
      const [otherAfter] = await t.db.query('select version, score from leads where id = $1', [other]);
      expect(otherAfter).toEqual(otherBefore);
    } finally {
      chat.close();
    }
  });

  it("the agents' namespace does not take a visitor's session id, or a forged token, as a credential", async () => {
    const forged = await new AgentTokens('another-secret-0123456789abcdef').sign({
      id: 'mallory',
      name: 'Mallory',
      role: 'admin',
    });
    for (const token of [visitor, forged, API_KEY]) {
      const agent = openAgent(t.app.url, { auth: { token } });
      const err = await agent.refused();
      agent.close();
      expect(err.data?.code).toBe('unauthorized');
    }
  });
});

describe('who may read /metrics', () => {
  const TOKEN = 'metrics-token-for-prometheus-0123';
  let onMain: TestApp;
  let ownPort: TestApp;
  const scrape = (url: string, headers: Record<string, string> = {}) => fetch(`${url}/metrics`, { headers });

  beforeAll(async () => {
    onMain = await startTestApp({ API_KEYS: API_KEY, METRICS_TOKEN: TOKEN });
    ownPort = await startTestApp({ METRICS_TOKEN: TOKEN, METRICS_PORT: '0' }, {}, onMain.db);
  });
  afterAll(async () => {
    await ownPort?.close();
    await onMain?.close();
  });

  it('with METRICS_TOKEN: 401 without the bearer token (or with an API key), 200 with it', async () => {
    const refused: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Bearer ${API_KEY}` },
      { authorization: `Basic ${TOKEN}` },
      { authorization: TOKEN },
    ];
    for (const headers of refused) {
      const res = await scrape(onMain.app.url, headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
    const res = await scrape(onMain.app.url, { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^# TYPE lcb_events_total counter$/m);
  });

  it('with METRICS_PORT: not on the public port; on its own loopback listener, which serves nothing else', async () => {
    expect(ownPort.app.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await scrape(ownPort.app.url, { authorization: `Bearer ${TOKEN}` })).status).toBe(404);
    const metricsUrl = ownPort.app.metricsUrl!;
    expect((await scrape(metricsUrl)).status).toBe(401);
    const res = await scrape(metricsUrl, { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('lcb_socket_connections');
    for (const path of ['/health', '/api/questions', '/openapi.json'])
      expect((await fetch(`${metricsUrl}${path}`)).status, path).toBe(404);
  });
});
