import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { SHOTS, useBrowserApp } from '../support/browser.js';
import { JOURNEY } from '../support/journey.js';
import { closeClients, type VisitorClient, visitor } from '../support/sockets.js';

const SECRET = 'console-board-secret-0123456789';

/**
 * The console's board in Chromium: filters that combine with the search, the sort orders, and a lead
 * turning SQL live (the row highlighted, a toast, a browser notification; sound only when turned on).
 */
describe('agent console board in Chromium', () => {
  const app = useBrowserApp(SECRET);
  afterEach(() => closeClients());

  async function signIn(reducedMotion: 'reduce' | 'no-preference' = 'no-preference'): Promise<Page> {
    const context = await app.browser.newContext({ reducedMotion, viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['notifications'], { origin: app.t.app.url });
    // Notifications the console shows are recorded (the browser's own, wrapped).
    await context.addInitScript(() => {
      const shown: string[] = [];
      (window as unknown as { shownNotifications: string[] }).shownNotifications = shown;
      window.Notification = new Proxy(window.Notification, {
        construct(target, args: [string, NotificationOptions?]) {
          shown.push(args[0]);
          return Reflect.construct(target, args);
        },
        get: (target, key) => Reflect.get(target, key, target),
      });
    });
    const page = await context.newPage();
    await page.goto(`${app.t.app.url}/agent`);
    await page.fill('#token', app.token);
    await page.click('button[type=submit]');
    await page.waitForSelector('#console:not([hidden])');
    return page;
  }
  const board = (page: Page) =>
    page.locator('#board-body tr').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.session));

  it('filters by classification, state, source and presence together with the search, and sorts', async () => {
    const page = await signIn();
    const meera = await visitor(app.t.app.url, { auth: { utmSource: 'google' } });
    await meera.say('visitor:reply', { optionIds: ['yes'] });
    await meera.say('visitor:reply', { optionIds: ['restaurant_cafe'] });
    const ravi = await visitor(app.t.app.url, { auth: { utmSource: 'newsletter' } });
    for (const [event, payload] of JOURNEY) await ravi.say(event, payload);
    const dev = await visitor(app.t.app.url, { auth: { utmSource: 'google' } });
    await dev.say('visitor:reply', { optionIds: ['yes'] });
    await dev.say('visitor:reply', { optionIds: ['restaurant_cafe'] });
    await dev.say('visitor:reply', { text: 'Pune' });
    const row = (v: VisitorClient) => page.locator(`#board-body tr[data-session="${v.sessionId}"]`);
    await row(ravi).locator('.badge.sql').waitFor();
    await row(dev).locator('td', { hasText: 'Restaurant' }).waitFor();
    await row(meera).locator('td', { hasText: 'Restaurant' }).waitFor();
    dev.socket.close();
    await row(dev).locator('td.offline').waitFor();

    await page.selectOption('#filter-class', 'SQL');
    expect(await board(page)).toEqual([ravi.sessionId]);
    await page.selectOption('#filter-class', '');
    await page.selectOption('#filter-source', 'google');
    expect(new Set(await board(page))).toEqual(new Set([meera.sessionId, dev.sessionId]));
    await page.selectOption('#filter-online', 'true');
    expect(await board(page)).toEqual([meera.sessionId]);
    await page.selectOption('#filter-online', 'false');
    expect(await board(page)).toEqual([dev.sessionId]);
    // The search narrows what the filters let through, and the other way round.
    await page.selectOption('#filter-online', '');
    await page.fill('#search', 'pune');
    expect(await board(page)).toEqual([dev.sessionId]);
    await page.selectOption('#filter-state', 'completed');
    expect(await board(page)).toEqual([]);
    await page.fill('#search', '');
    await page.selectOption('#filter-source', '');
    expect(await board(page)).toEqual([ravi.sessionId]);
    await page.selectOption('#filter-state', '');

    // Sorts: by score (highest first), by creation and by last activity (newest first).
    const scores = async () => (await page.locator('#board-body td.score').allTextContents()).map(Number);
    const byScore = await scores();
    expect(byScore).toEqual([...byScore].sort((a, b) => b - a));
    expect((await board(page))[0]).toBe(ravi.sessionId);
    await page.selectOption('#sort', 'created');
    expect(await board(page)).toEqual([dev.sessionId, ravi.sessionId, meera.sessionId]);
    await meera.say('visitor:reply', { text: 'Nashik' });
    await page.selectOption('#sort', 'activity');
    await expect.poll(async () => (await board(page))[0]).toBe(meera.sessionId);
    await page.screenshot({ path: `${SHOTS}/console-board-filters.png`, fullPage: true });
    await page.context().close();
  });

  it('highlights a row that changes live and alerts when a lead turns SQL', async () => {
    const page = await signIn('reduce');
    // Sound is off until the agent turns it on, and the choice is remembered.
    expect(await page.locator('#sound').isChecked()).toBe(false);
    await page.check('#sound');
    await page.reload();
    await page.waitForSelector('#console:not([hidden])');
    expect(await page.locator('#sound').isChecked()).toBe(true);
    expect(await page.evaluate(() => localStorage.getItem('lcb-agent-sound'))).toBe('on');

    const ravi = await visitor(app.t.app.url);
    await ravi.say(...JOURNEY[0]!);
    const row = page.locator(`#board-body tr[data-session="${ravi.sessionId}"]`);
    await row.waitFor();
    for (const [event, payload] of JOURNEY.slice(1)) await ravi.say(event, payload);

    const toast = page.locator('#toasts .toast', { hasText: 'New SQL lead' });
    await toast.waitFor();
    expect(await page.locator('#toasts').getAttribute('role')).toBe('status');
    await row.locator('.badge.sql').waitFor();
    await page.locator(`#board-body tr.changed[data-session="${ravi.sessionId}"]`).waitFor();
    // Under reduced motion the highlight is a still outline, not a fade.
    expect(await row.evaluate((tr) => getComputedStyle(tr).animationName)).toBe('none');
    expect(await row.evaluate((tr) => getComputedStyle(tr).outlineStyle)).toBe('solid');
    await expect
      .poll(() =>
        page.evaluate(() => (window as unknown as { shownNotifications: string[] }).shownNotifications),
      )
      .toContainEqual(expect.stringContaining('New SQL lead'));
    await page.screenshot({ path: `${SHOTS}/console-sql-alert.png`, fullPage: true });

    // The toast opens the session.
    await toast.locator('button', { hasText: 'Open' }).click();
    await page.locator('#transcript li.visitor').first().waitFor();
    // From the Analytics tab, a toast's Open shows the board with the session.
    await page.click('#tab-analytics');
    const asha = await visitor(app.t.app.url);
    for (const [event, payload] of JOURNEY) await asha.say(event, payload);
    const second = page.locator(`#toasts .toast[data-session="${asha.sessionId}"]`);
    await second.locator('button', { hasText: 'Open' }).click();
    expect(await page.locator('#tab-board').getAttribute('aria-selected')).toBe('true');
    await page.locator('#board-view').waitFor();
    await expect
      .poll(() => page.evaluate(() => sessionStorage.getItem('lcb-agent-session')))
      .toBe(asha.sessionId);
    await page.locator('#transcript > li.visitor', { hasText: 'Talk to Sales' }).waitFor();
    // The highlight goes after a moment.
    await page
      .locator(`#board-body tr.changed[data-session="${ravi.sessionId}"]`)
      .waitFor({ state: 'detached' });
    await page.context().close();
  });

  it('fades a changed row in when motion is welcome', async () => {
    const page = await signIn();
    const v = await visitor(app.t.app.url);
    await v.say(...JOURNEY[0]!);
    const row = page.locator(`#board-body tr.changed[data-session="${v.sessionId}"]`);
    await row.waitFor();
    expect(await row.evaluate((tr) => getComputedStyle(tr).animationName)).toBe('row-flash');
    await page.context().close();
  });
});
