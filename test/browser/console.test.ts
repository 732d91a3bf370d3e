import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentTokens } from '../../src/agents/tokens.js';
import { SHOTS, useBrowserApp } from '../support/browser.js';
import { closeClients, visitor } from '../support/sockets.js';
import { waitFor } from '../support/time.js';

const SECRET = 'console-test-secret-0123456789';

/**
 * The agent console in Chromium against a real server: the transcript in the options' words, an
 * analytics panel that counts what the analytics API counts and follows the board, a sign-in that
 * survives a reload and says when it ran out, and the board's counts and search.
 */
describe('agent console in Chromium', () => {
  const app = useBrowserApp(SECRET);
  afterEach(() => closeClients());

  async function signIn(token = app.token): Promise<Page> {
    const page = await app.browser.newPage();
    await page.goto(`${app.t.app.url}/agent`);
    await page.fill('#token', token);
    await page.click('button[type=submit]');
    await page.waitForSelector('#console:not([hidden])');
    return page;
  }

  it('shows the options a visitor picked by their labels, each line with its time', async () => {
    const page = await signIn();
    const v = await visitor(app.t.app.url);
    await v.say('visitor:reply', { optionIds: ['yes'] });
    await v.say('visitor:reply', { optionIds: ['kirana_retail'] });
    // Typed text that happens to be an option's id (the business question's "other") stays as typed.
    await v.say('visitor:reply', { text: 'other' });
    await v.say('visitor:reply', { optionIds: ['two_to_five'] });

    await page.click(`#board-body tr[data-session="${v.sessionId}"]`);
    await page.locator('#transcript li.visitor', { hasText: 'Kirana / Retail Shop' }).waitFor();
    await page.locator('#transcript li.visitor', { hasText: '2–5' }).waitFor();
    expect(await page.locator('#transcript li.visitor .said').allTextContents()).toContainEqual(
      expect.stringMatching(/:\d\dother$/),
    );
    // Live events too: the next answer arrives while the session is open.
    await v.say('visitor:reply', { optionIds: ['50k_2l'] });
    await page.locator('#transcript li.visitor', { hasText: /₹50K/ }).waitFor();

    const text = (await page.locator('#transcript').textContent()) ?? '';
    for (const id of ['kirana_retail', 'two_to_five', '50k_2l']) expect(text).not.toContain(id);
    const times = await page
      .locator('#transcript li time')
      .evaluateAll((ts) => ts.map((t) => [(t as HTMLTimeElement).dateTime, t.textContent]));
    expect(times.length).toBe(await page.locator('#transcript li').count());
    for (const [at, shown] of times) {
      expect(Number.isNaN(Date.parse(String(at)))).toBe(false);
      expect(shown).toMatch(/\d{1,2}:\d{2}:\d{2}/);
    }
    await page.screenshot({ path: `${SHOTS}/console-transcript.png`, fullPage: true });
    await page.close();
  });

  it('counts in its analytics what the analytics API counts for the same range, and follows new leads', async () => {
    const page = await signIn();
    await page.click('#tab-analytics');
    const total = page.locator('#analytics p', { hasText: / leads, / });
    await total.waitFor();
    const api = async () => {
      // The range the panel last asked for, as it labels itself.
      const range = await page.locator('#analytics').evaluate((a) => ({ ...(a as HTMLElement).dataset }));
      expect(range.from && range.to).toBeTruthy();
      const q = new URLSearchParams({ from: String(range.from), to: String(range.to) });
      const res = await fetch(`${app.t.app.url}/api/analytics/leads?${q}`, {
        headers: { authorization: `Bearer ${app.token}` },
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { total_leads: number }).total_leads;
    };
    const shown = async () => Number((await total.textContent())?.match(/(\d+) leads/)?.[1]);
    const before = await shown();
    expect(before).toBe(await api());
    await page.screenshot({ path: `${SHOTS}/console-analytics.png`, fullPage: true });

    // A new lead arrives while the console is open: the panel counts it without a reload.
    const v = await visitor(app.t.app.url);
    await v.say('visitor:reply', { optionIds: ['yes'] });
    await page.locator(`#board-body tr[data-session="${v.sessionId}"]`).waitFor({ state: 'attached' });
    await waitFor('the panel to count the new lead', async () => (await shown()) === before + 1);
    expect(await shown()).toBe(await api());
    expect(await total.textContent()).toContain(`${before + 1} leads`);
    await page.close();
  });
  it('stays signed in, with the open session, across a reload', async () => {
    const page = await signIn();
    const v = await visitor(app.t.app.url);
    await v.say('visitor:reply', { optionIds: ['yes'] });
    await page.click(`#board-body tr[data-session="${v.sessionId}"]`);
    await page.locator('#transcript li.visitor', { hasText: 'Yes, go ahead' }).waitFor();

    await page.reload();
    // No token typed again: the console and the session it had open come back.
    await page.waitForSelector('#console:not([hidden])');
    await page.locator(`#board-body tr[data-session="${v.sessionId}"]`).waitFor();
    await page.locator('#transcript li.visitor', { hasText: 'Yes, go ahead' }).waitFor();
    expect(await page.locator('#signin').isHidden()).toBe(true);
    await page.close();
  });

  it('says when the sign-in expired and asks for a token again, also after a reload', async () => {
    const short = await new AgentTokens(SECRET).sign({ id: 'asha', name: 'Asha', role: 'agent' }, 2);
    const page = await signIn(short);
    await page.locator('#status', { hasText: /expired at \d{1,2}:\d{2}:\d{2}/ }).waitFor({ timeout: 10_000 });
    await page.waitForSelector('#console[hidden]', { state: 'attached' });
    expect(await page.locator('#signin').isVisible()).toBe(true);
    await page.screenshot({ path: `${SHOTS}/console-expired.png` });
    // The expired token is forgotten: a reload does not try it again.
    await page.reload();
    expect(await page.evaluate(() => sessionStorage.getItem('lcb-agent-token'))).toBeNull();
    expect(await page.locator('#signin').isVisible()).toBe(true);

    // A token the server refuses at the handshake says so and leaves the sign-in open.
    await page.fill('#token', 'not-a-token');
    await page.click('button[type=submit]');
    await page.locator('#status', { hasText: 'Sign-in refused' }).waitFor();
    expect(await page.locator('#console').isHidden()).toBe(true);
    await page.close();
  });
  it('counts the board by classification and filters it by name, e-mail, business and city', async () => {
    const page = await signIn();
    const meera = await visitor(app.t.app.url);
    await meera.say('visitor:reply', { optionIds: ['yes'] });
    await meera.say('visitor:reply', { optionIds: ['restaurant_cafe'] });
    await meera.say('visitor:reply', { text: 'Pune, Maharashtra' });
    const ravi = await visitor(app.t.app.url);
    await ravi.say('visitor:reply', { optionIds: ['yes'] });
    await ravi.say('visitor:reply', { optionIds: ['wholesale_fmcg'] });
    await ravi.say('visitor:reply', { text: 'Nagpur' });
    await ravi.say('visitor:contact', { name: 'Ravi Kumar', email: 'ravi@shop.example' });
    const rowOf = (v: typeof meera) => page.locator(`#board-body tr[data-session="${v.sessionId}"]`);
    await rowOf(ravi).locator('td', { hasText: 'Ravi Kumar' }).waitFor();
    await rowOf(meera).locator('td', { hasText: 'Restaurant' }).waitFor();

    const count = async (c: string) =>
      Number((await page.locator(`#counts [data-classification="${c}"]`).textContent())?.match(/\d+/)?.[0]);
    const board = async () =>
      page
        .locator('#board-body tr')
        .evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.session));
    const all = await board();
    const classes = await page.locator('#board-body .badge').allTextContents();
    for (const c of ['SQL', 'MQL', 'Unqualified']) {
      expect(await count(c)).toBe(classes.filter((x) => x === c).length);
    }

    const search = async (q: string) => {
      await page.fill('#search', q);
      return board();
    };
    expect(await search('pune')).toEqual([meera.sessionId]);
    expect(await search('RAVI@shop')).toEqual([ravi.sessionId]);
    expect(await search('wholesale')).toEqual([ravi.sessionId]);
    expect(await search('ravi kumar')).toEqual([ravi.sessionId]);
    expect((await count('MQL')) + (await count('SQL')) + (await count('Unqualified'))).toBe(1);
    await page.screenshot({ path: `${SHOTS}/console-search.png`, fullPage: true });
    expect(await search('nobody-by-this-name')).toEqual([]);
    // Clearing the box shows the whole board again.
    expect(await search('')).toEqual(expect.arrayContaining(all));
    await page.close();
  });
});
