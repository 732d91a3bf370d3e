import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { SHOTS, useBrowserApp } from '../support/browser.js';

const SECRET = 'browser-test-secret-0123456789';
/** Where the README's screenshots live: this test takes them afresh on every run. */
const README_IMAGES = 'docs/img';

/**
 * A visitor completes a journey in the widget while the agent console, open in a second page, shows
 * the session rise to SQL live; the agent takes over and the visitor sees the message; a <script>
 * typed by the visitor shows as text in the console.
 */
describe('agent console and chat widget in Chromium', () => {
  const app = useBrowserApp(SECRET);

  async function reply(page: Page, label: string) {
    await page.locator('.lcb-input button', { hasText: label }).first().click();
  }

  it('runs the journey, shows it live on the board, and carries agent messages', async () => {
    const { t, browser, token } = app;
    const consolePage = await browser.newPage();
    const alerts: string[] = [];
    consolePage.on('dialog', (d) => {
      alerts.push(d.message());
      void d.dismiss();
    });
    await consolePage.goto(`${t.app.url}/agent`);
    await consolePage.fill('#token', token);
    await consolePage.click('button[type=submit]');
    await consolePage.waitForSelector('#console:not([hidden])');

    const visitor = await browser.newPage();
    await visitor.goto(`${t.app.url}/`);
    await visitor.click('.lcb-bubble');
    await reply(visitor, 'Yes, go ahead');
    await reply(visitor, 'Restaurant / Café');
    // The location is free text: the visitor types markup, which must stay text everywhere.
    const payload = '<script>alert("xss")</script><img src=x onerror=alert(1)> Pune';
    await visitor.fill('.lcb-input input[type=text]', payload);
    await visitor.locator('.lcb-input button', { hasText: 'Send' }).click();
    await reply(visitor, '6–15');
    await reply(visitor, '₹5L+');
    await visitor.locator('.lcb-input label', { hasText: 'QR Payments' }).locator('input').check();
    await visitor.locator('.lcb-input label', { hasText: 'Inventory' }).locator('input').check();
    // The README's picture of the widget: the conversation so far and the checklist, as a visitor sees it.
    await visitor.screenshot({ path: `${SHOTS}/widget-checklist.png` });
    await visitor.screenshot({
      path: `${README_IMAGES}/widget.png`,
      clip: { x: 880, y: 0, width: 400, height: 720 },
    });
    await visitor.locator('.lcb-input button', { hasText: 'Send' }).click();
    await visitor.fill('.lcb-input input[name=name]', 'Meera');
    await visitor.fill('.lcb-input input[name=phone]', '98765 43210');
    await visitor.locator('.lcb-input button', { hasText: 'Send' }).click();
    // A behaviour reported over REST with what the page attached: shown in the transcript, as text.
    const sessionId = await visitor.evaluate(
      () => Object.entries(localStorage).find(([k]) => k.startsWith('lcb-session'))?.[1],
    );
    const behavior = await fetch(`${t.app.url}/api/behavior`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        session_id: sessionId,
        action: 'clicked_product',
        metadata: { target_id: 'billing', page: '/pricing', plan: '<b>pro</b>' },
      }),
    });
    expect(behavior.status).toBe(200);
    await reply(visitor, 'Talk to Sales Rep');
    await visitor.waitForSelector('.lcb-bot:has-text("Thank you")');

    // The board shows the session, now SQL, without a reload.
    const row = consolePage.locator('#board-body tr', { hasText: 'Meera' });
    await row.locator('.badge.sql').waitFor();
    expect(Number(await row.locator('td.score').textContent())).toBeGreaterThanOrEqual(60);

    // The session view: the visitor's markup is text, not elements.
    await row.click();
    await consolePage.waitForSelector('#transcript li.visitor');
    await consolePage.locator('#transcript li', { hasText: 'alert("xss")' }).first().waitFor();
    expect(await consolePage.locator('#transcript script, #transcript img').count()).toBe(0);
    const shown = await consolePage.locator('#transcript li.visitor').allTextContents();
    expect(shown.some((s) => s.includes(payload))).toBe(true);
    await consolePage.locator('#transcript li.visitor', { hasText: '"page":"/pricing"' }).waitFor();
    expect(await consolePage.locator('#transcript b').count()).toBe(0);

    // Take over and write: the visitor sees it.
    await consolePage.click('#takeover');
    await visitor.waitForSelector('.lcb-note:has-text("Asha joined the chat")');
    await consolePage.fill('#message', 'Hi Meera, Asha from YouShop here!');
    await consolePage.click('#send-form button[type=submit]');
    await visitor.waitForSelector('.lcb-agent:has-text("Hi Meera, Asha from YouShop here!")');

    // A reload keeps the session: the widget resumes it instead of starting another (after the agent
    // released it, the bot's last message is shown again).
    await consolePage.click('#release');
    await visitor.waitForSelector('.lcb-note:has-text("Asha left the chat")');
    const stored = await visitor.evaluate(
      () => Object.entries(localStorage).find(([k]) => k.startsWith('lcb-session'))?.[1],
    );
    expect(stored).toMatch(/^sess_[0-9a-f]{32}$/);
    await visitor.reload();
    await visitor.click('.lcb-bubble');
    await visitor.waitForSelector('.lcb-bot:has-text("Thank you")');
    expect(
      await visitor.evaluate(
        () => Object.entries(localStorage).find(([k]) => k.startsWith('lcb-session'))?.[1],
      ),
    ).toBe(stored);
    expect(await consolePage.locator('#board-body tr').count()).toBe(1);

    // The analytics charts, from the analytics API (reloaded to include this journey).
    await consolePage.reload();
    await consolePage.click('#tab-analytics');
    await consolePage.locator('#analytics .chart figcaption', { hasText: 'Funnel' }).waitFor();
    // Funnel, classification per day, sources, fit + engagement per classification, variants.
    expect(await consolePage.locator('#analytics .chart').count()).toBe(5);
    const businessType = consolePage.locator('#analytics .datum[data-key="business_type"]');
    expect(await businessType.getAttribute('data-answered')).toBe('1');
    expect(await businessType.getAttribute('data-reached')).toBe('1');
    await consolePage.click('#tab-board');

    await consolePage.screenshot({ path: `${SHOTS}/agent-console.png`, fullPage: true });
    // The README's picture of the console: the board and the session the agent just handled.
    await consolePage.setViewportSize({ width: 1280, height: 900 });
    await consolePage.screenshot({ path: `${README_IMAGES}/console.png` });
    await visitor.screenshot({ path: `${SHOTS}/widget.png` });
    expect(alerts).toEqual([]);
    expect(await visitor.locator('img[src=x]').count()).toBe(0);
  });
});
