import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

/** An agent's presence: online (some console open and active), away (all set away), offline (none). */
export type AgentStatus = 'online' | 'away' | 'offline';

export interface AgentPresenceRow {
  agentId: string;
  name: string;
  status: Exclude<AgentStatus, 'offline'>;
}

/**
 * Which agents have `/agents` connections, on any node, and whether they are away. A node that stops
 * (crash, kill -9) stops counting within the registry's node lifetime.
 */
export interface AgentPresence {
  connected(agent: { id: string; name: string }, connectionId: string): Promise<void>;
  /** One connection says the agent is online or away. */
  setStatus(agentId: string, connectionId: string, status: 'online' | 'away'): Promise<void>;
  disconnected(agentId: string, connectionId: string): Promise<void>;
  /** Every agent with a connection on a live node (offline agents are not listed). */
  list(): Promise<AgentPresenceRow[]>;
  close(): Promise<void>;
}

/** One node's count for one agent. */
interface Entry {
  name: string;
  online: number;
  away: number;
}

/** This node's connections of each agent: the truth both twins are built on. */
class NodeAgents {
  private readonly agents = new Map<string, { name: string; connections: Map<string, 'online' | 'away'> }>();

  connected(agent: { id: string; name: string }, connectionId: string): void {
    const a = this.agents.get(agent.id) ?? { name: agent.name, connections: new Map() };
    a.name = agent.name;
    a.connections.set(connectionId, 'online');
    this.agents.set(agent.id, a);
  }

  setStatus(agentId: string, connectionId: string, status: 'online' | 'away'): boolean {
    const a = this.agents.get(agentId);
    if (!a?.connections.has(connectionId)) return false;
    a.connections.set(connectionId, status);
    return true;
  }

  disconnected(agentId: string, connectionId: string): void {
    const a = this.agents.get(agentId);
    a?.connections.delete(connectionId);
    if (a && a.connections.size === 0) this.agents.delete(agentId);
  }

  entry(agentId: string): Entry | null {
    const a = this.agents.get(agentId);
    if (!a) return null;
    const states = [...a.connections.values()];
    const online = states.filter((s) => s === 'online').length;
    return { name: a.name, online, away: states.length - online };
  }

  entries(): [string, Entry][] {
    return [...this.agents.keys()].map((id) => [id, this.entry(id)!]);
  }
}

/** Online wins over away: one active console is enough. */
function merged(rows: [agentId: string, entry: Entry][]): AgentPresenceRow[] {
  const byAgent = new Map<string, AgentPresenceRow>();
  for (const [agentId, e] of rows) {
    if (e.away === 0 && e.online === 0) continue;
    const status = e.online > 0 ? 'online' : 'away';
    const seen = byAgent.get(agentId);
    if (!seen || status === 'online') byAgent.set(agentId, { agentId, name: e.name, status });
  }
  return [...byAgent.values()].sort((a, b) => a.agentId.localeCompare(b.agentId));
}

/** The single-node presence, in memory. */
export class LocalAgentPresence implements AgentPresence {
  private readonly node = new NodeAgents();

  async connected(agent: { id: string; name: string }, connectionId: string): Promise<void> {
    this.node.connected(agent, connectionId);
  }
  async setStatus(agentId: string, connectionId: string, status: 'online' | 'away'): Promise<void> {
    this.node.setStatus(agentId, connectionId, status);
  }
  async disconnected(agentId: string, connectionId: string): Promise<void> {
    this.node.disconnected(agentId, connectionId);
  }
  async list(): Promise<AgentPresenceRow[]> {
    return merged(this.node.entries());
  }
  async close(): Promise<void> {}
}

/**
 * The multi-node presence: a Redis hash of `agentId|nodeId` → this node's counts, written only by that
 * node from its own memory (so a write lost in an outage is put right by the next one). Which nodes
 * are alive is read from the heartbeat keys the session registry keeps (`<prefix>:node:<id>`).
 */
export class RedisAgentPresence implements AgentPresence {
  private readonly node = new NodeAgents();
  private readonly hash: string;
  private readonly onReady = () => {
    const fields = this.node.entries().flatMap(([id, e]) => [this.field(id), JSON.stringify(e)]);
    if (fields.length > 0)
      this.redis.hset(this.hash, ...fields).catch((err: Error) => {
        this.logger.warn({ err: err.message }, 'agent presence resync failed');
      });
  };

  constructor(
    private readonly nodeId: string,
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {
    this.hash = `${prefix}:agents`;
    this.redis.on('ready', this.onReady);
  }

  private field(agentId: string): string {
    return `${agentId}|${this.nodeId}`;
  }

  private async write(agentId: string): Promise<void> {
    const e = this.node.entry(agentId);
    if (e) await this.redis.hset(this.hash, this.field(agentId), JSON.stringify(e));
    else await this.redis.hdel(this.hash, this.field(agentId));
  }

  async connected(agent: { id: string; name: string }, connectionId: string): Promise<void> {
    this.node.connected(agent, connectionId);
    await this.write(agent.id);
  }
  async setStatus(agentId: string, connectionId: string, status: 'online' | 'away'): Promise<void> {
    if (this.node.setStatus(agentId, connectionId, status)) await this.write(agentId);
  }
  async disconnected(agentId: string, connectionId: string): Promise<void> {
    this.node.disconnected(agentId, connectionId);
    await this.write(agentId);
  }

  async list(): Promise<AgentPresenceRow[]> {
    const all = Object.entries(await this.redis.hgetall(this.hash)).map(([field, raw]) => {
      const cut = field.lastIndexOf('|');
      return { agentId: field.slice(0, cut), nodeId: field.slice(cut + 1), entry: JSON.parse(raw) as Entry };
    });
    const nodes = [...new Set(all.map((r) => r.nodeId))];
    const beats =
      nodes.length > 0 ? await this.redis.mget(...nodes.map((n) => `${this.prefix}:node:${n}`)) : [];
    const alive = new Set(nodes.filter((n, i) => n === this.nodeId || beats[i] !== null));
    return merged(all.filter((r) => alive.has(r.nodeId)).map((r) => [r.agentId, r.entry]));
  }

  async close(): Promise<void> {
    this.redis.off('ready', this.onReady);
    // A clean stop takes this node's agents off at once.
    const fields = this.node.entries().map(([id]) => this.field(id));
    if (fields.length > 0) await this.redis.hdel(this.hash, ...fields).catch(() => {});
  }
}

/** Whose turn it is in a team, one counter for every node. */
export interface RoundRobin {
  /** The team's next turn number (0, 1, 2, …). */
  next(team: string): Promise<number>;
}

export class LocalRoundRobin implements RoundRobin {
  private readonly turns = new Map<string, number>();
  async next(team: string): Promise<number> {
    const n = this.turns.get(team) ?? 0;
    this.turns.set(team, n + 1);
    return n;
  }
}

export class RedisRoundRobin implements RoundRobin {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}
  async next(team: string): Promise<number> {
    return (await this.redis.incr(`${this.prefix}:routing:turn:${team}`)) - 1;
  }
}
