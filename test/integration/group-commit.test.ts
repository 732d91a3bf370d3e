import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CommitQueue, GroupCommitQueue } from '../../src/conversation/commit-queue.js';
import { type CommitUnit, DuplicateMessage, VersionConflict } from '../../src/persistence/session-store.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { type EngineNode, openEngine, TestClock } from '../support/engine.js';

describe('group commit', () => {
  let db: TestDatabase;
  let node: EngineNode;
  const clock = new TestClock();

  beforeAll(async () => {
    db = await createTestDatabase();
    node = await openEngine(
      db,
      clock,
      (_direct, store) => new GroupCommitQueue(store, { maxWaitMs: 5, maxBatch: 25, writers: 2 }),
    );
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

  /** Two or more units computed but not committed: one event of each of `count` new sessions. */
  async function readyUnits(count: number): Promise<{ units: CommitUnit[]; ids: string[] }> {
    const units: CommitUnit[] = [];
    const capture = await openEngine(
      db,
      clock,
      (): CommitQueue => ({
        commit: async (unit) => {
          units.push(unit);
          throw new Error('captured');
        },
      }),
    );
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const { sessionId } = await node.engine.startSession();
      ids.push(sessionId);
      await capture.engine.handle(sessionId, { kind: 'reply', optionIds: ['yes'] }, `m-${i}`).catch(() => {});
    }
    await capture.close();
    expect(units).toHaveLength(count);
    return { units, ids };
  }

  const storedEvents = async (id: string) =>
    (
      (await db.query('select count(*)::int as n from session_events where lead_id = $1', [id])) as [
        { n: number },
      ]
    )[0].n;

  it('a unit whose lead moved on is skipped alone; its neighbours in the batch commit', async () => {
    const { units, ids } = await readyUnits(2);
    const stale = { ...units[1]!, expectedVersion: 999 };
    const outcomes = await node.store.commitMany([units[0]!, stale]);
    expect(outcomes[0]).toBeNull();
    expect(outcomes[1]).toBeInstanceOf(VersionConflict);
    const [ra] = await db.query('select score, version from leads where id = $1', [ids[0]]);
    const [rb] = await db.query('select score, version from leads where id = $1', [ids[1]]);
    expect(ra).toEqual({ score: 10, version: 2 });
    expect(rb).toEqual({ score: 5, version: 1 });
    expect(await storedEvents(ids[1]!)).toBe(4);
  });

  it('a unit the database refuses (a NUL byte) fails alone; its neighbours in the same batch commit', async () => {
    const { units, ids } = await readyUnits(3);
    const bad = structuredClone(units[1]!);
    bad.events[0]!.data = { ...bad.events[0]!.data, text: 'a\u0000b' };
    const outcomes = await node.store.commitMany([units[0]!, bad, units[2]!]);
    expect(outcomes[0]).toBeNull();
    expect(outcomes[1]).toBeInstanceOf(Error);
    expect(outcomes[1]).not.toBeInstanceOf(VersionConflict);
    expect(outcomes[2]).toBeNull();
    const rows = await db.query('select id, version from leads where id = any($1) order by id', [ids]);
    const version = Object.fromEntries(rows.map((r) => [r.id, r.version]));
    expect([version[ids[0]!], version[ids[1]!], version[ids[2]!]]).toEqual([2, 1, 2]);
    expect(await storedEvents(ids[1]!)).toBe(4);
  });

  it('a message id already stored is a DuplicateMessage for its unit only', async () => {
    const { units, ids } = await readyUnits(2);
    expect(await node.store.commitMany([units[0]!])).toEqual([null]);
    // The same message again, computed from the version it had before: stale and a duplicate.
    const again = { ...units[0]!, expectedVersion: 2, lead: { ...units[0]!.lead, version: 3 } };
    again.events = again.events.map((e) => ({ ...e, seq: e.seq + 10 }));
    // (Its ledger rows would collide too, as another kind of conflict; leave them out.)
    again.ledger = [];
    const outcomes = await node.store.commitMany([again, units[1]!]);
    expect(outcomes[0]).toBeInstanceOf(DuplicateMessage);
    expect(outcomes[1]).toBeNull();
    const [a] = await db.query('select version from leads where id = $1', [ids[0]]);
    expect(a).toEqual({ version: 2 });
  });

  it('with no gathering wait, events that arrive while the writer is busy leave together', async () => {
    const sizes: number[] = [];
    const grouped = await openEngine(
      db,
      clock,
      (_direct, store) =>
        new GroupCommitQueue(
          {
            commitMany: (units) => {
              sizes.push(units.length);
              return store.commitMany(units);
            },
          },
          { maxWaitMs: 0, maxBatch: 100, writers: 1 },
        ),
    );
    try {
      const sessions = await Promise.all(Array.from({ length: 30 }, () => grouped.engine.startSession()));
      const results = await Promise.all(
        sessions.map(({ sessionId }) =>
          grouped.engine.handle(sessionId, { kind: 'reply', optionIds: ['yes'] }),
        ),
      );
      expect(results.every((r) => r.score === 10)).toBe(true);
      // 60 units in all (30 starts, 30 answers); one writer, so concurrent units shared batches.
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(60);
      expect(Math.max(...sizes)).toBeGreaterThan(1);
      expect(sizes.length).toBeLessThan(60);
    } finally {
      await grouped.close();
    }
  });
});
