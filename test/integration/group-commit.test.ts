import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CommitQueue, GroupCommitQueue } from '../../src/conversation/commit-queue.js';
import { AppError } from '../../src/errors.js';
import { type CommitUnit, DuplicateMessage, VersionConflict } from '../../src/persistence/rows.js';
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

  /**
   * Runs `run` and counts the statements the node's store sent meanwhile: each pooled connection's
   * `query` is wrapped for the time of the count (the real query still runs).
   */
  async function countStatements<T>(run: () => Promise<T>): Promise<{ result: T; statements: number }> {
    type Client = { query(...args: unknown[]): unknown };
    const pool = node.orm.em.getConnection().getKnex().client as { acquireConnection(): Promise<Client> };
    const acquire = pool.acquireConnection;
    const wrapped = new Set<Client>();
    let statements = 0;
    pool.acquireConnection = async function (this: unknown) {
      const client = await acquire.call(this);
      if (!wrapped.has(client)) {
        wrapped.add(client);
        const query = client.query;
        client.query = (...args: unknown[]) => {
          statements++;
          return query.apply(client, args);
        };
      }
      return client;
    };
    try {
      return { result: await run(), statements };
    } finally {
      pool.acquireConnection = acquire;
      for (const client of wrapped) Reflect.deleteProperty(client, 'query');
    }
  }

  it.each([
    [
      'a NUL in an event (jsonb)',
      (u: CommitUnit) => (u.events[0]!.data = { ...u.events[0]!.data, text: 'a\u0000b' }),
    ],
    ['a NUL in the lead name (text)', (u: CommitUnit) => (u.lead.name = 'Ravi\u0000')],
    [
      'a lone surrogate in a message id (text)',
      (u: CommitUnit) => (u.events[0]!.clientMessageId = 'm-\ud800'),
    ],
  ])(
    '1 unit with text PostgreSQL refuses (%s) among 99 good: the 99 commit in one statement, the bad one gets validation_failed',
    async (_label, poison) => {
      const { units, ids } = await readyUnits(100);
      const bad = 37;
      const batch = units.map((u, i) => (i === bad ? structuredClone(u) : u));
      poison(batch[bad]!);
      const { result: outcomes, statements } = await countStatements(() => node.store.commitMany(batch));
      expect(statements).toBeLessThanOrEqual(2);
      outcomes.forEach((o, i) => {
        if (i !== bad) expect(o, `unit ${i}`).toBeNull();
      });
      expect(outcomes[bad]).toBeInstanceOf(AppError);
      expect(outcomes[bad]).toMatchObject({ code: 'validation_failed', status: 422 });
      const rows = await db.query('select id, version from leads where id = any($1)', [ids]);
      const version = Object.fromEntries(rows.map((r) => [r.id, r.version]));
      expect(ids.map((id) => version[id])).toEqual(ids.map((_, i) => (i === bad ? 1 : 2)));
      expect(await storedEvents(ids[bad]!)).toBe(4);
    },
  );

  it('a message id already stored is a DuplicateMessage for its unit only; the 49 others commit in one more statement', async () => {
    const { units, ids } = await readyUnits(50);
    expect(await node.store.commitMany([units[0]!])).toEqual([null]);
    // The same message again, computed from the version it had before: stale and a duplicate.
    const again = { ...units[0]!, expectedVersion: 2, lead: { ...units[0]!.lead, version: 3 } };
    again.events = again.events.map((e) => ({ ...e, seq: e.seq + 10 }));
    // (Its ledger rows would collide too, as another kind of conflict; leave them out.)
    again.ledger = [];
    const { result: outcomes, statements } = await countStatements(() =>
      node.store.commitMany([...units.slice(1, 20), again, ...units.slice(20)]),
    );
    expect(outcomes[19]).toBeInstanceOf(DuplicateMessage);
    expect(outcomes.filter((o) => o !== null)).toHaveLength(1);
    expect(statements).toBe(2);
    const rows = await db.query('select id, version from leads where id = any($1)', [ids]);
    expect(rows.every((r) => r.version === 2)).toBe(true);
  });

  it('a refusal that names no unit is found by halving: its neighbours commit, in a few statements', async () => {
    await db.query(`create function lcb_test_refuse() returns trigger language plpgsql as
      $$ begin raise exception 'refused by the test'; end $$`);
    await db.query(`create trigger lcb_test_refuse before insert on session_events for each row
      when (new.client_message_id = 'refuse me') execute function lcb_test_refuse()`);
    try {
      const { units, ids } = await readyUnits(64);
      const bad = 45;
      const batch = units.map((u, i) => (i === bad ? structuredClone(u) : u));
      batch[bad]!.events[0]!.clientMessageId = 'refuse me';
      const { result: outcomes, statements } = await countStatements(() => node.store.commitMany(batch));
      expect(outcomes[bad]).toBeInstanceOf(Error);
      expect(outcomes[bad]).not.toBeInstanceOf(AppError);
      expect(outcomes.filter((o) => o !== null)).toHaveLength(1);
      // The whole batch, then both halves at each of the six levels down to the bad unit.
      expect(statements).toBeLessThanOrEqual(1 + 2 * 6);
      const rows = await db.query('select id, version from leads where id = any($1)', [ids]);
      const version = Object.fromEntries(rows.map((r) => [r.id, r.version]));
      expect(ids.map((id) => version[id])).toEqual(ids.map((_, i) => (i === bad ? 1 : 2)));
    } finally {
      await db.query('drop trigger lcb_test_refuse on session_events; drop function lcb_test_refuse()');
    }
  });

  it('a failure of the database itself (here: disk full) fails the whole batch at once, without repeating it', async () => {
    await db.query(`create function lcb_test_full() returns trigger language plpgsql as
      $$ begin raise exception 'disk full (test)' using errcode = '53100'; end $$`);
    await db.query(`create trigger lcb_test_full before insert on session_events for each row
      when (new.client_message_id = 'disk full') execute function lcb_test_full()`);
    try {
      const { units, ids } = await readyUnits(10);
      const batch = units.map((u, i) => (i === 3 ? structuredClone(u) : u));
      batch[3]!.events[0]!.clientMessageId = 'disk full';
      const { result: outcomes, statements } = await countStatements(() => node.store.commitMany(batch));
      expect(statements).toBe(1);
      expect(outcomes.every((o) => (o as { code?: string } | null)?.code === '53100')).toBe(true);
      const rows = await db.query('select version from leads where id = any($1)', [ids]);
      expect(rows.map((r) => r.version)).toEqual(ids.map(() => 1));
    } finally {
      await db.query('drop trigger lcb_test_full on session_events; drop function lcb_test_full()');
    }
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
