import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { defaultWorkflow } from '../../src/workflow/default.js';
import { loadWorkflow, parseWorkflow } from '../../src/workflow/load.js';
import { agent, SECRET } from '../support/agents.js';
import { serverFor } from '../support/app.js';
import { SECOND } from '../support/chat.js';
import { openVisitor } from '../support/sockets.js';

/**
 * Answer-value scoring end to end, on the BUILT-IN workflow (the other integration tests run the seed's
 * own rules, examples/seed-rules.json, where options carry no points): what a visitor's answers are
 * worth lands in the ledger as answer_value rows, and the lead's fit and engagement add up to its score
 * in the summary, the exports, the agents' board and the analytics.
 */

const API_KEY = 'values-key-0123456789abcdef';
const server = serverFor({ API_KEYS: API_KEY, SECRET_KEY: SECRET }, { workflow: loadWorkflow() });
const auth = { authorization: `Bearer ${API_KEY}` };
const get = async (path: string) => {
  const res = await fetch(`${server.url}${path}`, { headers: auth });
  expect(res.status, path).toBe(200);
  return res;
};

describe('answer values on the built-in workflow', () => {
  it('a socket journey: the summary shows fit + engagement = score, with answer_value rows in the ledger', async () => {
    const { clock } = server;
    const chat = openVisitor(server.url, { auth: { utmSource: 'values' } });
    const { sessionId } = await chat.hello();
    const say = (payload: Parameters<typeof chat.say>[1]) => {
      clock.advance(5 * SECOND);
      return chat.say('visitor:reply', payload);
    };
    await say({ optionIds: ['yes'] });
    // A wholesaler (+10) …
    expect((await say({ optionIds: ['wholesale_fmcg'] })).awarded).toEqual([
      { behavior: 'answered_question', points: 5 },
      { behavior: 'quick_reply', points: 5 },
      { behavior: 'answer_value', points: 10 },
    ]);
    // … in a metro (+5, by the location rule; a short answer, so no detailed_answer) …
    expect((await say({ text: 'Mumbai' })).awarded).toContainEqual({ behavior: 'answer_value', points: 5 });
    // … with more than 15 staff (+10), ₹5L+ a month (+15), who wants staff/HR (+3), inventory (+2) and
    // billing (0: no line).
    await say({ optionIds: ['more_than_fifteen'] });
    await say({ optionIds: ['over_5l'] });
    const last = await say({ optionIds: ['billing', 'staff_hr', 'inventory'] });
    expect(last.awarded.filter((a) => a.behavior === 'answer_value')).toEqual([
      { behavior: 'answer_value', points: 3 },
      { behavior: 'answer_value', points: 2 },
    ]);
    const fit = 10 + 5 + 10 + 15 + 3 + 2;
    // Opened 5, greeting 5, five answers quick 5 × 10, all answered 10.
    const engagement = 5 + 5 + 50 + 10;
    expect(last).toMatchObject({ score: fit + engagement, classification: 'SQL', state: 'contact' });

    // The ledger explains every point of the fit, line by line.
    const rows = await server.db.query<{
      points: number;
      once_key: string;
      evidence: Record<string, unknown>;
    }>(
      `select points, once_key, evidence from score_entries where lead_id = $1 and behavior = 'answer_value' order by id`,
      [sessionId],
    );
    const pattern = loadWorkflow().questions.find((q) => q.id === 3)!.rules![0]!.pattern;
    expect(rows).toEqual([
      {
        points: 10,
        once_key: 'answer_value:2:wholesale_fmcg',
        evidence: { questionId: 2, optionId: 'wholesale_fmcg', label: 'Wholesale / FMCG' },
      },
      { points: 5, once_key: 'answer_value:3', evidence: { questionId: 3, pattern } },
      {
        points: 10,
        once_key: 'answer_value:4:more_than_fifteen',
        evidence: { questionId: 4, optionId: 'more_than_fifteen', label: 'More than 15' },
      },
      {
        points: 15,
        once_key: 'answer_value:5:over_5l',
        evidence: { questionId: 5, optionId: 'over_5l', label: '₹5L+' },
      },
      {
        points: 3,
        once_key: 'answer_value:6:staff_hr',
        evidence: { questionId: 6, optionId: 'staff_hr', label: 'Staff/HR' },
      },
      {
        points: 2,
        once_key: 'answer_value:6:inventory',
        evidence: { questionId: 6, optionId: 'inventory', label: 'Inventory' },
      },
    ]);
    // Each answer's stored points include what it was worth.
    const answers = await server.db.query<{ question_id: number; points: number }>(
      'select question_id, points from answers where lead_id = $1 order by question_id',
      [sessionId],
    );
    expect(answers.map((a) => [a.question_id, a.points])).toEqual([
      [2, 20],
      [3, 15],
      [4, 20],
      [5, 25],
      [6, 15],
    ]);

    // Stored beside the score …
    const [lead] = await server.db.query(
      'select score, fit_score, engagement_score from leads where id = $1',
      [sessionId],
    );
    expect(lead).toEqual({ score: fit + engagement, fit_score: fit, engagement_score: engagement });

    // … and shown in the summary (flat and in lead_data), the score view and the CRM export.
    const summary = await (await get(`/api/lead/summary/${sessionId}`)).json();
    expect(summary).toMatchObject({
      lead_score: fit + engagement,
      fit_score: fit,
      engagement_score: engagement,
    });
    expect(summary.lead_data).toMatchObject({ fit_score: fit, engagement_score: engagement });
    expect(summary.behaviors.filter((b: { action: string }) => b.action === 'answer_value')).toHaveLength(6);
    const sum = (list: { action: string; score: number }[], fitOnly: boolean) =>
      list.filter((b) => (b.action === 'answer_value') === fitOnly).reduce((s, b) => s + b.score, 0);
    expect([sum(summary.behaviors, true), sum(summary.behaviors, false)]).toEqual([fit, engagement]);
    const score = await (await get(`/api/score/${sessionId}`)).json();
    expect(score).toMatchObject({
      lead_score: fit + engagement,
      fit_score: fit,
      engagement_score: engagement,
    });
    expect(score.breakdown).toContainEqual({ behavior: 'answer_value', points: fit, count: 6 });
    const crm = await (await get(`/api/lead/export/${sessionId}`)).json();
    expect(crm).toMatchObject({ lead_score: fit + engagement, fit_score: fit, engagement_score: engagement });

    // The bulk exports: a column each in the CSV, a key each in NDJSON.
    const csv = parse(await (await get('/api/leads/export?format=csv&utm_source=values')).text(), {
      columns: true,
    }) as Record<string, string>[];
    expect(csv).toHaveLength(1);
    expect(csv[0]).toMatchObject({
      session_id: sessionId,
      lead_score: String(fit + engagement),
      fit_score: String(fit),
      engagement_score: String(engagement),
    });
    const nd = (await (await get('/api/leads/export?format=ndjson&utm_source=values')).text()).trim();
    expect(JSON.parse(nd)).toMatchObject({ fit_score: fit, engagement_score: engagement });
    const listed = await (await get('/api/leads?utm_source=values')).json();
    expect(listed.leads[0]).toMatchObject({ fit_score: fit, engagement_score: engagement });

    // The agents' board and the watched lead.
    const a = await agent(server.url);
    const board = await a.ok('sessions:list', {});
    expect(board.sessions.find((r) => r.sessionId === sessionId)).toMatchObject({
      score: fit + engagement,
      fit,
      engagement,
    });
    const watched = await a.ok('session:watch', { sessionId });
    expect(watched.lead).toMatchObject({ fit_score: fit, engagement_score: engagement });
    expect(watched.events.filter((e) => e.type === 'score.changed').at(-1)?.data).toMatchObject({
      score: fit + engagement,
      fit,
      engagement,
    });

    // Analytics: the average fit and engagement, overall and per classification.
    const report = await (await get('/api/analytics/leads?days=30')).json();
    expect(report).toMatchObject({ average_fit_score: fit, average_engagement_score: engagement });
    expect(report.by_classification).toEqual([
      {
        classification: 'SQL',
        leads: 1,
        average_score: fit + engagement,
        average_fit_score: fit,
        average_engagement_score: engagement,
      },
      {
        classification: 'MQL',
        leads: 0,
        average_score: 0,
        average_fit_score: 0,
        average_engagement_score: 0,
      },
      {
        classification: 'Unqualified',
        leads: 0,
        average_score: 0,
        average_fit_score: 0,
        average_engagement_score: 0,
      },
    ]);
  });

  it('a later answer to the same question changes the answer, not the fit', async () => {
    const { clock } = server;
    const chat = openVisitor(server.url);
    const { sessionId } = await chat.hello();
    clock.advance(5 * SECOND);
    await chat.say('visitor:reply', { optionIds: ['yes'] });
    clock.advance(5 * SECOND);
    expect((await chat.say('visitor:reply', { optionIds: ['other'] })).awarded).not.toContainEqual(
      expect.objectContaining({ behavior: 'answer_value' }),
    );
    clock.advance(5 * SECOND);
    // Question 2 answered again (by label, as the REST answer call does): the answer moves, the points stay.
    const again = await server.app.engine.handle(sessionId, {
      kind: 'answer',
      questionId: 2,
      text: 'Wholesale / FMCG',
    });
    expect(again.awarded).toEqual([]);
    const [lead] = await server.db.query('select fit_score, business_type from leads where id = $1', [
      sessionId,
    ]);
    expect(lead).toEqual({ fit_score: 0, business_type: 'Wholesale / FMCG' });
  });
});

