import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { type Classification, classifications } from '../scoring/classification.js';
import type { Workflow } from '../workflow/schema.js';
import type { DayPartial } from './partials.js';
import { AnalyticsRollup, type Range } from './rollup.js';

export type { Range };

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
/** Code-point order, the order the database's collation (C) gives names. */
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Leads, SQL and MQL leads and their score sum: one group of a report. */
interface Sums {
  leads: number;
  sql: number;
  mql: number;
  score: number;
  fit: number;
  engagement: number;
  completed: number;
}
const zero = (): Sums => ({ leads: 0, sql: 0, mql: 0, score: 0, fit: 0, engagement: 0, completed: 0 });

/** Adds to the group of `key` in `groups`. */
function add<K>(groups: Map<K, Sums>, key: K, delta: Partial<Sums>): void {
  const g = groups.get(key) ?? zero();
  for (const [k, v] of Object.entries(delta)) g[k as keyof Sums] += v as number;
  groups.set(key, g);
}

const group = (g: Sums, withMql = true) => ({
  leads: g.leads,
  sql_leads: g.sql,
  ...(withMql ? { mql_leads: g.mql } : {}),
  conversion_rate: ratio(g.sql, g.leads),
  average_score: ratio(g.score, g.leads),
});

/** The median (interpolated, as SQL's percentile_cont(0.5)) of a histogram of value → count. */
function median(histogram: Map<number, number>): number | null {
  const values = [...histogram].sort((a, b) => a[0] - b[0]);
  const n = values.reduce((s, [, c]) => s + c, 0);
  if (n === 0) return null;
  const at = (rank: number) => {
    let seen = 0;
    for (const [v, c] of values) {
      seen += c;
      if (rank < seen) return v;
    }
    return values.at(-1)![0];
  };
  const pos = (n - 1) / 2;
  const lo = at(Math.floor(pos));
  return lo + (at(Math.ceil(pos)) - lo) * (pos - Math.floor(pos));
}

/** Orders groups by size, largest first, then by their names. */
const bySize = <T>(entries: [string[], T & { leads: number }][]) =>
  entries.sort((a, b) => b[1].leads - a[1].leads || byName(a[0].join('\u0000'), b[0].join('\u0000')));

/**
 * Lead analytics over a date range of lead creation, from the rollup's hourly partials (whole hours) and
 * the raw tables (the pieces of hours at the range's ends): the same answer as a recount from the raw
 * tables, at a cost that does not grow with the stored leads.
 */
export class Analytics {
  private readonly rollup: AnalyticsRollup;
  /**
   * The whole hours' totals of the spans asked lately (the console refreshes the same range), kept while
   * the rollup's rows of them stay the same; the pieces of hours at the ends are added on every call.
   */
  private readonly spans = new Map<string, { stamp: string; totals: Totals }>();

  constructor(
    private readonly orm: MikroORM,
    private readonly workflow: Workflow,
  ) {
    this.rollup = new AnalyticsRollup(
      orm,
      workflow.questions.map((q) => q.id),
    );
  }

  /** Recomputes the hours changed since the last call (the reports do it first themselves). */
  refresh(): Promise<number> {
    return this.rollup.refresh();
  }

