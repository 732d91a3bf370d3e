import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ASHA, agent, SECRET } from '../support/agents.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { TestClock } from '../support/engine.js';
import { Receiver } from '../support/receivers.js';
import {
  askForAPerson,
  FRIDAY_NIGHT,
  MONDAY_OPENING,
  ownership,
  qualify,
  routed,
  routingLog,
  routingNotifications,
  salesOnWeekdays,
} from '../support/routing.js';
import { closeClients, visitor } from '../support/sockets.js';
import { waitFor } from '../support/time.js';

/**
 * Business hours on the server's clock: a lead that arrives after hours stays with its team (with an
 * online agent, no one is handed it, nothing escalates, no SLA runs) until the team opens, and is
 * assigned at the opening, once, on the first sweep after it.
 */

afterEach(closeClients);

const MINUTE = 60_000;

describe('routing outside business hours', () => {
  const clock = new TestClock(FRIDAY_NIGHT);
  let db: TestDatabase;
  let node: TestApp;
  let receiver: Receiver;

  beforeAll(async () => {
    db = await createTestDatabase();
    receiver = await new Receiver().start();
    node = await startTestApp(
      {
        SECRET_KEY: SECRET,
        WEBHOOK_URL: `${receiver.url}/crm`,
        ROUTING_FILE: salesOnWeekdays(),
      },
      { now: clock.now },
      db,
    );
  });
  afterAll(async () => {
    await node?.close();
    await receiver?.close();
    await db?.drop();
  });

  it('greets a visitor at night with when the team is back, and without it once it is open with an agent online', async () => {
    clock.t = FRIDAY_NIGHT;
    const night = await visitor(node.app.url);
    expect((await night.hello()).afterHours).toMatchObject({
      team: 'sales',
      reason: 'closed',
      back: 'Monday 9:00 IST',
    });
    // Resuming the session at night: still told.
    const again = await visitor(node.app.url, { auth: { sessionId: night.sessionId } });
    expect((await again.hello()).afterHours?.back).toBe('Monday 9:00 IST');

    clock.t = MONDAY_OPENING + 60 * MINUTE;
    // Open, nobody online: a callback later today.
    expect((await (await visitor(node.app.url)).hello()).afterHours).toMatchObject({
      team: 'sales',
      reason: 'nobody_online',
      back: 'Monday 11:00 IST',
      slots: [{ label: 'Monday 11:00 IST' }, { label: 'Monday 12:00 IST' }, { label: 'Monday 13:00 IST' }],
    });
    await agent(node.app.url, ASHA);
    await waitFor('the agent online', async () => (await node.app.routing.agents.list()).length === 1);
    expect((await (await visitor(node.app.url)).hello()).afterHours).toBeUndefined();
    clock.t = FRIDAY_NIGHT;
  });

  it('holds a lead that arrives at night for the team and assigns it at the next opening, once', async () => {
    await agent(node.app.url, ASHA);
    await waitFor('the agent online', async () => (await node.app.routing.agents.list()).length === 1);
    const id = await qualify(await visitor(node.app.url));

    // Routed to the team, with no owner, and when the team opens.
    expect(await routed(db, id)).toMatchObject({ assigned_team: 'sales', assigned_to: null });
    const [held] = await routingLog(db, id);
    expect(held).toMatchObject({
      type: 'lead.routed',
      data: { team: 'sales', agentId: null, opensAt: new Date(MONDAY_OPENING).toISOString() },
    });

    // The weekend passes: an agent online, and still nobody is handed it, nothing escalates, no SLA breach.
    for (const step of [10 * MINUTE, 6 * 60 * MINUTE, 24 * 60 * MINUTE]) {
      clock.advance(step);
      await node.app.routing.router.sweep();
    }
    expect(await ownership(db, id)).toMatchObject({
      assigned_to: null,
      escalated_at: null,
      sla_breached_at: null,
    });

    // Monday 9:00 in the team's zone: the first sweep assigns it; the waits count from the opening.
    clock.t = MONDAY_OPENING;
    await node.app.routing.router.sweep();
    await node.app.routing.router.sweep();
    expect(await ownership(db, id)).toMatchObject({ assigned_to: 'agent-1', sla_breached_at: null });
    clock.advance(4 * MINUTE);
    await node.app.routing.router.sweep();
    expect((await routingLog(db, id)).map((e) => e.type)).toEqual(['lead.routed', 'lead.assigned']);
    expect(await routingNotifications(db, id)).toEqual(['assigned/webhook']);
    const hooks = await waitFor('the assignment delivered', () => {
      const kinds = receiver
        .of(id)
        .map((h) => (h.json as { type?: string } | undefined)?.type)
        .filter((t) => t === 'lead.assigned');
      return kinds.length > 0 ? kinds : undefined;
    });
    expect(hooks).toEqual(['lead.assigned']);
  });

  it('after hours, a visitor who asks for a person picks a callback time: confirmed, stored, announced once, assigned at the opening', async () => {
    clock.t = FRIDAY_NIGHT;
    const v = await visitor(node.app.url);
    const slots = (await v.hello()).afterHours!.slots;
    expect(slots).toEqual([
      { id: '2026-11-30T03:30:00.000Z', label: 'Monday 9:00 IST' },
      { id: '2026-11-30T04:30:00.000Z', label: 'Monday 10:00 IST' },
      { id: '2026-11-30T05:30:00.000Z', label: 'Monday 11:00 IST' },
    ]);
    // Only once the visitor asked for a person.
    expect(await v.ack('visitor:callback', { time: slots[1]!.id })).toMatchObject({
      ok: false,
      error: { code: 'invalid_state' },
    });
    await askForAPerson(v);
    const id = v.sessionId;

    // A time outside the next opening, or not a time, is refused; an offered slot is taken and confirmed.
    expect(await v.ack('visitor:callback', { time: '7 pm' })).toMatchObject({
      ok: false,
      error: { code: 'outside_opening' },
    });
    for (const time of ['=cmd()', ''])
      expect(await v.ack('visitor:callback', { time })).toMatchObject({
        ok: false,
        error: { code: 'validation_failed' },
      });
    expect(await v.ok('visitor:callback', { time: slots[1]!.id })).toEqual({
      ok: true,
      callbackAt: '2026-11-30T04:30:00.000Z',
      label: 'Monday 10:00 IST',
      confirmation: 'Thank you! We will call you Monday 10:00 IST.',
    });
    // Once: a second request is refused.
    expect(await v.ack('visitor:callback', { time: '11:00' })).toMatchObject({
      ok: false,
      error: { code: 'conflict' },
    });

    const [row] = await db.query<{ callback_at: Date }>('select callback_at from leads where id = $1', [id]);
    expect(row!.callback_at.toISOString()).toBe('2026-11-30T04:30:00.000Z');
    const rows = await db.query<{ channel: string }>(
      `select channel from notifications where lead_id = $1 and trigger = 'callback_requested'`,
      [id],
    );
    expect(rows.map((r) => r.channel)).toEqual(['webhook']);
    const hooks = await waitFor('the callback request delivered', () => {
      const hits = receiver
        .of(id)
        .filter((h) => (h.json as { type?: string } | undefined)?.type === 'lead.callback_requested');
      return hits.length > 0 ? hits : undefined;
    });
    expect(hooks).toHaveLength(1);
    expect(await ownership(db, id)).toMatchObject({ assigned_team: 'sales', assigned_to: null });

    // Monday 9:00 in India: assigned on the first sweep.
    clock.t = MONDAY_OPENING;
    await agent(node.app.url, ASHA);
    await waitFor('the agent online', async () => (await node.app.routing.agents.list()).length === 1);
    await node.app.routing.router.sweep();
    expect(await ownership(db, id)).toMatchObject({ assigned_to: 'agent-1' });
    expect((await routingLog(db, id)).map((e) => e.type)).toEqual([
      'lead.routed',
      'lead.callback_offered',
      'lead.callback_requested',
      'lead.assigned',
    ]);
  });
});
