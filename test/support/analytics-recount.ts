import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Range } from '../../src/analytics/analytics.js';
import { type Classification, classifications } from '../../src/scoring/classification.js';
import type { Workflow } from '../../src/workflow/schema.js';
import { funnelPaths } from './analytics-paths.js';

type Row = Record<string, unknown>;

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

/** The leads (`l`) created in a range and not erased; its parameters are `rangeParams(range)`. */
const IN_RANGE = 'l.created_at >= ? and l.created_at < ? and l.erased_at is null';
const rangeParams = (range: Range) => [range.from, range.to];

/** The column that counts the leads of one classification, named after it in lower case (`sql`, …). */
const countOf = (c: Classification) =>
  `count(*) filter (where classification = '${c}') as ${c.toLowerCase()}`;

/**
 * One group of leads (a source, a variant) from a row with `leads`, `sql`, `average_score` and, when
 * the query counted them, `mql`.
 */
function group(r: Row) {
  return {
    leads: num(r.leads),
    sql_leads: num(r.sql),
    ...('mql' in r ? { mql_leads: num(r.mql) } : {}),
    conversion_rate: ratio(num(r.sql), num(r.leads)),
    average_score: num(r.average_score),
  };
}

/**
 * The lead analytics recounted from the raw tables over the whole range, every call: the definition the
 * rollups of src/analytics must answer equally (the service before it kept rollups). Groups of equal size
 * are in code-point order of their names (the test databases' collation).
 */
export class AnalyticsRecount {
  constructor(
    private readonly orm: MikroORM,
    private readonly workflow: Workflow,
  ) {}

  private async q<T>(sql: string, params: unknown[]): Promise<T[]> {
    return (this.orm.em.fork() as EntityManager).getConnection().execute<T[]>(sql, params);
  }

  async leads(range: Range) {
    const p = rangeParams(range);
    const [totals] = await this.q<Row>(
      `select count(*) as total, ${countOf('SQL')}, ${countOf('MQL')}, ${countOf('Unqualified')},
              avg(score) as average_score, avg(fit_score) as average_fit, avg(engagement_score) as average_engagement,
              count(*) filter (where state = 'completed') as completed
         from leads l where ${IN_RANGE}`,
      p,
    );
    // What makes each class: how much of its score the answers (fit) and the behaviour (engagement) earned.
    const byClassification = await this.q<Row>(
      `select classification, count(*) as leads, avg(score) as average_score,
              avg(fit_score) as average_fit, avg(engagement_score) as average_engagement
         from leads l where ${IN_RANGE} group by 1`,
      p,
    );
    const [latency] = await this.q<Row>(
      `select avg(a.latency_ms) as avg from answers a join leads l on l.id = a.lead_id where ${IN_RANGE}`,
      p,
    );
    const bySource = await this.q<Row>(
      `select coalesce(utm_source, '(none)') as utm_source, count(*) as leads,
              ${countOf('SQL')}, ${countOf('MQL')}, avg(score) as average_score
         from leads l where ${IN_RANGE} group by 1 order by 2 desc, 1`,
      p,
    );
    // The first touch's source, medium and campaign together; a field the visitor's page did not send
    // is `(none)`.
    const byCampaign = await this.q<Row>(
      `select coalesce(utm_source, '(none)') as utm_source, coalesce(utm_medium, '(none)') as utm_medium,
              coalesce(utm_campaign, '(none)') as utm_campaign, count(*) as leads,
              ${countOf('SQL')}, ${countOf('MQL')}, avg(score) as average_score
         from leads l where ${IN_RANGE} group by 1, 2, 3 order by 4 desc, 1, 2, 3`,
      p,
    );
    // The language each session spoke last (a visitor may switch); ids and points are the same in all.
    const byLocale = await this.q<Row>(
      `select coalesce(locale, '(none)') as locale, count(*) as leads,
              ${countOf('SQL')}, ${countOf('MQL')}, avg(score) as average_score,
              count(*) filter (where state = 'completed') as completed
         from leads l where ${IN_RANGE} group by 1 order by 2 desc, 1`,
      p,
    );
    const byVariant = await this.q<Row>(
      `select v.key as test_name, v.value as variant, count(*) as leads,
              ${countOf('SQL')}, avg(score) as average_score
         from leads l, jsonb_each_text(l.variants) v where ${IN_RANGE} group by 1, 2 order by 1, 2`,
      p,
    );
    const byDay = await this.q<Row>(
      `select to_char(date_trunc('day', l.created_at at time zone 'UTC'), 'YYYY-MM-DD') as day,
              ${countOf('SQL')}, ${countOf('MQL')}, ${countOf('Unqualified')}
         from leads l where ${IN_RANGE} group by 1 order by 1`,
      p,
    );
    const total = num(totals?.total);
    const sql = num(totals?.sql);
    return {
      total_leads: total,
      sql_leads: sql,
      mql_leads: num(totals?.mql),
      unqualified_leads: num(totals?.unqualified),
      conversion_rate: ratio(sql, total),
      average_score: num(totals?.average_score),
      average_fit_score: num(totals?.average_fit),
      average_engagement_score: num(totals?.average_engagement),
      completion_rate: ratio(num(totals?.completed), total),
      average_response_time_ms: num(latency?.avg),
      by_utm_source: bySource.map((r) => ({ utm_source: String(r.utm_source), ...group(r) })),
      by_campaign: byCampaign.map((r) => ({
        utm_source: String(r.utm_source),
        utm_medium: String(r.utm_medium),
        utm_campaign: String(r.utm_campaign),
        ...group(r),
      })),
      by_locale: byLocale.map((r) => ({
        locale: String(r.locale),
        ...group(r),
        completion_rate: ratio(num(r.completed), num(r.leads)),
      })),
      by_variant: byVariant.map((r) => ({
        test_name: String(r.test_name),
        variant: String(r.variant),
        ...group(r),
      })),
      by_classification: classifications.map((c) => {
        const r = byClassification.find((x) => x.classification === c);
        return {
          classification: c,
          leads: num(r?.leads),
          average_score: num(r?.average_score),
          average_fit_score: num(r?.average_fit),
          average_engagement_score: num(r?.average_engagement),
        };
      }),
      by_day: byDay.map((r) => ({
        day: String(r.day),
        sql_leads: num(r.sql),
        mql_leads: num(r.mql),
        unqualified_leads: num(r.unqualified),
      })),
      funnel: await this.funnel(range),
      funnel_paths: await funnelPaths(
        (sql, params) => this.q(sql, params),
        IN_RANGE,
        p,
        this.workflow.questions.map((q) => q.id),
      ),
      from: range.from.toISOString(),
      to: range.to.toISOString(),
    };
  }

