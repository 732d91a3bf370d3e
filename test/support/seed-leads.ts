/**
 * Completed leads written straight into the tables with `generate_series` (not through the app): for
 * lists and analytics over stored data of any size. Each lead has the five profile questions' prompts
 * and answers, one visitor input, and six ledger entries (five answers and `answered_all_questions`).
 * Scores, sources, locales, variants and creation times vary with the lead's number; everything is
 * deterministic.
 */

/** A statement runner: the test database's `query`, or a pg client's. */
export type Run = (sql: string, params?: unknown[]) => Promise<unknown>;

export interface SeedOptions {
  /** Lead numbers `from` … `to` (inclusive); the ids are `sess_<prefix><number, 8 digits>`. */
  from: number;
  to: number;
  prefix?: string;
  /** Creation times spread over this many days before `before` (default 365). */
  days?: number;
  before?: Date;
  /** The profile questions (the built-in workflow's 2…6). */
  questionIds?: readonly number[];
  /** Which tables: leads only, or with their events, ledger and answers (default). */
  children?: boolean;
}

/** Writes the leads (and their children) in a few statements; returns nothing. */
export async function seedLeads(run: Run, o: SeedOptions): Promise<void> {
  const prefix = o.prefix ?? 'g';
  const days = o.days ?? 365;
  const before = o.before ?? new Date();
  const qs = o.questionIds ?? [2, 3, 4, 5, 6];
  const series = 'generate_series($1::int, $2::int) i';
  const id = `'sess_' || $3::text || lpad(i::text, 8, '0')`;
  // A creation time in the last `days` days, spread over the day's seconds too.
  const at = `($4::timestamptz - ((i * 7) % $5::int) * interval '1 day' - ((i * 37) % 86400) * interval '1 second')`;
  const score = '((i::bigint * 7919) % 101)::int';
  await run(
    `insert into leads (id, name, email, business_type, utm_source, utm_medium, utm_campaign, locale, score,
       fit_score, engagement_score, classification, state, variants, question_order, snapshot, last_seq,
       created_at, updated_at, last_activity_at, completed_at, qualified_at)
     select ${id}, 'Lead ' || i, 'lead' || i || '@example.com', 'Kirana / Retail Shop',
       (array['google', 'facebook', 'newsletter', null])[1 + i % 4],
       (array['cpc', 'social', null])[1 + i % 3],
       (array['diwali', 'spring', null, 'launch', 'brand'])[1 + i % 5],
       (array['en', 'hi', null])[1 + i % 3],
       ${score}, ${score} * 6 / 10, ${score} - ${score} * 6 / 10,
       case when ${score} >= 70 then 'SQL' when ${score} >= 40 then 'MQL' else 'Unqualified' end,
       'completed',
       case when i % 7 = 0 then '{}'::jsonb
            else jsonb_build_object('greeting_message', case when i % 2 = 0 then 'A' else 'B' end) end,
       $6::jsonb, 'null'::jsonb, 12,
       ${at}, ${at} + interval '5 minutes', ${at} + interval '5 minutes', ${at} + interval '5 minutes',
       case when ${score} >= 70 then ${at} + interval '4 minutes' end
     from ${series}`,
    [o.from, o.to, prefix, before, days, JSON.stringify(qs)],
  );
  if (o.children === false) return;
  const qArray = `(array[${qs.map((q) => Math.trunc(q)).join(', ')}])`;
  await run(
    `insert into session_events (lead_id, seq, type, at, data)
     select ${id}, k, case when k <= ${qs.length} then 'bot.prompt' else 'visitor.input' end,
       ${at} + k * interval '20 seconds',
       case when k <= ${qs.length} then jsonb_build_object('questionId', ${qArray}[k], 'text', 'Question')
            else '{"command": {"kind": "reply"}}'::jsonb end
     from ${series}, generate_series(1, ${qs.length + 1}) k`,
    [o.from, o.to, prefix, before, days],
  );
  await run(
    `insert into score_entries (lead_id, behavior, points, once_key, evidence, event_seq, at)
     select ${id}, case when k <= ${qs.length} then 'answered_question' else 'answered_all_questions' end,
       5, case when k <= ${qs.length} then 'answer:' || ${qArray}[k] else 'all' end, '{}'::jsonb, k,
       ${at} + k * interval '20 seconds'
     from ${series}, generate_series(1, ${qs.length + 1}) k`,
    [o.from, o.to, prefix, before, days],
  );
  // Latencies vary per lead and question, with a few answers of the same latency.
  await run(
    `insert into answers (lead_id, question_id, question_text, answer, latency_ms, points, answered_at, updated_at)
     select ${id}, ${qArray}[k], 'Question', 'Answer', 1500 + ((i * 31 + k * 977) % 28000), 5,
       ${at} + k * interval '20 seconds', ${at} + k * interval '20 seconds'
     from ${series}, generate_series(1, ${qs.length}) k`,
    [o.from, o.to, prefix, before, days],
  );
}
