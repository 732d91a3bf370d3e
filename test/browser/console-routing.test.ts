import { afterEach, describe, expect, it } from 'vitest';
import { agent } from '../support/agents.js';
import { SHOTS, useBrowserApp } from '../support/browser.js';
import { qualify, routed, routingLog } from '../support/routing.js';
import { closeClients, visitor } from '../support/sockets.js';
import { waitFor } from '../support/time.js';

const SECRET = 'console-routing-secret-0123456789';

/**
 * Routing in the agent console: an assignment arrives live on the board with its owner, the agent's
 * own leads come first, marking one contacted is a button, and speed to lead shows in the analytics.
 */
describe('routing in the agent console (Chromium)', () => {
  const app = useBrowserApp(SECRET);
  afterEach(() => closeClients());

  it("shows each lead's owner as it is assigned, the agent's own leads first, and marks one contacted", async () => {
    const page = await app.browser.newPage();
    await page.goto(`${app.t.app.url}/agent`);
    await page.fill('#token', app.token);
    await page.click('button[type=submit]');
    await page.waitForSelector('#console:not([hidden])');
    // Asha signed in on the page; Bala has a console open too.
    await agent(app.t.app.url, { id: 'bala', name: 'Bala', role: 'agent' }, { secret: SECRET });
    await waitFor('both online', async () => (await app.t.app.routing.agents.list()).length === 2);

    // The turn goes by agent id: asha, then bala. The later lead is the more recent one of the same score.
    const first = await qualify(await visitor(app.t.app.url));
    expect((await routed(app.t.db, first)).assigned_to).toBe('asha');
    const second = await qualify(await visitor(app.t.app.url));
    expect((await routed(app.t.db, second)).assigned_to).toBe('bala');

    // Both assignments arrived live, while the page was open.
    const owner = (id: string) => page.locator(`#board-body tr[data-session="${id}"] td.owner`);
    await owner(first).filter({ hasText: 'Asha' }).waitFor();
    await owner(second).filter({ hasText: 'Bala' }).waitFor();
    const order = await page
      .locator('#board-body tr')
      .evaluateAll((rows) =>
        rows.map((r) => [(r as HTMLElement).dataset.session, r.classList.contains('mine')] as const),
      );
    // (A row that just changed is also highlighted: only the `mine` class counts here.)
    expect(order[0]).toEqual([first, true]);
    expect(order.find(([id]) => id === second)?.[1]).toBe(false);
    // The owner filter: the agent's own leads alone, then the leads nobody holds (none here).
    const rows = () =>
      page.locator('#board-body tr').evaluateAll((rs) => rs.map((r) => (r as HTMLElement).dataset.session));
    await page.selectOption('#filter-owner', 'mine');
    expect(await rows()).toEqual([first]);
    await page.selectOption('#filter-owner', 'unassigned');
    expect(await rows()).toEqual([]);
    await page.selectOption('#filter-owner', '');
    expect(new Set(await rows())).toEqual(new Set([first, second]));

    await page.click(`#board-body tr[data-session="${first}"]`);
    await page.locator('#transcript li.note', { hasText: 'assigned to Asha (team sales)' }).waitFor();
    await page.click('#contacted');
    await page.locator('#transcript li.note', { hasText: 'Asha marked contacted' }).waitFor();
    await waitFor('the lead marked contacted', async () =>
      (await routingLog(app.t.db, first)).some((e) => e.type === 'agent.contacted'),
    );
    // Speed to lead sits under the charts of the Analytics tab.
    await page.click('#tab-analytics');
    await page.locator('#speed h3', { hasText: /2 routed, 1 waiting/ }).waitFor();
    await page.locator('#speed td', { hasText: 'Asha' }).waitFor();
    await page.screenshot({ path: `${SHOTS}/console-routing.png`, fullPage: true });
    await page.close();
  });
});
