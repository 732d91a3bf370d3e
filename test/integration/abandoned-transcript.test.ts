import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ANSWERS, GREETING } from '../support/agents.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { TestClock } from '../support/engine.js';
import { Receiver } from '../support/receivers.js';
import { closeClients, visitor } from '../support/sockets.js';
import { waitFor } from '../support/time.js';

/**
 * The `abandoned_with_contact` webhook carries the transcript summary (each answered question with the
 * visitor's answer, in order, and where the conversation stood), delivered through the outbox to a real
 * receiver; other triggers' webhooks do not.
 */

afterEach(closeClients);

describe('the abandoned_with_contact webhook', () => {
  // An hour in the past: after the idle timeout the rows it queues are still due now, for the dispatcher.
  const clock = new TestClock(Date.now() - 60 * 60_000);
  const crm = new Receiver();
  let t: TestApp;

  beforeAll(async () => {
    await crm.start();
    t = await startTestApp(
      {
        WEBHOOK_URL: `${crm.url}/hooks/leads`,
        NOTIFICATION_ROUTES: 'webhook=contact_shared,abandoned_with_contact',
      },
      { now: clock.now },
    );
  });
  afterAll(async () => {
    await t?.close();
    await crm.close();
  });

  it('carries what the visitor answered, in order, and where they left', async () => {
    const v = await visitor(t.app.url);
    await v.say('visitor:reply', GREETING);
    await v.say('visitor:reply', ANSWERS[0]!);
    await v.say('visitor:reply', { text: 'Pune <b>=cmd|</b>' });
    await v.say('visitor:contact', { name: 'Ravi', phone: '98765 43210' });
    const shared = await waitFor('the contact_shared webhook', () =>
      crm.of(v.sessionId).find((h) => h.json?.type === 'lead.contact_shared'),
    );
    expect(shared.json.data.transcript_summary).toBeUndefined();

    clock.advance(31 * 60_000);
    expect(await t.app.engine.expireIdle()).toBe(1);
    const hit = await waitFor('the abandoned_with_contact webhook', () =>
      crm.of(v.sessionId).find((h) => h.json?.type === 'lead.abandoned_with_contact'),
    );
    const summary = hit.json.data.transcript_summary;
    expect(summary).toMatchObject({ answered: 2, last_state: 'abandoned' });
    expect(summary.answers.map((a: { answer: string }) => a.answer)).toEqual([
      expect.any(String),
      'Pune <b>=cmd|</b>',
    ]);
    expect(summary.answers[0].question).toEqual(expect.any(String));
    expect(Date.parse(summary.answers[0].answered_at)).not.toBeNaN();
    expect(crm.of(v.sessionId).filter((h) => h.json?.type === 'lead.abandoned_with_contact')).toHaveLength(1);
  });
});
