import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentTokens } from '../../src/agents/tokens.js';
import { startRetention } from '../../src/persistence/retention.js';
import { agent, SECRET } from '../support/agents.js';
import { serverFor } from '../support/app.js';
import { bearer, http } from '../support/http.js';
import type { VisitorStep } from '../support/journey.js';
import { openVisitor, visitor } from '../support/sockets.js';
import { waitFor } from '../support/time.js';
import {
  button,
  FakeGraph,
  listRow,
  notification,
  offered,
  postWebhook,
  sign,
  statusNotification,
  text,
  WA,
  whatsappEnv,
} from '../support/whatsapp.js';

/**
 * The WhatsApp door against a local Graph API: Meta's webhook check, signed notifications, a whole
 * conversation in interactive messages, Meta's retries, delivery statuses, and agents.
 */

const graph = new FakeGraph();
const env: Record<string, string> = { SECRET_KEY: SECRET };
// Before the server's own beforeAll (hooks run in order): the server reads `env` when it starts.
beforeAll(async () => {
  await graph.start();
  Object.assign(env, whatsappEnv(graph.url));
});
afterAll(() => graph.close());
const server = serverFor(env);
// The board lists the day's sessions by the wall clock: the engine's clock starts there too.
server.clock.t = Date.now();

/** Waits until the door processed every stored message (an answer to a post is no sign of that). */
const processed = () =>
  waitFor('the inbox to be processed', async () => {
    const [row] = await server.db.query<{ n: number }>(
      'select count(*)::int as n from whatsapp_inbox where processed_at is null',
    );
    return row!.n === 0;
  });

/** Sends `message` from `waId` and waits for the door's `count`-th message to them. */
async function say(waId: string, message: Record<string, unknown>, count: number) {
  expect((await postWebhook(server.url, notification(waId, message))).status).toBe(200);
  return graph.nth(waId, count);
}

let n = 0;
const DAY = 24 * 60 * 60 * 1000;
const newUser = () => `9198765${String(++n).padStart(5, '0')}`;

async function apiToken(): Promise<string> {
  return new AgentTokens(SECRET).sign({ id: 'agent-1', name: 'Asha', role: 'agent' }, '1h');
}

async function sessionOf(waId: string): Promise<string> {
  const [row] = await server.db.query<{ session_id: string }>(
    'select session_id from whatsapp_contacts where wa_id = $1',
    [waId],
  );
  return row!.session_id;
}

describe("Meta's webhook verification", () => {
  it('echoes hub.challenge for the configured verify token, and refuses any other with 403', async () => {
    const ok = await http(
      server.url,
      'GET',
      `/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${WA.verifyToken}&hub.challenge=1158201444`,
    );
    expect(ok.status).toBe(200);
    expect(ok.text).toBe('1158201444');
    const wrong = await http(
      server.url,
      'GET',
      '/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=guess-guess&hub.challenge=1158201444',
    );
    expect(wrong.status).toBe(403);
    expect(wrong.text).not.toContain('1158201444');
  });
});

describe('signed notifications', () => {
  it('refuses a notification whose X-Hub-Signature-256 does not match the raw body: 401, nothing stored', async () => {
    const waId = newUser();
    const payload = notification(waId, text('Hi'));
    const body = JSON.stringify(payload);
    const forged = await postWebhook(server.url, payload, sign(body, 'not-the-app-secret'));
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe('unauthorized');
    // Signed over other bytes (the same JSON re-serialised with a space): the raw body is what counts.
    const reformatted = await postWebhook(server.url, payload, sign(JSON.stringify(payload, null, 1)));
    expect(reformatted.status).toBe(401);
    const unsigned = await http(server.url, 'POST', '/webhooks/whatsapp', body);
    expect(unsigned.status).toBe(401);
    const stored = await server.db.query('select 1 from whatsapp_inbox where wa_id = $1', [waId]);
    expect(stored).toEqual([]);
    expect(
      await server.db.query("select 1 from leads where channel = 'whatsapp' and phone = $1", [`+${waId}`]),
    ).toEqual([]);
  });

  it('takes a message once however often Meta delivers it: one inbox row, one event, one answer', async () => {
    const waId = newUser();
    await say(waId, text('Hi'), 1);
    const again = notification(waId, button('yes', 'Yes, go ahead'));
    for (let i = 0; i < 3; i++) expect((await postWebhook(server.url, again)).status).toBe(200);
    await graph.nth(waId, 2);
    await processed();
    const id = again.entry[0].changes[0].value.messages[0].id as string;
    const rows = await server.db.query<{ id: string }>(
      'select id from whatsapp_inbox where message_id = $1',
      [id],
    );
    expect(rows).toHaveLength(1);
    const events = await server.db.query(
      "select seq from session_events where lead_id = $1 and type = 'visitor.input'",
      [await sessionOf(waId)],
    );
    expect(events).toHaveLength(1);
    expect(graph.to(waId)).toHaveLength(2);
  });
});

