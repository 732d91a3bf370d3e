/**
 * The funnel per path: in a branched workflow visitors are put different questions, so the per-question
 * funnel alone cannot tell which way they went. A session's path is the profile questions it was put,
 * in the order first put (as far as it went); `completed` counts the sessions of the path that answered
 * every question on it (`answered_all_questions` in their ledger).
 */

export interface PathRow {
  path: number[];
  sessions: number;
  completed: number;
}

type Query = <T>(sql: string, params: unknown[]) => Promise<T[]>;

/**
 * `inRange` is the SQL condition on the leads `l` of the range, `params` its parameters; `questionIds`
 * the workflow's profile questions (the greeting and the contact form are prompts with a question id too).
 */
export async function funnelPaths(
  query: Query,
  inRange: string,
  params: unknown[],
  questionIds: readonly number[],
): Promise<PathRow[]> {
  // The ids are the workflow's own validated integers, written into the statement (a bound array would
  // be spread into a list by the query builder).
  const ids = questionIds.map((id) => Math.trunc(Number(id))).join(', ');
  const rows = await query<{ path: number[]; sessions: unknown; completed: unknown }>(
    `with put as (
       select e.lead_id, (e.data ->> 'questionId')::int as q, min(e.seq) as first
         from session_events e join leads l on l.id = e.lead_id
        where e.type = 'bot.prompt' and jsonb_exists(e.data, 'questionId') and ${inRange}
        group by 1, 2),
     paths as (
       select lead_id, array_agg(q order by first) as path from put where q in (${ids}) group by 1)
     select p.path, count(*) as sessions,
            count(*) filter (where exists (
              select 1 from score_entries s
               where s.lead_id = p.lead_id and s.behavior = 'answered_all_questions')) as completed
       from paths p group by 1 order by 2 desc, 1`,
    params,
  );
  return rows.map((r) => ({
    path: r.path.map(Number),
    sessions: Number(r.sessions),
    completed: Number(r.completed),
  }));
}
