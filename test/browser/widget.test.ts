import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { SHOTS, useBrowserApp } from '../support/browser.js';

const SECRET = 'widget-browser-secret-0123456789';

/** A site whose stylesheet would break any widget that lives in the page's own DOM. */
const HOSTILE = `* { display: block !important; color: red !important; font-size: 40px !important }
button { display: none !important }`;
const hostile = (server: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hostile</title><style>${HOSTILE}</style></head>
<body>
  <p class="lcb-msg lcb-bot" id="own">The site's own paragraph, with the widget's class names.</p>
  <input id="own-input" value="the site's own field">
  <script src="${server}/widget.js" data-server="${server}"></script>
</body></html>`;

/** Emoji, pictographs and the variation selector that makes a symbol an emoji. */
const EMOJI = /\p{Extended_Pictographic}|\u{FE0F}/u;

/**
 * The widget's chrome in Chromium: an SVG launcher, a checklist whose boxes sit by their labels, a
 * shadow root that keeps a hostile site's CSS out and the widget's own CSS in, a journey that works
 * from the keyboard alone, and a full-screen panel on a phone.
 */
describe('the chat widget in Chromium', () => {
  const app = useBrowserApp(SECRET);

  async function open(path = '/', viewport?: { width: number; height: number }): Promise<Page> {
    const page = await app.browser.newPage(viewport ? { viewport } : {});
    // What the widget must do happens at once; a step that is missing fails quickly, not after 30 s.
    page.setDefaultTimeout(5_000);
    await page.goto(`${app.t.app.url}${path}`);
    return page;
  }
  const choose = (page: Page, label: string) =>
    page.locator('.lcb-input button', { hasText: label }).first().click();
  /** The element that has the focus, looking into shadow roots. */
  const focused = (page: Page) =>
    page.evaluate(() => {
      let a = document.activeElement;
      while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
      return a
        ? `${a.tagName.toLowerCase()}:${a.textContent || (a as HTMLInputElement).placeholder || ''}`
        : '';
    });

  it('launches from an SVG icon, with no emoji anywhere in its chrome', async () => {
    const page = await open();
    const bubble = page.locator('.lcb-bubble');
    expect(await bubble.locator('svg').count()).toBe(1);
    expect(await bubble.textContent()).not.toMatch(EMOJI);
    await bubble.click();
    await page.locator('.lcb-bot').first().waitFor();
    expect(await page.locator('.lcb-head').textContent()).not.toMatch(EMOJI);
    expect(await bubble.getAttribute('aria-expanded')).toBe('true');
    await page.screenshot({ path: `${SHOTS}/widget-launcher.png`, animations: 'disabled' });
    await page.close();
  });

  it('shows multiple choice as a checklist: each box by its label, the whole row clickable, a confirm button', async () => {
    const page = await open();
    await page.click('.lcb-bubble');
    await choose(page, 'Yes, go ahead');
    await choose(page, 'Restaurant / Café');
    await page.fill('.lcb-input input[type=text]', 'Pune');
    await page.keyboard.press('Enter');
    await choose(page, '6–15');
    await choose(page, '₹5L+');
    // The checklist takes the focus on its first box.
    await expect.poll(() => focused(page)).toBe('input:');
    const row = page.locator('.lcb-input label', { hasText: 'QR Payments' });
    const box = row.locator('input[type=checkbox]');
    // Where the label's text starts, measured on the text itself.
    const gap = await row.evaluate((label) => {
      const input = label.querySelector('input') as HTMLInputElement;
      const text = [...label.querySelectorAll('*'), label]
        .flatMap((n) => [...n.childNodes])
        .find((n) => n.nodeType === Node.TEXT_NODE && n.textContent?.includes('QR Payments')) as Text;
      const range = document.createRange();
      range.selectNodeContents(text);
      const t = range.getBoundingClientRect();
      const b = input.getBoundingClientRect();
      return {
        x: t.left - b.right,
        y: Math.abs(t.top + t.height / 2 - (b.top + b.height / 2)),
        width: b.width,
      };
    });
    // The box is drawn in the middle of its own box: a stretched input would leave the label behind.
    expect(gap.width).toBeLessThanOrEqual(24);
    expect(gap.x).toBeGreaterThanOrEqual(0);
    expect(gap.x).toBeLessThan(16);
    expect(gap.y).toBeLessThan(6);
    const boxBox = (await box.boundingBox())!;
    const rowBox = (await row.boundingBox())!;
    expect(boxBox.x - rowBox.x).toBeLessThan(16);

    // A click on the row's far right (not on the box) ticks it; the confirm button waits for a choice.
    const confirm = page.locator('.lcb-input button', { hasText: 'Send' });
    expect(await confirm.isDisabled()).toBe(true);
    await row.click({ position: { x: rowBox.width - 10, y: rowBox.height / 2 } });
    expect(await box.isChecked()).toBe(true);
    await page.locator('.lcb-input label', { hasText: 'Inventory' }).click();
    // Space toggles a box from the keyboard.
    await page.locator('.lcb-input input[type=checkbox]').first().focus();
    await page.keyboard.press('Space');
    await page.keyboard.press('Space');
    expect(await page.locator('.lcb-input input[type=checkbox]').first().isChecked()).toBe(false);
    await page.screenshot({ path: `${SHOTS}/widget-checklist.png`, animations: 'disabled' });
    await confirm.click();
    await page.locator('.lcb-me', { hasText: 'QR Payments, Inventory' }).waitFor();
    await page.locator('.lcb-input input[name=name]').waitFor();
    await page.close();
  });

  it('works on a page with hostile CSS and leaves the page’s own elements alone', async () => {
    const page = await app.browser.newPage();
    page.setDefaultTimeout(5_000);
    await page.route(`${app.t.app.url}/hostile/**`, (route) =>
      route.fulfill({ contentType: 'text/html', body: hostile(app.t.app.url) }),
    );
    await page.goto(`${app.t.app.url}/hostile/`);
    await page.click('.lcb-bubble');
    await choose(page, 'Yes, go ahead');
    await page.locator('.lcb-me', { hasText: 'Yes, go ahead' }).waitFor();
    await page.locator('.lcb-input button', { hasText: 'Restaurant / Café' }).waitFor();
    const looks = (selector: string) =>
      page
        .locator(selector)
        .first()
        .evaluate((e) => {
          const s = getComputedStyle(e);
          return { color: s.color, fontSize: s.fontSize, display: s.display, background: s.backgroundColor };
        });
    expect(await looks('.lcb-panel .lcb-bot')).toMatchObject({ color: 'rgb(28, 28, 28)', fontSize: '14px' });
    expect((await looks('.lcb-input button')).display).not.toBe('none');
    expect(await looks('.lcb-bubble')).toMatchObject({ display: 'flex', background: 'rgb(31, 111, 235)' });
    // The widget's rules do not reach the page's elements, even ones that use its class names.
    expect((await looks('#own')).background).toBe('rgba(0, 0, 0, 0)');
    expect((await looks('#own-input')).fontSize).toBe('40px');
    expect(await page.locator('#own').evaluate((e) => getComputedStyle(e).borderRadius)).toBe('0px');
    await page.screenshot({ path: `${SHOTS}/widget-hostile.png`, animations: 'disabled' });
    await page.close();
  });

  it('runs the first steps from the keyboard alone and announces the bot', async () => {
    const page = await open();
    await page.locator('.lcb-bubble').waitFor();
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatch(/^button:/);
    await page.keyboard.press('Enter');
    await page.locator('.lcb-panel.open').waitFor();
    // The focus is on the prompt's first option; Enter answers it.
    await page.locator('.lcb-input button', { hasText: 'Yes, go ahead' }).waitFor();
    await expect.poll(() => focused(page)).toBe('button:Yes, go ahead');
    await page.keyboard.press('Enter');
    await page.locator('.lcb-me', { hasText: 'Yes, go ahead' }).waitFor();
    // The next prompt takes the focus; Tab moves along its options, Space picks one.
    await expect.poll(() => focused(page)).toMatch(/^button:/);
    await page.keyboard.press('Tab');
    const second = await focused(page);
    await page.keyboard.press('Space');
    await page.locator('.lcb-me', { hasText: second.slice('button:'.length) }).waitFor();
    // The text prompt: its field has the focus, Enter sends.
    await expect.poll(() => focused(page)).toBe('input:Type your answer');
    await page.keyboard.type('Pune');
    await page.keyboard.press('Enter');
    await page.locator('.lcb-me', { hasText: 'Pune' }).waitFor();
    // What the bot says is announced through a live region.
    const live = page.locator('.lcb-panel [aria-live=polite]');
    await expect.poll(() => live.textContent()).toBe('How many people work in your business?');
    // Escape closes the panel and gives the focus back to the launcher.
    await page.keyboard.press('Escape');
    expect(await page.locator('.lcb-panel.open').count()).toBe(0);
    expect(await focused(page)).toMatch(/^button:/);
    await page.close();
  });

  it('animates the panel only when the visitor has not asked for reduced motion', async () => {
    const animation = async (reducedMotion: 'reduce' | 'no-preference') => {
      const page = await open();
      await page.emulateMedia({ reducedMotion });
      await page.click('.lcb-bubble');
      const name = await page.locator('.lcb-panel').evaluate((e) => getComputedStyle(e).animationName);
      await page.close();
      return name;
    };
    expect(await animation('no-preference')).not.toBe('none');
    expect(await animation('reduce')).toBe('none');
  });

  it('fills a 375×667 phone screen with the panel, with 16px inputs', async () => {
    const page = await open('/', { width: 375, height: 667 });
    await page.click('.lcb-bubble');
    await page.locator('.lcb-bot').first().waitFor();
    // Once its opening animation has run.
    await expect
      .poll(() => page.locator('.lcb-panel').boundingBox())
      .toEqual({ x: 0, y: 0, width: 375, height: 667 });
    // The launcher would sit on the panel: a close button in the header takes its place.
    expect(await page.locator('.lcb-bubble').isVisible()).toBe(false);
    await choose(page, 'Yes, go ahead');
    await choose(page, 'Restaurant / Café');
    const field = page.locator('.lcb-input input[type=text]');
    expect(
      await field.evaluate((e) => Number.parseFloat(getComputedStyle(e).fontSize)),
    ).toBeGreaterThanOrEqual(16);
    await page.screenshot({ path: `${SHOTS}/widget-phone.png`, animations: 'disabled' });
    await page.locator('.lcb-close').click();
    expect(await page.locator('.lcb-bubble').isVisible()).toBe(true);
    await page.close();
  });
});
