import { io } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentTokens } from '../../src/agents/tokens.js';
import type { BoardRow, SessionEventMessage, SessionHello } from '../../src/protocol/index.js';
import { defaultWorkflow } from '../../src/workflow/default.js';
import { parseWorkflow } from '../../src/workflow/load.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { TestClock } from '../support/engine.js';
import { type AgentsSocket, ask, type ChatSocket, expectOk, unchecked } from '../support/sockets.js';

/**
 * Page context, live: the widget's `visitor:page` is a session event through the one write path, so
 * an agent watching the session sees it in `seq` order and the board row says where the visitor is
 * now; a page view scores only by a page rule of the workflow (once), and the ledger says why; idle
 * abandonments count in the drop-off points beside the exits.
 */

const SECRET = 'page-trail-secret-0123456789abcdef';
const API_KEY = 'page-trail-api-key-0123456789';
const WAIT_MS = 5000;

const workflow = parseWorkflow({
  ...defaultWorkflow,
  scoring: {
    ...defaultWorkflow.scoring,
    pages: [{ behavior: 'viewed_pricing_page', pattern: '/pricing*', points: 10 }],
  },
});

const sockets: { close(): void }[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

/** Resolves with the first `event` that `match` accepts, or fails after WAIT_MS. */
function next<T>(socket: ChatSocket | AgentsSocket, event: string, match: (v: T) => boolean): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} in ${WAIT_MS} ms`)), WAIT_MS);
    const listener = (v: T) => {
      if (!match(v)) return;
      clearTimeout(timer);
      unchecked(socket).off(event, listener);
      resolve(v);
    };
    unchecked(socket).on(event, listener);
  });
}

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

  const visitor = async () => {
    const socket: ChatSocket = io(`${t.app.url}/chat`, { transports: ['websocket'], forceNew: true });
    sockets.push(socket);
    const hello = await next<SessionHello>(socket, 'session', () => true);
    return { socket, sessionId: hello.sessionId };
  };

  it('visitor:page reaches the watching agent in seq order and the board row, and scores only by a page rule, once', async () => {
    const agent: AgentsSocket = io(`${t.app.url}/agents`, {
      transports: ['websocket'],
      forceNew: true,
      auth: { token },
    });
    sockets.push(agent);
    await next(agent, 'connect', () => true);
    const { socket, sessionId } = await visitor();
    const opened = await ask(agent, WAIT_MS, 'session:watch', { sessionId });
    expectOk(opened);
    expect(opened.lead.currentPage).toBeUndefined();

    const seen = next<SessionEventMessage>(agent, 'session:event', (e) => e.type === 'visitor.input');
    const board = next<BoardRow>(agent, 'board:update', (r) => r.sessionId === sessionId && !!r.currentPage);
    const home = await ask(socket, WAIT_MS, 'visitor:page', { url: 'https://shop.example/', title: 'Home' });
    expectOk(home);
    expect(home.awarded).toEqual([]);
    expect(await seen).toMatchObject({
      sessionId,
      type: 'visitor.input',
      data: { command: { kind: 'page', url: 'https://shop.example/', title: 'Home' } },
    });
    expect(await board).toMatchObject({ sessionId, currentPage: 'https://shop.example/' });

    // The page rule: /pricing* is worth 10, once, and the ledger says which page earned it.
    const scored = next<SessionEventMessage>(agent, 'session:event', (e) => e.type === 'score.changed');
    const pricing = await ask(socket, WAIT_MS, 'visitor:page', {
      clientMessageId: 'p-1',
      url: 'https://shop.example/pricing/teams?x=1',
      title: 'Pricing',
    });
    expectOk(pricing);
    expect(pricing.awarded).toEqual([{ behavior: 'viewed_pricing_page', points: 10 }]);
    expect((await scored).data).toMatchObject({ awarded: [{ behavior: 'viewed_pricing_page', points: 10 }] });
    const again = await ask(socket, WAIT_MS, 'visitor:page', { url: '/pricing', title: 'Pricing' });
    expectOk(again);
    expect(again.awarded).toEqual([]);
    // The same clientMessageId is the same page view.
    const replay = await ask(socket, WAIT_MS, 'visitor:page', {
      clientMessageId: 'p-1',
      url: 'https://shop.example/pricing/teams?x=1',
      title: 'Pricing',
    });
    expectOk(replay);
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
      const refused = await unchecked(socket).timeout(WAIT_MS).emitWithAck('visitor:page', bad);
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
