import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AgentPresence,
  LocalAgentPresence,
  LocalRoundRobin,
  RedisAgentPresence,
  RedisRoundRobin,
  type RoundRobin,
} from '../../src/routing/presence.js';
import { RedisSessionRegistry } from '../../src/scaling/registry.js';
import { randomPrefix, redisClient } from '../support/redis.js';

/** Agents' presence and the teams' turn counter: the single-node and Redis twins keep one contract. */

const logger = pino({ level: 'silent' });
const clients: Redis[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
});

interface Node {
  agents: AgentPresence;
  turns: RoundRobin;
  /** The node stops without a word (its heartbeat ends; its entries stay behind). */
  die(): Promise<void>;
}

interface Kind {
  name: string;
  /** Nodes of one cluster (the local kind has a single node: every call gives the same one). */
  cluster(): (nodeId: string) => Node;
}

const kinds: Kind[] = [
  {
    name: 'local',
    cluster: () => {
      const node: Node = {
        agents: new LocalAgentPresence(),
        turns: new LocalRoundRobin(),
        die: async () => {},
      };
      return () => node;
    },
  },
  {
    name: 'redis',
    cluster: () => {
      const prefix = randomPrefix();
      return (nodeId) => {
        const client = redisClient();
        clients.push(client);
        // The registry's heartbeat is what tells presence the node is alive.
        const registry = new RedisSessionRegistry(nodeId, client, prefix, logger, {
          heartbeatMs: 100,
          nodeTtlMs: 400,
        });
        return {
          agents: new RedisAgentPresence(nodeId, client, prefix, logger),
          turns: new RedisRoundRobin(client, prefix),
          die: () => registry.close(),
        };
      };
    },
  },
];

const ASHA = { id: 'agent-1', name: 'Asha' };
const BALA = { id: 'agent-2', name: 'Bala' };

describe.each(kinds)('$name agent presence and turns (one contract)', (kind) => {
  it('an agent is online while a connection is, away when every connection is away, offline after', async () => {
    const node = kind.cluster()('n1');
    expect(await node.agents.list()).toEqual([]);
    await node.agents.connected(ASHA, 'c1');
    await node.agents.connected(ASHA, 'c2');
    await node.agents.connected(BALA, 'c3');
    expect(await node.agents.list()).toEqual([
      { agentId: 'agent-1', name: 'Asha', status: 'online' },
      { agentId: 'agent-2', name: 'Bala', status: 'online' },
    ]);
    await node.agents.setStatus('agent-1', 'c1', 'away');
    expect((await node.agents.list())[0]).toMatchObject({ status: 'online' });
    await node.agents.setStatus('agent-1', 'c2', 'away');
    expect((await node.agents.list())[0]).toMatchObject({ status: 'away' });
    // A status for a connection that is not open changes nothing.
    await node.agents.setStatus('agent-2', 'nope', 'away');
    expect((await node.agents.list())[1]).toMatchObject({ status: 'online' });
    await node.agents.disconnected('agent-1', 'c1');
    await node.agents.disconnected('agent-1', 'c2');
    expect(await node.agents.list()).toEqual([{ agentId: 'agent-2', name: 'Bala', status: 'online' }]);
  });

  it('counts turns once for the whole cluster, per team', async () => {
    const cluster = kind.cluster();
    const [a, b] = [cluster('n1'), cluster('n2')];
    expect([await a.turns.next('sales'), await b.turns.next('sales'), await a.turns.next('sales')]).toEqual([
      0, 1, 2,
    ]);
    expect(await b.turns.next('support')).toBe(0);
  });

  it('lists the agents of every node; online on one node wins over away on another', async () => {
    const cluster = kind.cluster();
    const [a, b] = [cluster('n1'), cluster('n2')];
    await a.agents.connected(ASHA, 'c1');
    await b.agents.connected(BALA, 'c2');
    await b.agents.connected(ASHA, 'c3');
    await a.agents.setStatus('agent-1', 'c1', 'away');
    for (const node of [a, b]) {
      expect(await node.agents.list()).toEqual([
        { agentId: 'agent-1', name: 'Asha', status: 'online' },
        { agentId: 'agent-2', name: 'Bala', status: 'online' },
      ]);
    }
  });
});

describe('redis agent presence across nodes', () => {
  it("a node that stops takes its agents' connections with it", async () => {
    const cluster = kinds[1]!.cluster();
    const [a, b] = [cluster('n1'), cluster('n2')];
    await a.agents.connected(ASHA, 'c1');
    await b.agents.connected(BALA, 'c2');
    await b.die();
    expect(await a.agents.list()).toEqual([{ agentId: 'agent-1', name: 'Asha', status: 'online' }]);
  });
});
