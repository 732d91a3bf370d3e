import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SessionsList } from '../../src/protocol/index.js';
import { ANSWERS, ASHA, agent, GREETING, leadRow, QUIET_MS } from '../support/agents.js';
import { CLUSTER_SECRET, type NodeProcess, startTwoNodes, type TwoNodes } from '../support/cluster.js';
import type { TestDatabase } from '../support/database.js';
import { type AgentClient, closeClients, visitor } from '../support/sockets.js';
import { sleep, waitFor } from '../support/time.js';

/** The board and takeovers across two real server processes on one database and one Redis. */

afterEach(closeClients);

type SessionsListFilter = NonNullable<NonNullable<SessionsList>['filter']>;

describe('sessions:list across two nodes', () => {
  let db: TestDatabase;
  let a: NodeProcess;
  let b: NodeProcess;

  let nodes: TwoNodes;

  beforeAll(async () => {
    ({ db, a, b } = nodes = await startTwoNodes());
  });
  afterAll(() => nodes?.stop());

  const list = async (c: AgentClient, filter: SessionsListFilter = {}) =>
    (await c.ok('sessions:list', { filter })).sessions;

  /** A wait whose every look is a request to a node: once every 100 ms. */
  const poll = <T>(what: string, probe: () => Promise<T | undefined>) => waitFor(what, probe, 6000, 100);

  it('lists the visitors of both nodes from node B, highest score first; one who leaves shows as disconnected', async () => {
    const onA = await visitor(a.url, { auth: { utmSource: 'node-a' } });
    await onA.say('visitor:reply', GREETING);
    expect(await onA.say('visitor:reply', ANSWERS[0]!)).toMatchObject({ score: 20 });
    const onB = await visitor(b.url, { auth: { utmSource: 'node-b' } });
    expect(await onB.say('visitor:reply', GREETING)).toMatchObject({ score: 10 });
    const quiet = await visitor(a.url);
    const ids = [onA.sessionId, onB.sessionId, quiet.sessionId];

    const agentB = await agent(b.url, ASHA, { secret: CLUSTER_SECRET });
    const rows = await poll('all three connected', async () => {
      const r = await list(agentB);
      return ids.every((id) => r.find((x) => x.sessionId === id)?.connected) ? r : undefined;
    });
    expect(rows.map((r) => r.sessionId)).toEqual(ids);
    expect(rows.map((r) => r.score)).toEqual([20, 10, 5]);
    expect(rows[0]).toEqual({
      sessionId: onA.sessionId,
      state: 'questions',
      score: 20,
      fit: 0,
      engagement: 20,
      classification: 'Unqualified',
      utmSource: 'node-a',
      name: null,
      businessType: 'Kirana / Retail Shop',
      email: null,
      location: null,
      locale: 'en',
      startedAt: expect.any(String),
      lastActivityAt: expect.any(String),
      connected: true,
      takenOverBy: null,
      assignedTo: null,
      assignedName: null,
      team: null,
      channel: 'web',
    });
    expect(rows[1]).toMatchObject({ sessionId: onB.sessionId, utmSource: 'node-b', connected: true });
    expect((await list(agentB, { limit: 2 })).map((r) => r.sessionId)).toEqual(ids.slice(0, 2));
    expect((await list(agentB, { state: 'greeting' })).map((r) => r.sessionId)).toEqual([quiet.sessionId]);

    onA.socket.close();
    const after = await poll('the visitor on A disconnected', async () => {
      const r = await list(agentB);
      return r.find((x) => x.sessionId === onA.sessionId)?.connected === false ? r : undefined;
    });
    expect(after.find((x) => x.sessionId === onB.sessionId)?.connected).toBe(true);
    expect(after.find((x) => x.sessionId === quiet.sessionId)?.connected).toBe(true);
    expect((await list(agentB, { connected: false })).map((r) => r.sessionId)).toEqual([onA.sessionId]);
    expect((await list(agentB, { connected: true })).map((r) => r.sessionId)).toEqual([
      onB.sessionId,
      quiet.sessionId,
    ]);
    // The agent on B heard of it as a board update too.
    await agentB.nth('board:update', (r) => r.sessionId === onA.sessionId && !r.connected);
  });

  it('a filter on connected with a limit still fills the limit with matching rows', async () => {
    const agentB = await agent(b.url, ASHA, { secret: CLUSTER_SECRET });
    const leaving = await visitor(a.url);
    await leaving.say('visitor:reply', GREETING);
    for (const answer of ANSWERS) await leaving.say('visitor:reply', answer);
    const staying = await visitor(b.url);
    leaving.socket.close();
    await poll('the leaving visitor disconnected', async () => {
      const r = await list(agentB);
      return r.find((x) => x.sessionId === leaving.sessionId)?.connected === false ? true : undefined;
    });
    // The highest-scoring lead is disconnected; the best connected one must still come back.
    const top = await list(agentB, { connected: true, limit: 1 });
    expect(top).toHaveLength(1);
    expect(top[0]!.connected).toBe(true);
    expect(top[0]!.sessionId).not.toBe(leaving.sessionId);
    expect(staying.sessionId).toMatch(/^sess_/);
  });

  it('an agent on node B takes over and releases a visitor on node A', async () => {
    const v = await visitor(a.url);
    await v.say('visitor:reply', GREETING);
    await v.nth('bot:message', (m) => m.questionId === 2);
    const agentB = await agent(b.url, ASHA, { secret: CLUSTER_SECRET });
    expect(await agentB.ok('session:takeover', { sessionId: v.sessionId })).toMatchObject({
      takenOverBy: 'agent-1',
    });
    expect(await v.nth('agent:joined')).toMatchObject({ name: 'Asha' });
    const prompts = v.messages.length;
    // Node A's cached conversation is stale; the answer must still see the hold.
    expect(await v.say('visitor:reply', ANSWERS[0]!)).toMatchObject({ score: 20, state: 'questions' });
    await agentB.ok('agent:message', { sessionId: v.sessionId, text: 'Hello from node B' });
    expect(await v.nth('agent:message')).toMatchObject({
      name: 'Asha',
      text: 'Hello from node B',
    });
    await sleep(200);
    expect(v.messages).toHaveLength(prompts);
    await agentB.ok('session:release', { sessionId: v.sessionId });
    await v.nth('agent:left');
    expect(await v.nth('bot:message', (m) => m.questionId === 3)).toMatchObject({
      step: 'location',
    });
    expect((await leadRow(db, v.sessionId)).taken_over_by).toBeNull();
  });

  it('an alert for a visitor on node A reaches an agent on node B exactly once', async () => {
    const agentB = await agent(b.url, ASHA, { secret: CLUSTER_SECRET });
    const v = await visitor(a.url);
    await v.say('visitor:reply', GREETING);
    await v.say('visitor:action', { action: 'clicked_demo' });
    await agentB.nth('lead:alert', (x) => x.sessionId === v.sessionId);
    await sleep(QUIET_MS);
    expect(agentB.received('lead:alert', (x) => x.sessionId === v.sessionId)).toMatchObject([
      { trigger: 'demo_requested', sessionId: v.sessionId, lead: { sessionId: v.sessionId, score: 25 } },
    ]);
  });
});
