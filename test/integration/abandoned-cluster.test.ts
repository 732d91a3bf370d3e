import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ANSWERS, agent, BALA, GREETING, SECRET } from '../support/agents.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { TestClock } from '../support/engine.js';
import { randomPrefix, testRedisUrl } from '../support/redis.js';
import { closeClients, visitor } from '../support/sockets.js';

/**
 * `abandoned_with_contact` across two nodes on one database and one Redis, sharing a clock the test
 * moves: both nodes look for idle sessions at once, and the session that shared contact details before
 * going idle is abandoned once, with one outbox row per channel and one alert to an agent on the other node.
 */

afterEach(closeClients);

describe('abandoned with contact, two nodes', () => {
  const clock = new TestClock();
  let db: TestDatabase;
  let one: TestApp;
  let two: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = {
      SECRET_KEY: SECRET,
      REDIS_URL: testRedisUrl(),
      REDIS_PREFIX: randomPrefix(),
      // A channel, so that the outbox gets rows (what is delivered is notifications-*.test.ts's concern).
      WEBHOOK_URL: 'http://127.0.0.1:9/crm',
    };
    one = await startTestApp({ ...env, NODE_ID: 'one' }, { now: clock.now }, db);
    two = await startTestApp({ ...env, NODE_ID: 'two' }, { now: clock.now }, db);
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await db?.drop();
  });

  it('fires once whichever node expires the session, and the agent on the other node is alerted once', async () => {
    const bala = await agent(two.app.url, BALA);
    const v = await visitor(one.app.url);
    await v.say('visitor:reply', GREETING);
    for (const answer of ANSWERS) await v.say('visitor:reply', answer);
    await v.say('visitor:contact', { name: 'Ravi', phone: '98765 43210' });

    clock.advance(31 * 60_000);
    // Both nodes sweep at once: between them, the session is expired once.
    const expired = await Promise.all([one.app.engine.expireIdle(), two.app.engine.expireIdle()]);
    expect(expired[0] + expired[1]).toBe(1);
    clock.advance(31 * 60_000);
    expect(await Promise.all([one.app.engine.expireIdle(), two.app.engine.expireIdle()])).toEqual([0, 0]);

    const rows = await db.query<{ channel: string }>(
      `select channel from notifications where lead_id = $1 and trigger = 'abandoned_with_contact'`,
      [v.sessionId],
    );
    expect(rows.map((r) => r.channel)).toEqual(['webhook']);
    const states = await db.query<{ n: number }>(
      `select count(*)::int as n from session_events
        where lead_id = $1 and type = 'state.changed' and data->>'to' = 'abandoned'`,
      [v.sessionId],
    );
    expect(states[0]!.n).toBe(1);
    await bala.nth(
      'lead:alert',
      (a) => a.sessionId === v.sessionId && a.trigger === 'abandoned_with_contact',
    );
    expect(
      bala.received(
        'lead:alert',
        (a) => a.sessionId === v.sessionId && a.trigger === 'abandoned_with_contact',
      ),
    ).toHaveLength(1);
  });
});
