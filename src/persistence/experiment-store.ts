import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { Conversion } from './entities/index.js';
import { Recordsets, runPrepared, scalarProps } from './recordsets.js';

/**
 * The one way rows go into `experiment_conversions`, whoever records them (the batch writer, for the
 * conversions an event's triggers count; `recordConversion`, for one reported through the API): every
 * column of the entity, from the next parameter of `sets`, filtered by `where`; once per lead, test and
 * type, so a conversion already there stays and the new one is not recorded.
 */
export function insertConversions(orm: MikroORM, sets: Recordsets, where: string, returning = ''): string {
  const m = orm.getMetadata().get(Conversion.meta.className);
  return sets.insert(
    m,
    scalarProps(m).filter((p) => !p.primary),
    `on conflict (lead_id, test_name, conversion_type) do nothing ${returning}`,
    where,
  );
}

/** The experiments' conversions and the counts their results are computed from. */
export class ExperimentStore {
  private readonly sets = new Recordsets();
  private readonly record: string;

  constructor(private readonly orm: MikroORM) {
    // An erased lead (or none at all) converts no more.
    this.record = insertConversions(
      orm,
      this.sets,
      'where exists (select 1 from leads l where l.id = v.lead_id and l.erased_at is null)',
      'returning id',
    );
  }

  private em(): EntityManager {
    return this.orm.em.fork() as EntityManager;
  }

  /**
   * Records a conversion once per lead, test and type; false when it was already there. `variant` is the
   * assigned one; `reportedVariant`, what the client said (kept to count mismatches), if anything.
   */
  async recordConversion(c: {
    leadId: string;
    testName: string;
    variant: string;
    reportedVariant?: string | null;
    type: string;
    value: number | null;
  }): Promise<boolean> {
    const row = {
      lead: c.leadId,
      testName: c.testName,
      variant: c.variant,
      reportedVariant: c.reportedVariant ?? null,
      conversionType: c.type,
      value: c.value,
      at: new Date(),
    };
    const rows = await runPrepared(this.orm, 'lcb_record_conversion', this.record, this.sets.values([[row]]));
    return rows.length === 1;
  }

  /**
   * Sessions per variant, conversions per variant and type, and per variant the conversions whose client
   * reported another variant than the assigned one, of one experiment, counted in SQL.
   */
  async experimentCounts(testName: string) {
    const conn = this.em().getConnection();
    const [sessions, conversions] = await Promise.all([
      conn.execute<{ variant: string; n: number }[]>(
        `select variants ->> ? as variant, count(*)::int as n from leads where jsonb_exists(variants, ?) group by 1`,
        [testName, testName],
      ),
      conn.execute<{ variant: string; type: string; n: number; mismatched: number }[]>(
        `select variant, conversion_type as type, count(*)::int as n,
                count(*) filter (where reported_variant <> variant)::int as mismatched
           from experiment_conversions where test_name = ? group by 1, 2`,
        [testName],
      ),
    ]);
    return { sessions, conversions };
  }
}
