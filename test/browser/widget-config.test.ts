import { describe, expect, it } from 'vitest';
import { SHOTS, useBrowserApp } from '../support/browser.js';

const SECRET = 'widget-config-secret-0123456789ab';

const AVATAR = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="5" fill="#f80"/></svg>`;
const host = (server: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Configured</title></head>
<body>
  <p>A shop's page.</p>
  <script src="${server}/widget.js" data-server="${server}" data-color="#0a7d38" data-title="Talk to YouShop"
    data-avatar="${server}/site/avatar.svg" data-position="left" data-greeting-delay="0.3"></script>
</body></html>`;

/**
 * The widget as the host page sets it up: colour, title, avatar, position and greeting delay from the
 * script tag's data-* attributes, and `window.LeadBot` to open and close it, identify the visitor and
 * hear the lead's classification and the bot's messages.
 */
describe('the chat widget configured by its host page, in Chromium', () => {
  const app = useBrowserApp(SECRET);

  it('takes its look from data-* attributes and answers to window.LeadBot', async () => {
    const page = await app.browser.newPage();
    page.setDefaultTimeout(8_000);
    await page.route(`${app.t.app.url}/site/**`, (route) =>
      route.request().url().endsWith('.svg')
        ? route.fulfill({ contentType: 'image/svg+xml', body: AVATAR })
        : route.fulfill({ contentType: 'text/html', body: host(app.t.app.url) }),
    );
    // The page listens before the widget's first message arrives.
    await page.addInitScript(() => {
      const seen = { lead: [] as unknown[], message: [] as unknown[] };
      (window as unknown as { seen: typeof seen }).seen = seen;
      const hook = () => {
        const bot = (window as unknown as { LeadBot?: { on: (e: string, f: (v: unknown) => void) => void } })
          .LeadBot;
        if (!bot) return void setTimeout(hook, 5);
        bot.on('lead', (l) => seen.lead.push(l));
        bot.on('message', (m) => seen.message.push(m));
      };
      hook();
    });
    await page.goto(`${app.t.app.url}/site/`);

    // The greeting delay opens the panel by itself.
    const panel = page.locator('.lcb-panel.open');
    await panel.waitFor();
    expect(await page.locator('.lcb-head .lcb-title').textContent()).toBe('Talk to YouShop');
    expect(await page.locator('.lcb-panel').getAttribute('aria-label')).toBe('Talk to YouShop');
    expect(await page.locator('.lcb-avatar').getAttribute('src')).toBe(`${app.t.app.url}/site/avatar.svg`);
    const bubble = page.locator('.lcb-bubble');
    expect(await bubble.evaluate((b) => getComputedStyle(b).backgroundColor)).toBe('rgb(10, 125, 56)');
    const box = (await bubble.boundingBox())!;
    expect(box.x).toBeLessThan(100);
    const panelBox = (await page.locator('.lcb-panel').boundingBox())!;
    expect(panelBox.x).toBeLessThan(100);
    await page.locator('.lcb-input button', { hasText: 'Yes, go ahead' }).waitFor();
    await page.screenshot({ path: `${SHOTS}/widget-configured.png` });

    // The JS API: close, open, identify; the page hears the lead and the messages.
    await page.evaluate(() => (window as unknown as { LeadBot: { close(): void } }).LeadBot.close());
    await panel.waitFor({ state: 'hidden' });
    await page.evaluate(() => (window as unknown as { LeadBot: { open(): void } }).LeadBot.open());
    await panel.waitFor();
    await page.locator('.lcb-input button', { hasText: 'Yes, go ahead' }).click();
    await page.locator('.lcb-input button', { hasText: 'Kirana' }).click();
    // The answer is in (its ack drew the next question) before the profile call moves the score again.
    await page.locator('.lcb-bot', { hasText: 'Which city or town is your business in?' }).waitFor();
    const identified = await page.evaluate(() =>
      (
        window as unknown as { LeadBot: { identify(p: Record<string, string>): Promise<unknown> } }
      ).LeadBot.identify({ name: 'Meera', email: 'meera@example.com' }),
    );
    expect(identified).toEqual({ ok: true });
    const sessionId = await page.evaluate(
      () => Object.entries(localStorage).find(([k]) => k.startsWith('lcb-session'))?.[1],
    );
    const [row] = await app.t.db.query<{ name: string; email: string }>(
      'select name, email from leads where id = $1',
      [sessionId],
    );
    expect(row).toMatchObject({ name: 'Meera', email: 'meera@example.com' });
    const refused = await page.evaluate(() =>
      (
        window as unknown as { LeadBot: { identify(p: Record<string, string>): Promise<unknown> } }
      ).LeadBot.identify({ email: 'not an address' }),
    );
    expect(refused).toMatchObject({ ok: false, error: { code: 'validation_failed' } });

    const seen = await page.evaluate(
      () =>
        (
          window as unknown as {
            seen: { lead: { score: number }[]; message: { who: string; text: string }[] };
          }
        ).seen,
    );
    // The lead as it started, then each move of its score (the answers, the shared e-mail).
    expect(seen.lead[0]).toMatchObject({ state: 'greeting' });
    expect(seen.lead.at(-1)).toMatchObject({ state: 'questions' });
    expect(seen.lead.length).toBeGreaterThanOrEqual(3);
    const scores = seen.lead.map((l) => l.score);
    expect([...scores].sort((a, b) => a - b)).toEqual(scores);
    expect(seen.message[0]).toMatchObject({ who: 'bot' });
    expect(seen.message.map((m) => m.text)).toContain('Which city or town is your business in?');
    await page.close();
  });
});