describe('thresholds on fit', () => {
  // The built-in workflow asking at least 20 of fit for SQL: a keen visitor with a small shop stays MQL.
  const strict = serverFor(
    {},
    { workflow: parseWorkflow({ ...defaultWorkflow, thresholds: { sql: 60, mql: 30, fit: { sql: 20 } } }) },
  );

  it('hold a lead back from SQL until its answers are worth enough', async () => {
    const chat = openVisitor(strict.url);
    const { sessionId } = await chat.hello();
    const say = (payload: Parameters<typeof chat.say>[1]) => {
      strict.clock.advance(5 * SECOND);
      return chat.say('visitor:reply', payload);
    };
    await say({ optionIds: ['yes'] });
    for (const answer of [
      { optionIds: ['kirana_retail'] },
      { text: 'Nashik' },
      { optionIds: ['just_me'] },
      { optionIds: ['under_50k'] },
      { optionIds: ['billing'] },
    ])
      await say(answer);
    const [lead] = await strict.db.query(
      'select score, fit_score, engagement_score, classification from leads where id = $1',
      [sessionId],
    );
    // Fit: kirana +5, under ₹50K −5; the score is past the SQL threshold of the total all the same.
    expect(lead).toEqual({ score: 70, fit_score: 0, engagement_score: 70, classification: 'MQL' });
  });
});
