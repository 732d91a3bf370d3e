import { describe, expect, it } from 'vitest';
import { SHOTS, useBrowserApp } from '../support/browser.js';
import { routingFile } from '../support/routing.js';

const SECRET = 'widget-hours-secret-0123456789abcd';
// Friday 27 November 2026, 22:00 in India: the team opens again on Monday at 9:00.
const FRIDAY_NIGHT = Date.parse('2026-11-27T22:00:00+05:30');

/** The widget, after hours, in Chromium: it says when the team is back, in the team's zone. */
describe('the chat widget after hours, in Chromium', () => {
  const hours = {
    timeZone: 'Asia/Kolkata',
    weekly: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['09:00', '18:00']]])),
  };
  const app = useBrowserApp(
    SECRET,
    { now: () => FRIDAY_NIGHT },
    { ROUTING_FILE: routingFile({ teams: [{ name: 'sales', hours }], defaultTeam: 'sales' }) },
  );

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
});
