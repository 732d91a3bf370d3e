import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { wilson } from '../../src/experiments/statistics.js';
import { SHOTS, useBrowserApp } from '../support/browser.js';
import { JOURNEY } from '../support/journey.js';
import { closeClients, type VisitorClient, visitor } from '../support/sockets.js';
import { waitFor } from '../support/time.js';

const SECRET = 'console-analytics-secret-0123456789';

interface Report {
  from: string;
  to: string;
  total_leads: number;
  sql_leads: number;
  mql_leads: number;
  unqualified_leads: number;
  by_day: { day: string; sql_leads: number; mql_leads: number; unqualified_leads: number }[];
  funnel: { step: string; reached: number; answered: number }[];
  by_campaign: {
    utm_source: string;
    utm_medium: string;
    utm_campaign: string;
    leads: number;
    sql_leads: number;
    mql_leads: number;
  }[];
  by_variant: {
    test_name: string;
    variant: string;
    leads: number;
    sql_leads: number;
    conversion_rate: number;
  }[];
}

/**
 * The whole journey, whatever order the visitor's question_flow variant puts the questions in: each
 * answer is offered until the question it fits is asked (a misfit is refused and changes nothing).
 */
async function journeyInAnyOrder(v: VisitorClient): Promise<void> {
  const replies = JOURNEY.filter(([event]) => event === 'visitor:reply').slice(0, -1);
  while (replies.length > 0) {
    const fits = await (async () => {
      for (const [i, [event, payload]] of replies.entries()) {
        if ((await v.send(event, payload)).ok) return i;
      }
      return -1;
    })();
    expect(fits).not.toBe(-1);
    replies.splice(fits, 1);
  }
  for (const [event, payload] of JOURNEY.slice(-3)) await v.say(event, payload);
}

/**
 * The console's Analytics tab in Chromium: a range picked by preset or by dates, and SVG charts (funnel,
 * classification mix per day, sources and campaigns, A/B variants with their intervals) whose numbers
 * are the analytics API's for the same range, following new leads live.
 */
