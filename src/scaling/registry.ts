import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

/** Where one session is connected, across nodes, and when it was last active, as the registry knows it. */
export interface SessionPresence {
  sessionId: string;
  /** The node that saw it last. */
  nodeId: string;
  /** True while some live node holds at least one connection of it. */
  connected: boolean;
  connections: number;
  lastActivityAt: number;
}

/**
 * Which sessions are live, on which node, connected or not, and when they were last active. Nodes
 * send heartbeats; a node that stops (crash, kill -9) stops counting as connected within `nodeTtlMs`.
 */
export interface SessionRegistry {
  connected(sessionId: string, at: number): Promise<void>;
  disconnected(sessionId: string, at: number): Promise<void>;
  touch(sessionId: string, at: number): Promise<void>;
  list(): Promise<SessionPresence[]>;
  /** Whether one session has a connection on a live node (without listing them all). */
  isConnected(sessionId: string): Promise<boolean>;
  close(): Promise<void>;
}

interface Entry {
  connections: number;
  lastActivityAt: number;
}

/**
 * How long a session without connections stays listed, by its last activity. Beyond that the registry
 * forgets it, so it holds the sessions of the last minutes, not every session since start; the board's
 * day of recent leads comes from the database.
 */
const DEFAULT_RETAIN_MS = 60_000;

/**
 * Decides when to forget: at most once per retention period, on the clock of the activity times the
 * registry is given (so it follows the callers' clock, and tests with small times never sweep).
 */
class Forgetting {
  private latest = 0;
  private sweptAt = 0;
  constructor(readonly retainMs: number) {}

  /** The cut-off when a sweep is due now, else undefined. */
  due(at: number): number | undefined {
    this.latest = Math.max(this.latest, at);
    if (this.latest - this.sweptAt < this.retainMs) return undefined;
    this.sweptAt = this.latest;
    return this.latest - this.retainMs;
  }

  /** Activity before this is old enough to forget (undefined while nothing has been seen). */
  cutoff(): number | undefined {
    return this.latest > 0 ? this.latest - this.retainMs : undefined;
  }
}

function merge(sessionId: string, rows: { nodeId: string; entry: Entry; alive: boolean }[]): SessionPresence {
  const live = rows.filter((r) => r.alive);
  const latest = rows.reduce((a, b) => (b.entry.lastActivityAt > a.entry.lastActivityAt ? b : a));
  const connections = live.reduce((n, r) => n + r.entry.connections, 0);
  return {
    sessionId,
    nodeId: latest.nodeId,
    connected: connections > 0,
    connections,
    lastActivityAt: latest.entry.lastActivityAt,
  };
}

/** The single-node registry, in memory. */
export class LocalSessionRegistry implements SessionRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly forgetting: Forgetting;

  constructor(
    private readonly nodeId: string,
    retainMs = DEFAULT_RETAIN_MS,
  ) {
    this.forgetting = new Forgetting(retainMs);
  }

  /** Forgets sessions without connections whose last activity is older than the retention. */
  private sweep(at: number): void {
    const before = this.forgetting.due(at);
    if (before === undefined) return;
    for (const [id, e] of this.entries)
      if (e.connections === 0 && e.lastActivityAt < before) this.entries.delete(id);
  }

  private entry(sessionId: string): Entry {
    let e = this.entries.get(sessionId);
    if (!e) {
      e = { connections: 0, lastActivityAt: 0 };
      this.entries.set(sessionId, e);
    }
    return e;
  }

  async connected(sessionId: string, at: number): Promise<void> {
    const e = this.entry(sessionId);
    e.connections += 1;
    e.lastActivityAt = Math.max(e.lastActivityAt, at);
    this.sweep(at);
  }

  async disconnected(sessionId: string, at: number): Promise<void> {
    const e = this.entry(sessionId);
    e.connections = Math.max(0, e.connections - 1);
    e.lastActivityAt = Math.max(e.lastActivityAt, at);
    this.sweep(at);
  }

  async touch(sessionId: string, at: number): Promise<void> {
    const e = this.entry(sessionId);
    e.lastActivityAt = Math.max(e.lastActivityAt, at);
    this.sweep(at);
  }

  async list(): Promise<SessionPresence[]> {
    return [...this.entries].map(([sessionId, entry]) =>
      merge(sessionId, [{ nodeId: this.nodeId, entry, alive: true }]),
    );
  }

  async isConnected(sessionId: string): Promise<boolean> {
    return (this.entries.get(sessionId)?.connections ?? 0) > 0;
  }

  async close(): Promise<void> {}
}

