import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentTokens } from '../../src/agents/tokens.js';
import { ASHA, agent, BALA } from '../support/agents.js';
import { CLUSTER_SECRET, startTwoNodes, type TwoNodes } from '../support/cluster.js';
import { qualify, routed, routingFile, routingLog } from '../support/routing.js';
import { type AgentClient, closeClients, visitor } from '../support/sockets.js';
import { waitFor } from '../support/time.js';

/**
 * Routing across two real server processes on one database and one Redis: the round-robin turn is
 * one counter for both nodes, presence is seen from either node, capacity and "away" are respected.
 */

afterEach(closeClients);

describe('round-robin across two nodes', () => {
  let nodes: TwoNodes;
  let admin: string;

  beforeAll(async () => {
    // Bala takes two leads at most; Asha the default five.
    const file = routingFile({
      teams: [{ name: 'sales', agents: '*' }],
      defaultTeam: 'sales',
      agents: { 'agent-2': { maxActive: 2 } },
    });
    // Every client of a test is 127.0.0.1: the presence is polled more often than the REST budget allows.
    nodes = await startTwoNodes({ ROUTING_FILE: file, RATE_LIMIT_PER_MINUTE: '100000' });
    admin = await new AgentTokens(CLUSTER_SECRET).sign({ id: 'admin-1', name: 'Dev', role: 'admin' });
  });
  afterAll(() => nodes?.stop());

  const online = async (url: string) => {
    const res = await fetch(`${url}/api/routing/agents`, { headers: { authorization: `Bearer ${admin}` } });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`GET /api/routing/agents answered ${res.status}: ${body}`);
    return JSON.parse(body) as { agents: { agent_id: string; status: string; active: number }[] };
  };

  it('alternates between agents on different nodes whichever node the lead is on, up to each capacity', async () => {
    const { a, b, db } = nodes;
    const asha: AgentClient = await agent(a.url, ASHA, { secret: CLUSTER_SECRET });
    const bala: AgentClient = await agent(b.url, BALA, { secret: CLUSTER_SECRET });
    // Each node sees both agents, whichever node they are connected to.
    for (const node of [a, b]) {
      await waitFor('both agents online', async () => {
        const seen = (await online(node.url)).agents.filter((x) => x.status === 'online');
        return seen.length === 2;
      });
    }

    // Leads on alternating nodes: with a counter per node both first leads would go to the same agent.
    const owners: (string | null)[] = [];
    const leads: string[] = [];
    for (const node of [a, b, a, b, a, b]) {
      const id = await qualify(await visitor(node.url));
      leads.push(id);
      owners.push((await routed(db, id)).assigned_to);
    }
    const [first, second] = owners as [string, string];
    expect(new Set([first, second])).toEqual(new Set(['agent-1', 'agent-2']));
    expect(owners.slice(0, 4)).toEqual([first, second, first, second]);
    // Bala holds two leads, his capacity: the fifth and sixth go to Asha.
    expect(owners.slice(4)).toEqual(['agent-1', 'agent-1']);
    expect((await online(b.url)).agents.map((x) => [x.agent_id, x.active])).toEqual([
      ['agent-1', 4],
      ['agent-2', 2],
    ]);

    // Every assignment is one event of its session's log, and reached the agents live.
    for (const id of leads) {
      expect((await routingLog(db, id)).map((e) => e.type)).toEqual(['lead.assigned']);
    }
    await asha.nth('board:update', (r) => r.sessionId === leads[1] && r.assignedTo !== null);
    await bala.nth('board:update', (r) => r.sessionId === leads[0] && r.assignedTo !== null);

    // The agent's own leads come first on their board.
    const board = (await asha.ok('sessions:list', { filter: {} })).sessions;
    const mine = leads.filter((_, i) => owners[i] === 'agent-1');
    expect(board.slice(0, mine.length).every((r) => r.assignedTo === 'agent-1')).toBe(true);
    expect(board.slice(mine.length).some((r) => r.assignedTo === 'agent-2')).toBe(true);

    // Asha steps away on node A: a lead on node B finds nobody free and stays with the team.
    await asha.ok('agent:status', { status: 'away' });
    await waitFor('Asha away, seen from node B', async () =>
      (await online(b.url)).agents.some((x) => x.agent_id === 'agent-1' && x.status === 'away'),
    );
    const waiting = await qualify(await visitor(b.url));
    expect(await routed(db, waiting)).toMatchObject({ assigned_to: null, assigned_team: 'sales' });
    expect((await routingLog(db, waiting)).map((e) => e.type)).toEqual(['lead.routed']);
  });
});