describe('a first message tried again', () => {
  it('links the session an earlier attempt started but did not link, rather than greeting twice', async () => {
    const waId = newUser();
    await say(waId, text('Hi'), 1);
    await processed();
    const sessionId = await sessionOf(waId);
    // As if the node had died after the session started and before it linked it: the link is not there,
    // and the message is claimable again.
    await server.db.query('delete from whatsapp_contacts where wa_id = $1', [waId]);
    await server.db.query(
      'update whatsapp_inbox set processed_at = null, outcome = null, locked_until = null where wa_id = $1',
      [waId],
    );
    await processed();
    expect(await sessionOf(waId)).toBe(sessionId);
    expect(
      await server.db.query("select 1 from leads where channel = 'whatsapp' and phone = $1", [`+${waId}`]),
    ).toHaveLength(1);
    expect(graph.to(waId)).toHaveLength(1);
  });
});

describe('batched notifications', () => {
  it('takes a notification larger than a visitor request may be (Meta batches), every message of it', async () => {
    const users = Array.from({ length: 40 }, () => newUser());
    const payload = notification(users[0]!, text('Hi'));
    const value = payload.entry[0].changes[0].value;
    value.messages = users.map((u, i) => ({
      ...notification(u, text(`Hi ${'x'.repeat(900)}`)).entry[0].changes[0].value.messages[0],
      id: `wamid.BATCH${i}`,
    }));
    expect(JSON.stringify(payload).length).toBeGreaterThan(16_384);
    expect((await postWebhook(server.url, payload)).status).toBe(200);
    const stored = await server.db.query("select 1 from whatsapp_inbox where message_id like 'wamid.BATCH%'");
    expect(stored).toHaveLength(users.length);
    await Promise.all(users.map((u) => graph.nth(u, 1)));
  });
});

