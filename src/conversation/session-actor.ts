import type { LeadRow } from '../persistence/rows.js';
import type { WorkflowVersion } from '../workflow/registry.js';
import { type LiveActor, restoreConversation, type StoredSnapshot, storeSnapshot } from './actor.js';

/**
 * A session in memory: its actor, its last committed lead row, the once-keys already awarded, and the
 * workflow version it started with (everything about this session reads that one, never the active).
 *
 * The actor may be parked: only its persisted snapshot is kept (a few hundred bytes instead of a running
 * XState actor's ~6 KB), and `live` starts a new actor from it when the session is next used — the
 * same restore a session loaded from the database gets, from the snapshot its last commit stored.
 */
export class LiveSession {
  private running: LiveActor | null;
  private parked: StoredSnapshot | null = null;

  constructor(
    public lead: LeadRow,
    readonly flow: WorkflowVersion,
    live: LiveActor,
    readonly awarded: Set<string>,
    readonly messageIds: Set<string>,
  ) {
    this.running = live;
  }

  /** The session's actor, started again from its snapshot if it was parked. */
  get live(): LiveActor {
    if (this.running) return this.running;
    const input = { questionOrder: this.lead.questionOrder, startedAt: this.lead.createdAt.getTime() };
    const restored = restoreConversation(this.flow.machine, input, this.parked);
    // The snapshot was taken from this machine in this process: it always fits.
    if (!restored) throw new Error(`session ${this.lead.id}: its parked snapshot does not fit its machine`);
    this.running = restored;
    this.parked = null;
    return restored;
  }

  /** Whether the actor is parked (only its snapshot kept). */
  get isParked(): boolean {
    return this.running === null;
  }

  /**
   * Keeps only the actor's persisted snapshot. Safe between two steps of an event under way: an event
   * sends to the actor and reads what it emitted in one synchronous step before it awaits its commit;
   * if that commit then fails, the whole session is evicted anyway.
   */
  park(): void {
    if (!this.running) return;
    this.parked = storeSnapshot(this.running.actor);
    this.running = null;
  }
}
