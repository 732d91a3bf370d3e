import { LRUCache } from 'lru-cache';
import type { ConversationEvent } from '../../machines/types.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { SessionStore } from '../persistence/session-store.js';
import type { WorkflowRegistry } from '../workflow/registry.js';
import { rebuildConversation, restoreConversation } from './actor.js';
import { LiveSession } from './session-actor.js';

export { LiveSession };

/**
 * How a node keeps its cached sessions true to what is stored when other nodes write them too:
 * - `bus`: a commit or an erase on another node evicts the copy here (the committed message carries the
 *   lead version); a resume reads the stored version first; a bus outage drops the whole cache.
 * - `read`: as `bus`, and every event on a cached session first reads the stored version.
 * - `off`: neither (single node only: a second node's commits are caught only by the write's version
 *   guard). For measuring what the other two cost.
 */
export type CacheCoherence = 'bus' | 'read' | 'off';

/** A database read; any failure of it reaches the caller as `unavailable`. */
export async function read<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw new AppError('unavailable', undefined, undefined, { cause: err });
  }
}

/**
 * The live sessions of one node: loaded from the store (restored from their snapshots, or rebuilt from
 * their event logs), kept in an LRU cache of `max` sessions. A copy is only an optimisation: every write
 * names the version it was computed from, and the store refuses it when the lead moved on. Callers run
 * one event of a session at a time (the engine's queue).
 *
 * Only the `maxRunning` most recently used of them keep a running actor; the others are parked (their
 * snapshot kept, an actor started again on their next use): a visitor who is only connected costs a few
 * hundred bytes, not a running actor, while sessions in use never pay for a restore.
 */
export class LiveSessions {
  private readonly lru: LRUCache<string, LiveSession> | null;
  private readonly running: LRUCache<string, LiveSession> | null;

  constructor(
    private readonly workflows: Pick<WorkflowRegistry, 'resolve'>,
    private readonly store: Pick<SessionStore, 'version' | 'loadSession' | 'eventLog'>,
    private readonly logger: Logger,
    max: number,
    maxRunning = max,
  ) {
    // An evicted actor is not stopped: an event of its session may still be using it (it has no timers
    // or children, so it is collected once that event is done). With no room, nothing is kept.
    this.running =
      max > 0 && maxRunning < max
        ? new LRUCache({
            max: Math.max(1, maxRunning),
            dispose: (session, _id, reason) => {
              if (reason === 'evict') session.park();
            },
          })
        : null;
    this.lru =
      max > 0
        ? new LRUCache({
            max,
            dispose: (session, id) => {
              if (this.running?.peek(id) === session) this.running.delete(id);
            },
          })
        : null;
  }

  has(id: string): boolean {
    return this.lru?.has(id) ?? false;
  }

  /** Whether the session is in memory with its actor running (not parked). */
  isRunning(id: string): boolean {
    const session = this.lru?.peek(id);
    return session !== undefined && !session.isParked;
  }

  /** The session from memory, or from the store; with `verify`, a copy is used only if still current. */
  async load(id: string, verify = false): Promise<LiveSession> {
    const cached = this.lru?.get(id);
    if (cached) {
      if (!verify) return this.use(id, cached);
      const version = await read(() => this.store.version(id, { erased: false }));
      if (version === cached.lead.version) return this.use(id, cached);
      this.evict(id);
      if (version === null) throw new AppError('session_not_found');
    }
    const stored = await read(() => this.store.loadSession(id));
    // An erased lead is a tombstone: there is no conversation left to continue.
    if (!stored || stored.lead.erasedAt) throw new AppError('session_not_found');
    // The session goes on on the workflow it started with (one stored before versions, on the active
    // one, which its next commit then records).
    const flow = await this.workflows.resolve(stored.lead.workflowVersion);
    // The snapshot lives on in the actor; the row in memory does not keep a second copy.
    const lead = { ...stored.lead, workflowVersion: flow.version, snapshot: null };
    const input = { questionOrder: lead.questionOrder, startedAt: lead.createdAt.getTime() };
    let live = restoreConversation(flow.machine, input, stored.lead.snapshot);
    if (!live) {
      const log = await read(() => this.store.eventLog(id));
      live = rebuildConversation(
        flow.machine,
        input,
        log.flatMap((e) =>
          Array.isArray(e.data.machineEvents) ? (e.data.machineEvents as ConversationEvent[]) : [],
        ),
      );
      this.logger.warn(
        { sessionId: id },
        'stored snapshot did not fit the machine; rebuilt from the event log',
      );
    }
    const session = new LiveSession(
      lead,
      flow,
      live,
      new Set(stored.awardedKeys),
      new Set(stored.clientMessageIds),
    );
    this.remember(id, session);
    return session;
  }

  /** Keeps the session (the most recently used, its actor running). */
  remember(id: string, session: LiveSession): void {
    this.lru?.set(id, session);
    this.use(id, session);
  }

  /** Drops a session from memory (the next event reloads it from the database). */
  evict(id: string): void {
    this.lru?.delete(id);
    this.running?.delete(id);
  }

  /** Marks the session as just used: it keeps (or gets again) a running actor; the least recent parks. */
  private use(id: string, session: LiveSession): LiveSession {
    this.running?.set(id, session);
    return session;
  }

  /** Whether the copy here is older than `version` (another node committed it). */
  isOlderThan(id: string, version: number): boolean {
    const session = this.lru?.peek(id);
    return session !== undefined && session.lead.version < version;
  }

  clear(): void {
    this.lru?.clear();
    this.running?.clear();
  }
}