describe('agent console analytics in Chromium', () => {
  // Experiments on, so leads carry variants.
  const app = useBrowserApp(SECRET, {}, { AB_TESTING_ENABLED: 'true' });
  afterEach(() => closeClients());

  async function api(from: string, to: string): Promise<Report> {
    const res = await fetch(`${app.t.app.url}/api/analytics/leads?${new URLSearchParams({ from, to })}`, {
      headers: { authorization: `Bearer ${app.token}` },
    });
    expect(res.status).toBe(200);
    return (await res.json()) as Report;
  }

  /** What the charts say, read from their data attributes. */
  async function charts(page: Page) {
    const data = (caption: string) =>
      page
        .locator('#analytics figure', { hasText: caption })
        .locator('.datum')
        .evaluateAll((gs) => gs.map((g) => ({ ...(g as SVGGElement).dataset }) as Record<string, string>));
    return {
      range: await page.locator('#analytics').evaluate((a) => ({ ...(a as HTMLElement).dataset })),
      total: Number(await page.locator('#analytics .total').getAttribute('data-total')),
      mix: (await page.locator('#analytics .mix').textContent()) ?? '',
      funnel: await data('Funnel'),
      days: await data('per day'),
      campaigns: await data('campaigns'),
      variants: await data('variants'),
    };
  }

  /** The tab shows what the API answers for the range it names. */
  async function expectSameAsApi(page: Page): Promise<Report> {
    const shown = await charts(page);
    const a = await api(String(shown.range.from), String(shown.range.to));
    expect(shown.total).toBe(a.total_leads);
    expect(shown.mix).toBe(`SQL ${a.sql_leads} · MQL ${a.mql_leads} · Unqualified ${a.unqualified_leads}`);
    expect(shown.funnel).toEqual(
      a.funnel.map((f) =>
        expect.objectContaining({ key: f.step, reached: String(f.reached), answered: String(f.answered) }),
      ),
    );
    const days = new Map(a.by_day.map((d) => [d.day, d]));
    for (const d of shown.days) {
      const api = days.get(String(d.key)) ?? { sql_leads: 0, mql_leads: 0, unqualified_leads: 0 };
      expect([d.sql, d.mql, d.unqualified].map(Number)).toEqual([
        api.sql_leads,
        api.mql_leads,
        api.unqualified_leads,
      ]);
      days.delete(String(d.key));
    }
    expect([...days.keys()]).toEqual([]); // every day the API counted is charted
    expect(shown.campaigns).toEqual(
      a.by_campaign.map((c) =>
        expect.objectContaining({
          key: `${c.utm_source} / ${c.utm_medium} / ${c.utm_campaign}`,
          leads: String(c.leads),
          sql: String(c.sql_leads),
          mql: String(c.mql_leads),
        }),
      ),
    );
    expect(shown.variants).toEqual(
      a.by_variant.map((v) => {
        const { low, high } = wilson(v.sql_leads, v.leads);
        return expect.objectContaining({
          key: `${v.test_name}:${v.variant}`,
          leads: String(v.leads),
          rate: String(v.conversion_rate),
          low: String(low),
          high: String(high),
        });
      }),
    );
    return a;
  }

  it('charts what the analytics API counts for each range, and follows new leads', async () => {
    const ravi = await visitor(app.t.app.url, {
      auth: { utmSource: 'google', utmMedium: 'cpc', utmCampaign: 'diwali' },
    });
    await journeyInAnyOrder(ravi);
    const meera = await visitor(app.t.app.url, { auth: { utmSource: 'newsletter' } });
    await meera.say('visitor:reply', { optionIds: ['yes'] });
    // The first profile question, whichever the variant puts first.
    if (!(await meera.send('visitor:reply', { optionIds: ['restaurant_cafe'] })).ok)
      await meera.say('visitor:reply', { optionIds: ['two_to_five'] });
    await visitor(app.t.app.url);

    const context = await app.browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${app.t.app.url}/agent#analytics`);
    await page.fill('#token', app.token);
    await page.click('button[type=submit]');
    // The address named the tab: it opens on Analytics, the last 30 days.
    await page.locator('#analytics .total').waitFor();
    expect(await page.locator('#tab-analytics').getAttribute('aria-selected')).toBe('true');
    expect(await page.locator('button[data-preset="30"]').getAttribute('aria-pressed')).toBe('true');
    const month = await expectSameAsApi(page);
    expect(month.total_leads).toBe(3);
    expect(month.by_variant.length).toBeGreaterThan(0);
    expect(month.by_campaign.map((c) => c.utm_campaign)).toContain('diwali');
    const { from, to } = (await charts(page)).range;
    expect(Date.parse(String(to)) - Date.parse(String(from))).toBe(30 * 86_400_000);
    // Funnel, classification per day, sources, fit + engagement per classification, variants.
    expect(await page.locator('#analytics svg[role=img]').count()).toBe(5);
    await page.screenshot({ path: `${SHOTS}/console-analytics-charts.png`, fullPage: true });

    // Presets: today (from the agent's midnight) and the last 7 days.
    const changed = async (click: () => Promise<unknown>) => {
      const before = (await charts(page)).range.from;
      await click();
      await waitFor('the range to change', async () => (await charts(page)).range.from !== before);
    };
    await changed(() => page.click('button[data-preset="today"]'));
    const midnight = await page.evaluate(() => {
      const d = new Date();
      d.setHours(0, 0, 0, 0);
      return d.toISOString();
    });
    expect((await charts(page)).range.from).toBe(midnight);
    expect((await expectSameAsApi(page)).total_leads).toBe(3);
    await changed(() => page.click('button[data-preset="7"]'));
    const week = (await charts(page)).range;
    expect(Date.parse(String(week.to)) - Date.parse(String(week.from))).toBe(7 * 86_400_000);
    await expectSameAsApi(page);

    // Dates: whole days, the last one included; a range before any lead is empty.
    await changed(async () => {
      await page.fill('#range input[name=from]', '2026-01-01');
      await page.fill('#range input[name=to]', '2026-01-31');
      await page.click('#range button[type=submit]');
    });
    expect((await expectSameAsApi(page)).total_leads).toBe(0);
    expect((await charts(page)).days).toHaveLength(31);
    expect(await page.locator('#analytics figure', { hasText: 'Funnel' }).textContent()).toBeTruthy();

    // Back to today: a lead arriving live is counted without a reload, as the API counts it.
    await changed(() => page.click('button[data-preset="today"]'));
    const v = await visitor(app.t.app.url, {
      auth: { utmSource: 'google', utmMedium: 'cpc', utmCampaign: 'diwali' },
    });
    await v.say('visitor:reply', { optionIds: ['yes'] });
    await waitFor('the tab to count the new lead', async () => (await charts(page)).total === 4);
    await expectSameAsApi(page);

    // On a 1024 px laptop the charts fit the page.
    await page.setViewportSize({ width: 1024, height: 768 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1024);
    for (const box of await page
      .locator('#analytics svg')
      .evaluateAll((ss) => ss.map((s) => s.getBoundingClientRect().right)))
      expect(box).toBeLessThanOrEqual(1024);
    await page.screenshot({ path: `${SHOTS}/console-analytics-1024.png`, fullPage: true });
    await context.close();
  });
});
