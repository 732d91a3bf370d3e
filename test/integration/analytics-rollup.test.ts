import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Analytics } from '../../src/analytics/analytics.js';
import { startRollupRefresh } from '../../src/analytics/refresher.js';
import { createLogger } from '../../src/logger.js';
import { AnalyticsRecount } from '../support/analytics-recount.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { TestClock } from '../support/engine.js';
import { seedLeads } from '../support/seed-leads.js';
import { waitFor } from '../support/time.js';

const DAY = 86_400_000;
const START = Date.UTC(2026, 10, 10, 21, 0, 0);

/** Floats as the two sides compute them (an average in SQL, a sum over a count here) to 9 digits. */
function rounded(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? value : Number(value.toPrecision(9));
  if (Array.isArray(value)) return value.map(rounded);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rounded(v)]));
  return value;
}

describe('analytics rollups', () => {
  const clock = new TestClock(START);
  let t: TestApp;
  let recount: AnalyticsRecount;
  let analytics: Analytics;
  const ids: string[] = [];

  /** Some journeys of every kind, a few hours apart (across midnights), with experiments on. */
  async function journeys(count: number, utm: string) {
    const { engine } = t.app;
    for (let i = 0; i < count; i++) {
      const { sessionId } = await engine.startSession({
        utmSource: i % 3 === 0 ? undefined : utm,
        locale: i % 2 === 0 ? 'hi' : undefined,
      });
      ids.push(sessionId);
      if (i % 4 !== 3) await engine.handle(sessionId, { kind: 'reply', optionIds: ['yes'] });
      const answered = i % 4 === 3 ? [] : t.app.workflow.questions.slice(0, 1 + (i % 5));
      for (const q of answered) {
        clock.advance(1000 + 1700 * i);
        await engine.handle(sessionId, {
          kind: 'answer',
          questionId: q.id,
          text: q.type === 'text' ? 'Pune' : q.options[i % q.options.length]!.label,
        });
      }
      if (answered.length === 5)
        await engine.handle(sessionId, { kind: 'contact', email: `l${i}@example.com` });
      clock.advance(5 * 3600_000);
    }
  }

  /** The report from the rollups and the recount from the raw tables, over a range. */
  async function both(from: number, to: number) {
    const range = { from: new Date(from), to: new Date(to) };
    return {
      rollup: rounded({ leads: await analytics.leads(range), enhanced: await analytics.enhanced(range) }),
      recount: rounded({ leads: await recount.leads(range), enhanced: await recount.enhanced(range) }),
    };
  }

  const ranges = () => [
    [START - 3 * DAY, clock.now() + DAY], // whole days and pieces of days at both ends
    [Date.UTC(2026, 10, 11), Date.UTC(2026, 10, 13)], // whole days only
    [Date.UTC(2026, 10, 11, 3), Date.UTC(2026, 10, 11, 20)], // within one day, whole hours
    [Date.UTC(2026, 10, 11, 3, 17, 5), Date.UTC(2026, 10, 12, 20, 41)], // pieces of hours at both ends
    [Date.UTC(2026, 10, 11, 2, 10), Date.UTC(2026, 10, 11, 2, 50)], // within one hour
    [clock.now() - 30 * DAY, clock.now()], // the default
  ];

  beforeAll(async () => {
    t = await startTestApp({ AB_TESTING_ENABLED: 'true' }, { now: clock.now });
    recount = new AnalyticsRecount(t.app.orm, t.app.workflow);
    analytics = new Analytics(t.app.orm, t.app.workflow);
    await journeys(12, 'google');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('equal a recount from the raw tables, and stay equal as leads change, are erased and are deleted', async () => {
    for (const [from, to] of ranges()) {
      const { rollup, recount: expected } = await both(from!, to!);
      expect(rollup, `${new Date(from!).toISOString()} … ${new Date(to!).toISOString()}`).toEqual(expected);
    }
    expect((await t.db.query('select count(*)::int as n from analytics_hours'))[0]!.n).toBeGreaterThan(1);
    expect(await t.db.query('select * from analytics_dirty')).toEqual([]);

    // Days already rolled up change: older sessions go on (their scores and classes change), new ones
    // start, one is erased, rows written behind the app's back, a retention sweep deletes answers.
    const { engine } = t.app;
    for (const id of ids.slice(0, 6)) {
      await engine.handle(id, { kind: 'reply', optionIds: ['talk_to_sales'] }).catch(() => undefined);
    }
    await journeys(5, 'facebook');
    await engine.erase(ids[1]!, 'test');
    await engine.erase(ids[4]!, 'test');
    await seedLeads((sql, params) => t.db.query(sql, params), {
      from: 1,
      to: 300,
      days: 6,
      before: new Date(clock.now()),
      questionIds: t.app.workflow.questions.map((q) => q.id),
    });
    await t.db.query(`update leads set classification = 'SQL', score = score + 40 where id = $1`, [ids[2]]);
    await t.db.query('delete from answers where lead_id = $1', [ids[5]]);
    await t.db.query(`delete from session_events where lead_id = $1 and type = 'bot.prompt'`, [ids[6]]);
    await t.db.query(`delete from leads where id = 'sess_g00000007'`);
    for (const [from, to] of ranges()) {
      const { rollup, recount: expected } = await both(from!, to!);
      expect(rollup, `${new Date(from!).toISOString()} … ${new Date(to!).toISOString()}`).toEqual(expected);
    }
  });

  it('recomputes only the hours whose leads changed', async () => {
    await analytics.refresh();
    expect(await analytics.refresh()).toBe(0);
    await t.db.query(`update leads set score = score + 1 where id = 'sess_g00000008'`);
    expect(await analytics.refresh()).toBe(1);
  });

  it('folds the marked hours in the background, so marks do not pile up on a server nobody asks for analytics', async () => {
    const dirty = async () =>
      Number((await t.db.query<{ n: string }>('select count(*) as n from analytics_dirty'))[0]!.n);
    await analytics.refresh();
    await journeys(3, 'background');
    expect(await dirty()).toBeGreaterThan(0);
    const refresher = startRollupRefresh(analytics, createLogger({ logLevel: 'silent', nodeId: 'test' }), 50);
    try {
      await waitFor('the marks folded', async () => ((await dirty()) === 0 ? true : undefined));
    } finally {
      await refresher.stop();
    }
    const { rollup, recount: expected } = await both(START, clock.t + DAY);
    expect(rollup).toEqual(expected);
  });
});