  /** Per profile question: sessions it was put to, answered, dropped, and the median answer latency. */
  async funnel(range: Range) {
    const p = rangeParams(range);
    const reached = await this.q<{ q: number; n: unknown }>(
      `select (e.data ->> 'questionId')::int as q, count(distinct e.lead_id) as n
         from session_events e join leads l on l.id = e.lead_id
        where e.type = 'bot.prompt' and jsonb_exists(e.data, 'questionId') and ${IN_RANGE} group by 1`,
      p,
    );
    const answered = await this.q<{ q: number; n: unknown; median: unknown }>(
      `select a.question_id as q, count(*) as n, percentile_cont(0.5) within group (order by round(a.latency_ms / 100.0) * 100) as median
         from answers a join leads l on l.id = a.lead_id where ${IN_RANGE} group by 1`,
      p,
    );
    const questions = this.workflow.questions.map((q) => ({ id: q.id, step: q.step }));
    return questions.map(({ id, step }) => {
      const r = num(reached.find((x) => Number(x.q) === id)?.n);
      const a = answered.find((x) => Number(x.q) === id);
      const answeredCount = num(a?.n);
      return {
        question_id: id,
        step,
        reached: r,
        answered: answeredCount,
        dropped: Math.max(0, r - answeredCount),
        median_answer_latency_ms: a ? num(a.median) : null,
      };
    });
  }

  /** The seed's enhanced analytics: conversion metrics, funnel, channel performance, recent hot leads. */
  async enhanced(range: Range) {
    const leads = await this.leads(range);
    const hot = await this.q<Row>(
      `select id, name, business_type, score, fit_score, engagement_score, classification, utm_source, created_at
         from leads l where ${IN_RANGE} and classification = 'SQL'
        order by score desc, created_at desc, id limit 10`,
      rangeParams(range),
    );
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
        lead_score: num(h.score),
        fit_score: num(h.fit_score),
        engagement_score: num(h.engagement_score),
        lead_type: String(h.classification),
        utm_source: (h.utm_source as string | null) ?? null,
        created_at: new Date(h.created_at as string).toISOString(),
      })),
      from: leads.from,
      to: leads.to,
    };
  }
}
