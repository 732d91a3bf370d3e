import type { CommitUnit } from '../persistence/session-store.js';

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

/**
 * Group commit: gathers the units of many sessions for up to `maxWaitMs` (or `maxBatch` units) and
 * commits them in one transaction, each under its own savepoint. Every caller is answered only after
 * that commit; a unit that fails is rolled back alone and only its caller hears of it; if the
 * transaction fails, every unit in it fails and nothing is written.
 */
export class GroupCommitQueue implements CommitQueue {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: { commitMany(units: readonly CommitUnit[]): Promise<(Error | null)[]> },
    private readonly maxWaitMs: number,
    private readonly maxBatch: number,
  ) {}

  commit(unit: CommitUnit): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ unit, resolve, reject });
      if (this.pending.length >= this.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.maxWaitMs);
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending.splice(0, this.maxBatch);
    if (this.pending.length > 0) this.timer = setTimeout(() => this.flush(), this.maxWaitMs);
    if (batch.length === 0) return;
    this.store.commitMany(batch.map((p) => p.unit)).then(
      (outcomes) =>
        batch.forEach((p, i) => {
          const err = outcomes[i];
          if (err) p.reject(err);
          else p.resolve();
        }),
      (err: unknown) => {
        for (const p of batch) p.reject(err);
      },
    );
  }
}
