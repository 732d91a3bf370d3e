import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { TestClock } from '../support/engine.js';

const API_KEY = 'analytics-key-0123456789';
const SECOND = 1000;

describe('analytics on a seeded data set', () => {
  const clock = new TestClock(Date.UTC(2026, 10, 10, 9, 0, 0));
  let t: TestApp;
  const scores: number[] = [];

  beforeAll(async () => {
    t = await startTestApp({ API_KEYS: API_KEY }, { now: clock.now });
    const { engine } = t.app;
    const answer = async (id: string, q: number, text: string) => {
      clock.advance(10 * SECOND);
      return engine.handle(id, { kind: 'answer', questionId: q, text });
    };
    // L1 (google, in Hindi, answering with the English labels): the whole journey to SQL and a CTA.
    const l1 = await engine.startSession({ utmSource: 'google', locale: 'hi' });
    await engine.handle(l1.sessionId, { kind: 'reply', optionIds: ['yes'] });
    await answer(l1.sessionId, 2, 'Other');
    await answer(l1.sessionId, 3, 'Pune');
    await answer(l1.sessionId, 4, 'Just me');
    await answer(l1.sessionId, 5, '₹5L+');
    await answer(l1.sessionId, 6, 'Loans');
    await engine.handle(l1.sessionId, { kind: 'contact', email: 'l1@example.com' });
    scores.push((await engine.handle(l1.sessionId, { kind: 'reply', optionIds: ['talk_to_sales'] })).score);
    // L2 (google): greeting and two answers, then gone: MQL.
    const l2 = await engine.startSession({ utmSource: 'google' });
    await engine.handle(l2.sessionId, { kind: 'reply', optionIds: ['yes'] });
    await answer(l2.sessionId, 2, 'Other');
    scores.push((await answer(l2.sessionId, 3, 'Pune')).score);
    // L3 (facebook): opened only. L4 (no source): declined.
    scores.push((await engine.startSession({ utmSource: 'facebook', locale: 'ta' })).score);
    const l4 = await engine.startSession();
    scores.push((await engine.handle(l4.sessionId, { kind: 'reply', optionIds: ['no'] })).score);
  });
  afterAll(async () => {
    await t?.close();
  });

  const get = async (path: string) => {
    const res = await fetch(`${t.app.url}${path}`, { headers: { authorization: `Bearer ${API_KEY}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it("keeps the seed's keys with real values, over a date range", async () => {
    expect(scores).toEqual([95, 30, 5, 10]);
    const range = 'from=2026-11-10T00:00:00Z&to=2026-11-11T00:00:00Z';
    const { status, body } = await get(`/api/analytics/leads?${range}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      total_leads: 4,
      sql_leads: 1,
      mql_leads: 1,
      unqualified_leads: 2,
      conversion_rate: 0.25,
      average_score: (95 + 30 + 5 + 10) / 4,
      completion_rate: 0.25,
      average_response_time_ms: 10_000,
    });
    expect(body.by_utm_source).toEqual([
      {
        utm_source: 'google',
        leads: 2,
        sql_leads: 1,
        mql_leads: 1,
        conversion_rate: 0.5,
        average_score: 62.5,
      },
      { utm_source: '(none)', leads: 1, sql_leads: 0, mql_leads: 0, conversion_rate: 0, average_score: 10 },
      { utm_source: 'facebook', leads: 1, sql_leads: 0, mql_leads: 0, conversion_rate: 0, average_score: 5 },
    ]);
    const inLanguage = (
      locale: string,
      leads: number,
      sql: number,
      mql: number,
      average: number,
      done: number,
    ) => ({
      locale,
      leads,
      sql_leads: sql,
      mql_leads: mql,
      conversion_rate: sql / leads,
      average_score: average,
      completion_rate: done / leads,
    });
    expect(body.by_locale).toEqual([
      inLanguage('(none)', 2, 0, 1, 20, 0),
      inLanguage('hi', 1, 1, 0, 95, 1),
      inLanguage('ta', 1, 0, 0, 5, 0),
    ]);
    expect(body.funnel).toEqual([
      {
        question_id: 2,
        step: 'business_type',
        reached: 2,
        answered: 2,
        dropped: 0,
        median_answer_latency_ms: 10_000,
      },
      {
        question_id: 3,
        step: 'location',
        reached: 2,
        answered: 2,
        dropped: 0,
        median_answer_latency_ms: 10_000,
      },
      {
        question_id: 4,
        step: 'staff_size',
        reached: 2,
        answered: 1,
        dropped: 1,
        median_answer_latency_ms: 10_000,
      },
      {
        question_id: 5,
        step: 'monthly_sales',
        reached: 1,
        answered: 1,
        dropped: 0,
        median_answer_latency_ms: 10_000,
      },
      {
        question_id: 6,
        step: 'needs',
        reached: 1,
        answered: 1,
        dropped: 0,
        median_answer_latency_ms: 10_000,
      },
    ]);
    // A range that holds none of them.
    const empty = await get('/api/analytics/leads?from=2026-10-01T00:00:00Z&to=2026-10-02T00:00:00Z');
    expect(empty.body).toMatchObject({ total_leads: 0, conversion_rate: 0, average_score: 0 });
  });

  it('serves the enhanced view and refuses bad ranges and missing credentials', async () => {
    const { body } = await get('/api/analytics/enhanced?from=2026-11-10T00:00:00Z&to=2026-11-11T00:00:00Z');
    expect(body.conversion_metrics).toMatchObject({ total_leads: 4, sql_leads: 1 });
    expect((body.recent_hot_leads as { lead_score: number }[]).map((h) => h.lead_score)).toEqual([95]);
    expect((await get('/api/analytics/leads?days=7&from=2026-11-10T00:00:00Z')).status).toBe(422);
    expect((await get('/api/analytics/leads?from=2026-11-11T00:00:00Z&to=2026-11-10T00:00:00Z')).status).toBe(
      422,
    );
    expect((await fetch(`${t.app.url}/api/analytics/leads`)).status).toBe(401);
  });
});
