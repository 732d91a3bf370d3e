import { afterEach, describe, expect, it } from 'vitest';
import { ANSWERS, agent, GREETING } from '../support/agents.js';
import { serverFor } from '../support/app.js';
import { closeClients, visitor } from '../support/sockets.js';

/**
 * A visitor who shared contact details and then went idle (or left) before choosing a CTA is worth a
 * follow-up: `abandoned_with_contact` fires once, through the outbox; one who gave none fires nothing.
 */

afterEach(closeClients);

describe('abandoned with contact', () => {
  const server = serverFor({
    SECRET_KEY: 'abandoned-test-secret-0123456789abcdef',
    // A channel, so that the outbox gets rows (what is delivered is notifications-*.test.ts's concern).
    WEBHOOK_URL: 'http://127.0.0.1:9/crm',
  });

  const rows = async (id: string) =>
    (
      await server.db.query<{ trigger: string; channel: string }>(
        `select trigger, channel from notifications where lead_id = $1 and trigger = 'abandoned_with_contact'`,
        [id],
      )
    ).map((r) => `${r.trigger}/${r.channel}`);

  it('fires once when a session with contact details goes idle before a CTA, and never without them', async () => {
    const watcher = await agent(server.url, undefined, { secret: 'abandoned-test-secret-0123456789abcdef' });
    const withContact = await visitor(server.url);
    await withContact.say('visitor:reply', GREETING);
    for (const answer of ANSWERS) await withContact.say('visitor:reply', answer);
    await withContact.say('visitor:contact', { name: 'Ravi', phone: '98765 43210' });
    const anonymous = await visitor(server.url);
    await anonymous.say('visitor:reply', GREETING);

    server.clock.advance(31 * 60_000);
    expect(await server.app.engine.expireIdle()).toBe(2);
    server.clock.advance(31 * 60_000);
    expect(await server.app.engine.expireIdle()).toBe(0);

    expect(await rows(withContact.sessionId)).toEqual(['abandoned_with_contact/webhook']);
    expect(await rows(anonymous.sessionId)).toEqual([]);
    await watcher.nth(
      'lead:alert',
      (a) => a.sessionId === withContact.sessionId && a.trigger === 'abandoned_with_contact',
    );
  });

  it('fires when the visitor says they leave after giving an e-mail', async () => {
    const v = await visitor(server.url);
    await v.say('visitor:reply', GREETING);
    await v.say('visitor:reply', ANSWERS[0]!);
    await server.app.engine.handle(v.sessionId, { kind: 'profile', profile: { email: 'ravi@example.com' } });
    await server.app.engine.handle(v.sessionId, { kind: 'exit', reason: 'closed_widget' });
    await server.app.engine.handle(v.sessionId, { kind: 'exit', reason: 'closed_widget' });
    expect(await rows(v.sessionId)).toEqual(['abandoned_with_contact/webhook']);
  });
});
