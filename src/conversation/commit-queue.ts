import type { CommitUnit } from '../persistence/rows.js';

/**
 * Where the engine hands a finished event for durable storage. The promise settles only when the
 * unit is committed (or definitely not). One unit per transaction today; a grouping implementation
 * can gather many sessions' units into one transaction behind the same interface.
 */
export interface CommitQueue {
  commit(unit: CommitUnit): Promise<void>;
}

/** Commits each unit in its own transaction. */
export class DirectCommitQueue implements CommitQueue {
  constructor(private readonly store: { commit(unit: CommitUnit): Promise<void> }) {}

  commit(unit: CommitUnit): Promise<void> {
    return this.store.commit(unit);
  }
}

interface Pending {
  unit: CommitUnit;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface GroupCommitOptions {
  /** Extra time to gather units before a batch leaves (0: leave as soon as a writer is free). */
  maxWaitMs: number;
  /** Most units in one batch. */
  maxBatch: number;
  /** Batches in flight at once. */
  writers: number;
}

/**
 * Group commit: units of many sessions that arrive while the writers are busy gather into one batch,
 * committed in one transaction (see SessionStore.commitMany). At low load a unit leaves at once (on
 * the next turn of the event loop, with whatever arrived in the same turn); under load batches grow
 * by themselves, up to `maxBatch`. Every caller is answered only after its batch committed; a unit
 * that fails fails alone, and if the whole batch fails every unit in it fails and nothing is written.
 */
export class GroupCommitQueue implements CommitQueue {
  private pending: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;
  private gathering: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: { commitMany(units: readonly CommitUnit[]): Promise<(Error | null)[]> },
    private readonly options: GroupCommitOptions,
  ) {}

  commit(unit: CommitUnit): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ unit, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.pending.length === 0 || this.inFlight >= this.options.writers) return;
    if (this.options.maxWaitMs > 0 && this.pending.length < this.options.maxBatch) {
      this.gathering ??= setTimeout(() => {
        this.gathering = null;
        this.flush();
      }, this.options.maxWaitMs);
      return;
    }
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.gathering) clearTimeout(this.gathering);
    this.gathering = null;
    if (this.inFlight >= this.options.writers) return;
    const batch = this.pending.splice(0, this.options.maxBatch);
    if (batch.length === 0) return;
    this.inFlight += 1;
    this.store
      .commitMany(batch.map((p) => p.unit))
      .then(
        (outcomes) =>
          batch.forEach((p, i) => {
            const err = outcomes[i];
            if (err) p.reject(err);
            else p.resolve();
          }),
        (err: unknown) => {
          for (const p of batch) p.reject(err);
        },
      )
      .finally(() => {
        this.inFlight -= 1;
        this.schedule();
      });
    this.schedule();
  }
}

/**
 * The queue COMMIT_GROUP_MAX, COMMIT_GROUP_MS and COMMIT_WRITERS ask for: one unit per transaction
 * when a batch may hold only one, group commit otherwise.
 */
export function commitQueue(
  group: { ms: number; max: number; writers: number },
  store: {
    commit(unit: CommitUnit): Promise<void>;
    commitMany(units: readonly CommitUnit[]): Promise<(Error | null)[]>;
  },
): CommitQueue {
  if (group.max <= 1) return new DirectCommitQueue(store);
  return new GroupCommitQueue(store, { maxWaitMs: group.ms, maxBatch: group.max, writers: group.writers });
}
