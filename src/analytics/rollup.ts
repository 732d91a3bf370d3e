import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { computePartials, type DayPartial, type Query } from './partials.js';

export interface Range {
  from: Date;
  to: Date;
}

const HOUR_MS = 3_600_000;
const hourStart = (t: Date) => new Date(Math.floor(t.getTime() / HOUR_MS) * HOUR_MS);
/** An hour's key, `YYYY-MM-DDTHH` (UTC), and the time it names. */
const hourKey = (t: Date) => t.toISOString().slice(0, 13);
const hourOf = (key: string) => Date.parse(`${key}:00:00Z`);
/** The rollup's hour column as a key. */
const KEY = `to_char(hour at time zone 'UTC', 'YYYY-MM-DD"T"HH24')`;
/** Serializes refreshes, so that an older recount never overwrites a newer one. */
const REFRESH_LOCK = 0x6c63_6261; // 'lcba'

/**
 * The analytics rollup: the partial aggregates of every whole hour, kept in `analytics_hours`. Triggers
 * mark an hour in `analytics_dirty` in the transaction that changes one of its leads (or deletes their
 * answers, events or ledger); `refresh` recomputes the marked hours from the raw tables. A range's
 * partials are the rollup's for its whole hours and the raw tables' for the pieces of hours at its ends.
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
   * Recomputes the hours marked since the last refresh (every mark committed before it; a mark
   * committed later stays for the next). Returns how many hours it recomputed.
   */
  async refresh(): Promise<number> {
    const fork = this.orm.em.fork() as EntityManager;
    return fork.transactional(async (em) => {
      const q = this.query(em as EntityManager);
      await q('select pg_advisory_xact_lock(?)', [REFRESH_LOCK]);
      const marked = await q<{ hour: string }>(
        `with d as (delete from analytics_dirty returning hour)
         select distinct ${KEY} as hour from d order by 1`,
        [],
      );
      if (marked.length === 0) return 0;
      const hours = marked.map((m) => m.hour);
      // Contiguous runs of marked hours, each recounted in one pass; at most a month per statement, so a
      // whole import's hours are recounted in pieces of bounded size.
      const runs: [string, string][] = [];
      for (const h of hours) {
        const last = runs.at(-1);
        const next = last && hourOf(h) - hourOf(last[1]) === HOUR_MS;
        if (last && next && hourOf(h) - hourOf(last[0]) < 744 * HOUR_MS) last[1] = h;
        else runs.push([h, h]);
      }
      const partials = new Map<string, DayPartial>();
      for (const [first, last] of runs) {
        const found = await computePartials(
          q,
          [[new Date(hourOf(first)), new Date(hourOf(last) + HOUR_MS)]],
          this.questionIds,
        );
        for (const [h, partial] of found) partials.set(h, partial);
      }
      await q('delete from analytics_hours where hour = any(?::timestamptz[])', [
        `{${hours.map((h) => `"${h}:00:00Z"`).join(',')}}`,
      ]);
      const rows = [...partials];
      for (let i = 0; i < rows.length; i += 500) {
        const chunk = rows.slice(i, i + 500);
        await q(
          `insert into analytics_hours (hour, partial) select (key || ':00:00Z')::timestamptz, value from jsonb_each(?::jsonb)`,
          [JSON.stringify(Object.fromEntries(chunk))],
        );
      }
      return hours.length;
    });
  }

  /**
   * The partials of the leads created in the range, in two parts: the whole hours (`span`, read from the
   * rollup by `whole()`, with `stamp` naming the rollup's rows of them as they are now) and the pieces of
   * hours at the ends (`ends`, from the raw tables). A range within one hour has no whole hours.
   */
  async pieces(range: Range): Promise<{
    span: string | null;
    stamp: string;
    whole: () => Promise<[hour: string, partial: DayPartial][]>;
    ends: [hour: string, partial: DayPartial][];
  }> {
    const em = this.orm.em.fork() as EntityManager;
    const q = this.query(em);
    // Most calls find nothing marked: one read instead of a refresh's transaction.
    if ((await q('select 1 from analytics_dirty limit 1', [])).length > 0) await this.refresh();
    const firstWhole = hourStart(new Date(range.from.getTime() + HOUR_MS - 1));
    const endWhole = hourStart(range.to);
    if (firstWhole >= endWhole) {
      const ends = [...(await computePartials(q, [[range.from, range.to]], this.questionIds))];
      return { span: null, stamp: '', whole: async () => [], ends };
    }
    const ranges: [Date, Date][] = [];
    if (range.from < firstWhole) ranges.push([range.from, firstWhole]);
    if (endWhole < range.to) ranges.push([endWhole, range.to]);
    const span = [firstWhole, endWhole];
    const [[stamp], ends] = await Promise.all([
      // Every refresh rewrites the rows of the hours it recomputes: their number and latest time change.
      q<{ stamp: string }>(
        `select count(*) || '@' || coalesce(max(refreshed_at)::text, '') as stamp from analytics_hours
          where hour >= ? and hour < ?`,
        span,
      ),
      computePartials(q, ranges, this.questionIds),
    ]);
    const whole = async () =>
      (
        await q<{ hour: string; partial: DayPartial }>(
          `select ${KEY} as hour, partial from analytics_hours where hour >= ? and hour < ?`,
          span,
        )
      ).map((k): [string, DayPartial] => [k.hour, k.partial]);
    return { span: span.map(hourKey).join('/'), stamp: stamp?.stamp ?? '', whole, ends: [...ends] };
  }
}
