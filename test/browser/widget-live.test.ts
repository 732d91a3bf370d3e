import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { agent } from '../support/agents.js';
import { SHOTS, useBrowserApp } from '../support/browser.js';
import { ask, expectOk } from '../support/sockets.js';

const SECRET = 'widget-live-secret-0123456789abcd';

/**
 * The widget as a live conversation in Chromium: the history comes back from the server's log after a
 * reload and in another tab, a reply typed while the connection is down is sent once when it is back,
 * and the visitor and the agent each see the other typing.
 */
describe('the chat widget, live, in Chromium', () => {
  const app = useBrowserApp(SECRET);

  async function open(page: Page): Promise<void> {
    page.setDefaultTimeout(8_000);
    await page.goto(`${app.t.app.url}/`);
    await page.click('.lcb-bubble');
  }
  const choose = (page: Page, label: string) =>
    page.locator('.lcb-input button', { hasText: label }).first().click();
  const sessionOf = (page: Page) =>
    page.evaluate(() => Object.entries(localStorage).find(([k]) => k.startsWith('lcb-session'))?.[1] ?? '');
  const lines = (page: Page) =>
    page.locator('.lcb-msg').evaluateAll((els) =>
      els.map((e) => ({
        who: e.className.replace('lcb-msg lcb-', ''),
        text: e.firstChild?.textContent ?? '',
        at: e.querySelector('time')?.getAttribute('datetime') ?? null,
      })),
    );

  it('restores the conversation from the server after a reload and in another tab', async () => {
    const context = await app.browser.newContext();
    const page = await context.newPage();
    await open(page);
    await choose(page, 'Yes, go ahead');
    await choose(page, 'Restaurant / Café');
    await page.locator('.lcb-bot', { hasText: 'city' }).first().waitFor();
    const sessionId = await sessionOf(page);
    const asha = await agent(app.t.app.url, { id: 'asha', name: 'Asha', role: 'agent' }, { secret: SECRET });
    expectOk(await ask(asha.socket, 5000, 'session:takeover', { sessionId }));
    expectOk(await ask(asha.socket, 5000, 'agent:message', { sessionId, text: 'Hello from Asha' }));
    await page.locator('.lcb-agent', { hasText: 'Hello from Asha' }).waitFor();
    const before = (await lines(page)).filter((l) => l.who !== 'note');

    await page.reload();
    await page.click('.lcb-bubble');
    await page.locator('.lcb-agent', { hasText: 'Asha: Hello from Asha' }).waitFor();
    const after = await lines(page);
    // The same lines in the same order, the visitor's answers by their labels, each with its time.
    expect(after.map(({ who, text }) => ({ who, text }))).toEqual(
      before.map(({ who, text }) => ({ who, text })),
    );
    expect(after.map((l) => l.who)).toEqual(['bot', 'me', 'bot', 'me', 'bot', 'agent']);
    expect(after.find((l) => l.who === 'me')?.text).toBe('Yes, go ahead');
    for (const l of after) expect(Number.isNaN(Date.parse(l.at ?? ''))).toBe(false);
    await page.screenshot({ path: `${SHOTS}/widget-history-reload.png` });

    // Another tab of the same site: the same session, the same history.
    const tab = await context.newPage();
    await open(tab);
    await tab.locator('.lcb-agent', { hasText: 'Hello from Asha' }).waitFor();
    expect((await lines(tab)).map((l) => l.text)).toEqual(after.map((l) => l.text));
    await tab.screenshot({ path: `${SHOTS}/widget-history-tab.png` });
    asha.socket.close();
    await context.close();
  });

  it('shows "Reconnecting…" while offline and sends a reply typed then once, when back', async () => {
    const context = await app.browser.newContext();
    const page = await context.newPage();
    await open(page);
    await choose(page, 'Yes, go ahead');
    await choose(page, 'Restaurant / Café');
    const text = page.locator('.lcb-input input[type=text]');
    await text.waitFor();
    const sessionId = await sessionOf(page);

    await context.setOffline(true);
    await page.locator('.lcb-status', { hasText: 'Reconnecting…' }).waitFor();
    await text.fill('Pune');
    await page.locator('.lcb-input button', { hasText: 'Send' }).click();
    await page.locator('.lcb-me', { hasText: 'Pune' }).waitFor();
    await page.screenshot({ path: `${SHOTS}/widget-reconnecting.png` });

    await context.setOffline(false);
    // Delivered: the next question comes, and the banner goes.
    await page.locator('.lcb-bot', { hasText: 'How many people' }).first().waitFor();
    await page.locator('.lcb-status').waitFor({ state: 'hidden' });
    const log = await app.t.app.engine.eventLog(sessionId);
    const sent = log.filter(
      (e) => e.type === 'visitor.input' && (e.data.command as { text?: string }).text === 'Pune',
    );
    expect(sent).toHaveLength(1);
    expect(await page.locator('.lcb-me', { hasText: 'Pune' }).count()).toBe(1);
    await page.screenshot({ path: `${SHOTS}/widget-reconnected.png` });
    await context.close();
  });

  it('shows the agent typing to the visitor and the visitor typing to the agent', async () => {
    const { t, browser, token } = app;
    const visitor = await browser.newPage();
    await open(visitor);
    await choose(visitor, 'Yes, go ahead');
    await choose(visitor, 'Restaurant / Café');
    await visitor.locator('.lcb-input input[type=text]').waitFor();
    const sessionId = await sessionOf(visitor);

    const desk = await browser.newPage();
    desk.setDefaultTimeout(8_000);
    await desk.goto(`${t.app.url}/agent`);
    await desk.fill('#token', token);
    await desk.click('button[type=submit]');
    await desk.locator(`#board-body tr[data-session="${sessionId}"]`).click();
    await desk.click('#takeover');
    await visitor.locator('.lcb-note', { hasText: 'Asha joined the chat' }).waitFor();

    await desk.locator('#message').pressSequentially('Let me check');
    await visitor.locator('.lcb-typing', { hasText: 'Asha is typing…' }).waitFor();
    await visitor.screenshot({ path: `${SHOTS}/widget-agent-typing.png` });
    await desk.click('#send-form button[type=submit]');
    await visitor.locator('.lcb-agent', { hasText: 'Let me check' }).waitFor();
    await visitor.locator('.lcb-typing').waitFor({ state: 'hidden' });

    await visitor.locator('.lcb-input input[type=text]').pressSequentially('Mumbai');
    await desk.locator('#typing', { hasText: 'Visitor is typing…' }).waitFor();
    await desk.screenshot({ path: `${SHOTS}/console-visitor-typing.png` });
    // Sent: the visitor stopped typing, and the console says so at once.
    await visitor.keyboard.press('Enter');
    await expect.poll(() => desk.locator('#typing').textContent()).toBe('');
    await desk.close();
    await visitor.close();
  });
});
