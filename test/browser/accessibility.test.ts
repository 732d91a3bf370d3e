import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { SHOTS, useBrowserApp } from '../support/browser.js';
import { JOURNEY } from '../support/journey.js';
import { closeClients, visitor } from '../support/sockets.js';

const SECRET = 'a11y-browser-secret-0123456789';

/** WCAG 2.1 A and AA, the level a public site's chat and a team's working tool are held to. */
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** Every violation axe-core finds on the page as it is now, one line each, so a failure names them. */
async function violations(page: Page): Promise<string[]> {
  // Colours are judged as they end up, not halfway through a fade-in (the widget's run in its shadow
  // root; one cancelled, as a board row redrawn mid-highlight cancels its own, is over too).
  await page.evaluate(() =>
    Promise.all(
      [
        ...document.getAnimations(),
        ...(document.querySelector('[data-lcb-widget]')?.shadowRoot?.getAnimations() ?? []),
      ].map((a) => a.finished.catch(() => undefined)),
    ),
  );
  const result = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  return result.violations.map(
    (v) =>
      `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary}`).join('; ')}`,
  );
}

/**
 * axe-core's WCAG 2.1 AA rules over the pages a visitor and an agent use, in the states they are used
 * in: the widget closed, open at a choice question, at the contact form; the console's sign-in, its
 * board with a session open, its Analytics tab, and the board with a new SQL lead's toast.
 */
describe('accessibility (axe-core, WCAG 2.1 AA) in Chromium', () => {
  const app = useBrowserApp(SECRET);
  afterEach(() => closeClients());

  async function open(path: string): Promise<Page> {
    // axe-core opens a page of its own in the same context to finish its run: a context per page.
    const context = await app.browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${app.t.app.url}${path}`);
    return page;
  }
  const choose = (page: Page, label: string) =>
    page.locator('.lcb-input button', { hasText: label }).first().click();

  it('finds nothing in the widget, closed, at a question and at the contact form', async () => {
    const page = await open('/');
    await page.locator('.lcb-bubble').waitFor();
    expect(await violations(page)).toEqual([]);

    await page.locator('.lcb-bubble').click();
    await page.locator('.lcb-input button', { hasText: 'Yes, go ahead' }).waitFor();
    expect(await violations(page)).toEqual([]);

    await choose(page, 'Yes, go ahead');
    await page.locator('.lcb-input button', { hasText: 'Kirana' }).waitFor();
    expect(await violations(page)).toEqual([]);
    await choose(page, 'Kirana');
    for (const answer of ['Pune']) {
      await page.locator('.lcb-input input').first().fill(answer);
      await page.locator('.lcb-input input').first().press('Enter');
    }
    await choose(page, '2–5');
    await choose(page, '₹2L – ₹5L');
    await page.locator('.lcb-input label', { hasText: 'Inventory' }).click();
    await page.locator('.lcb-input button', { hasText: 'Send' }).first().click();
    await page.locator('.lcb-input input[name=email]').waitFor();
    expect(await violations(page)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/a11y-widget-contact.png` });
    await page.context().close();
  });

  it('finds nothing in the console, at sign-in, on the board with a session open, and in analytics', async () => {
    const page = await open('/agent');
    await page.locator('#token').waitFor();
    expect(await violations(page)).toEqual([]);

    const v = await visitor(app.t.app.url);
    await v.say('visitor:reply', { optionIds: ['yes'] });
    await v.say('visitor:reply', { optionIds: ['restaurant_cafe'] });
    await page.fill('#token', app.token);
    await page.click('button[type=submit]');
    await page.waitForSelector('#console:not([hidden])');
    await page.click(`#board-body tr[data-session="${v.sessionId}"]`);
    await page.locator('#transcript li.visitor', { hasText: 'Restaurant' }).waitFor();
    expect(await violations(page)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/a11y-console.png`, fullPage: true });

    // The Analytics tab with its charts.
    await page.click('#tab-analytics');
    await page.locator('#analytics p', { hasText: / leads, / }).waitFor();
    await page.locator('#analytics svg').first().waitFor();
    expect(await violations(page)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/a11y-analytics.png`, fullPage: true });

    // The board's filters and a new SQL lead's toast.
    await page.click('#tab-board');
    const sql = await visitor(app.t.app.url);
    for (const [event, payload] of JOURNEY) await sql.say(event, payload);
    await page.locator('#toasts .toast', { hasText: 'New SQL lead' }).waitFor();
    expect(await violations(page)).toEqual([]);
    await page.context().close();
  });
});
