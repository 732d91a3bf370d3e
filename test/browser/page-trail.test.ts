import { describe, expect, it } from 'vitest';
import { SHOTS, useBrowserApp } from '../support/browser.js';

const SECRET = 'page-trail-browser-secret-0123456789';

/**
 * A tiny single-page app: links that navigate with history.pushState (and set the title after, as
 * routers do), the widget embedded as a site embeds it.
 */
const shop = (server: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop — Home</title></head>
<body>
  <nav>
    <a href="/shop/" data-title="Shop — Home">Home</a>
    <a href="/shop/pricing" data-title="Shop — Pricing">Pricing</a>
    <a href="/shop/features" data-title="Shop — Features">Features</a>
  </nav>
  <h1 id="view">Home</h1>
  <script>
    document.querySelector('nav').addEventListener('click', (e) => {
      const a = e.target.closest('a');
      if (!a) return;
      e.preventDefault();
      history.pushState({}, '', a.getAttribute('href'));
      document.title = a.dataset.title;
      document.getElementById('view').textContent = a.textContent;
    });
  </script>
  <script src="${server}/widget.js" data-server="${server}"></script>
</body></html>`;

/**
 * The agent console shows where a visitor is, live: a single-page app with the widget navigates by
 * pushState, a hash change and the back button, and the board row ("now on …") and the session
 * view's page trail follow each navigation without a reload.
 */
describe('page trail in Chromium', () => {
  const app = useBrowserApp(SECRET);

  it('follows pushState, hashchange and popstate navigations live on the board and in the session view', async () => {
    const { t, browser, token } = app;
    const consolePage = await browser.newPage();
    await consolePage.goto(`${t.app.url}/agent`);
    await consolePage.fill('#token', token);
    await consolePage.click('button[type=submit]');
    await consolePage.waitForSelector('#console:not([hidden])');

    const visitor = await browser.newPage();
    // The shop is served to the browser as a page of its own; every path under /shop is the app.
    await visitor.route(`${t.app.url}/shop/**`, (route) =>
      route.fulfill({ contentType: 'text/html', body: shop(t.app.url) }),
    );
    await visitor.goto(`${t.app.url}/shop/`);

    // The page it loaded on, on the board.
    const row = consolePage.locator('#board-body tr').first();
    await row.locator('td.page', { hasText: 'now on /shop/' }).waitFor();
    await row.click();
    const nowOn = consolePage.locator('#now-on');
    await nowOn.filter({ hasText: 'now on /shop/ (Shop — Home)' }).waitFor();

    // pushState: the view and the board follow.
    await visitor.click('nav a:has-text("Pricing")');
    await nowOn.filter({ hasText: 'now on /shop/pricing (Shop — Pricing)' }).waitFor();
    await row.locator('td.page', { hasText: 'now on /shop/pricing' }).waitFor();
    // A hash change.
    await visitor.evaluate(() => {
      location.hash = 'faq';
    });
    await nowOn.filter({ hasText: 'now on /shop/pricing#faq' }).waitFor();
    // Back (popstate) and on again.
    await visitor.goBack();
    await consolePage.locator('#trail li').nth(3).waitFor();
    await visitor.click('nav a:has-text("Features")');
    await nowOn.filter({ hasText: 'now on /shop/features (Shop — Features)' }).waitFor();
    await row.locator('td.page', { hasText: 'now on /shop/features' }).waitFor();

    const trail = await consolePage.locator('#trail li').allTextContents();
    expect(trail.map((s) => s.split(' — ')[0])).toEqual([
      '/shop/',
      '/shop/pricing',
      '/shop/pricing#faq',
      '/shop/pricing',
      '/shop/features',
    ]);
    // Every page but the one the visitor is on has its time, measured by the server.
    expect(trail.slice(0, -1).every((s) => / · [\d.]+ s$/.test(s))).toBe(true);
    expect(trail.at(-1)).toBe('/shop/features — Shop — Features');
    // The transcript has the views in the log's order, among the bot's messages.
    await consolePage.locator('#transcript li', { hasText: 'viewed /shop/features' }).waitFor();

    // The same trail through the tracking call.
    const sessionId = await row.getAttribute('data-session');
    const journey = await (await fetch(`${t.app.url}/api/tracking/journey/${sessionId}`)).json();
    expect(journey.pages.map((p: { page_url: string }) => new URL(p.page_url).pathname)).toEqual([
      '/shop/',
      '/shop/pricing',
      '/shop/pricing',
      '/shop/pricing',
      '/shop/features',
    ]);

    await consolePage.screenshot({ path: `${SHOTS}/page-trail-console.png`, fullPage: true });
    await visitor.screenshot({ path: `${SHOTS}/page-trail-shop.png` });
  });
});
