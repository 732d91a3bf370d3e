import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHOTS, useBrowserApp } from '../support/browser.js';
import { closeClients, visitor } from '../support/sockets.js';
import { waitFor } from '../support/time.js';
import {
  FakeGraph,
  notification,
  postWebhook,
  statusNotification,
  text,
  whatsappEnv,
} from '../support/whatsapp.js';

const SECRET = 'console-whatsapp-secret-0123456789';

/**
 * A WhatsApp session in the agent console in Chromium: marked on the board, taken over and answered
 * (the reply leaves as a WhatsApp text), and the template notice outside the 24-hour window.
 */
describe('WhatsApp sessions in the agent console', () => {
  const graph = new FakeGraph();
  const env: Record<string, string> = {};
  beforeAll(async () => {
    await graph.start();
    Object.assign(env, whatsappEnv(graph.url));
  });
  afterAll(async () => {
    closeClients();
    await graph.close();
  });
  const app = useBrowserApp(SECRET, {}, env);

  it('marks the session WhatsApp on the board; the agent replies inside the window and is told about templates outside it', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${app.t.app.url}/agent`);
    await page.fill('#token', app.token);
    await page.click('button[type=submit]');
    await page.waitForSelector('#console:not([hidden])');

    const web = await visitor(app.t.app.url);
    const waId = '919876512345';
    expect((await postWebhook(app.t.app.url, notification(waId, text('Hi')))).status).toBe(200);
    await graph.nth(waId, 1);
    const [link] = await app.t.db.query<{ session_id: string }>(
      'select session_id from whatsapp_contacts where wa_id = $1',
      [waId],
    );
    const row = page.locator(`#board-body tr[data-session="${link!.session_id}"]`);
    await row.locator('.channel.whatsapp', { hasText: 'WhatsApp' }).waitFor();
    await page.locator(`#board-body tr[data-session="${web.sessionId}"]`).waitFor();
    expect(await page.locator(`#board-body tr[data-session="${web.sessionId}"] .channel`).count()).toBe(0);

    await row.click();
    // The greeting's delivery, as Meta reports it.
    await page.locator('#wa-delivery', { hasText: 'buttons: accepted' }).waitFor();
    const greeting = (await graph.nth(waId, 1)).wamid!;
    await postWebhook(
      app.t.app.url,
      statusNotification([{ wamid: greeting, status: 'read', recipient: waId }]),
    );
    await page.locator('#wa-delivery', { hasText: 'buttons: read' }).waitFor({ timeout: 15_000 });
    await page.click('#takeover');
    await page.fill('#message', 'Hello from Asha');
    await page.press('#message', 'Enter');
    const reply = await graph.nth(waId, 2);
    expect(reply.payload.text.body).toBe('Hello from Asha');

    await app.t.db.query(
      "update whatsapp_inbox set sent_at = sent_at - interval '25 hours' where wa_id = $1",
      [waId],
    );
    await page.fill('#message', 'Still there?');
    await page.press('#message', 'Enter');
    await waitFor('the template notice', async () =>
      /template/.test((await page.textContent('#status')) ?? ''),
    );
    expect(graph.to(waId)).toHaveLength(2);
    await page.screenshot({ path: `${SHOTS}/console-whatsapp.png` });
    await context.close();
  });
});
