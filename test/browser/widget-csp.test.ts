import { describe, expect, it } from 'vitest';
import { SHOTS, useBrowserApp } from '../support/browser.js';

const SECRET = 'widget-csp-secret-0123456789abcdef';

const page = (server: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Strict</title></head>
<body>
  <p>A site with a strict Content-Security-Policy.</p>
  <script src="${server}/widget.js" data-server="${server}" data-color="#0a7d38"></script>
</body></html>`;

/**
 * The widget on a page whose Content-Security-Policy allows no inline style and no eval: it is styled,
 * it talks to the server, and the browser reports no violation.
 */
describe('the chat widget under a strict CSP, in Chromium', () => {
  const app = useBrowserApp(SECRET);

  it('is styled and works without unsafe-inline or unsafe-eval', async () => {
    const server = app.t.app.url;
    const ws = server.replace(/^http/, 'ws');
    const policy = [
      "default-src 'self'",
      `script-src ${server}`,
      `connect-src ${server} ${ws}`,
      "style-src 'self'",
      "img-src 'self'",
    ].join('; ');
    const tab = await app.browser.newPage();
    tab.setDefaultTimeout(8_000);
    await tab.route(`${server}/strict/**`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        headers: { 'content-security-policy': policy },
        body: page(server),
      }),
    );
    await tab.addInitScript(() => {
      const violations: string[] = [];
      (window as unknown as { violations: string[] }).violations = violations;
      document.addEventListener('securitypolicyviolation', (e) =>
        violations.push(`${e.violatedDirective}: ${e.blockedURI} ${e.sample}`),
      );
    });
    await tab.goto(`${server}/strict/`);

    const bubble = tab.locator('.lcb-bubble');
    await bubble.click();
    await tab.locator('.lcb-input button', { hasText: 'Yes, go ahead' }).click();
    await tab.locator('.lcb-input button', { hasText: 'Kirana' }).waitFor();
    // Its own styles apply: a fixed, round, coloured launcher, a panel in the corner.
    expect(
      await bubble.evaluate((b) => {
        const s = getComputedStyle(b);
        return [s.position, s.width, s.borderRadius, s.backgroundColor];
      }),
    ).toEqual(['fixed', '56px', '50%', 'rgb(10, 125, 56)']);
    expect(await tab.locator('.lcb-panel').evaluate((p) => getComputedStyle(p).position)).toBe('fixed');
    expect(await tab.evaluate(() => (window as unknown as { violations: string[] }).violations)).toEqual([]);
    await tab.screenshot({ path: `${SHOTS}/widget-strict-csp.png` });
    await tab.close();
  });
});
