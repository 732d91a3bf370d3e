import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CommitQueue, GroupCommitQueue } from '../../src/conversation/commit-queue.js';
import { type CommitUnit, VersionConflict } from '../../src/persistence/session-store.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { type EngineNode, openEngine, TestClock } from '../support/engine.js';

describe('group commit', () => {
  let db: TestDatabase;
  let node: EngineNode;
  const clock = new TestClock();

  beforeAll(async () => {
    db = await createTestDatabase();
    node = await openEngine(db, clock, (_direct, store) => new GroupCommitQueue(store, 5, 25));
  });
  afterAll(async () => {
    await node?.close();
    await db?.drop();
  });

  it('commits many sessions’ events together, each acknowledged after the commit, every ledger sound', async () => {
    const { engine } = node;
    const sessions = await Promise.all(Array.from({ length: 40 }, () => engine.startSession()));
    const results = await Promise.all(
      sessions.map(async ({ sessionId }) => {
        await engine.handle(sessionId, { kind: 'reply', optionIds: ['yes'] });
        await engine.handle(sessionId, { kind: 'reply', optionIds: ['other'] });
        return engine.handle(sessionId, { kind: 'reply', text: 'Pune' });
      }),
    );
    expect(results.every((r) => r.score === 30)).toBe(true);
    const rows = await db.query(
      `select l.id, l.score, (select sum(points)::int from score_entries s where s.lead_id = l.id) as total,
              l.last_seq, (select max(seq) from session_events e where e.lead_id = l.id) as max_seq
         from leads l`,
    );
    expect(rows).toHaveLength(40);
    for (const r of rows) {
      expect(r.total).toBe(r.score);
      expect(r.max_seq).toBe(r.last_seq);
    }
  });

  it('a unit that fails is rolled back alone; its neighbours in the batch commit', async () => {
    // Capture two ready units instead of committing them.
    const captured: CommitUnit[] = [];
    const capture = await openEngine(
      db,
      clock,
      (): CommitQueue => ({
        commit: async (unit) => {
          captured.push(unit);
          throw new Error('captured');
        },
      }),
    );
    const a = await node.engine.startSession();
    const b = await node.engine.startSession();
    await capture.engine.handle(a.sessionId, { kind: 'reply', optionIds: ['yes'] }).catch(() => {});
    await capture.engine.handle(b.sessionId, { kind: 'reply', optionIds: ['yes'] }).catch(() => {});
    await capture.close();
    expect(captured).toHaveLength(2);
    const stale = { ...captured[1]!, expectedVersion: 999 };
    const outcomes = await node.store.commitMany([captured[0]!, stale]);
    expect(outcomes[0]).toBeNull();
    expect(outcomes[1]).toBeInstanceOf(VersionConflict);
    const [ra] = await db.query('select score, version from leads where id = $1', [a.sessionId]);
    const [rb] = await db.query('select score, version from leads where id = $1', [b.sessionId]);
    expect(ra).toEqual({ score: 10, version: 2 });
    expect(rb).toEqual({ score: 5, version: 1 });
    const [{ n }] = (await db.query('select count(*)::int as n from session_events where lead_id = $1', [
      b.sessionId,
    ])) as [{ n: number }];
    expect(n).toBe(4);
  });
});
