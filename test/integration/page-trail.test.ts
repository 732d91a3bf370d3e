import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentTokens } from '../../src/agents/tokens.js';
import { defaultWorkflow } from '../../src/workflow/default.js';
import { parseWorkflow } from '../../src/workflow/load.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { TestClock } from '../support/engine.js';
import { closeClients, openAgent, visitor } from '../support/sockets.js';

/**
 * Page context, live: the widget's `visitor:page` is a session event through the one write path, so
 * an agent watching the session sees it in `seq` order and the board row says where the visitor is
 * now; a page view scores only by a page rule of the workflow (once), and the ledger says why; idle
 * abandonments count in the drop-off points beside the exits.
 */

const SECRET = 'page-trail-secret-0123456789abcdef';
const API_KEY = 'page-trail-api-key-0123456789';

const workflow = parseWorkflow({
  ...defaultWorkflow,
  scoring: {
    ...defaultWorkflow.scoring,
    pages: [{ behavior: 'viewed_pricing_page', pattern: '/pricing*', points: 10 }],
  },
});

afterEach(closeClients);

describe('page context, live', () => {
  const clock = new TestClock(Date.UTC(2026, 10, 28, 9, 0, 0));
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp({ SECRET_KEY: SECRET, API_KEYS: API_KEY }, { workflow, now: clock.now });
    token = await new AgentTokens(SECRET).sign({ id: 'asha', name: 'Asha', role: 'agent' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('visitor:page reaches the watching agent in seq order and the board row, and scores only by a page rule, once', async () => {
    const agent = openAgent(t.app.url, { auth: { token } });
    await agent.connected();
    const chat = await visitor(t.app.url);
    const { sessionId } = chat;
    const opened = await agent.ok('session:watch', { sessionId });
    expect(opened.lead.currentPage).toBeUndefined();

    const seen = agent.next('session:event', (e) => e.type === 'visitor.input');
    const board = agent.next('board:update', (r) => r.sessionId === sessionId && !!r.currentPage);
    const home = await chat.ok('visitor:page', { url: 'https://shop.example/', title: 'Home' });
    expect(home.awarded).toEqual([]);
    expect(await seen).toMatchObject({
      sessionId,
      type: 'visitor.input',
      data: { command: { kind: 'page', url: 'https://shop.example/', title: 'Home' } },
    });
    expect(await board).toMatchObject({ sessionId, currentPage: 'https://shop.example/' });

    // The page rule: /pricing* is worth 10, once, and the ledger says which page earned it.
    const scored = agent.next('session:event', (e) => e.type === 'score.changed');
    const pricing = await chat.ok('visitor:page', {
      clientMessageId: 'p-1',
      url: 'https://shop.example/pricing/teams?x=1',
      title: 'Pricing',
    });
    expect(pricing.awarded).toEqual([{ behavior: 'viewed_pricing_page', points: 10 }]);
    expect((await scored).data).toMatchObject({ awarded: [{ behavior: 'viewed_pricing_page', points: 10 }] });
    const again = await chat.ok('visitor:page', { url: '/pricing', title: 'Pricing' });
    expect(again.awarded).toEqual([]);
    // The same clientMessageId is the same page view.
    const replay = await chat.ok('visitor:page', {
      clientMessageId: 'p-1',
      url: 'https://shop.example/pricing/teams?x=1',
      title: 'Pricing',
    });
    expect(replay.duplicate).toBe(true);

    const ledger = await t.db.query(
      'select behavior, points, evidence from score_entries where lead_id = $1 and behavior = $2',
      [sessionId, 'viewed_pricing_page'],
    );
    expect(ledger).toEqual([
      {
        behavior: 'viewed_pricing_page',
        points: 10,
        evidence: { url: 'https://shop.example/pricing/teams?x=1' },
      },
    ]);
    const [lead] = await t.db.query('select current_page from leads where id = $1', [sessionId]);
    expect(lead).toEqual({ current_page: '/pricing' });
    const journey = await (await fetch(`${t.app.url}/api/tracking/journey/${sessionId}`)).json();
    expect(journey.pages.map((p: { page_url: string }) => p.page_url)).toEqual([
      'https://shop.example/',
      'https://shop.example/pricing/teams?x=1',
      '/pricing',
    ]);

    // Bounded: a URL of more than 2000 characters, a title of more than 300, unknown fields.
    for (const bad of [
      { url: `https://shop.example/${'x'.repeat(2000)}` },
      { url: '/', title: 't'.repeat(301) },
      { url: '' },
      { url: '/', referrer: '/' },
    ]) {
      const refused = await chat.ack('visitor:page', bad);
      expect(refused).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    }
  });

  it('a session abandoned for idleness counts in the drop-off points, where it was left', async () => {
    // Later than the sessions before it (the range is of lead creation).
    const from = new Date(clock.advance(60_000)).toISOString();
    const { sessionId } = await t.app.engine.startSession();
    await t.app.engine.handle(sessionId, { kind: 'page', url: '/landing' });
    clock.advance(31 * 60_000);
    expect(await t.app.engine.expireIdle()).toBeGreaterThanOrEqual(1);
    const to = new Date(clock.now() + 1000).toISOString();
    const res = await fetch(
      `${t.app.url}/api/analytics/drop-off-points?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
      { headers: { authorization: `Bearer ${API_KEY}` } },
    );
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.common_exit_points).toEqual([
      { step: 'greeting', question_id: 1, exits: 0, abandoned: 1, total: 1 },
    ]);
    expect(body.completion_by_reason).toEqual([
      { exit_reason: 'idle', sessions: 1, completed: 0, completion_rate: 0 },
    ]);
  });
});