describe('a whole conversation over WhatsApp', () => {
  it('reaches the score of the same journey on the web, in buttons, lists and text, with the phone from WhatsApp', async () => {
    const waId = newUser();
    // The Graph API fails the first attempt: the outbox tries again.
    graph.failNext.push(503);
    const greeting = await say(waId, text('Hi'), 1);
    expect(greeting.payload).toMatchObject({ messaging_product: 'whatsapp', to: waId, type: 'interactive' });
    expect(greeting.payload.interactive.type).toBe('button');
    expect(offered(greeting)).toEqual(['yes', 'about', 'no']);
    expect(graph.sent.filter((s) => s.to === waId).map((s) => s.status)).toEqual([503, 200]);

    const business = await say(waId, button('yes', 'Yes, go ahead'), 2);
    expect(business.payload.interactive.type).toBe('list');
    expect(offered(business)).toEqual(['kirana_retail', 'restaurant_cafe', 'wholesale_fmcg', 'other']);
    const city = await say(waId, listRow('kirana_retail'), 3);
    expect(city.payload.type).toBe('text');
    expect(city.payload.text.body).toBe('Which city or town is your business in?');
    const staff = await say(waId, text('Indore, Madhya Pradesh'), 4);
    expect(offered(staff)).toContain('two_to_five');
    const sales = await say(waId, listRow('two_to_five'), 5);
    const needs = await say(waId, listRow('50k_2l'), 6);
    expect(needs.payload.interactive.type).toBe('list');
    expect(offered(needs)).toHaveLength(7);
    expect(
      sales.payload.interactive.action.sections[0].rows.every(
        (r: { title: string }) => [...r.title].length <= 24,
      ),
    ).toBe(true);
    // Several options of a multiple choice, typed by their labels.
    const contact = await say(waId, text('Billing / Invoicing, Inventory'), 7);
    expect(contact.payload.interactive.type).toBe('button');
    expect(offered(contact)).toEqual(['skip']);
    expect(contact.payload.interactive.body.text).toMatch(/name and e-mail/);
    const cta = await say(waId, text('Ravi Kumar, ravi@example.com'), 8);
    expect(cta.payload.interactive.type).toBe('list');
    expect(offered(cta)).toEqual([
      'talk_to_sales',
      'request_callback',
      'start_trial',
      'restart_bot',
      'human_help',
    ]);
    const done = await say(waId, listRow('talk_to_sales'), 9);
    expect(done.payload.type).toBe('text');
    await processed();

    const sessionId = await sessionOf(waId);
    const [wa] = await server.db.query(
      'select channel, state, score, classification, name, email, phone from leads where id = $1',
      [sessionId],
    );
    expect(wa).toMatchObject({
      channel: 'whatsapp',
      state: 'completed',
      name: 'Ravi Kumar',
      email: 'ravi@example.com',
      phone: `+${waId}`,
    });

    // The same answers on the web widget.
    const chat = openVisitor(server.url);
    const hello = await chat.hello();
    for (const [event, payload] of [
      ['visitor:reply', { optionIds: ['yes'] }],
      ['visitor:reply', { optionIds: ['kirana_retail'] }],
      ['visitor:reply', { text: 'Indore, Madhya Pradesh' }],
      ['visitor:reply', { optionIds: ['two_to_five'] }],
      ['visitor:reply', { optionIds: ['50k_2l'] }],
      ['visitor:reply', { optionIds: ['billing', 'inventory'] }],
      ['visitor:contact', { name: 'Ravi Kumar', email: 'ravi@example.com', phone: `+${waId}` }],
      ['visitor:reply', { optionIds: ['talk_to_sales'] }],
    ] as VisitorStep[]) {
      await chat.say(event, payload);
    }
    const [web] = await server.db.query('select state, score, classification from leads where id = $1', [
      hello.sessionId,
    ]);
    expect(web).toMatchObject({ state: 'completed' });
    expect(wa!.score).toBe(web!.score);
    // 5 opened + 5 greeting + 5 answers × (5 + 5 quick) + 5 detailed + 10 all answered + 10 contact + 15 CTA.
    expect(wa!.score).toBe(100);
    expect(wa!.classification).toBe(web!.classification);
    const ledger = (id: string) =>
      server.db.query(
        'select behavior, points from score_entries where lead_id = $1 order by behavior, points',
        [id],
      );
    expect(await ledger(sessionId)).toEqual(await ledger(hello.sessionId));
    expect((await ledger(sessionId)).filter((e) => e.behavior === 'quick_reply').length).toBeGreaterThan(0);
  });

  it('answers a message it cannot take with a note and the question again', async () => {
    const waId = newUser();
    await say(waId, text('Hi'), 1);
    await say(waId, button('yes'), 2);
    const note = await say(waId, listRow('not_an_option'), 3);
    expect(note.payload.text.body).toMatch(/could not take that/);
    const again = await graph.nth(waId, 4);
    expect(offered(again)).toContain('kirana_retail');
    const picture = await say(waId, { type: 'image', image: { id: '1', mime_type: 'image/jpeg' } }, 5);
    expect(picture.payload.text.body).toMatch(/only read text/);
  });
});

