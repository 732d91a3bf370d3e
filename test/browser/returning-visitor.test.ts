import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useBrowserApp } from '../support/browser.js';
import { waitFor } from '../support/time.js';

const SECRET = 'returning-browser-secret-0123456789';

/**
 * A visitor comes back in the same browser: the widget keeps its visitor id in localStorage and sends it
 * with the new session's handshake, and the console's session view lists the earlier lead (date,
 * classification, score), which a click opens.
 */
describe('a returning visitor in Chromium', () => {
  const app = useBrowserApp(SECRET);

  const stored = (page: Page, prefix: string) =>
    waitFor(`localStorage ${prefix}`, () =>
      page.evaluate((p) => Object.entries(localStorage).find(([k]) => k.startsWith(p))?.[1], prefix),
    );
  const leadOf = async (id: string) =>
    (
      (await app.t.db.query('select visitor_id, classification, score from leads where id = $1', [id])) as {
        visitor_id: string | null;
        classification: string;
        score: number;
      }[]
    )[0]!;

  it('links the second session to the first by the widget visitor id, and the agent sees the first', async () => {
    const context = await app.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${app.t.app.url}/`);
    const first = await stored(page, 'lcb-session');
    const visitorId = await stored(page, 'lcb-visitor');
    expect(visitorId).toMatch(/^[0-9a-f]{32}$/);
    expect((await leadOf(first)).visitor_id).toBe(visitorId);

    // Weeks later the conversation is over (its id forgotten), the browser is the same.
    await page.evaluate(() => {
      for (const k of Object.keys(localStorage)) if (k.startsWith('lcb-session')) localStorage.removeItem(k);
    });
    await page.reload();
    const second = await waitFor('a new session', async () => {
      const id = await stored(page, 'lcb-session');
      return id !== first ? id : undefined;
    });
    expect(await stored(page, 'lcb-visitor')).toBe(visitorId);
    expect((await leadOf(second)).visitor_id).toBe(visitorId);

    const agentPage = await context.newPage();
    await agentPage.goto(`${app.t.app.url}/agent`);
    await agentPage.fill('#token', app.token);
    await agentPage.click('button[type=submit]');
    await agentPage.waitForSelector('#console:not([hidden])');
    await agentPage.click(`#board-body tr[data-session="${second}"]`);
    const earlier = agentPage.locator('#earlier-leads li');
    await earlier.first().waitFor();
    expect(await earlier.count()).toBe(1);
    const before = await leadOf(first);
    const text = await earlier.first().textContent();
    expect(text).toContain(`${before.classification} · score ${before.score} · same browser`);

    // A click opens the earlier lead, whose own list names the later one.
    await earlier.first().locator('button').click();
    await agentPage.locator(`#earlier-leads button[data-session="${second}"]`).waitFor();
    expect(await earlier.count()).toBe(1);
    await context.close();
  });
});