  async leads(range: Range) {
    const { span, stamp, whole, ends } = await this.rollup.pieces(range);
    let kept = span ? this.spans.get(span) : undefined;
    if (!kept || kept.stamp !== stamp) {
      kept = { stamp, totals: merge(await whole()) };
      if (span) {
        this.spans.delete(span);
        this.spans.set(span, kept);
        if (this.spans.size > SPANS_KEPT) this.spans.delete(this.spans.keys().next().value!);
      }
    }
    const m = merge(ends, structuredClone(kept.totals));
    const classes = new Map(
      classifications.map((c): [Classification, Sums] => [c, m.byClass.get(c) ?? zero()]),
    );
    const funnel = this.workflow.questions.map(({ id, step }) => {
      const r = m.reached.get(id) ?? 0;
      const h = m.answered.get(id);
      const a = h ? [...h.values()].reduce((s, n) => s + n, 0) : 0;
      return {
        question_id: id,
        step,
        reached: r,
        answered: a,
        dropped: Math.max(0, r - a),
        median_answer_latency_ms: h && a > 0 ? median(h) : null,
      };
    });
    const names = (key: string) => key.split('\u0000');
    return {
      total_leads: m.total.leads,
      sql_leads: m.total.sql,
      mql_leads: m.total.mql,
      unqualified_leads: m.byClass.get('Unqualified')?.leads ?? 0,
      conversion_rate: ratio(m.total.sql, m.total.leads),
      average_score: ratio(m.total.score, m.total.leads),
      average_fit_score: ratio(m.total.fit, m.total.leads),
      average_engagement_score: ratio(m.total.engagement, m.total.leads),
      completion_rate: ratio(m.total.completed, m.total.leads),
      average_response_time_ms: ratio(m.latency, m.answers),
      by_utm_source: bySize([...m.bySource].map(([k, g]) => [[k], g])).map(([[utm_source], g]) => ({
        utm_source: utm_source!,
        ...group(g),
      })),
      by_campaign: bySize([...m.byCampaign].map(([k, g]) => [names(k), g])).map(([[s, md, c], g]) => ({
        utm_source: s!,
        utm_medium: md!,
        utm_campaign: c!,
        ...group(g),
      })),
      by_locale: bySize([...m.byLocale].map(([k, g]) => [[k], g])).map(([[locale], g]) => ({
        locale: locale!,
        ...group(g),
        completion_rate: ratio(g.completed, g.leads),
      })),
      by_variant: [...m.byVariant]
        .map(([k, g]): [string[], Sums] => [names(k), g])
        .sort((a, b) => byName(a[0][0]!, b[0][0]!) || byName(a[0][1]!, b[0][1]!))
        .map(([[test_name, variant], g]) => ({
          test_name: test_name!,
          variant: variant!,
          ...group(g, false),
        })),
      by_classification: [...classes].map(([classification, g]) => ({
        classification,
        leads: g.leads,
        average_score: ratio(g.score, g.leads),
        average_fit_score: ratio(g.fit, g.leads),
        average_engagement_score: ratio(g.engagement, g.leads),
      })),
      by_day: [...m.byDay]
        .sort((a, b) => byName(a[0], b[0]))
        .map(([day, g]) => ({ day, sql_leads: g.sql, mql_leads: g.mql, unqualified_leads: g.unqualified })),
      funnel,
      funnel_paths: [...m.paths]
        .map(([path, [sessions, completed]]) => ({
          path: path === '' ? [] : path.split(',').map(Number),
          sessions,
          completed,
        }))
        .sort((a, b) => b.sessions - a.sessions || comparePaths(a.path, b.path)),
      from: range.from.toISOString(),
      to: range.to.toISOString(),
    };
  }