describe('delivery statuses', () => {
  it('records sent, delivered and read (each once) and shows them to agents with each message', async () => {
    const waId = newUser();
    const greeting = await say(waId, text('Hi'), 1);
    const sessionId = await sessionOf(waId);
    const wamid = greeting.wamid!;
    for (const status of ['sent', 'delivered', 'read', 'delivered']) {
      const res = await postWebhook(server.url, statusNotification([{ wamid, status, recipient: waId }]));
      expect(res.status).toBe(200);
    }
    const token = await apiToken();
    const res = await http(
      server.url,
      'GET',
      `/api/whatsapp/${sessionId}/messages`,
      undefined,
      bearer(token),
    );
    expect(res.status).toBe(200);
    const out = res.body.messages.filter((m: { direction: string }) => m.direction === 'out');
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ id: wamid, kind: 'buttons', status: 'read' });
    expect(out[0].statuses.map((s: { status: string }) => s.status).sort()).toEqual([
      'delivered',
      'read',
      'sent',
    ]);
    expect(res.body.messages[0]).toMatchObject({ direction: 'in', kind: 'text', outcome: 'started' });
    // A failure is recorded with Meta's error.
    await postWebhook(server.url, statusNotification([{ wamid, status: 'failed', recipient: waId }]));
    const after = await http(
      server.url,
      'GET',
      `/api/whatsapp/${sessionId}/messages`,
      undefined,
      bearer(token),
    );
    const failed = after.body.messages.find((m: { id: string }) => m.id === wamid);
    expect(failed.status).toBe('failed');
    expect(failed.statuses.find((s: { status: string }) => s.status === 'failed').error).toMatch(/131047/);
    // Agents only.
    expect((await http(server.url, 'GET', `/api/whatsapp/${sessionId}/messages`)).status).toBe(401);
  });
});

describe('agents and WhatsApp sessions', () => {
  it('shows the channel on the board, and an agent who took over replies inside the 24-hour window only', async () => {
    const waId = newUser();
    await say(waId, text('Hi'), 1);
    await processed();
    const sessionId = await sessionOf(waId);
    const web = await visitor(server.url);
    const asha = await agent(server.url);
    const list = await asha.ok('sessions:list', {});
    const row = list.sessions.find((s) => s.sessionId === sessionId);
    expect(row).toMatchObject({ channel: 'whatsapp', state: 'greeting' });
    expect(list.sessions.find((s) => s.sessionId === web.sessionId)).toMatchObject({ channel: 'web' });

    await asha.ok('session:takeover', { sessionId });
    await asha.ok('agent:message', { sessionId, text: 'Hello Ravi, Asha from YouShop here.' });
    const reply = await graph.nth(waId, 2);
    expect(reply.payload).toMatchObject({
      type: 'text',
      text: { body: 'Hello Ravi, Asha from YouShop here.' },
    });

    // The visitor's last message was a day and an hour ago: only a template may be sent.
    await server.db.query(
      "update whatsapp_inbox set sent_at = sent_at - interval '25 hours' where wa_id = $1",
      [waId],
    );
    const refused = await asha.fails(
      'agent:message',
      { sessionId, text: 'Are you still there?' },
      'whatsapp_template_required',
    );
    expect(refused.message).toMatch(/template/);
    expect(graph.to(waId)).toHaveLength(2);

    // The visitor writes again: the window opens anew.
    await postWebhook(server.url, notification(waId, text('Yes, still here')));
    await processed();
    await asha.ok('agent:message', { sessionId, text: 'Great!' });
    expect((await graph.nth(waId, 3)).payload.text.body).toBe('Great!');
  });
});

describe('erasure', () => {
  it("deletes what the WhatsApp user wrote and their number with the lead's personal data", async () => {
    const waId = newUser();
    await say(waId, text('Hi'), 1);
    await say(waId, button('yes'), 2);
    await processed();
    const sessionId = await sessionOf(waId);
    await server.app.engine.erase(sessionId, 'admin-1');
    expect(await server.db.query('select 1 from whatsapp_inbox where wa_id = $1', [waId])).toEqual([]);
    expect(await server.db.query('select 1 from whatsapp_contacts where wa_id = $1', [waId])).toEqual([]);
    expect(await server.db.query('select 1 from whatsapp_messages where wa_id = $1', [waId])).toEqual([]);
    expect(
      await server.db.query('select 1 from whatsapp_messages where lead_id = $1', [sessionId]),
    ).toHaveLength(2);
  });
});

