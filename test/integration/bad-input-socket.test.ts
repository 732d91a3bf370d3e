import { describe, expect, it } from 'vitest';
import { badInputServer, bytes, type Fixtures } from '../support/bad-input.js';
import type { VisitorEvent } from '../support/journey.js';
import { sleep } from '../support/time.js';

/** Bad input over the socket: every refusal has its exact code in the ack, and nothing at all is written. */

const { fx, send, chat, everything, lead } = badInputServer();

describe('socket: refused with the exact code in the ack, nothing written', () => {
  /** A message to refuse: what is wrong with it, the session it is sent on, its event and payload. */
  type Message = [label: string, at: keyof Fixtures, event: VisitorEvent, payload: unknown];
  const [REPLY, ACTION, CONTACT] = ['visitor:reply', 'visitor:action', 'visitor:contact'] as const;
  /** The messages refused with each code. */
  const refusals: [code: string, messages: Message[]][] = [
    [
      'validation_failed',
      [
        ['no clientMessageId', 'greeting', REPLY, { optionIds: ['yes'] }],
        ['a number as clientMessageId', 'greeting', REPLY, { clientMessageId: 7, text: 'yes' }],
        ['optionIds as a string', 'greeting', REPLY, { clientMessageId: 's-1', optionIds: 'yes' }],
        ['an unknown field', 'greeting', REPLY, { clientMessageId: 's-2', text: 'yes', admin: true }],
        ['neither text nor optionIds', 'greeting', REPLY, { clientMessageId: 's-3' }],
        ['a string as the payload', 'greeting', REPLY, 'yes'],
        ['an array as the payload', 'greeting', REPLY, [1, 2]],
        ['an empty answer', 'questions', REPLY, { clientMessageId: 's-4', text: '' }],
        ['a whitespace-only answer', 'questions', REPLY, { clientMessageId: 's-5', text: '  \n\t ' }],
        ['a 2,001-character answer', 'questions', REPLY, { clientMessageId: 's-6', text: 'x'.repeat(2001) }],
        ['an unknown action', 'questions', ACTION, { clientMessageId: 's-9', action: 'clicked_everything' }],
        [
          'a server-derived action',
          'questions',
          ACTION,
          { clientMessageId: 's-10', action: 'answered_all_questions' },
        ],
        ['an invalid e-mail', 'questions', CONTACT, { clientMessageId: 's-12', email: 'ravi@' }],
        ['an invalid phone', 'questions', CONTACT, { clientMessageId: 's-13', phone: '12345' }],
        ['an e-mail as a number', 'questions', CONTACT, { clientMessageId: 's-14', email: 5 }],
      ],
    ],
    [
      'invalid_option',
      [
        [
          'an option that does not exist',
          'greeting',
          REPLY,
          { clientMessageId: 's-7', optionIds: ['maybe'] },
        ],
        ['a label that does not exist', 'questions', REPLY, { clientMessageId: 's-8', text: 'Spaceship' }],
        [
          'a product that does not exist',
          'questions',
          ACTION,
          { clientMessageId: 's-11', action: 'clicked_product', targetId: 'spaceship' },
        ],
      ],
    ],
    [
      'invalid_state',
      [
        [
          'skipping contact before the contact step',
          'greeting',
          CONTACT,
          { clientMessageId: 's-15', skip: true },
        ],
      ],
    ],
    [
      'session_closed',
      [
        [
          'a reply after the conversation ended',
          'declined',
          REPLY,
          { clientMessageId: 's-16', optionIds: ['yes'] },
        ],
        [
          'a contact after the conversation ended',
          'declined',
          CONTACT,
          { clientMessageId: 's-17', email: 'late@example.com' },
        ],
        [
          'a click after the conversation ended',
          'declined',
          ACTION,
          { clientMessageId: 's-18', action: 'clicked_demo' },
        ],
      ],
    ],
    [
      'duplicate_mismatch',
      [
        [
          'a clientMessageId reused with another payload',
          'questions',
          ACTION,
          { clientMessageId: 'socket-once', action: 'clicked_pricing' },
        ],
        [
          'a clientMessageId reused for another event',
          'questions',
          REPLY,
          { clientMessageId: 'socket-once', optionIds: ['other'] },
        ],
      ],
    ],
    [
      'malformed_request',
      [['an escaped lone surrogate', 'questions', CONTACT, { clientMessageId: 's-19', name: 'Ravi \ud800' }]],
    ],
  ];

  const table = refusals.flatMap(([code, messages]) =>
    messages.map(([label, at, event, payload]) => [label, code, at, event, payload] as const),
  );
  it.each(table)('%s → %s', async (_label, code, at, event, payload) => {
    const client = await chat(fx[at]);
    const before = await everything();
    await client.fails(event, payload, code);
    expect(await everything()).toEqual(before);
  });

  it('an event without a payload → validation_failed, nothing written', async () => {
    const client = await chat(fx.greeting);
    const before = await everything();
    const ack = await client.ack('visitor:reply');
    expect(ack).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    expect(await everything()).toEqual(before);
  });

  it('a message over SOCKET_MESSAGE_LIMIT_BYTES closes the connection and stores nothing', async () => {
    const client = await chat(fx.greeting);
    const before = await everything();
    client.socket.emit('visitor:reply', { clientMessageId: 'big', text: 'Mumbai '.repeat(3000) }, () => {});
    expect(await client.disconnected()).toMatch(/transport (close|error)/);
    await sleep(100);
    expect(await everything()).toEqual(before);
    expect(await lead(fx.greeting)).toMatchObject({ state: 'greeting' });
  });

  it('a WebSocket text frame that is not UTF-8 is closed by the ws layer; the server stays up and stores nothing', async () => {
    const client = await chat(fx.greeting);
    const before = await everything();
    // The raw `ws` socket under engine.io-client: a text frame whose bytes are not UTF-8.
    const ws = (client.socket.io.engine.transport as unknown as { ws: { send(d: Buffer, o: object): void } })
      .ws;
    ws.send(
      Buffer.from(bytes('42/chat,0["visitor:reply",{"clientMessageId":"u8","text":"@@"}]', [0xff, 0xc0])),
      {
        binary: false,
      },
    );
    expect(await client.disconnected()).toMatch(/transport (close|error)/);
    await sleep(100);
    expect(await everything()).toEqual(before);
    const health = await send('GET', '/health');
    expect(health.status).toBe(200);
    const again = await chat(fx.greeting);
    expect(
      await again.ack('visitor:reply', { clientMessageId: 'u8-after', optionIds: ['maybe'] }),
    ).toMatchObject({
      ok: false,
      error: { code: 'invalid_option' },
    });
  });
});