  /** The seed's enhanced analytics: conversion metrics, funnel, channel performance, recent hot leads. */
  async enhanced(range: Range) {
    // The hot leads are read from their index while the report adds up.
    const [leads, hot] = await Promise.all([
      this.leads(range),
      (this.orm.em.fork() as EntityManager).getConnection().execute<Record<string, unknown>[]>(
        `select id, name, business_type, score, fit_score, engagement_score, classification, utm_source, created_at
         from leads l where l.created_at >= ? and l.created_at < ? and l.erased_at is null and classification = 'SQL'
        order by score desc, created_at desc, id limit 10`,
        [range.from, range.to],
      ),
    ]);
    return {
      conversion_metrics: {
        total_leads: leads.total_leads,
        sql_leads: leads.sql_leads,
        mql_leads: leads.mql_leads,
        unqualified_leads: leads.unqualified_leads,
        conversion_rate: leads.conversion_rate,
        completion_rate: leads.completion_rate,
        average_score: leads.average_score,
        average_fit_score: leads.average_fit_score,
        average_engagement_score: leads.average_engagement_score,
        average_response_time_ms: leads.average_response_time_ms,
      },
      funnel: leads.funnel,
      funnel_paths: leads.funnel_paths,
      channel_performance: leads.by_utm_source,
      campaign_performance: leads.by_campaign,
      recent_hot_leads: hot.map((h) => ({
        session_id: String(h.id),
        name: (h.name as string | null) ?? null,
        business_type: (h.business_type as string | null) ?? null,
        lead_score: Number(h.score),
        fit_score: Number(h.fit_score),
        engagement_score: Number(h.engagement_score),
        lead_type: String(h.classification),
        utm_source: (h.utm_source as string | null) ?? null,
        created_at: new Date(h.created_at as string).toISOString(),
      })),
      from: leads.from,
      to: leads.to,
    };
  }
}

/** Integer arrays in SQL's order: element by element, a prefix first. */
function comparePaths(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** How many spans' totals an Analytics keeps. */
const SPANS_KEPT = 16;

const emptyTotals = () => ({
  total: zero(),
  byClass: new Map<string, Sums>(),
  bySource: new Map<string, Sums>(),
  byCampaign: new Map<string, Sums>(),
  byLocale: new Map<string, Sums>(),
  byVariant: new Map<string, Sums>(),
  byDay: new Map<string, { sql: number; mql: number; unqualified: number }>(),
  latency: 0,
  answers: 0,
  reached: new Map<number, number>(),
  answered: new Map<number, Map<number, number>>(),
  paths: new Map<string, [number, number]>(),
});
type Totals = ReturnType<typeof emptyTotals>;

/** The partials of a range added up, by group (onto `into`). */
function merge(partials: [string, DayPartial][], into: Totals = emptyTotals()): Totals {
  const { total, byClass, bySource, byCampaign, byLocale, byVariant, byDay, reached, answered, paths } = into;
  for (const [hour, p] of partials) {
    const day = hour.slice(0, 10);
    const d = byDay.get(day) ?? { sql: 0, mql: 0, unqualified: 0 };
    byDay.set(day, d);
    for (const [cls, source, medium, campaign, locale, done, n, score, fit, engagement] of p.cube) {
      const delta: Sums = {
        leads: n,
        sql: cls === 'SQL' ? n : 0,
        mql: cls === 'MQL' ? n : 0,
        score,
        fit,
        engagement,
        completed: done ? n : 0,
      };
      add(byClass, cls, delta);
      add(bySource, source, delta);
      add(byCampaign, [source, medium, campaign].join('\u0000'), delta);
      add(byLocale, locale, delta);
      for (const k of Object.keys(delta) as (keyof Sums)[]) total[k] += delta[k];
      d.sql += delta.sql;
      d.mql += delta.mql;
      if (cls === 'Unqualified') d.unqualified += n;
    }
    for (const [test, variant, n, sql, score] of p.variants)
      add(byVariant, `${test}\u0000${variant}`, { leads: n, sql, score });
    into.latency += p.latency[0];
    into.answers += p.latency[1];
    for (const [q, n] of Object.entries(p.reached)) reached.set(Number(q), (reached.get(Number(q)) ?? 0) + n);
    for (const [q, buckets] of Object.entries(p.answered)) {
      const h = answered.get(Number(q)) ?? new Map<number, number>();
      for (const [b, n] of Object.entries(buckets)) h.set(Number(b), (h.get(Number(b)) ?? 0) + n);
      answered.set(Number(q), h);
    }
    for (const [path, [sessions, completed]] of Object.entries(p.paths)) {
      const g = paths.get(path) ?? [0, 0];
      paths.set(path, [g[0] + sessions, g[1] + completed]);
    }
  }
  return into;
}
