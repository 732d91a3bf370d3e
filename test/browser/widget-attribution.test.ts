import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { requireProgram } from '../support/requirements.js';
import { sleep, waitFor } from '../support/time.js';

// biome-ignore lint/suspicious/noExplicitAny: rows are checked field by field
type Json = any;

/**
 * The widget in Chromium reads where the visitor came from by itself: the landing page's campaign
 * parameters and click ids, the referrer and the landing page; browsing on within the site is the same
 * visit, and a later arrival from a campaign in a new tab becomes the lead's last touch.
 */
describe('the widget sends the attribution of the visit', () => {
  let t: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    // Debian's Chromium, never a downloaded browser.
    requireProgram('/usr/bin/chromium', 'chromium');
    t = await startTestApp();
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const sessionOf = (page: Page) =>
    waitFor('the widget to open a session', () =>
      page.evaluate(() => Object.entries(localStorage).find(([k]) => k.startsWith('lcb-session'))?.[1]),
    );
  const leadOf = async (id: string) =>
    ((await t.db.query('select first_touch, last_touch from leads where id = $1', [id])) as Json[])[0];
  const touches = async (id: string) =>
    (
      (await t.db.query(
        `select count(*)::int as n from session_events where lead_id = $1 and data -> 'command' ->> 'kind' = 'touch'`,
        [id],
      )) as { n: number }[]
    )[0]!.n;

  it('keeps the click as the first touch, the same visit across pages, and a new campaign as the last touch', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const landing = `${t.app.url}/?utm_source=google&utm_medium=cpc&utm_campaign=spring&gclid=abc123`;
    await page.goto(landing, { referer: 'https://www.google.com/' });
    const id = await sessionOf(page);
    expect((await leadOf(id)).first_touch).toEqual({
      utm_source: 'google',
      utm_medium: 'cpc',
      utm_campaign: 'spring',
      gclid: 'abc123',
      referrer: 'https://www.google.com/',
      landing_page: landing,
    });

    // On to another page of the site: the same visit, nothing new.
    await page.goto(`${t.app.url}/?page=2`);
    await page.waitForFunction(() => document.readyState === 'complete');
    await sleep(500);
    expect(await touches(id)).toBe(0);

    // Days later, from a newsletter, in a new tab: the lead's last touch.
    const later = await context.newPage();
    await later.goto(`${t.app.url}/?utm_source=newsletter&utm_medium=email`);
    expect(await sessionOf(later)).toBe(id);
    const lead = await waitFor('the last touch', async () => {
      const l = await leadOf(id);
      return l.last_touch ? l : undefined;
    });
    expect(lead.last_touch).toEqual({
      utm_source: 'newsletter',
      utm_medium: 'email',
      landing_page: `${t.app.url}/?utm_source=newsletter&utm_medium=email`,
    });
    expect(lead.first_touch.utm_source).toBe('google');
    await context.close();
  });

  it('falls back to the embedding page’s data-utm-source when the address names no source', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${t.app.url}/`);
    const id = await sessionOf(page);
    expect((await leadOf(id)).first_touch).toEqual({ utm_source: 'demo', landing_page: `${t.app.url}/` });
    await context.close();
  });
});
