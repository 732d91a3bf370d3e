import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';

/** The experiments' conversions and the counts their results are computed from. */
export class ExperimentStore {
  constructor(private readonly orm: MikroORM) {}

  private em(): EntityManager {
    return this.orm.em.fork() as EntityManager;
  }

  /** Records a conversion once per lead, test and type; false when it was already there. */
  async recordConversion(c: {
    leadId: string;
    testName: string;
    variant: string;
    type: string;
    value: number | null;
  }): Promise<boolean> {
    const rows = await this.em()
      .getConnection()
      .execute<{ id: number }[]>(
        `insert into experiment_conversions (lead_id, test_name, variant, conversion_type, value, at)
         select ?, ?, ?, ?, ?, now() where exists (select 1 from leads where id = ? and erased_at is null)
         on conflict (lead_id, test_name, conversion_type) do nothing returning id`,
        [c.leadId, c.testName, c.variant, c.type, c.value, c.leadId],
      );
    return rows.length === 1;
  }

  /** Sessions per variant and conversions per variant and type of one experiment, counted in SQL. */
  async experimentCounts(testName: string) {
    const conn = this.em().getConnection();
    const [sessions, conversions] = await Promise.all([
      conn.execute<{ variant: string; n: number }[]>(
        `select variants ->> ? as variant, count(*)::int as n from leads where jsonb_exists(variants, ?) group by 1`,
        [testName, testName],
      ),
      conn.execute<{ variant: string; type: string; n: number }[]>(
        `select variant, conversion_type as type, count(*)::int as n from experiment_conversions
          where test_name = ? group by 1, 2`,
        [testName],
      ),
    ]);
    return { sessions, conversions };
  }
}