describe('messages the Graph API refuses', () => {
  it('are dead-lettered with its error message, shown in the outbox', async () => {
    const waId = newUser();
    graph.failNext.push(400);
    await postWebhook(server.url, notification(waId, text('Hi')));
    const token = await new AgentTokens(SECRET).sign({ id: 'admin-1', name: 'Dev', role: 'admin' }, '1h');
    const dead = await waitFor('the dead-lettered greeting', async () => {
      const res = await http(server.url, 'GET', '/api/notifications?status=dead', undefined, bearer(token));
      const sessionId = await sessionOf(waId).catch(() => null);
      return res.body.notifications.find(
        (n: { session_id: string; channel: string }) =>
          n.session_id === sessionId && n.channel === 'whatsapp',
      );
    });
    expect(dead.last_error).toBe('HTTP 400: 2 Service temporarily unavailable');
    expect(dead.attempts).toBe(1);
    expect(graph.to(waId)).toEqual([]);
  });
});

// Last: it moves the engine's clock ahead of the wall clock.
describe('quick replies', () => {
  it('are timed from when the prompt went out to when the user sent the answer, not to when it was processed', async () => {
    const prompt = async (waId: string) => {
      await say(waId, text('Hi'), 1);
      await say(waId, button('yes'), 2);
      await processed();
    };
    const answer = async (waId: string) => {
      const [row] = await server.db.query<{ latency_ms: number }>(
        'select latency_ms from answers where lead_id = $1 and question_id = 2',
        [await sessionOf(waId)],
      );
      const quick = await server.db.query(
        "select 1 from score_entries where lead_id = $1 and behavior = 'quick_reply'",
        [await sessionOf(waId)],
      );
      return { latency: row!.latency_ms, quick: quick.length };
    };
    const fast = newUser();
    const slow = newUser();
    await prompt(fast);
    await prompt(slow);
    // Processed ten minutes after the question was put (a node was down), though answered at once...
    server.clock.advance(10 * 60 * 1000);
    await postWebhook(server.url, notification(fast, listRow('kirana_retail')));
    // ...and answered five minutes after the question went out.
    await postWebhook(server.url, notification(slow, listRow('kirana_retail'), Date.now() + 5 * 60 * 1000));
    await processed();
    const a = await answer(fast);
    expect(a.latency).toBeLessThan(2000);
    expect(a.quick).toBe(1);
    const b = await answer(slow);
    expect(b.latency).toBeGreaterThan(298_000);
    expect(b.latency).toBeLessThan(301_000);
    expect(b.quick).toBe(0);
  });
});

// Last: it deletes what the tests before it stored.
describe('retention', () => {
  it("deletes the WhatsApp messages processed before the period with the event log's old rows, never one waiting", async () => {
    const waId = newUser();
    await postWebhook(server.url, notification(waId, text('Hi')));
    await processed();
    // A message no node has processed yet (not due for a while), however old.
    await server.db.query(
      `insert into whatsapp_inbox (message_id, wa_id, type, message, sent_at, received_at, next_attempt_at)
       values ('wamid.WAITING', $1, 'text', '{}', now() - interval '90 days', now() - interval '90 days',
               now() + interval '1 hour')`,
      [waId],
    );
    const processedBefore = await server.db.query(
      'select 1 from whatsapp_inbox where processed_at is not null',
    );
    const retention = startRetention(
      server.app.stores.retention,
      30,
      pino({ level: 'silent' }),
      () => Date.now() + 31 * DAY,
    );
    const removed = await retention.runOnce();
    await retention.stop();
    expect(removed.whatsapp).toBe(processedBefore.length);
    expect(await server.db.query('select message_id from whatsapp_inbox')).toEqual([
      { message_id: 'wamid.WAITING' },
    ]);
    expect(await server.db.query('select 1 from whatsapp_statuses')).toEqual([]);
  });
});
