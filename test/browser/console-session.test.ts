import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { SHOTS, useBrowserApp } from '../support/browser.js';
import { TestClock } from '../support/engine.js';
import { closeClients, visitor } from '../support/sockets.js';

const SECRET = 'console-session-secret-0123456789';

/**
 * The console's session view in Chromium on a 1024 × 768 laptop: the score ledger beside the transcript
 * lines that earned it, "quick reply" badges on the answers that earned `quick_reply` (and only those),
 * the visitor's attribution, and nothing clipped or overlapping at that width.
 */
describe('agent console session view in Chromium', () => {
  // The server's clock is the test's, so an answer can be slow without waiting.
  const clock = new TestClock(Date.now());
  const app = useBrowserApp(SECRET, { now: clock.now });
  afterEach(() => closeClients());

  async function signIn(): Promise<Page> {
    const context = await app.browser.newContext({ viewport: { width: 1024, height: 768 } });
    const page = await context.newPage();
    await page.goto(`${app.t.app.url}/agent`);
    await page.fill('#token', app.token);
    await page.click('button[type=submit]');
    await page.waitForSelector('#console:not([hidden])');
    return page;
  }

  it('puts each award beside the line that earned it, badges quick replies, and shows attribution', async () => {
    const v = await visitor(app.t.app.url, {
      auth: { utmSource: 'google', utmMedium: 'cpc', utmCampaign: 'diwali-sale', landingPage: '/offers' },
    });
    await v.say('visitor:reply', { optionIds: ['yes'] });
    await v.say('visitor:reply', { optionIds: ['restaurant_cafe'] });
    clock.advance(10 * 60_000); // the city comes ten minutes later: answered, but not quickly
    await v.say('visitor:reply', { text: 'Pune, Maharashtra' });
    await v.say('visitor:reply', { optionIds: ['two_to_five'] });

    const page = await signIn();
    await page.click(`#board-body tr[data-session="${v.sessionId}"]`);
    const line = (text: string) => page.locator('#transcript > li.visitor', { hasText: text });
    await line('Restaurant').locator('.earned').waitFor();

    expect(await line('Restaurant').locator('.badge.quick').count()).toBe(1);
    expect(await line('2–5').locator('.badge.quick').count()).toBe(1);
    expect(await line('Pune').locator('.badge.quick').count()).toBe(0);
    expect(await line('Pune').locator('.earned').textContent()).toContain('answered_question');
    expect(await line('Pune').locator('.earned').textContent()).toMatch(/latencyMs=6\d{5}/);
    expect(await line('Restaurant').locator('.earned').textContent()).toContain('quick_reply');

    // Every award of the ledger that an event earned sits on that event's line, with its evidence.
    const ledger = await page
      .locator('#ledger li[data-seq]')
      .evaluateAll((lis) =>
        lis.map((li) => [(li as HTMLElement).dataset.seq, li.textContent ?? ''] as const),
      );
    expect(ledger.length).toBeGreaterThan(3);
    for (const [seq, text] of ledger) {
      const behavior = text.split(' ')[1]!;
      expect(await page.locator(`#transcript > li[data-seq="${seq}"] .earned`).textContent()).toContain(
        behavior,
      );
    }

    // Profile and attribution (the first touch, as the widget's page sent it).
    await page.locator('#profile li', { hasText: 'location: Pune, Maharashtra' }).waitFor();
    const attribution = (await page.locator('#attribution').textContent()) ?? '';
    for (const text of ['First touch', 'utm_source', 'google', 'cpc', 'diwali-sale', '/offers'])
      expect(attribution).toContain(text);

    // A quick answer arriving live gets its badge and its award live.
    await v.say('visitor:reply', { optionIds: ['50k_2l'] });
    await line('₹50K').locator('.badge.quick').waitFor();
    expect(await line('₹50K').locator('.earned').textContent()).toContain('quick_reply');
    // ... and its evidence a moment later, once the console has read the ledger again.
    await line('₹50K').locator('.earned', { hasText: 'questionId=5' }).waitFor();
    expect(await page.locator('#ledger li', { hasText: 'questionId=5' }).count()).toBe(2);
    expect(await line('₹50K').locator('.badge.quick').count()).toBe(1);
    // Each line shown once, whichever way its event came.
    const seqs = await page
      .locator('#transcript > li')
      .evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.seq));
    expect(new Set(seqs).size).toBe(seqs.length);

    // At 1024 px nothing runs off the page, the panels do not overlap, and no award is cut off.
    await page.locator('#session').scrollIntoViewIfNeeded();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1024);
    const boxes = await page
      .locator('main > section:visible')
      .evaluateAll((ss) => ss.map((s) => s.getBoundingClientRect().toJSON() as DOMRect));
    for (const [i, a] of boxes.entries()) {
      expect(a.right).toBeLessThanOrEqual(1024);
      for (const b of boxes.slice(i + 1)) {
        const apart = a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top;
        expect(apart).toBe(true);
      }
    }
    const clipped = await page
      .locator('#transcript > li')
      .evaluateAll(
        (lis) =>
          lis.filter((li) =>
            [...li.children].some(
              (c) =>
                c.getBoundingClientRect().right > li.getBoundingClientRect().right + 0.5 ||
                c.scrollWidth > c.clientWidth + 1,
            ),
          ).length,
      );
    expect(clipped).toBe(0);
    expect(
      await page.locator('#board-body').evaluate((b) => b.closest('.table-wrap')!.scrollWidth),
    ).toBeLessThanOrEqual(await page.locator('.table-wrap').evaluate((w) => w.clientWidth));
    await page.screenshot({ path: `${SHOTS}/console-session-1024.png`, fullPage: true });
    await page.context().close();
  });
});
