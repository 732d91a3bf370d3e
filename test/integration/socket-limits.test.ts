import { describe, expect, it } from 'vitest';
import type { ErrorAck } from '../../src/protocol/index.js';
import { METRICS_TOKEN, serverFor, settledConnections, socketConnections } from '../support/app.js';
import { awards, eventCount, leadCount, SECOND } from '../support/chat.js';
import { messageId, type OkAck, openVisitor } from '../support/sockets.js';
import { sleep } from '../support/time.js';

/**
 * The limits a server's settings put on /chat: the origins it accepts, the size of a message, the events
 * per second of a connection; and the connections it counts in its metrics.
 */

describe('cross-origin handshakes', () => {
  const server = serverFor({ CORS_ORIGINS: 'https://shop.example' });

  for (const transport of ['websocket', 'polling'] as const) {
    it(`refuses a foreign origin over ${transport} and accepts the allowed one`, async () => {
      const before = await leadCount(server.db);
      const evil = openVisitor(server.url, {
        transports: [transport],
        headers: { origin: 'https://evil.example' },
      });
      await evil.refused();
      expect(evil.received('session')).toEqual([]);
      expect(await leadCount(server.db)).toBe(before);

      const shop = openVisitor(server.url, {
        transports: [transport],
        headers: { origin: 'https://shop.example' },
      });
      expect(await shop.hello()).toMatchObject({ resumed: false, state: 'greeting' });
      expect(await shop.message(0)).toMatchObject({ step: 'greeting' });
      expect(await leadCount(server.db)).toBe(before + 1);
    });
  }
});

describe('message size', () => {
  const server = serverFor({ SOCKET_MESSAGE_LIMIT_BYTES: '1024', ANSWER_MAX_LENGTH: '10000' });
  const { clock } = server;

  for (const transport of ['websocket', 'polling'] as const) {
    it(`a message over the limit disconnects the ${transport} client and stores nothing`, async () => {
      const chat = openVisitor(server.url, { transports: [transport] });
      const { sessionId: id } = await chat.hello();
      clock.advance(SECOND);
      await chat.say('visitor:reply', { optionIds: ['yes'] });
      clock.advance(SECOND);
      // A message under the limit is taken (and refused for its content, not its size).
      await chat.fails(
        'visitor:reply',
        { clientMessageId: messageId(), text: 'x'.repeat(500) },
        'invalid_option',
      );
      await chat.say('visitor:reply', { optionIds: ['other'] });
      expect((await chat.message(2)).questionId).toBe(3);
      const events = await eventCount(server.db, id);

      chat.socket.emit(
        'visitor:reply',
        { clientMessageId: messageId(), text: 'Mumbai '.repeat(600) },
        () => {},
      );
      expect(await chat.disconnected()).toMatch(/transport (close|error)/);
      await sleep(100);
      expect(await eventCount(server.db, id)).toBe(events);
      const [lead] = await server.db.query('select location, state, score from leads where id = $1', [id]);
      expect(lead).toEqual({ location: null, state: 'questions', score: 20 });
    });
  }
});

describe('event budget', () => {
  const server = serverFor({ SOCKET_EVENTS_PER_SECOND: '2', SOCKET_EVENT_BURST: '3' });

  it('events beyond the burst are refused with rate_limited, the rest succeed, each tab has a budget of its own, and it refills', async () => {
    const chat = openVisitor(server.url);
    const { sessionId: id } = await chat.hello();
    const acks = await Promise.all(
      Array.from({ length: 10 }, () =>
        chat.ack('visitor:action', { clientMessageId: messageId(), action: 'clicked_pricing' }),
      ),
    );
    const ok = acks.filter((a): a is OkAck => a.ok);
    const limited = acks.filter((a): a is ErrorAck => !a.ok);
    expect(ok.length + limited.length).toBe(10);
    expect(ok.length).toBeGreaterThanOrEqual(3);
    expect(ok.length).toBeLessThanOrEqual(4);
    for (const a of limited) {
      expect(a.error.code).toBe('rate_limited');
      expect(a.error.message).toMatch(/\b2\b/);
      expect(a.error.details).toMatchObject({ limit: 2, burst: 3 });
    }
    // The first clicked_pricing earned 10 points, the others nothing (once per session).
    expect(ok.flatMap((a) => a.awarded)).toEqual(awards(['clicked_pricing', 10]));
    expect(Math.max(...ok.map((a) => a.score))).toBe(15);
    const [inputs] = await server.db.query<{ n: number }>(
      `select count(*)::int as n from session_events where lead_id = $1 and type = 'visitor.input'`,
      [id],
    );
    expect(inputs!.n).toBe(ok.length);

    // The budget is per connection: another tab of the session has its own.
    const other = openVisitor(server.url, { auth: { sessionId: id } });
    await other.hello();
    await other.ok('visitor:action', { clientMessageId: messageId(), action: 'clicked_pricing' });

    // Half a second refills one event at 2 per second.
    await sleep(600);
    await chat.ok('visitor:action', { clientMessageId: messageId(), action: 'clicked_pricing' });
  });
});

describe('the connection gauge', () => {
  const server = serverFor({ METRICS_TOKEN });

  it('lcb_socket_connections counts the open connections over both transports, and one less when one closes', async () => {
    // Clients of earlier tests were closed; wait for the server to notice.
    expect(await settledConnections(server.url, 0)).toBe(0);
    const a = openVisitor(server.url);
    await a.hello();
    expect(await socketConnections(server.url)).toBe(1);
    const b = openVisitor(server.url, { transports: ['polling'] });
    await b.hello();
    expect(await socketConnections(server.url)).toBe(2);
    a.socket.close();
    expect(await settledConnections(server.url, 1)).toBe(1);
  });
});
