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
