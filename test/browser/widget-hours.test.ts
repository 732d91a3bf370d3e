import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { SHOTS, useBrowserApp } from '../support/browser.js';
import { FRIDAY_NIGHT, salesOnWeekdays } from '../support/routing.js';

const SECRET = 'widget-hours-secret-0123456789abcd';

/** Clicks the option or CTA button labelled `label` of the prompt the widget shows. */
async function reply(page: Page, label: string) {
  await page.locator('.lcb-input button', { hasText: label }).first().click();
}

/**
 * The widget, after hours, in Chromium: it says when the team is back, in the team's zone; a visitor who
 * asks for a person is asked by the bot when to be called back, picks one of the times and sees it confirmed.
 */
describe('the chat widget after hours, in Chromium', () => {
  const app = useBrowserApp(SECRET, { now: () => FRIDAY_NIGHT }, { ROUTING_FILE: salesOnWeekdays() });

  it('tells the visitor when the team is back', async () => {
    const page = await app.browser.newPage();
    page.setDefaultTimeout(8_000);
    await page.goto(`${app.t.app.url}/`);
    await page.click('.lcb-bubble');
    const note = page.locator('.lcb-note', { hasText: "We're back" });
    await note.waitFor();
    expect(await note.first().textContent()).toContain("We're back Monday 9:00 IST");
    await page.screenshot({ path: `${SHOTS}/widget-after-hours.png` });
    await page.close();
  });

  it('asks a visitor who wants a person for a callback time: the slots as buttons, a typed time refused, a slot confirmed', async () => {
    const page = await app.browser.newPage();
    page.setDefaultTimeout(8_000);
    await page.goto(`${app.t.app.url}/`);
    await page.click('.lcb-bubble');
    await reply(page, 'Yes, go ahead');
    await reply(page, 'Kirana / Retail Shop');
    await page.fill('.lcb-input input[type=text]', 'Pune');
    await page.locator('.lcb-input button', { hasText: 'Send' }).click();
    await reply(page, '2–5');
    await reply(page, '₹50K – ₹2L');
    await page.locator('.lcb-input label', { hasText: 'Inventory' }).locator('input').check();
    await page.locator('.lcb-input button', { hasText: 'Send' }).click();
    await page.fill('.lcb-input input[name=name]', 'Meera');
    await page.fill('.lcb-input input[name=phone]', '98765 43210');
    await page.locator('.lcb-input button', { hasText: 'Send' }).click();
    await reply(page, 'Need Human Help');

    // The bot asks when to call back; the widget draws the next opening's times as buttons.
    await page.locator('.lcb-bot', { hasText: 'When should we call you?' }).waitFor();
    const slots = page.locator('.lcb-input button[type=button]');
    await slots.first().waitFor();
    expect(await slots.allTextContents()).toEqual([
      'Monday 9:00 IST',
      'Monday 10:00 IST',
      'Monday 11:00 IST',
    ]);

    // A time typed outside the opening is refused under the field; the buttons stay.
    await page.fill('.lcb-input input[type=text]', '7 pm');
    await page.locator('.lcb-input button', { hasText: 'Send' }).click();
    const refusal = page.locator('.lcb-input .lcb-error', { hasText: 'while our team is open' });
    await refusal.waitFor();
    expect(await refusal.textContent()).toBe(
      'Please pick a time while our team is open, from Monday 9:00 IST.',
    );
    await page.screenshot({ path: `${SHOTS}/widget-callback-slots.png` });

    // A click on a time: the bot confirms it, and the question's controls are gone.
    await reply(page, 'Monday 10:00 IST');
    await page.locator('.lcb-bot', { hasText: 'Thank you! We will call you Monday 10:00 IST.' }).waitFor();
    expect(await page.locator('.lcb-input button', { hasText: 'Monday' }).count()).toBe(0);
    await page.screenshot({ path: `${SHOTS}/widget-callback-confirmed.png` });
    await page.close();
  });
});
