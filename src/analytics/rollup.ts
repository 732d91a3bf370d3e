import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { computePartials, type DayPartial, type Query } from './partials.js';

export interface Range {
  from: Date;
  to: Date;
}

const DAY_MS = 86_400_000;
const dayStart = (t: Date) => new Date(Math.floor(t.getTime() / DAY_MS) * DAY_MS);
const dayKey = (t: Date) => t.toISOString().slice(0, 10);
/** Serializes refreshes, so that an older recount never overwrites a newer one. */
const REFRESH_LOCK = 0x6c63_6261; // 'lcba'

/**
 * The analytics rollup: the partial aggregates of every whole UTC day, kept in `analytics_days`.
 * Triggers mark a day in `analytics_dirty` in the transaction that changes one of its leads (or deletes
 * their answers, events or ledger); `refresh` recomputes the marked days from the raw tables. A range's
 * partials are the rollup's for its whole days and the raw tables' for the pieces of days at its ends.
 */
export class AnalyticsRollup {
  constructor(
    private readonly orm: MikroORM,
    private readonly questionIds: readonly number[],
  ) {}

  private query(em: EntityManager): Query {
    return <T>(sql: string, params: unknown[]) =>
      em.getConnection().execute<T[]>(sql, params, 'all', em.getTransactionContext());
  }

  /**
   * Recomputes the days marked since the last refresh (every mark committed before it; a mark
   * committed later stays for the next). Returns how many days it recomputed.
   */
  async refresh(): Promise<number> {
    const fork = this.orm.em.fork() as EntityManager;
    return fork.transactional(async (em) => {
      const q = this.query(em as EntityManager);
      await q('select pg_advisory_xact_lock(?)', [REFRESH_LOCK]);
      const marked = await q<{ day: string }>(
        `with d as (delete from analytics_dirty returning day)
         select distinct to_char(day, 'YYYY-MM-DD') as day from d order by 1`,
        [],
      );
      if (marked.length === 0) return 0;
      const days = marked.map((m) => m.day);
      // Contiguous runs of marked days, each recounted in one pass.
      const runs: [string, string][] = [];
      for (const d of days) {
        const last = runs.at(-1);
        // At most a month per statement: a whole import's days recounted in pieces of bounded size.
        if (
          last &&
          Date.parse(d) - Date.parse(last[1]) === DAY_MS &&
          Date.parse(d) - Date.parse(last[0]) < 31 * DAY_MS
        )
          last[1] = d;
        else runs.push([d, d]);
      }
      const partials = new Map<string, DayPartial>();
      for (const [first, last] of runs) {
        const found = await computePartials(
          q,
          [[new Date(`${first}T00:00:00Z`), new Date(Date.parse(`${last}T00:00:00Z`) + DAY_MS)]],
          this.questionIds,
        );
        for (const [d, partial] of found) partials.set(d, partial);
      }
      await q('delete from analytics_days where day = any(?::date[])', [`{${days.join(',')}}`]);
      const rows = [...partials];
      for (let i = 0; i < rows.length; i += 500) {
        const chunk = rows.slice(i, i + 500);
        await q(
          'insert into analytics_days (day, partial) select key::date, value from jsonb_each(?::jsonb)',
          [JSON.stringify(Object.fromEntries(chunk))],
        );
      }
      return days.length;
    });
  }

  /**
   * The partials of the leads created in the range, in two parts: the whole days (`span`, read from the
   * rollup by `whole()`, with `stamp` naming the rollup's rows of them as they are now) and the pieces of
   * days at the ends (`ends`, from the raw tables). A range within one day has no whole days.
   */
  async pieces(range: Range): Promise<{
    span: string | null;
    stamp: string;
    whole: () => Promise<[day: string, partial: DayPartial][]>;
    ends: [day: string, partial: DayPartial][];
  }> {
    const em = this.orm.em.fork() as EntityManager;
    const q = this.query(em);
    // Most calls find nothing marked: one read instead of a refresh's transaction.
    if ((await q('select 1 from analytics_dirty limit 1', [])).length > 0) await this.refresh();
    const firstWhole = dayStart(new Date(range.from.getTime() + DAY_MS - 1));
    const endWhole = dayStart(range.to);
    if (firstWhole >= endWhole) {
      const ends = [...(await computePartials(q, [[range.from, range.to]], this.questionIds))];
      return { span: null, stamp: '', whole: async () => [], ends };
    }
    const ranges: [Date, Date][] = [];
    if (range.from < firstWhole) ranges.push([range.from, firstWhole]);
    if (endWhole < range.to) ranges.push([endWhole, range.to]);
    const days = [dayKey(firstWhole), dayKey(endWhole)];
    const [[stamp], ends] = await Promise.all([
      // Every refresh rewrites the rows of the days it recomputes: their number and latest time change.
      q<{ stamp: string }>(
        `select count(*) || '@' || coalesce(max(refreshed_at)::text, '') as stamp from analytics_days
          where day >= ?::date and day < ?::date`,
        days,
      ),
      computePartials(q, ranges, this.questionIds),
    ]);
    const whole = async () =>
      (
        await q<{ day: string; partial: DayPartial }>(
          `select to_char(day, 'YYYY-MM-DD') as day, partial from analytics_days
            where day >= ?::date and day < ?::date`,
          days,
        )
      ).map((k): [string, DayPartial] => [k.day, k.partial]);
    return { span: days.join('/'), stamp: stamp?.stamp ?? '', whole, ends: [...ends] };
  }
}
