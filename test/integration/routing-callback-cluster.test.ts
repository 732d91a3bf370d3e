import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BotMessage } from '../../src/protocol/index.js';
import { loadWorkflow } from '../../src/workflow/load.js';
import { ASHA, agent, SECRET } from '../support/agents.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { TestClock } from '../support/engine.js';
import { randomPrefix, testRedisUrl } from '../support/redis.js';
import {
  askForAPerson,
  FRIDAY_NIGHT,
  MONDAY_OPENING,
  ownership,
  routingLog,
  salesOnWeekdays,
} from '../support/routing.js';
import { closeClients, visitor } from '../support/sockets.js';
import { waitFor } from '../support/time.js';

/**
 * The after-hours callback journey across two nodes on one database and one Redis, sharing a clock the
 * test moves: the bot asks on the node the visitor asked on, the visitor answers from a tab on the
 * other node (which resumes on the bot's question), both tabs get the confirmation, the request is
 * announced once, and the lead is assigned once at the opening whichever node sweeps.
 */

afterEach(closeClients);

describe('the after-hours callback journey on two nodes', () => {
  const clock = new TestClock(FRIDAY_NIGHT);
  let db: TestDatabase;
  let one: TestApp;
  let two: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = {
      SECRET_KEY: SECRET,
      REDIS_URL: testRedisUrl(),
      REDIS_PREFIX: randomPrefix(),
      WEBHOOK_URL: 'http://127.0.0.1:9/crm',
      ROUTING_FILE: salesOnWeekdays(),
    };
    const overrides = { now: clock.now, workflow: loadWorkflow() };
    one = await startTestApp({ ...env, NODE_ID: 'one' }, overrides, db);
    two = await startTestApp({ ...env, NODE_ID: 'two' }, overrides, db);
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await db?.drop();
  });

  it('asks on one node, takes the answer on the other, confirms to both tabs, announces once, assigns once', async () => {
    const first = await visitor(one.app.url);
    const id = first.sessionId;
    const { callback } = await askForAPerson(first);
    expect(callback?.slots).toHaveLength(3);
    const question = await first.nth('bot:message', (m) => m.input === 'callback');

    // Another tab of the visitor, on node two: it resumes on the bot's question, with its times.
    const second = await visitor(two.app.url, { auth: { sessionId: id } });
    const resumed: BotMessage = await second.message(0);
    expect(resumed).toMatchObject({ seq: question.seq, input: 'callback', options: callback!.slots });

    await second.fails('visitor:callback', { time: '7 pm' }, 'outside_opening');
    expect(await second.ok('visitor:callback', { time: callback!.slots[2]!.id })).toMatchObject({
      label: 'Monday 11:00 IST',
    });
    // Both tabs, on either node, get the bot's confirmation.
    for (const tab of [first, second])
      expect(await tab.nth('bot:message', (m) => m.step === 'callback_confirmed')).toMatchObject({
        text: 'Thank you! We will call you Monday 11:00 IST.',
      });
    // Asked again on node one, which last saw the session before the answer: refused, nothing twice.
    await first.fails('visitor:callback', { time: callback!.slots[0]!.id }, 'conflict');
    const announced = await db.query<{ channel: string }>(
      `select channel from notifications where lead_id = $1 and trigger = 'callback_requested'`,
      [id],
    );
    expect(announced.map((r) => r.channel)).toEqual(['webhook']);

    // Monday 9:00 in India, an agent online: both nodes sweep at once, the lead is assigned once.
    clock.t = MONDAY_OPENING;
    await agent(one.app.url, ASHA);
    await waitFor('the agent online on both nodes', async () => {
      for (const t of [one, two]) if ((await t.app.routing.agents.list()).length < 1) return false;
      return true;
    });
    await Promise.all([one.app.routing.router.sweep(), two.app.routing.router.sweep()]);
    await Promise.all([one.app.routing.router.sweep(), two.app.routing.router.sweep()]);
    expect(await ownership(db, id)).toMatchObject({ assigned_to: 'agent-1' });
    expect((await routingLog(db, id)).map((e) => e.type)).toEqual([
      'lead.routed',
      'lead.callback_offered',
      'lead.callback_requested',
      'lead.assigned',
    ]);
  });
});