export interface RedisRegistryOptions {
  /** How often this node says it is alive. */
  heartbeatMs?: number;
  /** How long a node counts as alive after its last heartbeat. */
  nodeTtlMs?: number;
  /** How long a session without connections stays listed (DEFAULT_RETAIN_MS). */
  retainMs?: number;
}

/**
 * The multi-node registry: one Redis hash of `sessionId|nodeId` → { connections, lastActivityAt },
 * and a heartbeat key per node that expires when the node stops.
 */
export class RedisSessionRegistry implements SessionRegistry {
  private readonly hash: string;
  private readonly timer: NodeJS.Timeout;
  private readonly nodeTtlMs: number;
  private closed = false;
  /** This node's sessions with open connections: the truth its fields in Redis are written from. */
  private readonly mine = new Map<string, Entry>();
  /** This node's fields without connections, by last activity: deleted once older than the retention. */
  private readonly idle = new Map<string, number>();
  private readonly forgetting: Forgetting;
  private readonly heartbeatMs: number;
  private nodes: { at: number; ids: string[] } | null = null;
  private readonly onReady = () => {
    if (this.mine.size === 0) return;
    this.resync().then(
      () => this.logger.info({ sessions: this.mine.size }, 'registry written again after Redis reconnected'),
      (err: Error) => this.logger.warn({ err: err.message }, 'registry resync failed'),
    );
  };

  constructor(
    private readonly nodeId: string,
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
    options: RedisRegistryOptions = {},
  ) {
    this.hash = `${prefix}:live`;
    this.nodeTtlMs = options.nodeTtlMs ?? 5000;
    this.forgetting = new Forgetting(options.retainMs ?? DEFAULT_RETAIN_MS);
    const beat = () =>
      void this.redis
        .set(this.nodeKey(this.nodeId), String(Date.now()), 'PX', this.nodeTtlMs)
        .catch((err: Error) => this.logger.warn({ err: err.message }, 'registry heartbeat failed'));
    beat();
    this.heartbeatMs = options.heartbeatMs ?? 1000;
    this.timer = setInterval(beat, this.heartbeatMs);
    this.timer.unref();
    this.redis.on('ready', this.onReady);
  }

  private nodeKey(nodeId: string): string {
    return `${this.prefix}:node:${nodeId}`;
  }

