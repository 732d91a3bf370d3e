import { describe, expect, it } from 'vitest';
import { badInputServer, bytes, type Fixtures } from '../support/bad-input.js';
import type { VisitorEvent } from '../support/journey.js';
import { sleep } from '../support/time.js';

/** Bad input over the socket: every refusal has its exact code in the ack, and nothing at all is written. */

const { fx, send, chat, everything, lead } = badInputServer();

describe('socket: refused with the exact code in the ack, nothing written', () => {
  type Case = [label: string, at: keyof Fixtures, event: VisitorEvent, payload: unknown, code: string];
  const cases: Case[] = [
    ['no clientMessageId', 'greeting', 'visitor:reply', { optionIds: ['yes'] }, 'validation_failed'],
    [
      'a number as clientMessageId',
      'greeting',
      'visitor:reply',
      { clientMessageId: 7, text: 'yes' },
      'validation_failed',
    ],
    [
      'optionIds as a string',
      'greeting',
      'visitor:reply',
      { clientMessageId: 's-1', optionIds: 'yes' },
      'validation_failed',
    ],
    [
      'an unknown field',
      'greeting',
      'visitor:reply',
      { clientMessageId: 's-2', text: 'yes', admin: true },
      'validation_failed',
    ],
    [
      'neither text nor optionIds',
      'greeting',
      'visitor:reply',
      { clientMessageId: 's-3' },
      'validation_failed',
    ],
    ['a string as the payload', 'greeting', 'visitor:reply', 'yes', 'validation_failed'],
    ['an array as the payload', 'greeting', 'visitor:reply', [1, 2], 'validation_failed'],
    [
      'an empty answer',
      'questions',
      'visitor:reply',
      { clientMessageId: 's-4', text: '' },
      'validation_failed',
    ],
    [
      'a whitespace-only answer',
      'questions',
      'visitor:reply',
      { clientMessageId: 's-5', text: '  \n\t ' },
      'validation_failed',
    ],
    [
      'a 2,001-character answer',
      'questions',
      'visitor:reply',
      { clientMessageId: 's-6', text: 'x'.repeat(2001) },
      'validation_failed',
    ],
    [
      'an option that does not exist',
      'greeting',
      'visitor:reply',
      { clientMessageId: 's-7', optionIds: ['maybe'] },
      'invalid_option',
    ],
    [
      'a label that does not exist',
      'questions',
      'visitor:reply',
      { clientMessageId: 's-8', text: 'Spaceship' },
      'invalid_option',
    ],
    [
      'an unknown action',
      'questions',
      'visitor:action',
      { clientMessageId: 's-9', action: 'clicked_everything' },
      'validation_failed',
    ],
    [
      'a server-derived action',
      'questions',
      'visitor:action',
      { clientMessageId: 's-10', action: 'answered_all_questions' },
      'validation_failed',
    ],
    [
      'a product that does not exist',
      'questions',
      'visitor:action',
      { clientMessageId: 's-11', action: 'clicked_product', targetId: 'spaceship' },
      'invalid_option',
    ],
    [
      'an invalid e-mail',
      'questions',
      'visitor:contact',
      { clientMessageId: 's-12', email: 'ravi@' },
      'validation_failed',
    ],
    [
      'an invalid phone',
      'questions',
      'visitor:contact',
      { clientMessageId: 's-13', phone: '12345' },
      'validation_failed',
    ],
    [
      'an e-mail as a number',
      'questions',
      'visitor:contact',
      { clientMessageId: 's-14', email: 5 },
      'validation_failed',
    ],
    [
      'skipping contact before the contact step',
      'greeting',
      'visitor:contact',
      { clientMessageId: 's-15', skip: true },
      'invalid_state',
    ],
    [
      'a reply after the conversation ended',
      'declined',
      'visitor:reply',
      { clientMessageId: 's-16', optionIds: ['yes'] },
      'session_closed',
    ],
    [
      'a contact after the conversation ended',
      'declined',
      'visitor:contact',
      { clientMessageId: 's-17', email: 'late@example.com' },
      'session_closed',
    ],
    [
      'a click after the conversation ended',
      'declined',
      'visitor:action',
      { clientMessageId: 's-18', action: 'clicked_demo' },
      'session_closed',
    ],
    [
      'a clientMessageId reused with another payload',
      'questions',
      'visitor:action',
      { clientMessageId: 'socket-once', action: 'clicked_pricing' },
      'duplicate_mismatch',
    ],
    [
      'a clientMessageId reused for another event',
      'questions',
      'visitor:reply',
      { clientMessageId: 'socket-once', optionIds: ['other'] },
      'duplicate_mismatch',
    ],
    [
      'an escaped lone surrogate',
      'questions',
      'visitor:contact',
      { clientMessageId: 's-19', name: 'Ravi \ud800' },
      'malformed_request',
    ],
  ];

  const table = cases.map(([label, at, event, payload, code]) => [label, code, at, event, payload] as const);
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
