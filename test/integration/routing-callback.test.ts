import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BotMessage } from '../../src/protocol/index.js';
import { loadWorkflow } from '../../src/workflow/load.js';
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
  routingLog,
  salesOnWeekdays,
} from '../support/routing.js';
import { closeClients, visitor } from '../support/sockets.js';
import { waitFor } from '../support/time.js';

/**
 * The after-hours callback journey as the bot itself leads it, over a real socket.io client on the
 * server's injected clock: the visitor asks for a person while the team is closed, the bot asks when to
 * call back (the slots of the next opening, in the visitor's language), the widget's answer is taken or
 * refused with a code of its own, the bot confirms the time, and the lead is assigned at the opening.
 */

afterEach(closeClients);

const MINUTE = 60_000;
const SLOTS = ['2026-11-30T03:30:00.000Z', '2026-11-30T04:30:00.000Z', '2026-11-30T05:30:00.000Z'];

const API_KEY = 'callback-exports-key-0123456789';
const auth = { authorization: `Bearer ${API_KEY}` };

const isCallback = (m: BotMessage) => m.step.startsWith('callback');

describe('the after-hours callback journey', () => {
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
        API_KEYS: API_KEY,
        WEBHOOK_URL: `${receiver.url}/crm`,
        ROUTING_FILE: salesOnWeekdays(),
      },
      // The built-in workflow: its callback texts in English, Hindi and Tamil.
      { now: clock.now, workflow: loadWorkflow() },
      db,
    );
  });
  afterAll(async () => {
    await node?.close();
    await receiver?.close();
    await db?.drop();
  });

  it('asks for a time, refuses one outside the next opening, takes a slot, confirms it and assigns the lead at the opening', async () => {
    clock.t = FRIDAY_NIGHT;
    const v = await visitor(node.app.url);
    const id = v.sessionId;

    // The acknowledgement of the CTA says a callback is being asked, with the times offered.
    const ack = await askForAPerson(v);
    expect(ack.callback).toEqual({
      team: 'sales',
      reason: 'closed',
      back: 'Monday 9:00 IST',
      slots: [
        { id: SLOTS[0], label: 'Monday 9:00 IST' },
        { id: SLOTS[1], label: 'Monday 10:00 IST' },
        { id: SLOTS[2], label: 'Monday 11:00 IST' },
      ],
    });
    // The bot asks, in a message of its own that the widget draws as the slots' buttons and a time field.
    const question = await v.nth('bot:message', isCallback);
    expect(question).toMatchObject({
      step: 'callback',
      input: 'callback',
      locale: 'en',
      text: 'Nobody from our team can answer right now; we are back Monday 9:00 IST. When should we call you? Pick a time, or type one such as 10:30.',
      options: ack.callback!.slots,
    });

    // A time outside the next opening is refused with its own code; what is no time at all, as invalid.
    const outside = await v.fails('visitor:callback', { time: '7 pm' }, 'outside_opening');
    expect(outside.message).toBe('Please pick a time while our team is open, from Monday 9:00 IST.');
    expect(outside.details).toMatchObject({ field: 'time', back: 'Monday 9:00 IST' });
    await v.fails('visitor:callback', { time: 'soon' }, 'validation_failed');
    await v.fails('visitor:callback', { time: '' }, 'validation_failed');

    // An offered slot is taken: stored, and the bot confirms it.
    expect(await v.ok('visitor:callback', { time: SLOTS[1]! })).toEqual({
      ok: true,
      callbackAt: SLOTS[1],
      label: 'Monday 10:00 IST',
      confirmation: 'Thank you! We will call you Monday 10:00 IST.',
    });
    const confirmed = await v.nth('bot:message', (m) => m.step === 'callback_confirmed');
    expect(confirmed).toMatchObject({ input: 'none', text: 'Thank you! We will call you Monday 10:00 IST.' });
    expect(confirmed.seq).toBeGreaterThan(question.seq);
    const [row] = await db.query<{ callback_at: Date }>('select callback_at from leads where id = $1', [id]);
    expect(row!.callback_at.toISOString()).toBe(SLOTS[1]);

    // The time is in the lead's exports beside its owner: the CRM webhook, the JSON and the CSV export.
    const hook = await waitFor('the callback request delivered', () =>
      receiver.of(id).find((h) => (h.json as { type?: string }).type === 'lead.callback_requested'),
    );
    expect((hook.json as { data: Record<string, unknown> }).data).toMatchObject({
      assigned_to: 'sales',
      callback_at: SLOTS[1],
    });
    const exported = await fetch(`${node.app.url}/api/lead/export/${id}`, { headers: auth });
    expect(await exported.json()).toMatchObject({ assigned_to: 'sales', callback_at: SLOTS[1] });
    const csv = (await (await fetch(`${node.app.url}/api/leads/export?format=csv`, { headers: auth })).text())
      .trim()
      .split('\n');
    expect(csv[0]).toContain(',assigned_to,callback_at,');
    expect(csv.find((line) => line.startsWith(id))).toContain(`,sales,${SLOTS[1]},`);

    // Coming back to the conversation: the history has the question and the confirmation, the last word.
    const again = await visitor(node.app.url, { auth: { sessionId: id } });
    const hello = await again.hello();
    expect(hello.history?.slice(-2).map((l) => l.text)).toEqual([question.text, confirmed.text]);
    expect((await again.message(0)).seq).toBe(confirmed.seq);

    // Monday 9:00 in India, an agent online: assigned on the first sweep.
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
    clock.t = FRIDAY_NIGHT;
  });

  it('asks and confirms in the visitor’s language, and reads a typed time in the team’s zone', async () => {
    clock.t = FRIDAY_NIGHT;
    const v = await visitor(node.app.url, { auth: { locale: 'hi' } });
    const ack = await askForAPerson(v);
    expect(ack.callback?.back).toBe('सोमवार 9:00 IST');
    const question = await v.nth('bot:message', isCallback);
    expect(question).toMatchObject({ step: 'callback', input: 'callback', locale: 'hi' });
    expect(question.text).toContain('सोमवार 9:00 IST');
    expect(question.text).toMatch(/^अभी हमारी टीम/);
    expect(question.options?.map((o) => o.label)).toEqual([
      'सोमवार 9:00 IST',
      'सोमवार 10:00 IST',
      'सोमवार 11:00 IST',
    ]);

    const refused = await v.fails('visitor:callback', { time: '8:30' }, 'outside_opening');
    expect(refused.message).toBe('कृपया वह समय चुनिए जब हमारी टीम उपलब्ध हो, सोमवार 9:00 IST से।');
    expect(await v.ok('visitor:callback', { time: '2:30 pm' })).toMatchObject({
      callbackAt: '2026-11-30T09:00:00.000Z',
      label: 'सोमवार 14:30 IST',
      confirmation: 'धन्यवाद! हम आपको सोमवार 14:30 IST कॉल करेंगे।',
    });
    expect(await v.nth('bot:message', (m) => m.step === 'callback_confirmed')).toMatchObject({
      locale: 'hi',
      text: 'धन्यवाद! हम आपको सोमवार 14:30 IST कॉल करेंगे।',
    });
  });

  it('protocol 2: the CTA’s acknowledgement brings the bot’s replies, then the callback question last, and no broadcast of it to the sender', async () => {
    clock.t = FRIDAY_NIGHT;
    const v = await visitor(node.app.url, { auth: { protocol: 2 } });
    const other = await visitor(node.app.url, { auth: { sessionId: v.sessionId, protocol: 2 } });
    const ack = await askForAPerson(v);
    expect(ack.callback?.back).toBe('Monday 9:00 IST');
    const messages = ack.messages ?? [];
    expect(messages.length).toBeGreaterThan(1);
    const question = messages.at(-1)!;
    expect(question).toMatchObject({ step: 'callback', input: 'callback', options: ack.callback!.slots });
    // In the log's order: every reply of the event before the question.
    expect(messages.map((m) => m.seq)).toEqual([...messages.map((m) => m.seq)].sort((a, b) => a - b));
    // The session's other tab gets the question as a broadcast; the sender only in its acknowledgement.
    expect((await other.nth('bot:message', isCallback)).seq).toBe(question.seq);
    expect(v.messages.filter(isCallback)).toEqual([]);
  });

  it('while the team is open with someone online, the CTA asks for no callback: an agent gets the lead', async () => {
    clock.t = MONDAY_OPENING + 60 * MINUTE;
    await agent(node.app.url, ASHA);
    await waitFor('the agent online', async () => (await node.app.routing.agents.list()).length === 1);
    const v = await visitor(node.app.url);
    const ack = await askForAPerson(v);
    // The offer is made (or not) before the acknowledgement: nothing can arrive later.
    expect(ack.callback).toBeUndefined();
    expect(v.messages.filter(isCallback)).toEqual([]);
    expect((await routingLog(db, v.sessionId)).map((e) => e.type)).not.toContain('lead.callback_offered');
    await v.fails('visitor:callback', { time: '14:00' }, 'invalid_state');
    clock.t = FRIDAY_NIGHT;
  });
});
