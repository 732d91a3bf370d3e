import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Range } from './rollup.js';

type Row = Record<string, unknown>;

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

/** The leads (`l`) created in a range and not erased; its parameters are the range's from and to. */
const IN_RANGE = 'l.created_at >= ? and l.created_at < ? and l.erased_at is null';

/** The visitor command a log entry (`e`) records. */
const KIND = `(e.data -> 'command' ->> 'kind')`;

/**
 * Every page view of the leads in range with the time on it, measured as the page trail does
 * (src/conversation/page-trail.ts): to the first of the next page view or visitor exit (a window over
 * the lead's log in seq order) and a page exit naming it. One pass over the log, no query per view.
 */
const VIEWS = `
  with marks as (
    select e.lead_id, e.seq, e.at, ${KIND} as kind, e.data -> 'command' as command
      from session_events e join leads l on l.id = e.lead_id
     where e.type = 'visitor.input' and ${KIND} in ('page', 'exit', 'page_exit') and ${IN_RANGE}
  ), timed as (
    select m.lead_id, m.seq, m.at, m.kind, m.command ->> 'url' as url,
           min(m.at) filter (where m.kind in ('page', 'exit')) over (
             partition by m.lead_id order by m.seq rows between 1 following and unbounded following
           ) as next_at
      from marks m
  ), exits as (
    select lead_id, (command ->> 'entrySeq')::int as seq, min(at) as at
      from marks where kind = 'page_exit' group by 1, 2
  )
  select t.lead_id, t.url, extract(epoch from least(t.next_at, x.at) - t.at) as seconds
    from timed t left join exits x on x.lead_id = t.lead_id and x.seq = t.seq
   where t.kind = 'page'`;

/** Where visitors leave and what they viewed, in SQL over the event log of a range of leads. */
export class PageAnalytics {
  constructor(private readonly orm: MikroORM) {}

  private async q<T>(sql: string, params: unknown[]): Promise<T[]> {
    return (this.orm.em.fork() as EntityManager).getConnection().execute<T[]>(sql, params);
  }

  /** Per page (the URL as reported): views, sessions, and the average time on it where it was measured. */
  async pagePerformance(range: Range) {
    const rows = await this.q<Row>(
      `select v.url, count(*) as views, count(distinct v.lead_id) as sessions,
              count(v.seconds) as timed_views, avg(v.seconds) as average_seconds
         from (${VIEWS}) v group by v.url order by 2 desc, 1 limit 500`,
      [range.from, range.to],
    );
    return {
      pages: rows.map((r) => ({
        page_url: String(r.url),
        views: num(r.views),
        unique_sessions: num(r.sessions),
        timed_views: num(r.timed_views),
        average_time_seconds: r.average_seconds === null ? null : num(r.average_seconds),
      })),
      from: range.from.toISOString(),
      to: range.to.toISOString(),
    };
  }

  /**
   * Where the conversation stood when visitors left: each exit (where the server knew the conversation
   * to be, `exit: {step, questionId}` on the event) and each session abandoned for idleness (the step
   * it was abandoned from, the question last put); and per exit reason, how many of those sessions
   * went on to complete.
   */
  async dropOffPoints(range: Range) {
    const p = [range.from, range.to];
    const points = await this.q<Row>(
      `select d.step, d.question_id, count(*) filter (where d.how = 'exit') as exits,
              count(*) filter (where d.how = 'idle') as abandoned, count(*) as total
         from (
           select 'exit' as how, e.data -> 'exit' ->> 'step' as step,
                  (e.data -> 'exit' ->> 'questionId')::int as question_id
             from session_events e join leads l on l.id = e.lead_id
            where e.type = 'visitor.input' and ${KIND} = 'exit' and ${IN_RANGE}
           union all
           select 'idle', s.data ->> 'from',
                  (select (b.data ->> 'questionId')::int from session_events b
                    where b.lead_id = s.lead_id and b.seq < s.seq and b.type = 'bot.prompt'
                    order by b.seq desc limit 1)
             from session_events s join leads l on l.id = s.lead_id
            where s.type = 'state.changed' and s.data ->> 'to' = 'abandoned'
              and exists (select 1 from session_events i where i.lead_id = s.lead_id
                           and i.seq < s.seq and i.at = s.at and i.type = 'session.idle')
              and ${IN_RANGE}
         ) d group by 1, 2 order by 5 desc, 1, 2 limit 200`,
      [...p, ...p],
    );
    const reasons = await this.q<Row>(
      `select r.reason, count(distinct r.lead_id) as sessions,
              count(distinct r.lead_id) filter (where r.completed) as completed
         from (
           select e.lead_id, e.data -> 'command' ->> 'reason' as reason, l.completed_at is not null as completed
             from session_events e join leads l on l.id = e.lead_id
            where e.type = 'visitor.input' and ${KIND} = 'exit' and ${IN_RANGE}
           union all
           select l.id, 'idle', l.completed_at is not null from leads l
            where exists (select 1 from session_events i where i.lead_id = l.id and i.type = 'session.idle')
              and ${IN_RANGE}
         ) r group by 1 order by 2 desc, 1 limit 200`,
      [...p, ...p],
    );
    return {
      common_exit_points: points.map((r) => ({
        step: r.step === null ? null : String(r.step),
        question_id: r.question_id === null ? null : num(r.question_id),
        exits: num(r.exits),
        abandoned: num(r.abandoned),
        total: num(r.total),
      })),
      completion_by_reason: reasons.map((r) => ({
        exit_reason: String(r.reason),
        sessions: num(r.sessions),
        completed: num(r.completed),
        completion_rate: ratio(num(r.completed), num(r.sessions)),
      })),
      from: range.from.toISOString(),
      to: range.to.toISOString(),
    };
  }
}
