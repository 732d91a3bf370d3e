import { MikroORM } from '@mikro-orm/postgresql';
import { pino } from 'pino';
import { type CommitQueue, DirectCommitQueue } from '../../src/conversation/commit-queue.js';
import { ConversationEngine } from '../../src/conversation/engine.js';
import { ormOptions } from '../../src/persistence/orm.js';
import { SessionStore } from '../../src/persistence/session-store.js';
import { WorkflowStore } from '../../src/persistence/workflow-store.js';
import { WorkflowRegistry } from '../../src/workflow/registry.js';
import type { TestDatabase } from './database.js';
import { seedRules } from './workflows.js';

/** A controllable clock. */
export class TestClock {
  constructor(public t = Date.UTC(2026, 10, 25, 9, 0, 0)) {}
  now = () => this.t;
  advance(ms: number): number {
    this.t += ms;
    return this.t;
  }
}

export interface EngineNode {
  orm: MikroORM;
  store: SessionStore;
  engine: ConversationEngine;
  close(): Promise<void>;
}

/**
 * An engine over a migrated test database, as one server process would hold it; the workflow's
 * experiments are off unless `experimentsEnabled` (the tests drive a fixed journey).
 */
export async function openEngine(
  db: TestDatabase,
  clock: TestClock,
  wrapCommits: (direct: CommitQueue, store: SessionStore) => CommitQueue = (d) => d,
  {
    experimentsEnabled = false,
    runningActors,
  }: { experimentsEnabled?: boolean; runningActors?: number } = {},
): Promise<EngineNode> {
  const orm = await MikroORM.init(ormOptions(db.url, 4));
  await orm.migrator.up();
  const store = new SessionStore(orm);
  const logger = pino({ level: 'silent' });
  const engine = new ConversationEngine({
    // The seed's own rules, so the exact scores the tests check stay the earlier service's (./workflows.ts).
    workflows: await WorkflowRegistry.open(seedRules, new WorkflowStore(orm), logger),
    store,
    commits: wrapCommits(new DirectCommitQueue(store), store),
    logger,
    now: clock.now,
    experimentsEnabled,
    ...(runningActors === undefined ? {} : { runningActors }),
  });
  return {
    orm,
    store,
    engine,
    async close() {
      await engine.drain();
      await orm.close();
    },
  };
}