  /** The nodes with a live heartbeat, read again at most once per heartbeat period. */
  private async liveNodes(): Promise<string[]> {
    const now = Date.now();
    if (this.nodes && now - this.nodes.at < this.heartbeatMs) return this.nodes.ids;
    const ids: string[] = [];
    const pattern = this.nodeKey('*');
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 200);
      for (const key of keys) ids.push(key.slice(pattern.length - 1));
      cursor = next;
    } while (cursor !== '0');
    this.nodes = { at: now, ids };
    return ids;
  }

  private field(sessionId: string): string {
    return `${sessionId}|${this.nodeId}`;
  }

  /**
   * Adjusts this node's entry for a session. Only this node writes its own fields, so the value
   * written is the node's own count (kept in memory), not an increment: a write lost in a Redis
   * outage, or a Redis that came back empty, is put right by the next write or by `resync`.
   */
  private async update(sessionId: string, delta: number, at: number): Promise<void> {
    const e = this.mine.get(sessionId) ?? { connections: 0, lastActivityAt: 0 };
    e.connections = Math.max(0, e.connections + delta);
    e.lastActivityAt = Math.max(e.lastActivityAt, at);
    if (e.connections > 0) {
      this.mine.set(sessionId, e);
      this.idle.delete(sessionId);
    } else {
      this.mine.delete(sessionId);
      this.idle.set(sessionId, e.lastActivityAt);
    }
    const written = this.redis.hset(this.hash, this.field(sessionId), JSON.stringify(e));
    this.sweep(at);
    await written;
  }

  /** Deletes this node's fields of sessions without connections whose last activity is old enough. */
  private sweep(at: number): void {
    const before = this.forgetting.due(at);
    if (before === undefined) return;
    const old = [...this.idle].filter(([, last]) => last < before).map(([id]) => id);
    for (const id of old) this.idle.delete(id);
    for (let i = 0; i < old.length; i += 2000) {
      this.redis
        .hdel(this.hash, ...old.slice(i, i + 2000).map((id) => this.field(id)))
        .catch((err: Error) => this.logger.warn({ err: err.message }, 'registry sweep failed'));
    }
  }

  /** Writes every connected session of this node again (after Redis reconnects, maybe without its data). */
  private async resync(): Promise<void> {
    const fields = [...this.mine].flatMap(([id, e]) => [this.field(id), JSON.stringify(e)]);
    for (let i = 0; i < fields.length; i += 2000)
      await this.redis.hset(this.hash, ...fields.slice(i, i + 2000));
  }

  connected(sessionId: string, at: number): Promise<void> {
    return this.update(sessionId, 1, at);
  }

  disconnected(sessionId: string, at: number): Promise<void> {
    return this.update(sessionId, -1, at);
  }

  touch(sessionId: string, at: number): Promise<void> {
    return this.update(sessionId, 0, at);
  }

  async list(): Promise<SessionPresence[]> {
    const all = await this.redis.hgetall(this.hash);
    const rows = Object.entries(all).map(([field, raw]) => {
      const cut = field.lastIndexOf('|');
      return {
        sessionId: field.slice(0, cut),
        nodeId: field.slice(cut + 1),
        entry: JSON.parse(raw) as Entry,
      };
    });
    const nodes = [...new Set(rows.map((r) => r.nodeId))];
    const beats = nodes.length > 0 ? await this.redis.mget(...nodes.map((n) => this.nodeKey(n))) : [];
    const alive = new Set(nodes.filter((_, i) => beats[i] !== null));
    // A dead node cannot sweep its own fields: whoever lists forgets them once they are old enough.
    const cutoff = this.forgetting.cutoff();
    const orphans = rows.filter(
      (r) => !alive.has(r.nodeId) && cutoff !== undefined && r.entry.lastActivityAt < cutoff,
    );
    if (orphans.length > 0) {
      this.redis
        .hdel(this.hash, ...orphans.map((r) => `${r.sessionId}|${r.nodeId}`))
        .catch((err: Error) => this.logger.warn({ err: err.message }, 'registry sweep failed'));
    }
    const bySession = new Map<string, { nodeId: string; entry: Entry; alive: boolean }[]>();
    for (const r of rows) {
      const list = bySession.get(r.sessionId) ?? [];
      list.push({ nodeId: r.nodeId, entry: r.entry, alive: alive.has(r.nodeId) });
      bySession.set(r.sessionId, list);
    }
    return [...bySession].map(([sessionId, list]) => merge(sessionId, list));
  }

  async isConnected(sessionId: string): Promise<boolean> {
    if ((this.mine.get(sessionId)?.connections ?? 0) > 0) return true;
    const nodes = (await this.liveNodes()).filter((n) => n !== this.nodeId);
    if (nodes.length === 0) return false;
    const raw = await this.redis.hmget(this.hash, ...nodes.map((n) => `${sessionId}|${n}`));
    return raw.some((r) => r !== null && (JSON.parse(r) as Entry).connections > 0);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.redis.off('ready', this.onReady);
    // A clean stop says so at once; a crash is noticed when the heartbeat key expires.
    await this.redis.del(this.nodeKey(this.nodeId)).catch(() => {});
  }
}
