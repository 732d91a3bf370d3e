import { describe, expect, it } from 'vitest';
import { CHAT_PROTOCOL } from '../../src/protocol/chat.js';
import { loadWorkflow } from '../../src/workflow/load.js';
import { serverFor } from '../support/app.js';
import { accepted, awards, SECOND } from '../support/chat.js';
import { messageId, openVisitor, visitor } from '../support/sockets.js';
import { sleep } from '../support/time.js';

/**
 * Chat protocol 2 (`auth.protocol`): a connection's own events bring the bot's replies in their acks,
 * and no `bot:message` frame follows; the session's other connections still get them as
 * `bot:message`, and a client that asks for no protocol is served as before.
 */

describe('chat protocol 2', () => {
  const server = serverFor();
  const { clock } = server;

  it('puts the bot reply in the ack of the tab that sent the event, and sends it to the other tabs', async () => {
    const first = openVisitor(server.url, { auth: { protocol: CHAT_PROTOCOL } });
    const hello = await first.hello();
    expect(hello.protocol).toBe(2);
    // The greeting of a new session still comes as a bot:message (there is no ack to carry it).
    expect(await first.message(0)).toMatchObject({ step: 'greeting', questionId: 1 });
    const old = await visitor(server.url, { auth: { sessionId: hello.sessionId } });
    expect((await old.hello()).protocol).toBe(1);
    const other = await visitor(server.url, { auth: { sessionId: hello.sessionId, protocol: 2 } });
    await Promise.all([old.message(0), other.message(0)]);

    clock.advance(3 * SECOND);
    const ack = await first.say('visitor:reply', { optionIds: ['yes'] });
    expect(ack).toMatchObject(accepted(10, 'Unqualified', 'questions', ['replied_to_greeting', 5]));
    expect(ack.messages).toHaveLength(1);
    expect(ack.messages![0]).toMatchObject({ step: 'business_type', questionId: 2, input: 'choice' });
    // The same message, as the other connections of the session get it.
    expect(await old.message(1)).toEqual(ack.messages![0]);
    expect(await other.message(1)).toEqual(ack.messages![0]);

    // And the other way round: the second protocol-2 tab answers, the first hears of it.
    clock.advance(4 * SECOND);
    const next = await other.say('visitor:reply', { text: 'Kirana / Retail Shop' });
    expect(next).toMatchObject({ score: 20, awarded: awards(['answered_question', 5], ['quick_reply', 5]) });
    expect(await first.message(1)).toEqual(next.messages![0]);
    expect(await old.message(2)).toEqual(next.messages![0]);

    // A sender is never sent its own reply a second time.
    await sleep(100);
    expect(first.messages).toHaveLength(2);
    expect(other.messages).toHaveLength(2);
    expect(old.messages).toHaveLength(3);
  });

  it('serves a client that asks for no protocol, or a newer one, as the protocol it knows', async () => {
    const old = await visitor(server.url);
    expect((await old.hello()).protocol).toBe(1);
    await old.message(0);
    const ack = await old.say('visitor:reply', { optionIds: ['yes'] });
    expect(ack.messages).toBeUndefined();
    expect(await old.message(1)).toMatchObject({ questionId: 2 });

    const newer = await visitor(server.url, { auth: { protocol: 7 } });
    expect((await newer.hello()).protocol).toBe(CHAT_PROTOCOL);
  });
});

describe('chat protocol 2 on a workflow in several languages', () => {
  const server = serverFor({}, { workflow: loadWorkflow() });

  it('answers a repeated message id with the prompt the bot waits on now, and a language switch with the prompt in it', async () => {
    const chat = openVisitor(server.url, { auth: { protocol: 2 } });
    await chat.hello();
    await chat.message(0);
    const id = messageId();
    const first = await chat.ok('visitor:reply', { clientMessageId: id, optionIds: ['yes'] });
    const again = await chat.ok('visitor:reply', { clientMessageId: id, optionIds: ['yes'] });
    expect(again.duplicate).toBe(true);
    expect(again.messages).toEqual(first.messages);

    const switched = await chat.ok('visitor:locale', { clientMessageId: messageId(), locale: 'hi' });
    expect(switched.messages).toHaveLength(1);
    expect(switched.messages![0]).toMatchObject({ questionId: 2, locale: 'hi' });
    await sleep(100);
    expect(chat.messages).toHaveLength(1);
  });
});
