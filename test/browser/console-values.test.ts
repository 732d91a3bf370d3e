import { afterEach, describe, expect, it } from 'vitest';
import { loadWorkflow } from '../../src/workflow/load.js';
import { SHOTS, useBrowserApp } from '../support/browser.js';
import { closeClients, visitor } from '../support/sockets.js';

const SECRET = 'console-values-secret-0123456789';

/**
 * The agent console on the BUILT-IN workflow (its options carry answer values): the board shows each
 * lead's fit and engagement, the lead detail its answer_value ledger lines with the options that earned
 * them, and the analytics panel the average fit and engagement per classification.
 */
describe('agent console: fit and engagement', () => {
  const app = useBrowserApp(SECRET, { workflow: loadWorkflow() });
  afterEach(() => closeClients());

  it('shows the score split on the board and the answer values line by line in the lead', async () => {
    const page = await app.browser.newPage();
    await page.goto(`${app.t.app.url}/agent`);
    await page.fill('#token', app.token);
    await page.click('button[type=submit]');
    await page.waitForSelector('#console:not([hidden])');

    const v = await visitor(app.t.app.url);
    await v.say('visitor:reply', { optionIds: ['yes'] });
    await v.say('visitor:reply', { optionIds: ['wholesale_fmcg'] });
    await v.say('visitor:reply', { text: 'Pune' });
    const last = await v.say('visitor:reply', { optionIds: ['more_than_fifteen'] });
    // Wholesale +10, a metro +5, more than 15 staff +10.
    const fit = 25;
    const engagement = last.score - fit;

    const row = page.locator(`#board-body tr[data-session="${v.sessionId}"]`);
    await row.locator('td.parts', { hasText: `${fit} / ${engagement}` }).waitFor();
    expect(Number(await row.locator('td.score').textContent())).toBe(last.score);

    await row.click();
    await page.locator('#profile li', { hasText: `fit_score: ${fit}` }).waitFor();
    await page.locator('#profile li', { hasText: `engagement_score: ${engagement}` }).waitFor();
    const ledger = await page.locator('#ledger li').allTextContents();
    // Each answer_value line names its question and the option (or the rule) that earned it.
    const line = (points: number, ...evidence: string[]) =>
      ledger.find((l) => l.startsWith(`+${points} answer_value (`) && evidence.every((e) => l.includes(e)));
    expect(line(10, 'questionId=2', 'optionId=wholesale_fmcg', 'label=Wholesale / FMCG')).toBeDefined();
    expect(line(5, 'questionId=3', 'pattern=', 'pune')).toBeDefined();
    expect(line(10, 'questionId=4', 'optionId=more_than_fifteen', 'label=More than 15')).toBeDefined();
    // The transcript's score lines carry the split too.
    await page
      .locator('#transcript li.score', { hasText: `fit ${fit} + engagement ${engagement}` })
      .waitFor();

    // The analytics panel: average fit and engagement per classification.
    await page.click('#tab-analytics');
    const chart = page.locator('#analytics figure', {
      hasText: 'Average fit + engagement per classification',
    });
    await chart.locator('.datum[data-fit]').first().waitFor({ state: 'attached' });
    await page.screenshot({ path: `${SHOTS}/console-fit-engagement.png`, fullPage: true });
    await page.close();
  });
});
