import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { SHOTS, useBrowserApp } from '../support/browser.js';

const SECRET = 'widget-inputs-secret-0123456789ab';

/**
 * The widget's inputs in Chromium: an unread count on the launcher, a typed answer checked inline, the
 * contact form with the server's reason under each field, and the calls to action as cards.
 */
describe('the chat widget inputs in Chromium', () => {
  const app = useBrowserApp(SECRET);

  async function open(): Promise<Page> {
    const page = await app.browser.newPage();
    page.setDefaultTimeout(8_000);
    await page.goto(`${app.t.app.url}/`);
    return page;
  }
  const choose = (page: Page, label: string) =>
    page.locator('.lcb-input button', { hasText: label }).first().click();

  it('counts messages that arrive while the panel is closed on the launcher', async () => {
    const page = await open();
    const badge = page.locator('.lcb-badge');
    await expect.poll(() => badge.textContent()).toBe('1');
    expect(await page.locator('.lcb-bubble').getAttribute('aria-label')).toBe('Open chat, 1 unread');
    await page.screenshot({ path: `${SHOTS}/widget-unread.png` });
    await page.click('.lcb-bubble');
    await badge.waitFor({ state: 'hidden' });
    await choose(page, 'Yes, go ahead');
    await page.locator('.lcb-input button', { hasText: 'Kirana' }).waitFor();
    // Read while open: nothing counted.
    await page.click('.lcb-close');
    expect(await badge.textContent()).toBe('');
    await page.close();
  });

  it('checks a typed answer inline, shows the server reasons by field, and offers CTAs as cards', async () => {
    const page = await open();
    await page.click('.lcb-bubble');
    await choose(page, 'Yes, go ahead');
    await choose(page, 'Kirana');
    const city = page.locator('.lcb-input input[type=text]');
    await city.press('Enter');
    const error = page.locator('.lcb-input .lcb-error', { hasText: 'Please type your answer.' });
    await error.waitFor();
    expect(await city.getAttribute('aria-invalid')).toBe('true');
    await page.screenshot({ path: `${SHOTS}/widget-text-invalid.png` });
    await city.fill('Pune');
    await error.waitFor({ state: 'hidden' });
    await city.press('Enter');
    await choose(page, '2–5');
    await choose(page, '₹5L+');
    await page.locator('.lcb-input label', { hasText: 'Inventory' }).locator('input').check();
    await page.locator('.lcb-input button', { hasText: 'Send' }).click();

    // The server refuses a bad phone and a bad e-mail, each named under its own field.
    await page.fill('.lcb-input input[name=name]', 'Meera');
    await page.fill('.lcb-input input[name=phone]', '12');
    await page.fill('.lcb-input input[name=email]', 'meera@');
    await page.locator('.lcb-input button', { hasText: 'Send' }).click();
    const phone = page.locator('.lcb-input input[name=phone]');
    await expect.poll(() => phone.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.lcb-input input[name=email]').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.lcb-input input[name=name]').getAttribute('aria-invalid')).toBeNull();
    const errors = await page.locator('.lcb-input .lcb-error:not(:empty)').allTextContents();
    expect(errors).toEqual(['Phone: not a valid phone number', 'E-mail: not a valid e-mail address']);
    // What was typed is kept, to be corrected.
    expect(await page.inputValue('.lcb-input input[name=name]')).toBe('Meera');
    await page.screenshot({ path: `${SHOTS}/widget-contact-errors.png` });
    await phone.fill('98765 43210');
    await page.fill('.lcb-input input[name=email]', 'meera@example.com');
    await page.locator('.lcb-input button', { hasText: 'Send' }).click();

    const card = page.locator('.lcb-input .lcb-card', { hasText: 'Start Free Trial' });
    await card.waitFor();
    expect(await card.locator('strong').textContent()).toBe('Start Free Trial');
    expect(await card.locator('span').textContent()).toBe('Try YouShop free for 14 days.');
    expect(await page.locator('.lcb-input .lcb-card').count()).toBe(5);
    await page.screenshot({ path: `${SHOTS}/widget-cta-cards.png` });
    await card.click();
    await page.locator('.lcb-me', { hasText: 'Start Free Trial' }).waitFor();
    await page.close();
  });
});
