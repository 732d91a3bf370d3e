import { LRUCache } from 'lru-cache';
import type { LeadRow } from '../persistence/session-store.js';
import type { LiveActor } from './actor.js';

/** A session in memory: its actor, its last committed lead row, and the once-keys already awarded. */
export interface LiveSession {
  lead: LeadRow;
  live: LiveActor;
  awarded: Set<string>;
  messageIds: Set<string>;
}

/**
 * How a node keeps its cached sessions true to what is stored when other nodes write them too:
 * - `bus`: a commit or an erase on another node evicts the copy here (the committed message carries the
 *   lead version); a resume reads the stored version first; a bus outage drops the whole cache.
 * - `read`: as `bus`, and every event on a cached session first reads the stored version.
 * - `off`: neither (single node only: a second node's commits are caught only by the write's version
 *   guard). For measuring what the other two cost.
 */
export type CacheCoherence = 'bus' | 'read' | 'off';

/**
 * The live sessions of one node, least recently used evicted beyond `max`. A copy is only an
 * optimisation: every write names the version it was computed from, and the store refuses it when the
 * lead moved on.
 */
export class SessionCache {
  private readonly lru: LRUCache<string, LiveSession> | null;

  constructor(max: number) {
    // An evicted actor is not stopped: an event of its session may still be using it (it has no timers
    // or children, so it is collected once that event is done).
    this.lru = max > 0 ? new LRUCache({ max }) : null;
  }

  /** The session, marked as the most recently used. */
  get(id: string): LiveSession | undefined {
    return this.lru?.get(id);
  }

  has(id: string): boolean {
    return this.lru?.has(id) ?? false;
  }

  /** Keeps the session (with no room at all, nothing is kept: each event loads it anew). */
  set(id: string, session: LiveSession): void {
    this.lru?.set(id, session);
  }

  /** Drops a session's actor from memory (the next event reloads it from the database). */
  evict(id: string): void {
    this.lru?.delete(id);
  }

  /** Whether the copy here is older than `version` (another node committed it). */
  isOlderThan(id: string, version: number): boolean {
    const session = this.lru?.peek(id);
    return session !== undefined && session.lead.version < version;
  }

  clear(): void {
    this.lru?.clear();
  }
}
