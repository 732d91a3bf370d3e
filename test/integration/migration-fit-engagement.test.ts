import { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, describe, expect, it } from 'vitest';
import { ormOptions } from '../../src/persistence/orm.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/** Migration20261130040000_fit_engagement splits the score of the leads there already are, from their ledger. */
describe('the fit / engagement migration', () => {
  let db: TestDatabase | undefined;
  let orm: MikroORM | undefined;
  afterAll(async () => {
    await orm?.close();
    await db?.drop();
  });

  it('back-fills fit (answer_value rows) and engagement (the rest) so that they add up to the score', async () => {
    db = await createTestDatabase();
    orm = await MikroORM.init(ormOptions(db.url, 2));
    await orm.migrator.up({ to: 'Migration20261130023000_current_page' });
    const lead = (id: string, score: number) =>
      db!.query(
        `insert into leads (id, score, state, question_order, snapshot, created_at, updated_at, last_activity_at)
         values ($1, $2, 'cta', '[2,3,4,5,6]', '{}', now(), now(), now())`,
        [id, score],
      );
    const entry = (id: string, behavior: string, points: number, key: string) =>
      db!.query(
        `insert into score_entries (lead_id, behavior, points, once_key, event_seq, at) values ($1, $2, $3, $4, 1, now())`,
        [id, behavior, points, key],
      );
    await lead('sess_valued', 32);
    await entry('sess_valued', 'session_opened', 5, 'session_opened');
    await entry('sess_valued', 'answered_question', 5, 'answered_question:5');
    await entry('sess_valued', 'answer_value', 15, 'answer_value:5:over_5l');
    await entry('sess_valued', 'answer_value', 7, 'answer_value:4:more_than_fifteen');
    await lead('sess_negative', 0);
    await entry('sess_negative', 'session_opened', 5, 'session_opened');
    await entry('sess_negative', 'answer_value', -5, 'answer_value:5:under_50k');
    await lead('sess_plain', 5);
    await entry('sess_plain', 'session_opened', 5, 'session_opened');
    await lead('sess_empty', 0);

    await orm.migrator.up();
    const rows = await db.query('select id, score, fit_score, engagement_score from leads order by id');
    expect(rows).toEqual([
      { id: 'sess_empty', score: 0, fit_score: 0, engagement_score: 0 },
      { id: 'sess_negative', score: 0, fit_score: -5, engagement_score: 5 },
      { id: 'sess_plain', score: 5, fit_score: 0, engagement_score: 5 },
      { id: 'sess_valued', score: 32, fit_score: 22, engagement_score: 10 },
    ]);

    // And back down: the columns go, the score stays.
    // Every later migration too (umzug reverts down to and including the one named).
    await orm.migrator.down({ to: 'Migration20261130040000_fit_engagement' });
    const [columns] = await db.query(
      `select count(*)::int as n from information_schema.columns
        where table_name = 'leads' and column_name in ('fit_score', 'engagement_score')`,
    );
    expect(columns).toEqual({ n: 0 });
  });
});
