import { LRUCache } from 'lru-cache';
import type { ConversationEvent } from '../../machines/types.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { LeadRow } from '../persistence/rows.js';
import type { SessionStore } from '../persistence/session-store.js';
import type { WorkflowRegistry, WorkflowVersion } from '../workflow/registry.js';
import { type LiveActor, rebuildConversation, restoreConversation } from './actor.js';

/**
 * A session in memory: its actor, its last committed lead row, the once-keys already awarded, and the
 * workflow version it started with (everything about this session reads that one, never the active).
 */
export interface LiveSession {
  lead: LeadRow;
  flow: WorkflowVersion;
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
 */
export class LiveSessions {
  private readonly lru: LRUCache<string, LiveSession> | null;

  constructor(
    private readonly workflows: Pick<WorkflowRegistry, 'resolve'>,
    private readonly store: Pick<SessionStore, 'version' | 'loadSession' | 'eventLog'>,
    private readonly logger: Logger,
    max: number,
  ) {
    // An evicted actor is not stopped: an event of its session may still be using it (it has no timers
    // or children, so it is collected once that event is done). With no room, nothing is kept.
    this.lru = max > 0 ? new LRUCache({ max }) : null;
  }

  has(id: string): boolean {
    return this.lru?.has(id) ?? false;
  }

  /** The session from memory, or from the store; with `verify`, a copy is used only if still current. */
  async load(id: string, verify = false): Promise<LiveSession> {
    const cached = this.lru?.get(id);
    if (cached) {
      if (!verify) return cached;
      const version = await read(() => this.store.version(id, { erased: false }));
      if (version === cached.lead.version) return cached;
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
    const session: LiveSession = {
      lead,
      flow,
      live,
      awarded: new Set(stored.awardedKeys),
      messageIds: new Set(stored.clientMessageIds),
    };
    this.remember(id, session);
    return session;
  }

  remember(id: string, session: LiveSession): void {
    this.lru?.set(id, session);
  }

  /** Drops a session from memory (the next event reloads it from the database). */
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
