/**
 * Partial aggregates of the lead analytics, per UTC hour of lead creation: counts and sums that add up
 * across hours (and across the pieces of one hour), from which every figure of the analytics reports
 * follows. `computePartials` reads them from the raw tables for any range; the rollup keeps whole hours.
 */

/** One group of leads of an hour: classification, first-touch source/medium/campaign, locale, completed. */
export type CubeCell = [
  classification: string,
  source: string,
  medium: string,
  campaign: string,
  locale: string,
  completed: boolean,
  leads: number,
  score: number,
  fit: number,
  engagement: number,
];

/** An hour's (or a piece of an hour's) partial aggregates. */
export interface DayPartial {
  cube: CubeCell[];
  /** test name, variant, leads, SQL leads, score sum. */
  variants: [string, string, number, number, number][];
  /** Sum and number of the answers' latencies (ms). */
  latency: [number, number];
  /** Per question id: sessions it was put to. */
  reached: Record<string, number>;
  /** Per question id: answers per latency rounded to 100 ms. */
  answered: Record<string, Record<string, number>>;
  /** Per path (question ids joined by commas): sessions, and those that answered every question. */
  paths: Record<string, [number, number]>;
}

export const emptyPartial = (): DayPartial => ({
  cube: [],
  variants: [],
  latency: [0, 0],
  reached: {},
  answered: {},
  paths: {},
});

export type Query = <T>(sql: string, params: unknown[]) => Promise<T[]>;

/** The hour of a lead's creation, as the key of its partials: `YYYY-MM-DDTHH` (UTC). */
const DAY = `to_char(l.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24')`;

type Row = Record<string, unknown>;
const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

/** Each group of the partials: a subquery over the leads `l` of the ranges (`IN_RANGES`), grouped by hour first. */
const GROUPS = (ids: string) => ({
  cube: `select ${DAY} as day, classification, coalesce(utm_source, '(none)') as s,
            coalesce(utm_medium, '(none)') as m, coalesce(utm_campaign, '(none)') as c,
            coalesce(locale, '(none)') as loc, state = 'completed' as done, count(*) as n, sum(score) as score,
            sum(fit_score) as fit, sum(engagement_score) as eng
       from leads l where IN_RANGES group by 1, 2, 3, 4, 5, 6, 7`,
  variants: `select ${DAY} as day, v.key as t, v.value as v, count(*) as n,
            count(*) filter (where classification = 'SQL') as sql, sum(score) as score
       from leads l, jsonb_each_text(l.variants) v where IN_RANGES group by 1, 2, 3`,
  answered: `select ${DAY} as day, a.question_id as q, round(a.latency_ms / 100.0) * 100 as b, count(*) as n,
            sum(a.latency_ms) as total
       from answers a join leads l on l.id = a.lead_id where IN_RANGES group by 1, 2, 3`,
  reached: `select ${DAY} as day, (e.data ->> 'questionId')::int as q, count(distinct e.lead_id) as n
       from session_events e join leads l on l.id = e.lead_id
      where e.type = 'bot.prompt' and jsonb_exists(e.data, 'questionId') and IN_RANGES group by 1, 2`,
  // A session's path: the profile questions it was put, in the order first put (as far as it went);
  // completed when its ledger has answered_all_questions.
  paths: `with put as (
       select e.lead_id, ${DAY} as day, (e.data ->> 'questionId')::int as q, min(e.seq) as first
         from session_events e join leads l on l.id = e.lead_id
        where e.type = 'bot.prompt' and jsonb_exists(e.data, 'questionId') and IN_RANGES
        group by 1, 2, 3),
     paths as (
       select lead_id, day, array_to_string(array_agg(q order by first), ',') as path
         from put where q in (${ids}) group by 1, 2)
     select p.day, p.path, count(*) as sessions,
            count(*) filter (where exists (
              select 1 from score_entries s
               where s.lead_id = p.lead_id and s.behavior = 'answered_all_questions')) as completed
       from paths p group by 1, 2`,
});

/**
 * The partials of the leads created in the ranges (each [from, to), not erased), by hour (`YYYY-MM-DDTHH`),
 * in one statement; hours without such leads are absent. `questionIds` are the workflow's profile
 * questions (the paths are made of them).
 */
export async function computePartials(
  q: Query,
  ranges: readonly (readonly [from: Date, to: Date])[],
  questionIds: readonly number[],
): Promise<Map<string, DayPartial>> {
  const out = new Map<string, DayPartial>();
  if (ranges.length === 0) return out;
  const IN = `(${ranges.map(() => '(l.created_at >= ? and l.created_at < ?)').join(' or ')}) and l.erased_at is null`;
  const params = ranges.flat();
  // The ids are the workflow's own validated integers, written into the statement.
  const ids = questionIds.map((id) => Math.trunc(Number(id))).join(', ') || 'null';
  const groups = Object.entries(GROUPS(ids));
  const [row] = await q<Record<string, Row[] | null>>(
    `select ${groups.map(([name, sql]) => `(select json_agg(g) from (${sql.replaceAll('IN_RANGES', IN)}) g) as ${name}`).join(',\n')}`,
    groups.flatMap(([, sql]) =>
      sql
        .split('IN_RANGES')
        .slice(1)
        .flatMap(() => params),
    ),
  );
  const day = (d: unknown) => {
    const key = String(d);
    const partial = out.get(key) ?? emptyPartial();
    out.set(key, partial);
    return partial;
  };
  for (const r of row?.cube ?? []) {
    day(r.day).cube.push([
      String(r.classification),
      String(r.s),
      String(r.m),
      String(r.c),
      String(r.loc),
      r.done === true,
      num(r.n),
      num(r.score),
      num(r.fit),
      num(r.eng),
    ]);
  }
  for (const r of row?.variants ?? [])
    day(r.day).variants.push([String(r.t), String(r.v), num(r.n), num(r.sql), num(r.score)]);
  for (const r of row?.answered ?? []) {
    const partial = day(r.day);
    const byBucket = partial.answered[String(r.q)] ?? {};
    byBucket[String(num(r.b))] = num(r.n);
    partial.answered[String(r.q)] = byBucket;
    partial.latency[0] += num(r.total);
    partial.latency[1] += num(r.n);
  }
  for (const r of row?.reached ?? []) day(r.day).reached[String(r.q)] = num(r.n);
  for (const r of row?.paths ?? []) day(r.day).paths[String(r.path)] = [num(r.sessions), num(r.completed)];
  return out;
}
