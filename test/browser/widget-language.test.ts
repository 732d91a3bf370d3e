import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { loadWorkflow } from '../../src/workflow/load.js';
import { useBrowserApp } from '../support/browser.js';

const SECRET = 'browser-language-secret-0123456789';

/**
 * The widget in the visitor's language: it asks for the page's `data-lang` (else the browser's), offers
 * the workflow's languages in a labelled select, and a switch mid-conversation puts the question again in
 * the new script; the agent console shows the visitor's language on the board and in the lead.
 */
describe('the chat widget in Hindi and Tamil, in Chromium', () => {
  // The built-in workflow, the one that speaks Hindi and Tamil (the tests' default is the seed's rules).
  const app = useBrowserApp(SECRET, { workflow: loadWorkflow() });

  const sessionOf = (page: Page) =>
    page.evaluate(() => Object.entries(localStorage).find(([k]) => k.startsWith('lcb-session'))?.[1]);

  it('switches language mid-conversation and shows the next question in the new script', async () => {
    const { t, browser, token } = app;
    const visitor = await browser.newPage({ locale: 'en-US' });
    await visitor.goto(`${t.app.url}/`);
    await visitor.click('.lcb-bubble');
    const language = visitor.getByRole('combobox', { name: 'Language' });
    await language.waitFor();
    expect(await language.inputValue()).toBe('en');
    expect(await language.locator('option').allTextContents()).toEqual(['English', 'हिन्दी', 'தமிழ்']);
    await visitor.locator('.lcb-input button', { hasText: 'Yes, go ahead' }).click();
    await visitor.locator('.lcb-bot', { hasText: 'What kind of business do you run?' }).waitFor();

    // The pending question again, in Tamil, with Tamil options that answer it.
    await language.selectOption('ta');
    await visitor.locator('.lcb-bot', { hasText: 'நீங்கள் என்ன வகையான தொழில் செய்கிறீர்கள்?' }).waitFor();
    await visitor.locator('.lcb-input button', { hasText: 'மளிகை / சில்லறைக் கடை' }).click();
    await visitor.locator('.lcb-bot', { hasText: 'உங்கள் தொழில் எந்த நகரத்தில் அல்லது ஊரில் உள்ளது?' }).waitFor();
    expect(await visitor.locator('.lcb-panel').getAttribute('lang')).toBe('ta');
    // The widget's own words follow: the answer field and its button.
    await visitor.locator('.lcb-input button', { hasText: 'அனுப்பு' }).waitFor();
    expect(await visitor.locator('.lcb-input input[type=text]').getAttribute('placeholder')).toBe(
      'உங்கள் பதிலைத் தட்டச்சு செய்யுங்கள்',
    );

    // The agent console: the visitor's language on the board and in the lead.
    const sessionId = await sessionOf(visitor);
    const consolePage = await browser.newPage();
    await consolePage.goto(`${t.app.url}/agent`);
    await consolePage.fill('#token', token);
    await consolePage.click('button[type=submit]');
    const row = consolePage.locator(`#board-body tr[data-session="${sessionId}"]`);
    await row.locator('td.lang', { hasText: 'Tamil (ta)' }).waitFor();

    // Switching again: Hindi, and the board follows.
    await language.selectOption('hi');
    await visitor.locator('.lcb-bot', { hasText: 'आपका बिज़नेस किस शहर या कस्बे में है?' }).waitFor();
    await visitor.fill('.lcb-input input[type=text]', 'इंदौर');
    await visitor.locator('.lcb-input button', { hasText: 'भेजें' }).click();
    await visitor.locator('.lcb-bot', { hasText: 'आपके बिज़नेस में कितने लोग काम करते हैं?' }).waitFor();
    await row.locator('td.lang', { hasText: 'Hindi (hi)' }).waitFor();
    await row.click();
    await consolePage.locator('#profile li', { hasText: 'language: Hindi (hi)' }).waitFor();
  });

  it("starts in the page's data-lang, whatever the browser's language", async () => {
    const { t, browser } = app;
    const visitor = await browser.newPage({ locale: 'en-US' });
    await visitor.route(`${t.app.url}/hindi`, (route) =>
      route.fulfill({
        contentType: 'text/html; charset=utf-8',
        body: '<!doctype html><html><body><script src="/widget.js" data-lang="hi-IN"></script></body></html>',
      }),
    );
    await visitor.goto(`${t.app.url}/hindi`);
    await visitor.click('.lcb-bubble');
    await visitor.locator('.lcb-bot', { hasText: 'नमस्ते!' }).waitFor();
    await visitor.locator('.lcb-input button', { hasText: 'हाँ, पूछिए' }).waitFor();
    expect(await visitor.getByRole('combobox', { name: 'Language' }).inputValue()).toBe('hi');
  });

  it("LeadBot.setLocale from the page switches like the menu: the prompt, the widget's words and the menu follow", async () => {
    const { t, browser } = app;
    const visitor = await browser.newPage({ locale: 'en-US' });
    await visitor.goto(`${t.app.url}/`);
    await visitor.click('.lcb-bubble');
    await visitor.locator('.lcb-input button', { hasText: 'Yes, go ahead' }).click();
    await visitor.locator('.lcb-bot', { hasText: 'What kind of business do you run?' }).waitFor();

    const switched = await visitor.evaluate(() =>
      (window as unknown as { LeadBot: { setLocale(l: string): Promise<unknown> } }).LeadBot.setLocale('hi'),
    );
    expect(switched).toEqual({ ok: true });
    await visitor.locator('.lcb-bot', { hasText: 'आप किस तरह का बिज़नेस चलाते हैं?' }).waitFor();
    expect(await visitor.getByRole('combobox', { name: 'Language' }).inputValue()).toBe('hi');
    expect(await visitor.locator('.lcb-panel').getAttribute('lang')).toBe('hi');

    // A language the workflow does not speak is refused, and the widget stays in Hindi.
    const refused = await visitor.evaluate(() =>
      (window as unknown as { LeadBot: { setLocale(l: string): Promise<unknown> } }).LeadBot.setLocale('fr'),
    );
    expect(refused).toMatchObject({ ok: false, error: { code: 'unsupported_locale' } });
    expect(await visitor.getByRole('combobox', { name: 'Language' }).inputValue()).toBe('hi');
  });
});
